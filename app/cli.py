"""Command-line tools: `flask seed-demo` and friends."""

from __future__ import annotations

import click
from flask import Flask

from app.extensions import db


def register_cli(app: Flask) -> None:
    """Add Encore's commands to `flask`."""

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Fill the database with demo people, rooms, shows and chats (safe to run twice)."""
        from app.demo import seed_all

        summary = seed_all()
        db.session.commit()
        for line in summary:
            click.echo(line)
        # The demo's ranked history should show on the boards and profiles at once, not
        # after the next hourly run.
        from app.services import leaderboard

        result = leaderboard.refresh()
        click.echo(f"leaderboard: {result.as_dict()['status']}")

    @app.cli.command("grant-moderator")
    @click.argument("username")
    @click.option("--revoke", is_flag=True, help="Take the moderator role away instead.")
    def grant_moderator(username: str, revoke: bool) -> None:
        """Give USERNAME the moderator role (or take it away with --revoke)."""
        from app.services import modlog
        from app.services.errors import NotFound

        try:
            user = modlog.set_moderator(username, granted=not revoke)
        except NotFound:
            raise click.ClickException(f"no user named {username!r}") from None
        state = "no longer a moderator" if revoke else "now a moderator"
        click.echo(f"{user.username} is {state}")
