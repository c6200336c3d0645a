"""docs/urls.md lists every route the app serves, with the methods it takes."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "urls.md"


def test_every_route_is_documented(app):
    documented = DOC.read_text()
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        methods = ",".join(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
        if f"| {methods} | `{rule.rule}` | `{rule.endpoint}` |" not in documented:
            missing.append(f"{methods} {rule.rule} ({rule.endpoint})")
    assert missing == [], "add these to docs/urls.md: " + ", ".join(missing)
