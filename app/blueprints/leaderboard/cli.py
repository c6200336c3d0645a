"""`flask leaderboard refresh`: recompute the boards by hand, or queue it for the worker."""

from __future__ import annotations

import json

import click

from app.blueprints.leaderboard import bp


@bp.cli.command("refresh")
@click.option(
    "--enqueue", is_flag=True, help="Queue the refresh for a Celery worker instead of running it."
)
def refresh_command(enqueue: bool) -> None:
    """Recompute every leaderboard now (what the hourly job does)."""
    if enqueue:
        from app.tasks.leaderboard import refresh_leaderboards

        result = refresh_leaderboards.delay()
        click.echo(f"queued {result.id}")
        return
    from app.services import leaderboard

    outcome = leaderboard.refresh()
    click.echo(json.dumps(outcome.as_dict()))
