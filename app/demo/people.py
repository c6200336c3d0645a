"""Demo people: a mix of Korean and English display names, all with password `encore-demo`."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import User

DEMO_PASSWORD = "encore-demo"  # noqa: S105  (public demo accounts)

DEMO_PEOPLE: tuple[tuple[str, str, str], ...] = (
    ("mina", "김민아", "Karaoke queen of Sinchon. Ballads only after midnight."),
    ("junho", "박준호", "Beatboxer, occasional guitarist."),
    ("seoyeon", "이서연", "Dance club captain at 연세대."),
    ("dohyun", "정도현", "Stand-up in two languages."),
    ("jiwoo", "최지우", "Piano, and too much coffee."),
    ("hana", "한하나", "I clap the loudest."),
    ("alex", "Alex Kim", "Exchange student, karaoke rookie."),
    ("yuna", "윤유나", "Vocal major. Judge me gently."),
    ("taeyang", "강태양", "Magic tricks and bad puns."),
    ("sora", "송소라", "Ukulele and open mics."),
    ("minjun", "오민준", "Rapper in training."),
    ("chaeeun", "임채은", "Musical theatre nerd."),
)


def demo_user(username: str) -> User:
    """Return a demo user by username (after `seed` has run)."""
    return db.session.scalar(select(User).where(User.username_key == username))


def seed() -> str:
    """Create the demo people that do not exist yet."""
    created = 0
    for username, display_name, bio in DEMO_PEOPLE:
        if demo_user(username) is not None:
            continue
        user = User(username=username, username_key=username, display_name=display_name, bio=bio)
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
        created += 1
    db.session.flush()
    return f"people: {created} created, {len(DEMO_PEOPLE)} in total (password: {DEMO_PASSWORD})"
