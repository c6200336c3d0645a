"""Where stored pictures live, behind one small interface.

The default keeps files under the instance folder (UPLOAD_DIR). A production deploy mounts
that folder on a persistent volume, or swaps in another class with the same four methods
(an S3-compatible bucket, say); docs/highlights.md says how. Keys are random and never
rewritten, so a stored picture can be cached forever.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Protocol

from flask import current_app

# A key is an optional folder and a random name this module gave out: never a user's path.
KEY_RE = re.compile(r"^(?:(?:posts)/)?[0-9a-f]{32}(?:_t)?\.jpg$")


class ImageStore(Protocol):
    """What the pipeline needs from a storage backend."""

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`."""

    def delete(self, key: str) -> None:
        """Remove `key`; a missing key is not an error."""

    def path(self, key: str) -> Path | None:
        """Return a local file path for serving, or None when the backend has none."""

    def exists(self, key: str) -> bool:
        """Tell whether `key` is stored."""


class LocalImageStore:
    """Files in a folder on this machine (a mounted volume in production)."""

    def __init__(self, root: str | Path) -> None:
        """Keep files under `root`."""
        self.root = Path(root)

    def _file(self, key: str) -> Path:
        """Map a checked key to its file."""
        if not is_key(key):
            raise ValueError("not a stored picture key")
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        """Write the file atomically: a reader never sees half a picture."""
        target = self._file(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)

    def delete(self, key: str) -> None:
        """Remove the file if it is there."""
        if is_key(key):
            self._file(key).unlink(missing_ok=True)

    def path(self, key: str) -> Path | None:
        """Return the file's path when it exists."""
        if not is_key(key):
            return None
        file = self._file(key)
        return file if file.is_file() else None

    def exists(self, key: str) -> bool:
        """Tell whether the file exists."""
        return self.path(key) is not None


def is_key(key: str) -> bool:
    """Tell whether `key` has the shape of a key this module gives out."""
    return bool(KEY_RE.fullmatch(key or ""))


def new_key(folder: str = "") -> str:
    """Return a fresh random key (in `folder`, when given), without the suffix decided yet."""
    name = secrets.token_hex(16)
    return f"{folder}/{name}" if folder else name


def image_store() -> ImageStore:
    """Return the configured store for this app."""
    return LocalImageStore(current_app.config["UPLOAD_DIR"])
