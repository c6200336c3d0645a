"""Demo shows: a lobby waiting to start, a live show in the middle of scoring, and a
finished ranked show with its podium. Built through the show service, so they obey the rules.
"""

from __future__ import annotations

from sqlalchemy import select

from app.demo.people import demo_user
from app.extensions import db
from app.models import Room
from app.services import deadlines, reactions, rooms, show

LOBBY = ("불금 노래방 🎤", "mina", ("junho", "hana", "alex"))
LIVE = ("Dance battle: 신촌 vs 홍대", "seoyeon", ("dohyun", "jiwoo", "alex", "yuna"))
FINISHED = ("일요일 오픈 마이크", "sora", ("taeyang", "minjun", "chaeeun"))


def _exists(title: str, host_id: int) -> bool:
    """Tell whether this demo room was seeded already."""
    return (
        db.session.scalar(select(Room.id).where(Room.title == title, Room.host_id == host_id))
        is not None
    )


def _open(spec: tuple[str, str, tuple[str, ...]], **fields) -> tuple[int, dict[str, int]] | None:
    """Open the room of `spec` with its members seated; None when it exists already."""
    title, host_name, member_names = spec
    ids = {name: demo_user(name).id for name in (host_name, *member_names)}
    if _exists(title, ids[host_name]):
        return None
    room = rooms.create_room(
        ids[host_name],
        title,
        fields.get("description", ""),
        fields.get("category", "karaoke"),
        fields.get("mode", "ranked"),
        fields.get("capacity", 10),
    )
    for name in member_names:
        rooms.join_room(room.id, ids[name])
    return room.id, ids


def seed() -> str:
    """Create the three demo shows that do not exist yet."""
    db.session.commit()  # the people part flushed; the show service opens its own transactions
    made = []

    lobby = _open(LOBBY, description="발라드, 트로트, K-pop 다 좋아요. 한 명씩 한 곡!", capacity=8)
    if lobby:
        made.append("lobby")

    live = _open(
        LIVE,
        description="1분 프리스타일 라운드. 옷 말고 춤에 점수 주세요.",
        category="dance",
    )
    if live:
        room_id, ids = live
        show.start_show(room_id, ids["seoyeon"])
        for name in ("dohyun", "jiwoo", "alex"):
            reactions.react(room_id, ids[name], "clap")
        reactions.react(room_id, ids["yuna"], "mirror_ball")
        show.nominate(room_id, ids["seoyeon"], ids["jiwoo"])
        show.end_turn(room_id, ids["seoyeon"])
        for name, value in (("dohyun", 8), ("jiwoo", 9), ("alex", 7), ("yuna", 9)):
            show.score(room_id, ids[name], str(value))
        # Jiwoo is on air; her turn ends and half the room has scored so far.
        reactions.react(room_id, ids["yuna"], "clap")
        show.nominate(room_id, ids["jiwoo"], ids["alex"])
        show.end_turn(room_id, ids["jiwoo"])
        show.score(room_id, ids["seoyeon"], "10")
        show.score(room_id, ids["dohyun"], "8")
        # The host holds the clock, so visitors find the show mid-scoring; like any show,
        # it still finishes by itself after an idle hour.
        deadlines.pause(room_id, ids["seoyeon"])
        made.append("live (scoring, clock paused)")

    finished = _open(
        FINISHED,
        description="어쿠스틱 공연이랑 스탠드업. 랭킹 방이니까 실력 발휘해요.",
        category="instrument",
        capacity=6,
    )
    if finished:
        room_id, ids = finished
        order = ("sora", "taeyang", "minjun", "chaeeun")
        marks = {
            "sora": (9, 8, 9),
            "taeyang": (7, 6, 8),
            "minjun": (10, 9, 9),
            "chaeeun": (8, 9, 8),
        }
        show.start_show(room_id, ids["sora"])
        for position, name in enumerate(order):
            if position + 1 < len(order):
                show.nominate(room_id, ids[name], ids[order[position + 1]])
            reactions.react(room_id, ids[order[position - 1]], "clap")
            show.end_turn(room_id, ids[name])
            scorers = [other for other in order if other != name]
            for scorer, value in zip(scorers, marks[name], strict=True):
                show.score(room_id, ids[scorer], str(value))
        made.append("finished (ranked)")

    return f"shows: {', '.join(made) if made else 'nothing new'} (3 demo rooms in total)"
