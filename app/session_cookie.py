"""The signed session cookie, read and written with a signer built once per secret key.

Flask's own interface builds a new serializer on every request (and itsdangerous checks
it by serializing an empty string), then derives the signing key from the secret with an
HMAC on every read and write. Every request of a signed-in person reads the cookie, so
that work was paid on every page and every post. This interface keeps the same cookie
format (the same salt, key derivation, digest and JSON tags), so cookies signed before
are still read, and the same rotation through SECRET_KEY_FALLBACKS.

It also remembers the cookies it has verified. A signed-in browser sends the same cookie
on every request until the session changes (its expiry slides once a day), and checking
it (base64, the HMAC, zlib, JSON and Flask's tags) was paid again each time. A cookie
this process verified before opens from the memo, with its signing time checked against
the session lifetime as itsdangerous checks it; only sessions of plain values (strings,
numbers, flags) are kept, so no request can change what the next one opens.
"""

from __future__ import annotations

import time
from functools import lru_cache

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

# Enough for every browser a process serves in a day; past it the memo starts over.
REMEMBERED_COOKIES = 20_000
_PLAIN = (str, int, float, bool, type(None))


class _KeyCachingSigner(TimestampSigner):
    """A timestamp signer that derives each (secret, salt) key once per process."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        """Return the derived key, computed once for each secret this process signs with."""
        secret = self.secret_keys[-1] if secret_key is None else secret_key
        return _derived(secret, self.salt, self.key_derivation, self.digest_method)


@lru_cache(maxsize=16)
def _derived(secret: str | bytes, salt: bytes, key_derivation: str, digest_method) -> bytes:
    """Derive one signing key the way itsdangerous does; cached by every input it uses."""
    plain = TimestampSigner(
        secret, salt=salt, key_derivation=key_derivation, digest_method=digest_method
    )
    return plain.derive_key()


class CachedSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session: the serializer kept while the keys stay the same, and the
    cookies it verified remembered (see the module's docstring)."""

    _built: tuple[tuple, URLSafeTimedSerializer] | None = None

    def __init__(self) -> None:
        # cookie -> (the keys that verified it, when it was signed, its values)
        self._opened: dict[str, tuple[tuple, float, dict]] = {}

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Open the request's session, from the memo when this cookie was verified before."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        keys = self._built[0]  # what get_signing_serializer just built the serializer from
        max_age = app.permanent_session_lifetime.total_seconds()
        known = self._opened.get(cookie)
        if known is not None and known[0] == keys and time.time() - known[1] <= max_age:
            return self.session_class(known[2])
        try:
            data, signed = serializer.loads(cookie, max_age=int(max_age), return_timestamp=True)
        except BadSignature:
            return self.session_class()
        # A session is a new dict over the values every time, so with plain values no
        # request can change what the memo holds; a list (flashed notices) would be shared.
        if all(isinstance(value, _PLAIN) for value in data.values()):
            if len(self._opened) >= REMEMBERED_COOKIES:
                self._opened.clear()
            self._opened[cookie] = (keys, signed.timestamp(), data)
        return self.session_class(data)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Return the serializer for the app's current secret key and its fallbacks."""
        if not app.secret_key:
            return None
        # itsdangerous expects the current key last, as Flask passes it.
        keys = (*(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.secret_key)
        built = self._built
        if built is None or built[0] != keys:
            built = self._built = (keys, self._serializer(keys))
        return built[1]

    def _serializer(self, keys: tuple) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(
            list(keys),
            salt=self.salt,
            serializer=self.serializer,
            signer=_KeyCachingSigner,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )


def init_session_cookie(app: Flask) -> None:
    """Read and write the session cookie through the caching interface."""
    app.session_interface = CachedSessionInterface()
