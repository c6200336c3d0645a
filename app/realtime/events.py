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
    {"channel_id": int, "id": int, "seq": int, "html": str, "html_by_locale": dict},
    "A new chat line, rendered on the server in every language (`html` in the default one);"
    " `seq` has no gaps within a channel.",
)
CHAT_REMOVED = EventSpec(
    "chat:removed",
    "channel:<id>",
    {"channel_id": int, "id": int, "seq": int},
    "A moderator, the room's host or the line's author removed a chat line; take it out of"
    " the log.",
)
INBOX = EventSpec(
    "inbox",
    "user:<id>",
    {"channel_id": int},
    "A conversation of yours changed (a new line, you read it, you left it); fetch your"
    " unread badge and conversation list again.",
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
NOTIFICATION = EventSpec(
    "notification",
    "user:<id>",
    {"id": int, "kind": str, "unread": int},
    "A new (or newly collapsed) notification: show a toast and set the badge to `unread`.",
)

POST_LIKES = EventSpec(
    "post:likes",
    "post:<id>",
    {"post_id": int, "comment_id": (int, type(None)), "count": int},
    "A like on the post (`comment_id` null) or on one of its comments; `count` is the new total.",
)
POST_COMMENTS = EventSpec(
    "post:comments",
    "post:<id>",
    {"post_id": int, "comment_count": int},
    "A comment or reply was added, edited or removed; re-fetch the (personalised) comments.",
)

# Video signalling (app/realtime/signalling.py): clients send these with `room_id` and,
# except for the announcements, `to`; the server checks both ends, replaces `to` with the
# sender's `from` and relays. docs/video.md tells the whole exchange.
RTC_READY = EventSpec(
    "rtc:ready",
    "room:<id>",
    {"room_id": int, "from": int},
    "Sender `from` turned a camera on; viewers answer with `rtc:want`.",
)
RTC_WANT = EventSpec(
    "rtc:want",
    "user:<id> or room:<id>",
    {"room_id": int, "from": int},
    "Viewer `from` asks for a stream; a sender with its camera on answers with an offer.",
)
RTC_OFFER = EventSpec(
    "rtc:offer",
    "user:<id>",
    {"room_id": int, "from": int, "sdp": str},
    "Sender `from` offers its stream (SDP) to this viewer.",
)
RTC_ANSWER = EventSpec(
    "rtc:answer",
    "user:<id>",
    {"room_id": int, "from": int, "sdp": str},
    "Viewer `from` answers this sender's offer (SDP).",
)
RTC_ICE = EventSpec(
    "rtc:ice",
    "user:<id>",
    {"room_id": int, "from": int, "role": str, "candidate": (dict, type(None))},
    "One ICE candidate from `from`'s sending (`send`) or receiving (`recv`) side.",
)
RTC_STOP = EventSpec(
    "rtc:stop",
    "user:<id> or room:<id>",
    {"room_id": int, "from": int, "reason": str},
    "`from` stopped sending or watching: `ended`, `full`, `left` or `failed`.",
)

CATALOGUE: dict[str, EventSpec] = {
    spec.name: spec
    for spec in (
        STAGE,
        REACTION,
        PRESENCE,
        CHAT_MESSAGE,
        INBOX,
        LEADERBOARD_REFRESHED,
        NOTICE,
        POST_LIKES,
        POST_COMMENTS,
        NOTIFICATION,
        RTC_READY,
        RTC_WANT,
        RTC_OFFER,
        RTC_ANSWER,
        RTC_ICE,
        RTC_STOP,
        CHAT_REMOVED,
    )
}
