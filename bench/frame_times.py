"""Frame times of the celebration on a slow phone: a burst of reactions, then the podium.

A spectator watches a live show in Chromium (Playwright, the system Chromium) on a phone
viewport with the CPU slowed fourfold (CDP `Emulation.setCPUThrottlingRate`, rate 4).
Several other spectators then send `--reactions` claps and mirror balls through the real
form posts within about a second; later the last score of the show closes it and the
podium is revealed (third → first, confetti for the winner). The page records the gap
between animation frames (requestAnimationFrame) in each window, and the long animation
frames Chromium reports (PerformanceObserver `long-animation-frame`) where it has them.

Each window is measured beside an idle window of the same page just before it, so a busy
machine shows up as a slow idle baseline rather than as a slow animation.

    python -m bench.frame_times --reactions 50 --reactors 10
"""

from __future__ import annotations

import argparse
import asyncio
import re
import threading
import time
from contextlib import closing

from bench.harness import BENCH_PASSWORD, BenchEnv, common_arguments, percentiles, report
from bench.server_process import Server
from bench.users import bulk_users, login_all

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 3,
}
FRAME_BUDGET_MS = 1000 / 60  # 16.7 ms: one frame at 60 Hz

# Records rAF gaps and long animation frames into window.__frameLog until stopped.
START_RECORDING = """() => {
  const log = { deltas: [], long: [] };
  window.__frameLog = log;
  let last = null;
  log.running = true;
  const tick = (now) => {
    if (!log.running) return;
    if (last !== null) log.deltas.push(now - last);
    last = now;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  try {
    log.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) log.long.push(entry.duration);
    });
    log.observer.observe({ type: "long-animation-frame", buffered: false });
  } catch (error) { log.long = null; }
}"""
STOP_RECORDING = """() => {
  const log = window.__frameLog;
  log.running = false;
  if (log.observer) log.observer.disconnect();
  return { deltas: log.deltas, long: log.long,
           sprites: document.querySelectorAll(".burst-sprite").length };
}"""
COUNT_SPRITES = """() => {
  window.__spritesMade = 0;
  window.__spritesMax = 0;
  new MutationObserver((records) => {
    records.forEach((r) => r.addedNodes.forEach((n) => {
      if (n.classList && n.classList.contains("burst-sprite")) window.__spritesMade += 1;
    }));
    const alive = document.querySelectorAll("#stage-burst .burst-sprite").length;
    window.__spritesMax = Math.max(window.__spritesMax, alive);
  }).observe(document.getElementById("stage-burst"), { childList: true });
}"""


def frame_stats(deltas: list[float], long_frames: list[float] | None) -> dict:
    """Summarise frame gaps: percentiles, the share over one frame's budget, long frames."""
    stats = percentiles(deltas)
    over = sum(1 for d in deltas if d > FRAME_BUDGET_MS + 0.5)  # rAF jitter is ±0.5 ms
    return {
        "frames": stats["count"],
        "p50_ms": stats["p50"],
        "p95_ms": stats["p95"],
        "max_ms": stats["max"],
        "over_16_7_ms_share": round(over / len(deltas), 3) if deltas else None,
        "long_animation_frames": None if long_frames is None else len(long_frames),
        "long_animation_frame_max_ms": round(max(long_frames), 1) if long_frames else None,
    }


def summary_line(label: str, stats: dict) -> str:
    """One readable line of frame statistics."""
    share = stats["over_16_7_ms_share"]
    return (
        f"{label:<16} frames {stats['frames']:>4}  p50 {stats['p50_ms']} ms  p95"
        f" {stats['p95_ms']} ms  max {stats['max_ms']} ms  over 16.7 ms"
        f" {'–' if share is None else f'{share:.0%}'}  long frames"
        f" {stats['long_animation_frames']}"
    )


async def _post_ok(user, path: str, data: dict | None = None) -> int:
    """POST a plain form and return its status (303 when it worked)."""
    status, _body, _headers = await user.post(path, data or {}, htmx=False)
    return status


async def _log_in(url: str, users: list[tuple[int, str]], tries: int = 5):
    """Log every bench user in, waiting out the login throttle (all come from one address)."""
    for attempt in range(tries):
        try:
            return await login_all([url], users, concurrency=2)
        except RuntimeError as error:
            if "429" not in str(error) or attempt == tries - 1:
                raise
            await asyncio.sleep(10)
    raise RuntimeError("unreachable")


