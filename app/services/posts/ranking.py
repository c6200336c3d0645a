"""The Discover ranking: a time-decayed engagement score, written by a periodic job.

score = (1 + likes + 2 × comments) / (age in hours + 2) ^ 1.5 for posts of the last week;
older posts drop to 0 and leave Discover. Page views only read `posts.discover_score`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.database import utcnow
from app.extensions import db
from app.models import Post

WINDOW = timedelta(days=7)
GRAVITY = 1.5
BATCH = 2000


def engagement_score(likes: int, comments: int, age: timedelta) -> float:
    """Return the time-decayed score of a post with these counts at this age."""
    hours = max(age.total_seconds(), 0) / 3600
    return (1 + likes + 2 * comments) / (hours + 2) ** GRAVITY


def rank_recent_posts(now: datetime | None = None) -> int:
    """Rescore every post of the window and retire older ones; return how many were scored."""
    now = now or utcnow()
    since = now - WINDOW
    db.session.execute(
        update(Post)
        .where(Post.created_at < since, Post.discover_score > 0)
        .values(discover_score=0)
    )
    scored = 0
    last_id = 0
    while True:
        rows = db.session.execute(
            select(Post.id, Post.like_count, Post.comment_count, Post.created_at)
            .where(Post.created_at >= since, Post.id > last_id)
            .order_by(Post.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        db.session.execute(
            update(Post),
            [
                {
                    "id": row.id,
                    "discover_score": engagement_score(
                        row.like_count, row.comment_count, now - row.created_at
                    ),
                }
                for row in rows
            ],
        )
        scored += len(rows)
        last_id = rows[-1].id
    db.session.commit()
    return scored
