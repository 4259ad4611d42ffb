"""Governance use cases: consent withdrawal that acts, erasure, subject access, backup and
restore, retention and purge. Each is recorded in the audit trail (`services.audit`).

Withdrawal is a consent record; from the moment it is stored the analytic reads
(`store.analytic`) leave the person out of metrics, summaries, reports, the dashboard and the
API. Erasure removes every row the store holds about a person (`store.governance`) and the
participant reports and subject-access exports found in the given folders, leaving one audit
entry that names the person only by a one-way hash of study and code (docs/security.md).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from workweave.domain.accounts import CUSTODIAN
from workweave.domain.audit import Verification, hashed_code
from workweave.domain.errors import NotFoundError, ValidationError, WorkweaveError
from workweave.domain.time import now_ms
from workweave.services import accounts, audit
from workweave.store import Store
from workweave.store.engine import current_revision, head_revision, make_engine

# -- consent -----------------------------------------------------------------------------------


def withdraw(
    store: Store,
    study_id: int,
    code: str,
    *,
    by: int | None = None,
    note: str = "",
    self_service: bool = False,
) -> None:
    """Record that the participant withdraws consent: from now on they are left out of every
    figure and report, and no new observation of them starts. `self_service`: the participant
    did it themselves."""
    with store.transaction() as conn:
        accounts.record_consent(  # audited there, as every consent record is
            store,
            study_id,
            code,
            given=False,
            by=by,
            note=(("withdrawn by the participant. " if self_service else "") + note)[:2000],
            conn=conn,
        )


def excluded(store: Store, study_id: int) -> list[str]:
    """Codes of participants left out of the figures because they withdrew consent."""
    return store.analytic.withdrawn(study_id)


def excluded_statement(n: int) -> str:
    """The sentence every output carries when someone was left out."""
    return f"{n} participant(s) excluded after withdrawing consent"


# -- erasure -----------------------------------------------------------------------------------


@dataclass
class Erasure:
    """What an erasure removed: rows by table, files deleted, and files that still mention
    the code (study reports built before: rebuild them)."""

    code_hash: str
    rows: dict[str, int]
    files_deleted: list[str] = field(default_factory=list)
    files_mentioning: list[str] = field(default_factory=list)


def erase(store: Store, study_id: int, code: str, *, folders: list[Path] | None = None) -> Erasure:
    """Remove everything held about the participant: the rows of `store.governance`, and in
    `folders` (default: none) their participant reports and subject-access exports. The audit
    entry names them only by `hashed_code` (study + code)."""
    study = store.studies.get(study_id).name
    code_hash = hashed_code(study, code)
    from workweave.services import logs

    with store.transaction() as conn:
        rows = store.governance.erase_person(study_id, code, conn=conn)
        events = logs.erase_participant(store, study_id, code)
        if events:
            rows["audit-log events (Parquet)"] = events
        deleted, mentioning = _erase_files(folders or [], study, code)
        audit.record(
            store,
            "participant.erase",
            study=study,
            target=f"participant:{code_hash}",
            details={"rows": rows, "files_deleted": len(deleted)},
            conn=conn,
        )
    return Erasure(code_hash, rows, deleted, mentioning)


_TEXT_SUFFIXES = {".html", ".csv", ".json", ".txt", ".md"}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _erase_files(folders: list[Path], study: str, code: str) -> tuple[list[str], list[str]]:
    """Delete the person's own report and export files; list other files naming them."""
    token = re.compile(r"(?<![A-Za-z0-9])" + re.escape(code) + r"(?![A-Za-z0-9])")
    own = re.compile(
        r"(^|-)" + re.escape(_slug(code)) + r"-report\.|^subject-access-" + re.escape(_slug(code))
    )
    deleted: list[str] = []
    mentioning: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_symlink():
                continue
            if path.is_dir() and own.search(path.name):
                shutil.rmtree(path)
                deleted.append(str(path))
                continue
            if not path.is_file():
                continue
            if own.search(path.name):
                path.unlink()
                deleted.append(str(path))
            elif path.suffix.lower() in _TEXT_SUFFIXES and path.stat().st_size < 50_000_000:
                try:
                    if token.search(path.read_text(encoding="utf-8", errors="ignore")):
                        mentioning.append(str(path))
                except OSError:
                    continue
    return deleted, mentioning