async def _setup(env: BenchEnv, server: Server, reactors: int):
    """A live show (host on air) with two more members, and logged-in spectators."""
    with closing(env.db()) as conn:
        users = bulk_users(conn, 3 + reactors + 1, "frames" + env.run_id)
    sessions = await _log_in(server.url, users)
    host, first, second = sessions[:3]
    for http, (user_id, _name) in zip(sessions, users, strict=False):
        http.user_id = user_id
    fans = sessions[3 : 3 + reactors]
    viewer_name = users[-1][1]
    status, _b, headers = await host.post(
        "/rooms/",
        {
            "title": "Frame times",
            "description": "",
            "category": "talent",
            "mode": "casual",
            "capacity": "3",
            "turn_minutes": "10",
            "scoring_seconds": "300",
        },
        htmx=False,
    )
    match = re.search(r"/rooms/(\d+)", headers.get("Location", ""))
    if status != 303 or not match:
        raise RuntimeError(f"creating the room answered {status}")
    room_id = int(match.group(1))
    for member in (first, second):
        assert await _post_ok(member, f"/rooms/{room_id}/join") == 303
    assert await _post_ok(host, f"/rooms/{room_id}/start") == 303
    return room_id, (host, first, second), fans, sessions, viewer_name


async def _close_all(sessions) -> None:
    """Close every client session."""
    await asyncio.gather(*(s.close() for s in sessions))


async def _burst(fans, room_id: int, reactions: int, spread_s: float) -> dict:
    """Send `reactions` claps and mirror balls from the fans, spread over `spread_s`."""
    statuses: dict[str, int] = {}

    async def one(n: int) -> None:
        await asyncio.sleep(spread_s * n / reactions)
        kind = "mirror_ball" if n % 5 == 4 else "clap"
        status = await _post_ok(fans[n % len(fans)], f"/rooms/{room_id}/react", {"kind": kind})
        statuses[str(status)] = statuses.get(str(status), 0) + 1

    await asyncio.gather(*(one(n) for n in range(reactions)))
    return statuses


async def _to_the_last_score(room_id: int, people) -> None:
    """Play the show until one score is missing: three turns, each scored by the others.

    The members never open the page here, so they count as absent and scoring waits for its
    deadline; the host closes each scoring window instead.
    """
    host, first, second = people
    order = [(host, first), (first, second), (second, None)]
    for turn, (performer, nominee) in enumerate(order):
        if nominee is not None:
            await _post_ok(performer, f"/rooms/{room_id}/nominate", {"user_id": nominee.user_id})
        await _post_ok(performer, f"/rooms/{room_id}/end-turn")
        scorers = [p for p in people if p is not performer]
        if turn == len(order) - 1:
            await _post_ok(scorers[1], f"/rooms/{room_id}/score", {"value": "7"})
            return
        for value, scorer in zip(("8", "6"), scorers, strict=True):
            await _post_ok(scorer, f"/rooms/{room_id}/score", {"value": value})
        await _post_ok(host, f"/rooms/{room_id}/close-scoring")


class ClientLoop:
    """An asyncio loop on a thread of its own for the HTTP clients (Playwright's sync API
    keeps the main thread's loop)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine):
        """Run `coroutine` on the clients' loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        """Stop the loop and its thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


# Main-thread work Chromium counts (CDP Performance.getMetrics). The counts (style and
# layout passes) hardly depend on how busy the machine is; the durations do.
WORK_METRICS = (
    "RecalcStyleCount",
    "LayoutCount",
    "RecalcStyleDuration",
    "LayoutDuration",
    "ScriptDuration",
    "TaskDuration",
)


def _work(cdp) -> dict:
    """Return the main thread's cumulative work counters now."""
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {name: metrics.get(name, 0.0) for name in WORK_METRICS}


def _work_since(cdp, before: dict) -> dict:
    """Return the main thread's work since `before` (durations in ms)."""
    now = _work(cdp)
    return {
        name: round((now[name] - before[name]) * (1000 if "Duration" in name else 1), 1)
        for name in WORK_METRICS
    }


def _measure(page, cdp, seconds: float) -> dict:
    """Record frames for `seconds` on `page` and return the raw log with the work done."""
    work = _work(cdp)
    page.evaluate(START_RECORDING)
    page.wait_for_timeout(int(seconds * 1000))
    log = page.evaluate(STOP_RECORDING)
    log["work"] = _work_since(cdp, work)
    return log


