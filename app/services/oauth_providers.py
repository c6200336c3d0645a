"""Which social-login providers this deployment has configured."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class Provider:
    """A social-login provider shown as a button."""

    name: str
    label: str


def configured_providers() -> list[Provider]:
    """Return the providers whose client id is set, in display order."""
    config = current_app.config
    providers = []
    if config.get("KAKAO_CLIENT_ID"):
        providers.append(Provider("kakao", "Kakao"))
    if config.get("GOOGLE_CLIENT_ID"):
        providers.append(Provider("google", "Google"))
    return providers