# -- subject access ----------------------------------------------------------------------------


def subject_access(store: Store, study_id: int, code: str, out: Path) -> Path:
    """Write everything held about the participant into ``out/subject-access-<code>/`` (one
    JSON file with every table, one CSV per table, and the audit entries that name them) and
    a zip of that folder beside it; returns the zip's path."""
    study = store.studies.get(study_id).name
    rows = store.governance.person_rows(study_id, code)
    rows["audit_log"] = [
        e.as_dict()
        for e in audit.entries(store, study=study)
        if (e.target or "") == f"participant:{code}"
    ]
    folder = out / f"subject-access-{_slug(code) or 'participant'}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    document = {
        "study": study,
        "participant": code,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "note": "Everything this workweave store holds about the participant, by table. "
        "Instants are milliseconds since 1970-01-01 UTC.",
        "tables": rows,
    }
    (folder / "everything.json").write_text(
        json.dumps(document, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    for name, table in rows.items():
        if not table:
            continue
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(table[0]))
        w.writeheader()
        for r in table:
            w.writerow({k: _csv_safe(v) for k, v in r.items()})
        (folder / f"{name}.csv").write_text(buf.getvalue(), encoding="utf-8")
    archive = folder.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.iterdir()):
            z.write(p, f"{folder.name}/{p.name}")
    audit.record(
        store,
        "participant.export",
        study=study,
        target=f"participant:{code}",
        details={"tables": {k: len(v) for k, v in rows.items() if v}},
    )
    return archive


