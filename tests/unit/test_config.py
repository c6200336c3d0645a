"""Configuration from the environment: embedded defaults and production guards."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import normalise_database_url

ROOT = Path(__file__).resolve().parents[2]


def _config_in_subprocess(env: dict[str, str], expr: str) -> subprocess.CompletedProcess:
    """Import app.config in a fresh interpreter with `env` and print `expr`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "ENCORE_"))}
    clean.pop("DATABASE_URL", None)
    clean.pop("SECRET_KEY", None)
    clean.update(env)
    code = f"from app.config import Config; c = Config(); print({expr})"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_secret_key(tmp_path):
    result = _config_in_subprocess(
        {"ENCORE_ENV": "production", "ENCORE_INSTANCE_PATH": str(tmp_path)}, "c.SECRET_KEY"
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_embedded_secret_key_is_generated_once(tmp_path):
    env = {"ENCORE_INSTANCE_PATH": str(tmp_path)}
    first = _config_in_subprocess(env, "c.SECRET_KEY").stdout.strip()
    second = _config_in_subprocess(env, "c.SECRET_KEY").stdout.strip()
    assert len(first) > 40 and first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_embedded_database_is_sqlite_in_instance(tmp_path):
    result = _config_in_subprocess(
        {"ENCORE_INSTANCE_PATH": str(tmp_path)}, "c.SQLALCHEMY_DATABASE_URI, c.REDIS_URL"
    )
    assert result.stdout.strip() == f"sqlite:///{tmp_path}/encore.sqlite3 None"


def test_production_cookies_are_secure(tmp_path):
    result = _config_in_subprocess(
        {"ENCORE_ENV": "production", "SECRET_KEY": "x" * 40, "ENCORE_INSTANCE_PATH": str(tmp_path)},
        "c.SESSION_COOKIE_SECURE, c.SESSION_COOKIE_HTTPONLY, c.SESSION_COOKIE_SAMESITE",
    )
    assert result.stdout.strip() == "True True Lax"


def test_prepared_statements_are_on_unless_a_pooler_needs_them_off(tmp_path):
    env = {"ENCORE_INSTANCE_PATH": str(tmp_path)}
    assert _config_in_subprocess(env, "c.DB_PREPARED_STATEMENTS").stdout.strip() == "True"
    env["ENCORE_DB_PREPARED"] = "0"
    assert _config_in_subprocess(env, "c.DB_PREPARED_STATEMENTS").stdout.strip() == "False"


def test_postgres_urls_use_the_cooperative_driver():
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert normalise_database_url("sqlite:///x") == "sqlite:///x"


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite pragmas; this run uses PostgreSQL")
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 15000
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_begin_write_takes_the_sqlite_write_lock_up_front(app):
    import sqlite3

    from sqlalchemy import text

    from app.database import begin_write
    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("BEGIN IMMEDIATE is SQLite's; PostgreSQL uses row locks")
        db.session.execute(text("SELECT 1"))  # a read snapshot, as loading a user opens
        begin_write()
        path = db.engine.url.database
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        db.session.rollback()
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()
