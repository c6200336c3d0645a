"""A real OAuth 2.0 / OpenID Connect provider on loopback, built on Authlib's server.

It plays Kakao (OAuth 2.0 + `/v2/user/me`, or OIDC) and Google (OIDC) for the social-login
tests: authorization codes are single-use, the token endpoint checks the client's
authentication method, and ID tokens are RS256-signed with a key published at /jwks.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, request
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

from tests.support.services import free_port


@dataclass
class Person:
    """Someone who signs in at the provider."""

    sub: str
    name: str = "Provider Person"
    email: str | None = None

    def get_user_id(self) -> str:
        return self.sub


@dataclass
class Client:
    """A registered relying party (Encore)."""

    client_id: str
    client_secret: str
    auth_method: str

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return "http://localhost/"

    def get_allowed_scope(self, scope: str) -> str:
        return scope or ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri.startswith("http://localhost/")

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret or "", self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint != "token" or method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code:
    """An authorization code waiting to be exchanged once."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    person: Person
    nonce: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


@dataclass
class Token:
    """An issued access token."""

    access_token: str
    client_id: str
    scope: str
    person: Person
    issued_at: int = field(default_factory=lambda: int(time.time()))
    expires_in: int = 3600

    def check_client(self, client) -> bool:
        return client.get_client_id() == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return time.time() > self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return False


class LocalProvider:
    """One provider on 127.0.0.1:<free port>, running in a thread until `stop()`."""

    def __init__(self, client_id: str, client_secret: str, *, auth_method: str) -> None:
        self.client = Client(client_id, client_secret, auth_method)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.person = Person("subject-1")
        self.deny = False
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, Token] = {}
        self.token_requests: list[dict] = []
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
        self.app = self._build_app()
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LocalProvider:
        """Serve in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _build_app(self) -> Flask:
        """The provider's own small Flask app."""
        provider = self
        app = Flask("local_oauth_provider")
        app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = False

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code, req):
                provider.codes[code] = Code(
                    code=code,
                    client_id=req.payload.client_id,
                    redirect_uri=req.payload.redirect_uri,
                    scope=req.payload.scope or "",
                    person=req.user,
                    nonce=req.payload.data.get("nonce"),
                )

            def query_authorization_code(self, code, client):
                found = provider.codes.get(code)
                if found and found.client_id == client.get_client_id():
                    return found
                return None

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.person

        class OpenID(OpenIDCode):
            def exists_nonce(self, nonce, req):
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client):
                return provider.key

            def get_client_claims(self, client):
                return {"iss": provider.url, "aud": [client.get_client_id()]}

            def get_client_algorithm(self, client):
                return "RS256"

            def generate_user_info(self, user, scope):
                info = UserInfo(sub=user.sub, name=user.name, nickname=user.name)
                if user.email:
                    info["email"] = user.email
                    info["email_verified"] = True
                return info

        def save_token(token, req):
            provider.tokens[token["access_token"]] = Token(
                access_token=token["access_token"],
                client_id=req.client.get_client_id(),
                scope=token.get("scope", ""),
                person=req.user,
            )

        server = AuthorizationServer(
            app,
            query_client=lambda cid: provider.client if cid == provider.client.client_id else None,
            save_token=save_token,
        )
        server.register_grant(CodeGrant, [OpenID(require_nonce=False)])

        class Validator(BearerTokenValidator):
            def authenticate_token(self, token_string):
                return provider.tokens.get(token_string)

        protect = ResourceProtector()
        protect.register_token_validator(Validator())

        @app.get("/.well-known/openid-configuration")
        def metadata():
            return jsonify(
                issuer=provider.url,
                authorization_endpoint=f"{provider.url}/oauth/authorize",
                token_endpoint=f"{provider.url}/oauth/token",
                jwks_uri=f"{provider.url}/jwks",
                userinfo_endpoint=f"{provider.url}/v1/oidc/userinfo",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                token_endpoint_auth_methods_supported=[provider.client.auth_method],
                scopes_supported=["openid", "email", "profile"],
            )

        @app.get("/jwks")
        def jwks():
            return jsonify(keys=[provider.key.as_dict(private=False)])

        @app.get("/oauth/authorize")
        def authorize():
            # Consent is automatic: the test decides who signs in, or that they refuse.
            grant_user = None if provider.deny else provider.person
            try:
                grant = server.get_consent_grant(end_user=grant_user)
            except OAuth2Error as error:
                return server.handle_error_response(None, error)
            return server.create_authorization_response(grant_user=grant_user, grant=grant)

        @app.post("/oauth/token")
        def issue_token():
            provider.token_requests.append(
                {"form": request.form.to_dict(), "basic": request.authorization is not None}
            )
            return server.create_token_response()

        @app.get("/v2/user/me")
        @protect()
        def kakao_me():
            from authlib.integrations.flask_oauth2 import current_token

            person = current_token.person
            account = {"profile": {"nickname": person.name}}
            if person.email:
                account["email"] = person.email
            return jsonify(
                id=int(person.sub) if person.sub.isdigit() else person.sub, kakao_account=account
            )

        return app
