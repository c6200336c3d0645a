"""Which social-login providers this deployment has configured, and their Authlib clients.

Each app gets its own Authlib registry. Authlib's registry caches one client per name for
the whole process, so a second app (a test, or a worker built with other settings) would
otherwise talk to the first app's provider.
"""

from __future__ import annotations

from dataclasses import dataclass

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

REGISTRY_KEY = "encore_oauth"


@dataclass(frozen=True)
class Provider:
    """A social-login provider shown as a button."""

    name: str
    label: str


def configured_providers() -> list[Provider]:
    """Return the providers whose client id is set, in display order."""
    config = current_app.config
    providers = []
    # Labels are brand names written the way each language writes them (카카오, Google).
    if config.get("KAKAO_CLIENT_ID"):
        providers.append(Provider("kakao", str(_l("Kakao"))))
    if config.get("GOOGLE_CLIENT_ID"):
        providers.append(Provider("google", str(_l("Google"))))
    return providers


def uses_oidc(name: str) -> bool:
    """Tell whether the provider signs people in with OpenID Connect (an ID token)."""
    if name == "google":
        return True
    return name == "kakao" and bool(current_app.config.get("KAKAO_USE_OIDC"))


def register_providers(app: Flask) -> None:
    """Register an Authlib client for every configured provider on this app."""
    registry = OAuth()
    registry.init_app(app)
    config = app.config
    if config.get("KAKAO_CLIENT_ID"):
        server = config["KAKAO_SERVER_URL"].rstrip("/")
        common = {
            "client_id": config["KAKAO_CLIENT_ID"],
            "client_secret": config.get("KAKAO_CLIENT_SECRET"),
        }
        if config.get("KAKAO_USE_OIDC"):
            registry.register(
                "kakao",
                server_metadata_url=f"{server}/.well-known/openid-configuration",
                client_kwargs={
                    "scope": "openid",
                    "token_endpoint_auth_method": "client_secret_post",
                },
                **common,
            )
        else:
            registry.register(
                "kakao",
                authorize_url=f"{server}/oauth/authorize",
                access_token_url=f"{server}/oauth/token",
                api_base_url=config["KAKAO_API_URL"].rstrip("/") + "/",
                client_kwargs={"token_endpoint_auth_method": "client_secret_post"},
                **common,
            )
    if config.get("GOOGLE_CLIENT_ID"):
        registry.register(
            "google",
            client_id=config["GOOGLE_CLIENT_ID"],
            client_secret=config.get("GOOGLE_CLIENT_SECRET"),
            server_metadata_url=config["GOOGLE_METADATA_URL"],
            client_kwargs={"scope": "openid email profile"},
        )
    app.extensions[REGISTRY_KEY] = registry


def oauth_client(name: str):
    """Return this app's Authlib client for a configured provider, or None."""
    if name not in {p.name for p in configured_providers()}:
        return None
    registry = current_app.extensions.get(REGISTRY_KEY)
    return registry.create_client(name) if registry else None