def _csv_safe(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


# -- retention ---------------------------------------------------------------------------------


def set_retention(store: Store, study_id: int, until: str | None) -> str | None:
    """Set (or clear, with None) the date after which the study's data is to be purged."""
    if until is not None:
        try:
            until = date.fromisoformat(until.strip()).isoformat()
        except ValueError:
            raise ValidationError(
                f"retention date '{until[:40]}' is not a date (YYYY-MM-DD)"
            ) from None
    store.governance.set_retention(study_id, until, now_ms())
    audit.record(store, "study.retention", study=study_id, details={"until": until})
    return until


@dataclass(frozen=True)
class PurgeItem:
    study: str
    until: str
    rows: dict[str, int]


def purge(store: Store, *, today: date | None = None, apply: bool = False) -> list[PurgeItem]:
    """Studies whose retention date has passed, with what they hold; deleted when `apply`."""
    day = today or datetime.now(UTC).date()
    due = [
        (sid, name, until)
        for sid, name, until in store.governance.retentions()
        if date.fromisoformat(until) < day
    ]
    items = [PurgeItem(name, until, store.governance.study_counts(sid)) for sid, name, until in due]
    if apply:
        for (sid, name, until), item in zip(due, items, strict=True):
            store.governance.delete_study(sid)
            audit.record(
                store,
                "study.purge",
                study=name,
                details={"retention_until": until, "rows": item.rows},
            )
    return items


# -- backup and restore ------------------------------------------------------------------------


class BackupError(WorkweaveError):
    """A backup or restore could not be made, or a backup failed its checks."""


def _is_sqlite(store: Store) -> bool:
    return store.engine.dialect.name == "sqlite"


def backup(store: Store, to: Path) -> Path:
    """A consistent copy of the store while it may be serving: SQLite through its online
    backup API, PostgreSQL through ``pg_dump --format=custom``."""
    to = to.expanduser()
    to.parent.mkdir(parents=True, exist_ok=True)
    tmp = to.with_name(to.name + ".partial")
    if _is_sqlite(store):
        src = sqlite3.connect(store.location)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    else:
        _pg("pg_dump", store, ["--format=custom", "--no-owner", f"--file={tmp}"])
    os.replace(tmp, to)
    os.chmod(to, 0o600)
    audit.record(store, "backup.create", details={"file": to.name, "bytes": to.stat().st_size})
    return to


def _pg(tool: str, store_or_url: Store | str, args: list[str]) -> subprocess.CompletedProcess[str]:
    exe = shutil.which(tool)
    if exe is None:
        raise BackupError(
            f"{tool} is not on PATH: install the PostgreSQL client tools (Debian: "
            "postgresql-client) to back up or restore a PostgreSQL store"
        )
    url = (
        store_or_url.engine.url
        if isinstance(store_or_url, Store)
        else make_url(make_engine(store_or_url).url)
    )
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # not on the command line, where ps shows it
    conn = [
        f"--host={url.host or 'localhost'}",
        f"--port={url.port or 5432}",
        f"--username={url.username or ''}",
        f"--dbname={url.database}",
    ]
    done = subprocess.run([exe, *conn, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip()[:500]}")
    return done


@dataclass(frozen=True)
class RestoreCheck:
    kind: str  # sqlite | postgresql
    revision: str | None
    audit: Verification | None
    integrity: str


def check_backup(file: Path) -> RestoreCheck:
    """Check a backup file: SQLite ``PRAGMA integrity_check``, a schema this version knows and
    an intact audit chain; a PostgreSQL dump must be readable by ``pg_restore --list``."""
    if not file.is_file():
        raise NotFoundError(f"no backup file {file}")
    with file.open("rb") as f:
        magic = f.read(16)
    if magic.startswith(b"SQLite format 3"):
        with tempfile.TemporaryDirectory() as d:
            copy = Path(d) / "check.sqlite"
            shutil.copyfile(file, copy)
            con = sqlite3.connect(copy)
            try:
                result = con.execute("PRAGMA integrity_check").fetchone()[0]
            except sqlite3.DatabaseError as exc:
                raise BackupError(f"{file} is not a readable SQLite database: {exc}") from None
            finally:
                con.close()
            if result != "ok":
                raise BackupError(f"{file} fails the SQLite integrity check: {result}")
            engine = make_engine(copy, must_exist=True)
            try:
                rev = current_revision(engine)
            finally:
                engine.dispose()
            _check_revision(file, rev)
            st = Store.open(copy)
            try:
                verification = audit.verify(st)
            finally:
                st.close()
        if not verification.ok:
            raise BackupError(f"{file}: {verification.describe()}")
        return RestoreCheck("sqlite", rev, verification, result)
    if magic.startswith(b"PGDMP"):
        exe = shutil.which("pg_restore")
        if exe is None:
            raise BackupError("pg_restore is not on PATH: install the PostgreSQL client tools")
        listing = subprocess.run(
            [exe, "--list", str(file)], capture_output=True, text=True, check=False
        )
        if listing.returncode != 0:
            raise BackupError(f"{file} is not a readable dump: {listing.stderr.strip()[:300]}")
        if "audit_log" not in listing.stdout or "alembic_version" not in listing.stdout:
            raise BackupError(f"{file} is not a dump of a workweave store")
        return RestoreCheck("postgresql", None, None, "pg_restore --list ok")
    raise BackupError(f"{file} is neither a SQLite backup nor a PostgreSQL custom-format dump")


def _check_revision(file: Path, rev: str | None) -> None:
    known = _known_revisions()
    if rev is None:
        raise BackupError(f"{file} is not a workweave store (no schema version)")
    if rev not in known:
        raise BackupError(
            f"{file} has schema version {rev}, unknown to this workweave (newest known "
            f"{head_revision()}): restore it with the version that made it"
        )


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from workweave.store.engine import _alembic_config

    return {s.revision for s in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


def restore(file: Path, target: str, *, force: bool = False) -> RestoreCheck:
    """Check `file` (`check_backup`), then make the store at `target` (a SQLite path or a
    PostgreSQL URL) a copy of it. A target holding a store is replaced only with `force`."""
    check = check_backup(file)
    sqlite_target = "://" not in target
    if check.kind == "sqlite" and not sqlite_target:
        raise BackupError("a SQLite backup restores to a SQLite file, not to a database URL")
    if check.kind == "postgresql" and sqlite_target:
        raise BackupError("a PostgreSQL dump restores to a PostgreSQL URL, not to a file")
    if sqlite_target:
        path = Path(target).expanduser()
        if path.exists() and not force:
            raise BackupError(f"{path} exists: restore over it only with --force")
        tmp = path.with_name(path.name + ".restoring")
        shutil.copyfile(file, tmp)
        for suffix in ("-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        os.replace(tmp, path)
        os.chmod(path, 0o600)
        st = Store.open(path)
    else:
        engine = make_engine(target)
        try:
            rev = current_revision(engine)
        finally:
            engine.dispose()
        if rev is not None and not force:
            raise BackupError("the target database holds a workweave store: use --force")
        _pg("pg_restore", target, ["--clean", "--if-exists", "--no-owner", str(file)])
        st = Store.open(target)
        verification = audit.verify(st)
        if not verification.ok:
            st.close()
            raise BackupError(f"restored, but {verification.describe()}")
        check = RestoreCheck("postgresql", current_revision(st.engine), verification, "ok")
    try:
        audit.record(st, "backup.restore", details={"file": file.name, "kind": check.kind})
    finally:
        st.close()
    return check


# -- the key store -----------------------------------------------------------------------------

ENV_KEYSTORE = "WORKWEAVE_KEYSTORE"
KEYSTORE_FILE = "keys.fernet"


def keystore_path(store: Store, keystore: Path | None = None) -> Path:
    """The key-store file: given, else WORKWEAVE_KEYSTORE, else keys.fernet beside a SQLite
    store (a server store: WORKWEAVE_KEYSTORE or --keystore must say)."""
    if keystore is not None:
        return keystore
    if os.environ.get(ENV_KEYSTORE):
        return Path(os.environ[ENV_KEYSTORE])
    if _is_sqlite(store):
        return Path(store.location).parent / KEYSTORE_FILE
    raise ValidationError(f"name the key-store file with --keystore or {ENV_KEYSTORE}")


def open_keystore(
    store: Store, custodian: str, keystore: Path | None = None, key_file: Path | None = None
) -> Any:
    """The key store, for an active user with the custodian role, opened with its key."""
    from workweave.io.keystore import KeyStore, load_key

    user = accounts.user_by_name(store, custodian)
    if user is None or not user.active or user.role != CUSTODIAN:
        audit.record(store, "keys.refused", details={"as": custodian[:64]})
        raise ValidationError(
            f"'{custodian[:64]}' is not an active custodian: the key store is for users with "
            "the custodian role ('workweave user add NAME --role custodian')"
        )
    path = keystore_path(store, keystore)
    return KeyStore(path, load_key(key_file))


def keys_add(
    store: Store, study_id: int, ks: Any, code: str, *, name: str, email: str, notes: str
) -> None:
    study = store.studies.get(study_id).name
    store.governance.participant_id(study_id, code)
    ks.add(study, code, name=name, email=email, notes=notes, added_ms=now_ms())
    audit.record(store, "keys.add", study=study, target=f"participant:{code}")


def keys_show(store: Store, study_id: int, ks: Any, code: str) -> Any:
    study = store.studies.get(study_id).name
    found = ks.get(study, code)
    audit.record(store, "keys.show", study=study, target=f"participant:{code}")
    return found


def keys_list(store: Store, study_id: int, ks: Any) -> list[str]:
    study = store.studies.get(study_id).name
    codes: list[str] = ks.codes(study)
    audit.record(store, "keys.list", study=study, details={"codes": len(codes)})
    return codes


__all__ = [
    "BackupError",
    "Erasure",
    "PurgeItem",
    "RestoreCheck",
    "backup",
    "check_backup",
    "erase",
    "excluded",
    "excluded_statement",
    "keys_add",
    "keys_list",
    "keys_show",
    "keystore_path",
    "open_keystore",
    "purge",
    "restore",
    "set_retention",
    "subject_access",
    "withdraw",
]
