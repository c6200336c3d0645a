"""The signed session cookie, read and written with a signer built once per secret key.

Flask's own interface builds a new serializer on every request (and itsdangerous checks
it by serializing an empty string), then derives the signing key from the secret with an
HMAC on every read and write. Every request of a signed-in person reads the cookie, so
that work was paid on every page and every post. This interface keeps the same cookie
format (the same salt, key derivation, digest and JSON tags), so cookies signed before
are still read, and the same rotation through SECRET_KEY_FALLBACKS.
"""

from __future__ import annotations

from functools import lru_cache

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import TimestampSigner, URLSafeTimedSerializer


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
    """Flask's signed cookie session, with the serializer kept while the keys stay the same."""

    _built: tuple[tuple, URLSafeTimedSerializer] | None = None

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
