"""The key store: the one place that links a participant code to a real identity (name,
e-mail, notes). It is a file of its own, never part of the study store, encrypted with Fernet
(AES-128-CBC with HMAC-SHA256, from ``cryptography``) under a key that is not kept in the study
store either: the ``WORKWEAVE_KEYSTORE_KEY`` environment variable or a key file. Without the
key nothing in the file can be read or changed undetected.

The file holds one Fernet token; the plain text is JSON
``{"format": "workweave-keystore", "version": 1, "entries": {study: {code: {...}}}}``.
Writes go to a temporary file first and replace the old one only once written (0600).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from workweave.domain.errors import NotFoundError, ValidationError, WorkweaveError

ENV_KEY = "WORKWEAVE_KEYSTORE_KEY"
ENV_KEY_FILE = "WORKWEAVE_KEYSTORE_KEY_FILE"
FORMAT = "workweave-keystore"


class KeyStoreError(WorkweaveError):
    """The key store cannot be opened: no key, the wrong key, or a damaged file."""


@dataclass(frozen=True)
class Identity:
    code: str
    name: str
    email: str
    notes: str
    added_ms: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "email": self.email,
            "notes": self.notes,
            "added_ms": self.added_ms,
        }


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def write_key_file(path: Path) -> str:
    """Make a new key in `path` (owner-only; refused if the file exists)."""
    if path.exists():
        raise ValidationError(f"{path} exists: a key file is never overwritten")
    key = new_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key + "\n")
    return key


def load_key(key_file: Path | None = None) -> bytes:
    """The key: from `key_file`, else WORKWEAVE_KEYSTORE_KEY_FILE, else WORKWEAVE_KEYSTORE_KEY."""
    path = key_file or (Path(os.environ[ENV_KEY_FILE]) if os.environ.get(ENV_KEY_FILE) else None)
    if path is not None:
        try:
            text = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyStoreError(f"cannot read the key file {path}: {exc}") from None
    else:
        text = os.environ.get(ENV_KEY, "").strip()
        if not text:
            raise KeyStoreError(
                f"the key store needs its key: --key-file FILE, {ENV_KEY_FILE} or {ENV_KEY} "
                "(make one with 'workweave keys new-key FILE')"
            )
    try:
        Fernet(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise KeyStoreError("the key store key is not a valid Fernet key") from None
    return text.encode("ascii")


class KeyStore:
    """The identities of one key-store file, read and written with its key."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._fernet = Fernet(key)
        self._data = self._read()

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"format": FORMAT, "version": 1, "entries": {}}
        try:
            plain = self._fernet.decrypt(self.path.read_bytes().strip())
        except InvalidToken:
            raise KeyStoreError(
                f"{self.path} cannot be opened with this key (wrong key, or the file was changed)"
            ) from None
        data = json.loads(plain)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise KeyStoreError(f"{self.path} is not a workweave key store")
        return data

    def _write(self) -> None:
        token = self._fernet.encrypt(json.dumps(self._data, ensure_ascii=False).encode())
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(token)
        os.replace(tmp, self.path)

    def add(
        self, study: str, code: str, *, name: str, email: str, notes: str, added_ms: int
    ) -> Identity:
        for label, value, limit in (
            ("name", name, 200),
            ("email", email, 320),
            ("notes", notes, 4000),
        ):
            if len(value) > limit or "\x00" in value:
                raise ValidationError(f"{label}: at most {limit} characters, no NUL")
        entry = {"name": name, "email": email, "notes": notes, "added_ms": added_ms}
        self._data["entries"].setdefault(study, {})[code] = entry
        self._write()
        return Identity(code, name, email, notes, added_ms)

    def get(self, study: str, code: str) -> Identity:
        entry = self._data["entries"].get(study, {}).get(code)
        if entry is None:
            raise NotFoundError(f"no identity for '{code}' in study '{study}' in the key store")
        return Identity(code, entry["name"], entry["email"], entry["notes"], entry["added_ms"])

    def codes(self, study: str) -> list[str]:
        return sorted(self._data["entries"].get(study, {}))

    def remove(self, study: str, code: str) -> bool:
        gone = self._data["entries"].get(study, {}).pop(code, None)
        if gone is not None:
            self._write()
        return gone is not None


__all__ = [
    "ENV_KEY",
    "ENV_KEY_FILE",
    "Identity",
    "KeyStore",
    "KeyStoreError",
    "load_key",
    "new_key",
    "write_key_file",
]
