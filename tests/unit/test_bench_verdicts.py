"""How bench/bare_vs_encore.py reads its two ramps: a bare server that never failed only
bounds the ratio of ceilings, and the CPU a delivery is compared at the rates both held."""

from __future__ import annotations

from bench.bare_vs_encore import cpu_ratios, verdict


def _step(rate: float, cpu_ms: float, holds: bool = True) -> dict:
    return {"rate_target": rate, "server_cpu_ms_per_post": cpu_ms, "holds": holds}


def test_a_bare_server_that_held_every_step_only_bounds_the_ratio():
    assert verdict(0.5, {"ceiling_reached": False}).startswith("not shown")
    assert verdict(0.5, {"ceiling_reached": True}) == "met"
    assert verdict(0.25, {"ceiling_reached": False}) == "MISSED"
    assert verdict(None, {}) == "not measured"


def test_cpu_is_compared_only_where_both_servers_held():
    bare = {"steps": [_step(10, 3.0), _step(20, 2.0), _step(40, 1.0, holds=False)]}
    encore = {"steps": [_step(10, 9.0), _step(20, 4.0), _step(40, 5.0)]}
    assert cpu_ratios(encore, bare) == {"10": 3.0, "20": 2.0}
