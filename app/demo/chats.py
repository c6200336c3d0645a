"""Demo chats: direct and group conversations with history, and a few lines in demo rooms."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.database import utcnow
from app.demo.people import demo_user
from app.extensions import db
from app.models import Channel, ChannelKind, ChannelMember, Message, MessageKind, Room, RoomMember
from app.services import chat

DIRECTS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "mina",
        "junho",
        (
            ("junho", "민아야 오늘 밤 노래방 쇼 올 거야?"),
            ("mina", "당연하지! 발라드 세 곡 준비했어 🎤"),
            ("junho", "인트로는 내가 비트박스로 깔아줄게"),
            ("mina", "콜. 이번엔 너무 빠르게 하지 마 😂"),
            ("junho", "약속은 못 해"),
            ("junho", "방 열리면 링크 보내줄게"),
        ),
    ),
    (
        "alex",
        "mina",
        (
            ("alex", "Hi Mina! First time doing karaoke here, any tips?"),
            ("mina", "Pick a song you love, not one you think is cool 🙂"),
            ("alex", "Then it's ABBA. Definitely ABBA."),
        ),
    ),
)

GROUPS: tuple[tuple[str, str, tuple[str, ...], tuple[tuple[str, str], ...]], ...] = (
    (
        "금요일 노래방 크루 🎤",
        "mina",
        ("junho", "seoyeon", "alex", "yuna"),
        (
            ("mina", "금요일 9시 어때요?"),
            ("seoyeon", "좋아요! 댄스 곡도 넣어도 돼요?"),
            ("yuna", "저도 갈게요. 점수는 살살 🙏"),
            ("alex", "Can I bring a friend?"),
            ("mina", "Sure, the room takes ten 🙂"),
            ("junho", "랭크 모드로 가자"),
            ("seoyeon", "casual이 더 재밌지 않아?"),
            ("yuna", "랭킹 모드요! 랭킹 올리고 싶어요"),
        ),
    ),
    (
        "오픈 마이크 단골들",
        "sora",
        ("dohyun", "taeyang", "mina"),
        (
            ("sora", "오늘 우쿨렐레 신곡 해요. 살살 봐줘요"),
            ("dohyun", "제가 2분 스탠드업으로 분위기 띄울게요"),
            ("taeyang", "그리고 저는 마이크를 사라지게 할게요 🎩"),
        ),
    ),
)

ROOM_LINES = ("안녕하세요! 🎶", "다들 화이팅!", "첫 무대 누가 해요?", "👏👏👏")


def _write(channel_id: int, lines: tuple[tuple[str, str], ...], start_minutes: int) -> None:
    """Write `lines` ((username, body) pairs) a minute or two apart, ending recently."""
    begin = utcnow() - timedelta(minutes=start_minutes)
    for n, (username, body) in enumerate(lines):
        message = chat.persist(channel_id, demo_user(username).id, body)
        message.created_at = begin + timedelta(minutes=2 * n)
    channel = db.session.get(Channel, channel_id)
    channel.last_message_at = begin + timedelta(minutes=2 * (len(lines) - 1))


def _direct(first: str, second: str, lines: tuple[tuple[str, str], ...], minutes: int) -> bool:
    """Create a direct conversation with history unless it exists; tell whether it was made."""
    a, b = demo_user(first), demo_user(second)
    low, high = sorted((a.id, b.id))
    key = f"{low}:{high}"
    if db.session.scalar(select(Channel.id).where(Channel.direct_key == key)) is not None:
        return False
    channel = Channel(kind=ChannelKind.DIRECT, direct_key=key, created_by_id=a.id, title="")
    db.session.add(channel)
    db.session.flush()
    for uid in (low, high):
        db.session.add(ChannelMember(channel_id=channel.id, user_id=uid))
    db.session.flush()
    _write(channel.id, lines, minutes)
    return True


def _group(title: str, owner: str, others: tuple[str, ...], lines, minutes: int) -> bool:
    """Create a group with history unless one with this title exists; tell whether it was made."""
    exists = db.session.scalar(
        select(Channel.id).where(Channel.kind == ChannelKind.GROUP, Channel.title == title)
    )
    if exists is not None:
        return False
    creator = demo_user(owner)
    channel = Channel(kind=ChannelKind.GROUP, title=title, created_by_id=creator.id)
    db.session.add(channel)
    db.session.flush()
    for username in (owner, *others):
        db.session.add(ChannelMember(channel_id=channel.id, user_id=demo_user(username).id))
    db.session.flush()
    started = chat.persist(channel.id, creator.id, chat.SYSTEM_CREATED, kind=MessageKind.SYSTEM)
    started.created_at = utcnow() - timedelta(minutes=minutes + 5)
    _write(channel.id, lines, minutes)
    return True


def _room_chats(limit: int = 3) -> int:
    """Add a few lines to demo rooms whose chat is still empty; return how many rooms."""
    filled = 0
    rooms = db.session.scalars(select(Room).order_by(Room.id).limit(limit)).all()
    for room in rooms:
        members = db.session.scalars(
            select(RoomMember.user_id)
            .where(RoomMember.room_id == room.id, RoomMember.left_at.is_(None))
            .order_by(RoomMember.id)
        ).all()
        channel = db.session.scalar(select(Channel).where(Channel.room_id == room.id))
        if not members or (channel is not None and channel.last_seq):
            continue
        if channel is None:
            channel = Channel(kind=ChannelKind.ROOM, room_id=room.id, title="")
            db.session.add(channel)
            db.session.flush()
        for n, body in enumerate(ROOM_LINES):
            chat.persist(channel.id, members[n % len(members)], body)
        filled += 1
    return filled


def seed() -> str:
    """Create the demo conversations that do not exist yet (people must exist)."""
    if demo_user("mina") is None:
        return "chats: skipped (no demo people)"
    made = sum(_direct(a, b, lines, 90 - 30 * i) for i, (a, b, lines) in enumerate(DIRECTS))
    made += sum(
        _group(title, owner, others, lines, 60 - 20 * i)
        for i, (title, owner, others, lines) in enumerate(GROUPS)
    )
    rooms = _room_chats()
    db.session.flush()
    total = db.session.scalar(select(func.count(Message.id)))
    return (
        f"chats: {made} conversations created, {rooms} room chats started, {total} lines in total"
    )
