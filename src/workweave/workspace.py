"""A workspace: a folder holding ``workweave.toml`` (settings) and, by default, the SQLite store.

Commands find the workspace in the current folder or its parents; ``--store`` or the
``WORKWEAVE_STORE`` environment variable name another store (a file or a PostgreSQL URL).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.policy import DEFAULT_TIMEZONE

SETTINGS_FILE = "workweave.toml"
DEFAULT_STORE_FILE = "workweave.sqlite"


@dataclass(frozen=True)
class Workspace:
    folder: Path
    store: str  # file path or URL
    study: str | None
    timezone: str

    @classmethod
    def load(cls, folder: Path) -> Workspace:
        path = folder / SETTINGS_FILE
        if not path.is_file():
            raise NotFoundError(
                f"{folder} is a folder but not a workspace (no {SETTINGS_FILE}; make one with "
                "'workweave init' there, or name the store file inside it)"
            )
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ValidationError(f"{path}: not valid TOML ({exc})") from None
        store = str(data.get("store", DEFAULT_STORE_FILE))
        if "://" not in store and not Path(store).is_absolute():
            store = str(folder / store)
        return cls(
            folder=folder,
            store=store,
            study=data.get("study"),
            timezone=str(data.get("timezone", DEFAULT_TIMEZONE)),
        )


def find_workspace(start: Path | None = None) -> Workspace | None:
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SETTINGS_FILE).is_file():
            return Workspace.load(folder)
    return None


def write_settings(folder: Path, *, study: str, store: str, timezone: str) -> Path:
    path = folder / SETTINGS_FILE
    path.write_text(
        "# workweave workspace settings\n"
        f"study = {_toml(study)}\n"
        "# the store: a SQLite file (relative to this folder) or a PostgreSQL URL\n"
        f"store = {_toml(store)}\n"
        "# the default time zone of sites and imports (IANA name)\n"
        f"timezone = {_toml(timezone)}\n",
        encoding="utf-8",
    )
    return path


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def named_workspace(path_or_url: str | os.PathLike[str]) -> Workspace | None:
    """The workspace a store argument names when it is a folder (None for a file or a URL)."""
    text = os.fspath(path_or_url)
    if "://" in text:
        return None
    folder = Path(text).expanduser()
    return Workspace.load(folder.resolve()) if folder.is_dir() else None


def resolve_store(store: str | None) -> tuple[str, str | None, str]:
    """(store location, default study name, default time zone) for a command: ``store`` (or
    WORKWEAVE_STORE) may name a workspace folder, a SQLite file or a PostgreSQL URL; without
    it, the workspace of the current folder or its parents."""
    explicit = store or os.environ.get("WORKWEAVE_STORE")
    named = named_workspace(explicit) if explicit else None
    if named is not None:
        return named.store, named.study, named.timezone
    ws = find_workspace()
    if explicit:
        return (
            explicit,
            (ws.study if ws and ws.store == explicit else None),
            (ws.timezone if ws else DEFAULT_TIMEZONE),
        )
    if ws is None:
        raise NotFoundError(
            "no workspace here: run 'workweave init' in this folder, or pass --store PATH_OR_URL "
            "(or set WORKWEAVE_STORE)"
        )
    return ws.store, ws.study, ws.timezone