def run(args) -> dict:
    """Drive the browser and the clients; return the measurements."""
    from playwright.sync_api import sync_playwright

    with BenchEnv(args.database_url, args.redis_url) as env:
        server = Server(env, async_mode=args.async_mode).start()
        loop = ClientLoop()
        try:
            room_id, people, fans, sessions, viewer_name = loop.run(
                _setup(env, server, args.reactors)
            )
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=args.chromium, args=CHROMIUM_ARGS, headless=True
                )
                context = browser.new_context(base_url=server.url, **PHONE)
                page = context.new_page()
                page.goto("/auth/login")
                page.get_by_label("Username").fill(viewer_name)
                page.get_by_label("Password").fill(BENCH_PASSWORD)
                page.get_by_role("button", name=re.compile("Log in")).click()
                page.wait_for_url(re.compile(r"/(\?.*)?$"))
                page.goto(f"/rooms/{room_id}")
                page.locator("body.is-connected").wait_for()
                cdp = context.new_cdp_session(page)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": args.throttle})
                cdp.send("Performance.enable")
                page.evaluate(COUNT_SPRITES)

                idle_burst = _measure(page, cdp, args.idle)
                work = _work(cdp)
                page.evaluate(START_RECORDING)
                started = time.monotonic()
                statuses = loop.run(_burst(fans, room_id, args.reactions, args.spread))
                sent_in = time.monotonic() - started
                page.wait_for_timeout(int(args.after * 1000))
                burst = page.evaluate(STOP_RECORDING)
                burst["work"] = _work_since(cdp, work)
                sprites = page.evaluate("() => [window.__spritesMade, window.__spritesMax]")

                cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
                loop.run(_to_the_last_score(room_id, people))
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": args.throttle})
                idle_podium = _measure(page, cdp, args.idle)
                work = _work(cdp)
                page.evaluate(START_RECORDING)
                host = people[0]
                loop.run(_post_ok(host, f"/rooms/{room_id}/score", {"value": "9"}))
                loop.run(_post_ok(host, f"/rooms/{room_id}/close-scoring"))
                page.get_by_role("list", name="Podium").wait_for(timeout=15000)
                page.wait_for_timeout(5000)  # the reveal (2.3 s) and the confetti (to 4.6 s)
                podium = page.evaluate(STOP_RECORDING)
                podium["work"] = _work_since(cdp, work)
                confetti = page.locator(".confetti i").count()
                browser.close()
            failed = any(code.startswith("5") for code in statuses)
            log_tail = server.log()[-4000:] if failed else ""
        finally:
            if "sessions" in locals():
                loop.run(_close_all(sessions))
            loop.close()
            server.stop()
    return {
        "status": "ok",
        "throttle": args.throttle,
        "viewport": PHONE["viewport"],
        "reactions": args.reactions,
        "reactors": args.reactors,
        "reactions_sent_in_s": round(sent_in, 2),
        "react_statuses": statuses,
        "sprites_made": sprites[0],
        "sprites_alive_max": sprites[1],
        "confetti_pieces": confetti,
        "idle_before_burst": frame_stats(idle_burst["deltas"], idle_burst["long"]),
        "burst": frame_stats(burst["deltas"], burst["long"]),
        "idle_before_podium": frame_stats(idle_podium["deltas"], idle_podium["long"]),
        "podium": frame_stats(podium["deltas"], podium["long"]),
        "work": {
            "idle_before_burst": idle_burst["work"],
            "burst": burst["work"],
            "idle_before_podium": idle_podium["work"],
            "podium": podium["work"],
        },
        "server_log_tail_on_5xx": log_tail,
    }


def main(argv: list[str] | None = None) -> None:
    """Run the frame-time scenario from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.frame_times",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common_arguments(parser)
    parser.add_argument("--reactions", type=int, default=50, help="reactions in the burst")
    parser.add_argument("--reactors", type=int, default=10, help="spectators sending them")
    parser.add_argument("--spread", type=float, default=1.0, help="seconds the burst spans")
    parser.add_argument("--after", type=float, default=3.0, help="seconds recorded after it")
    parser.add_argument("--idle", type=float, default=2.0, help="idle baseline seconds")
    parser.add_argument("--throttle", type=float, default=4.0, help="CPU slow-down rate")
    parser.add_argument("--chromium", default=CHROMIUM, help="the Chromium to drive")
    args = parser.parse_args(argv)
    result = run(args)
    summary = [
        f"{args.reactions} reactions from {args.reactors} spectators in"
        f" {result['reactions_sent_in_s']} s ({result['react_statuses']}); CPU ×{args.throttle},"
        f" phone {PHONE['viewport']['width']}×{PHONE['viewport']['height']}",
        f"sprites made {result['sprites_made']}, alive at most {result['sprites_alive_max']};"
        f" confetti pieces {result['confetti_pieces']}",
        summary_line("idle (burst)", result["idle_before_burst"]),
        summary_line("reaction burst", result["burst"]),
        summary_line("idle (podium)", result["idle_before_podium"]),
        summary_line("podium reveal", result["podium"]),
    ] + [f"main-thread work, {window}: {work}" for window, work in result["work"].items()]
    report("frame_times", result, summary, args.json_out)


if __name__ == "__main__":
    main()
