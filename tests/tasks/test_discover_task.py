"""The Discover ranking as Celery runs it: scheduled by beat, scored by a real worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.schedules import crontab
from sqlalchemy import select, update

from app.database import utcnow
from app.extensions import db
from app.models import Post
from app.services.posts import comments, likes, ranking, writing
from tests.conftest import make_app
from tests.support import factories

pytestmark = [pytest.mark.celery, pytest.mark.redis]

TASK = "app.tasks.discover.rank_discover"


def test_beat_ranks_discover_every_ten_minutes():
    celery = make_app().extensions["celery"]
    entries = [e for e in celery.conf.beat_schedule.values() if e["task"] == TASK]
    assert len(entries) == 1
    schedule = entries[0]["schedule"]
    assert isinstance(schedule, crontab)
    assert schedule.minute == set(range(0, 60, 10))


def test_a_newer_post_with_the_same_engagement_ranks_higher():
    same = ranking.engagement_score(3, 1, timedelta(hours=1))
    assert ranking.engagement_score(3, 1, timedelta(hours=10)) < same
    assert ranking.engagement_score(30, 1, timedelta(hours=10)) > same / 10
    assert ranking.engagement_score(0, 0, timedelta(0)) > 0


def test_the_worker_scores_recent_posts_and_retires_old_ones(worker_app, celery_worker):
    with worker_app.app_context():
        author = factories.user("author")
        fan = factories.user("fan")
        quiet = writing.create_post(author, "quiet").id
        loved = writing.create_post(author, "loved").id
        old = writing.create_post(author, "old news").id
        likes.set_post_like(loved, fan, True)
        comments.add_comment(loved, fan, "bravo")
        db.session.execute(
            update(Post)
            .where(Post.id == old)
            .values(created_at=utcnow() - timedelta(days=8), discover_score=5.0)
        )
        db.session.commit()
    celery = worker_app.extensions["celery"]
    assert celery.send_task(TASK, ignore_result=False).get(timeout=60) == 2
    with worker_app.app_context():
        db.session.remove()
        scores = dict(db.session.execute(select(Post.id, Post.discover_score)).all())
    assert scores[loved] > scores[quiet] > 0
    assert scores[old] == 0
