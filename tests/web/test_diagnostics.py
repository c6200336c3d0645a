"""The benchmark's slow-database route exists only when asked for, and never in production."""

from __future__ import annotations

import time

import pytest

from tests.conftest import make_app


def test_bench_routes_are_off_by_default(client):
    assert client.get("/_bench/sleep?seconds=0").status_code == 404


def test_bench_sleep_is_not_found_on_sqlite(monkeypatch, database):
    if database.is_postgres:
        pytest.skip("the SQLite pass checks this")
    monkeypatch.setenv("ENCORE_BENCH_ROUTES", "1")
    # pg_sleep is PostgreSQL's; SQLite has no way to hold a call in the database.
    assert make_app().test_client().get("/_bench/sleep?seconds=0.3").status_code == 404


def test_bench_sleep_holds_a_database_call(monkeypatch, database):
    if not database.is_postgres:
        pytest.skip("pg_sleep needs PostgreSQL (TEST_DATABASE_URL)")
    monkeypatch.setenv("ENCORE_BENCH_ROUTES", "1")
    client = make_app().test_client()
    started = time.monotonic()
    response = client.get("/_bench/sleep?seconds=0.3")
    assert response.status_code == 200 and response.get_json() == {"slept": 0.3}
    assert time.monotonic() - started >= 0.3
    assert client.get("/_bench/sleep?seconds=abc").status_code == 400


def test_bench_routes_never_register_in_production(monkeypatch):
    monkeypatch.setenv("ENCORE_BENCH_ROUTES", "1")
    client = make_app(PRODUCTION=True).test_client()
    assert client.get("/_bench/sleep?seconds=0").status_code == 404
