"""The catalogue of server → client Socket.IO events, each named once with its payload.

`docs/realtime-events.md` documents the same catalogue; tests/realtime/test_catalogue.py
keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventSpec:
    """A server event: its name, which Socket.IO room receives it and its payload fields."""

    name: str
    audience: str
    fields: dict[str, type | tuple[type, ...]]
    summary: str

    def check(self, payload: dict) -> None:
        """Raise ValueError when `payload` does not have exactly the catalogued fields."""
        if set(payload) != set(self.fields):
            raise ValueError(
                f"{self.name}: payload keys {sorted(payload)} != catalogue {sorted(self.fields)}"
            )
        for key, expected in self.fields.items():
            if not isinstance(payload[key], expected):
                raise ValueError(f"{self.name}.{key}: {type(payload[key]).__name__}")


STAGE = EventSpec(
    "stage",
    "room:<id>",
    {"room_id": int, "version": int},
    "The stage changed; re-fetch the (personalised) stage fragment if `version` is newer.",
)
REACTION = EventSpec(
    "reaction",
    "room:<id>",
    {"room_id": int, "performance_id": int, "kind": str, "counts": dict},
    "Someone clapped or spun the mirror ball; `counts` holds the new totals.",
)
PRESENCE = EventSpec(
    "presence",
    "room:<id>",
    {"room_id": int, "online": list},
    "Who is connected to the room now: a list of user ids.",
)
CHAT_MESSAGE = EventSpec(
    "chat:message",
    "channel:<id>",
    {"channel_id": int, "id": int, "seq": int, "html": str},
    "A new chat line, rendered once on the server; `seq` has no gaps within a channel.",
)
CHAT_REMOVED = EventSpec(
    "chat:removed",
    "channel:<id>",
    {"channel_id": int, "id": int, "seq": int},
    "A moderator removed a chat line; take it out of the log.",
)
INBOX = EventSpec(
    "inbox",
    "user:<id>",
    {"channel_id": int, "unread": int, "total_unread": int},
    "A conversation of yours changed; update its row and the unread badge.",
)
LEADERBOARD_REFRESHED = EventSpec(
    "leaderboard:refreshed",
    "leaderboard",
    {"at": str},
    "The hourly job swapped in new rankings at ISO time `at`.",
)
NOTICE = EventSpec(
    "notice",
    "user:<id> or session:<id>",
    {"kind": str, "message": str},
    "A personal notice. `kind` is `signed_out` when this session has ended, `banned` on a ban.",
)

CATALOGUE: dict[str, EventSpec] = {
    spec.name: spec
    for spec in (
        STAGE,
        REACTION,
        PRESENCE,
        CHAT_MESSAGE,
        CHAT_REMOVED,
        INBOX,
        LEADERBOARD_REFRESHED,
        NOTICE,
    )
}
