"""The benchmark's slow-database route exists only when asked for, and never in production."""

from __future__ import annotations

import time

from tests.conftest import make_app


def test_bench_routes_are_off_by_default(client):
    assert client.get("/_bench/sleep?seconds=0").status_code == 404


def test_bench_sleep_holds_a_database_call(monkeypatch, database):
    monkeypatch.setenv("ENCORE_BENCH_ROUTES", "1")
    client = make_app().test_client()
    started = time.monotonic()
    response = client.get("/_bench/sleep?seconds=0.3")
    if not database.is_postgres:
        assert response.status_code == 404  # pg_sleep is PostgreSQL's
        return
    assert response.status_code == 200 and response.get_json() == {"slept": 0.3}
    assert time.monotonic() - started >= 0.3
    assert client.get("/_bench/sleep?seconds=abc").status_code == 400


def test_bench_routes_never_register_in_production(monkeypatch):
    monkeypatch.setenv("ENCORE_BENCH_ROUTES", "1")
    client = make_app(PRODUCTION=True).test_client()
    assert client.get("/_bench/sleep?seconds=0").status_code == 404
