"""Demo data for `flask seed-demo`. Each area seeds its part; every part is idempotent."""

from __future__ import annotations

from app.demo import chats, history, people, shows, social

# Later parts build on earlier ones: people first, then rooms and shows, then the rest.
PARTS = (people, social, shows, history, chats)  # chats last: it talks about everything before


def seed_all() -> list[str]:
    """Run every part in order and return one summary line per part."""
    return [part.seed() for part in PARTS]
