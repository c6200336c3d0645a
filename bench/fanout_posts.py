"""The fan-out's posting and counting: chat lines posted over HTTP at a fixed rate, and each
step's deliveries matched to its posts (latency, lost, duplicated, late)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass

from bench.fanout_groups import Setup
from bench.harness import (
    percentiles,
)


@dataclass
class Post:
    """One POST: which message and group, when it was sent, what came back."""

    index: int
    group: int
    sent: float
    status: int = 0
    http_ms: float = 0.0


async def post_at_rate(setup: Setup, target: str, rate: float, duration: float, first: int, run):
    """Send round(rate × duration) posts open-loop at `rate`/s; return the Post records."""
    total = max(1, round(rate * duration))
    posts: list[Post] = []
    tasks = []
    in_flight = [0]
    skipped = [0]
    max_in_flight = 1000

    async def send(post: Post) -> None:
        in_flight[0] += 1
        group = setup.groups[post.group]
        body = f"bench bm{run}q{post.index} fan-out line"
        try:
            # Posts rotate over the group's members, each from their own connection.
            poster = group.members[group.next_poster % len(group.members)]
            group.next_poster += 1
            if target == "bare":
                form, htmx = {"channel_id": str(group.channel_id), "body": body}, False
            else:
                form, htmx = {"body": body, "client_id": uuid.uuid4().hex}, True
            status, _b, _h = await setup.http[poster].post(group.post_path, form, htmx=htmx)
        except Exception:
            status = -1
        post.status = status
        post.http_ms = (time.monotonic() - post.sent) * 1000
        in_flight[0] -= 1

    start = time.monotonic() + 0.1
    for n in range(total):
        due = start + n / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if in_flight[0] >= max_in_flight:
            skipped[0] += 1
            continue
        post = Post(first + n, (first + n) % len(setup.groups), time.monotonic())
        posts.append(post)
        tasks.append(asyncio.create_task(send(post)))
    sending_s = time.monotonic() - start
    await asyncio.gather(*tasks)
    return posts, sending_s, skipped[0]


def evaluate(posts: list[Post], receipts: list, setup: Setup, subscribed: dict, wall: float):
    """Turn posts and receipts into latency, throughput, loss and duplication numbers."""
    by_index = {p.index: p for p in posts}
    members_of = defaultdict(set)
    for client, channels in subscribed.items():
        for channel in channels:
            members_of[channel].add(client)
    seen: Counter = Counter()
    first_copy: dict[tuple[int, int], float] = {}
    seqs: dict[tuple[int, int], set] = defaultdict(set)
    duplicate_gaps = []
    latencies = []
    foreign = 0
    for client, index, received, *seq in receipts:
        post = by_index.get(index)
        if post is None:
            foreign += 1  # a late delivery of an earlier step, or of a post that failed
            continue
        seen[(client, index)] += 1
        seqs[(client, index)].update(seq)
        if seen[(client, index)] == 1:
            first_copy[(client, index)] = received
            latencies.append((received - post.sent) * 1000)
        else:
            # These clients never reconnect nor read the history, so a second copy is a
            # second push: Redis publishes are at-least-once (redis-py and python-socketio
            # both send a PUBLISH again when its reply is lost). The gap between the copies
            # tells a publish retry (a backoff apart) from anything else.
            duplicate_gaps.append(round((received - first_copy[(client, index)]) * 1000, 1))
    accepted = [p for p in posts if 200 <= p.status < 400]
    expected = 0
    delivered = 0
    for post in accepted:
        channel = setup.groups[post.group].channel_id
        for client in members_of[channel]:
            expected += 1
            if seen[(client, post.index)]:
                delivered += 1
    statuses = Counter(p.status for p in posts)
    duplicated = sum(c - 1 for c in seen.values() if c > 1)
    return {
        "posts": len(posts),
        "accepted": len(accepted),
        "rejected_429": statuses.get(429, 0),
        "errors": sum(v for k, v in statuses.items() if not (200 <= k < 400) and k != 429),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "deliveries_expected": expected,
        "deliveries": delivered,
        "lost": expected - delivered,
        "duplicated": duplicated,
        "duplicate_gaps_ms": sorted(duplicate_gaps)[:50],
        # A post that reached a client under two seqs was stored twice: a real bug, unlike
        # one line pushed twice (one seq), which chat.js shows once.
        "duplicated_lines": sum(1 for key, c in seen.items() if c > 1 and len(seqs[key]) > 1),
        "late_or_unmatched": foreign,
        "deliveries_per_s": round(delivered / wall, 1) if wall else None,
        "latency_ms": percentiles(latencies),
        "post_http_ms": percentiles([p.http_ms for p in posts]),
        # How long a shed post waited for its 429: the target is well under a second.
        "shed_http_ms": percentiles([p.http_ms for p in posts if p.status == 429]),
    }
