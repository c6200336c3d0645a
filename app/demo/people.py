"""Demo people: Korean students and an English speaker, all with password `encore-demo`."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import User

DEMO_PASSWORD = "encore-demo"  # noqa: S105  (public demo accounts)

DEMO_PEOPLE: tuple[tuple[str, str, str], ...] = (
    ("mina", "김민아", "신촌 노래방 여왕. 자정 넘으면 발라드만 불러요."),
    ("junho", "박준호", "비트박스 하고 가끔 기타 쳐요."),
    ("seoyeon", "이서연", "연세대 댄스 동아리 회장이에요."),
    ("dohyun", "정도현", "한국어랑 영어로 스탠드업 해요."),
    ("jiwoo", "최지우", "피아노, 그리고 커피 과다 섭취."),
    ("hana", "한하나", "박수는 제가 제일 크게 쳐요 👏"),
    ("alex", "Alex Kim", "Exchange student, karaoke rookie."),
    ("yuna", "윤유나", "실용음악과 보컬 전공. 점수는 살살 부탁해요."),
    ("taeyang", "강태양", "마술이랑 아재개그 담당."),
    ("sora", "송소라", "우쿨렐레 들고 오픈 마이크 다녀요."),
    ("minjun", "오민준", "래퍼 지망생이에요."),
    ("chaeeun", "임채은", "뮤지컬 덕후예요."),
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
