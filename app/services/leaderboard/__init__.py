"""Leaderboards: computed from closed ranked performances by a scheduled job, read from a cache.

One module per job:

- `boards`: the values and the boards there are (periods, categories, week windows);
- `compute`: one streamed, grouped aggregation of every board;
- `redis_snapshot`: the Redis store (staged in batches, swapped in at once, read by script);
- `memory_snapshot`: the in-process store of the embedded mode;
- `degraded`: a bounded database read, with a notice, when no snapshot can answer;
- `read`: the public reads and the refresh, choosing among the above.

Page views only read the snapshot. Scores are kept in hundredths (an average of 8.33 counts
as 833) so sums and ties are exact.
"""

from app.services.leaderboard.boards import (
    MAX_PAGE,
    PERIODS,
    Board,
    BoardPage,
    BoardRow,
    BoardUser,
    CacheUnavailable,
    RankEntry,
    RefreshResult,
    all_boards,
    board_for,
    categories,
    week_label,
    week_window,
)
from app.services.leaderboard.compute import compute_boards, ranked
from app.services.leaderboard.read import page, rank_of, refresh, updated_at
from app.services.leaderboard.redis_snapshot import refresh_running

__all__ = [
    "MAX_PAGE",
    "PERIODS",
    "Board",
    "BoardPage",
    "BoardRow",
    "BoardUser",
    "CacheUnavailable",
    "RankEntry",
    "RefreshResult",
    "all_boards",
    "board_for",
    "categories",
    "compute_boards",
    "page",
    "rank_of",
    "ranked",
    "refresh",
    "refresh_running",
    "updated_at",
    "week_label",
    "week_window",
]
