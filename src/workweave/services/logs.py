"""Passive audit logs: import into Parquet beside the store, passive metrics, and agreement
between shadowing and logs (docs/passive.md).

The events live in a log folder (``logs/`` beside a SQLite store; for a server store the
folder given by ``--logs-dir`` or ``WORKWEAVE_LOGS``), partitioned by study and month
(``study=<name>/month=YYYY-MM/part-*.parquet``). The store keeps one row per imported file
(``store.logs``). Raw user ids are replaced by HMAC-SHA256 under the study's secret, which
lives in a file beside the log folder (mode 0600), never in the store or the log folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import stat
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from workweave.analysis import duck
from workweave.analysis.metrics.passive_engine import PassiveMetrics, window_active
from workweave.analysis.passive import Agreement, bland_altman, observed_system_ms
from workweave.domain.errors import NotFoundError, Problem, ValidationError
from workweave.domain.policy import BOOTSTRAP_REPLICATES, FLAG_BELOW, INTERVAL_METHOD
from workweave.io import auditlogs
from workweave.services.audit import audited
from workweave.store import Store

LOGS_ENV = "WORKWEAVE_LOGS"
LOGS_FOLDER = "logs"


def logs_folder(store: Store, override: str | Path | None = None) -> Path:
    """The log folder of a store: `override`, else ``WORKWEAVE_LOGS``, else ``logs/`` beside
    a SQLite store (a server store needs one of the first two)."""
    chosen = override or os.environ.get(LOGS_ENV)
    if chosen:
        return Path(chosen).expanduser().resolve()
    if "://" in store.location:
        raise NotFoundError(
            f"a server store keeps no files: give the log folder with --logs-dir or {LOGS_ENV}"
        )
    return Path(store.location).expanduser().resolve().parent / LOGS_FOLDER


def study_secret(folder: Path, study: str, *, create: bool = True) -> bytes:
    """The study's pseudonymisation secret, from a 0600 file beside the log folder (made on
    first use); refused if other users may read it."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", study).strip("-") or "study"
    path = folder.parent / f".workweave-logs-{slug}.secret"
    if not path.exists():
        if not create:
            raise NotFoundError(f"no log secret for study '{study}' ({path})")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ValidationError(
            Problem(
                f"the log secret must be readable by its owner only (chmod 600; now {mode:o})",
                str(path),
            )
        )
    text = path.read_text(encoding="ascii").strip()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise ValidationError(Problem("not a workweave log secret (64 hex digits)", str(path)))
    return bytes.fromhex(text)


def event_files(folder: Path, study: str) -> list[Path]:
    """The study's event Parquet files in the log folder."""
    base = folder / auditlogs.partition_dir(study, "x").rsplit("/", 1)[0]
    return sorted(base.glob("month=*/*.parquet")) if base.is_dir() else []


@dataclass
class LogImportResult:
    files: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already imported (same SHA-256)
    rows_added: int = 0
    rows_duplicate: int = 0
    rows_bad: int = 0
    rows_unmapped: int = 0
    bad: list[Problem] = field(default_factory=list)
    unknown_events: list[str] = field(default_factory=list)
    folder: Path | None = None


@audited("import.logs")
def import_logs(
    store: Store,
    study_id: int,
    files: Sequence[str | Path],
    mapping: str | Path,
    *,
    timezone: str,
    logs_dir: str | Path | None = None,
    max_bad: int = 0,
) -> LogImportResult:
    """Import audit-log files (all or none). Files already imported (same SHA-256) are
    skipped; events already stored (same user, instant, event type, workstation and flag) are
    not stored twice. More than `max_bad` bad rows in a file fails the import (nothing
    changes); up to `max_bad` are skipped and reported."""
    if max_bad < 0:
        raise ValidationError("the number of bad rows allowed must not be negative")
    m = auditlogs.read_mapping(mapping)
    study = store.studies.get(study_id).name
    known = set(store.analytic.frame("participants", study_id)["participant"].astype(str))
    missing = sorted(set(m.users.values()) - known)
    if missing:
        raise ValidationError(
            [
                Problem(
                    f"participant '{c}' is not in study '{study}'",
                    Path(mapping).name,
                    None,
                    "users",
                )
                for c in missing
            ]
        )
    folder = logs_folder(store, logs_dir)
    folder.mkdir(parents=True, exist_ok=True)
    secret = study_secret(folder, study)
    done = store.logs.imported_hashes(study_id)
    result = LogImportResult(folder=folder)
    staging = folder / ".staging" / uuid.uuid4().hex
    staging.mkdir(parents=True)
    moved: list[Path] = []
    try:
        todo: list[tuple[int, Path, str, auditlogs.FileReport]] = []
        seen: set[str] = set()
        for f in files:
            path = Path(f)
            if not path.is_file():
                raise ValidationError(Problem("no such file", str(path)))
            sha = auditlogs.file_sha256(path)
            if sha in done or sha in seen:
                result.skipped.append(path.name)
                continue
            seen.add(sha)
            todo.append((len(todo), path, sha, auditlogs.FileReport(path.name)))
        problems: list[Problem] = []
        for i, path, _, rep in todo:
            writer = pq.ParquetWriter(staging / f"{i}.parquet", auditlogs.SCHEMA)
            try:
                for table in auditlogs.read_log(
                    path, m, secret=secret, timezone=timezone, report=rep
                ):
                    writer.write_table(table)
            finally:
                writer.close()
            if rep.bad_count > max_bad:
                problems.extend(rep.bad[:20])
                problems.append(
                    Problem(
                        f"{rep.bad_count} bad row(s) of {rep.rows} (allowed: {max_bad}; "
                        "--max-bad N skips up to N bad rows a file and reports them)",
                        path.name,
                    )
                )
        if problems:
            raise ValidationError(problems)
        added = _merge(folder, staging, study, todo, moved)
        now = int(time.time() * 1000)
        rows = []
        for i, _path, sha, rep in todo:
            result.rows_bad += rep.bad_count
            result.rows_unmapped += rep.unmapped
            result.bad.extend(rep.bad)
            good = rep.rows - rep.bad_count - rep.unmapped
            new = added.get(i, 0)
            result.rows_added += new
            result.rows_duplicate += good - new
            result.unknown_events.extend(sorted(rep.unknown_events))
            row = {
                "file_sha256": sha,
                "file_name": rep.name[:1000],
                "rows_read": rep.rows,
                "rows_added": new,
                "rows_duplicate": good - new,
                "rows_bad": rep.bad_count,
                "rows_unmapped": rep.unmapped,
                "first_ms": rep.first_ms,
                "last_ms": rep.last_ms,
                "imported_ms": now,
            }
            rows.append(row)
            result.files.append(row)
        store.logs.record(study_id, rows)
        moved.clear()  # recorded: the files stay
    finally:
        for p in moved:  # anything moved into place but not recorded goes again
            p.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            (folder / ".staging").rmdir()
    result.unknown_events = sorted(set(result.unknown_events))
    return result


def _merge(
    folder: Path,
    staging: Path,
    study: str,
    todo: list[tuple[int, Path, str, auditlogs.FileReport]],
    moved: list[Path],
) -> dict[int, int]:
    """Write the staged events not yet stored into month partitions; {file index: rows}."""
    if not todo:
        return {}
    cols = ", ".join(auditlogs.SCHEMA.names)
    con = duck.connect()
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute(
            f"CREATE TEMP TABLE staged AS SELECT {cols}, "
            "CAST(regexp_extract(filename, '([0-9]+)\\.parquet$', 1) AS INTEGER) AS src "
            f"FROM read_parquet('{_q(staging)}/*.parquet', filename = true)"
        )
        existing = event_files(folder, study)
        con.execute(
            f"CREATE TEMP TABLE fresh AS SELECT {cols}, MIN(src) AS src, "
            "strftime(epoch_ms(local_ms), '%Y-%m') AS month FROM staged "
            f"GROUP BY {cols}"
        )
        if existing:
            lst = ", ".join(f"'{_q(p)}'" for p in existing)
            con.execute(
                "DELETE FROM fresh WHERE EXISTS (SELECT 1 FROM read_parquet([" + lst + "]) e "
                "WHERE e.user_hash = fresh.user_hash AND e.ts_ms = fresh.ts_ms "
                "AND e.event_key = fresh.event_key)"
            )
        added = {
            int(s): int(n)
            for s, n in con.execute("SELECT src, COUNT(*) FROM fresh GROUP BY src").fetchall()
        }
        months = [r[0] for r in con.execute("SELECT DISTINCT month FROM fresh").fetchall()]
        out = staging / "out"
        out.mkdir()
        written: list[tuple[Path, str]] = []
        for month in months:
            target = out / f"{month}-{uuid.uuid4().hex}.parquet"
            con.execute(
                f"COPY (SELECT {cols} FROM fresh WHERE month = ? ORDER BY participant, ts_ms) "
                f"TO '{_q(target)}' (FORMAT parquet, COMPRESSION zstd)",
                [month],
            )
            written.append((target, month))
    finally:
        con.close()
    for target, month in written:
        dest = folder / auditlogs.partition_dir(study, month)
        dest.mkdir(parents=True, exist_ok=True)
        final = dest / f"part-{uuid.uuid4().hex}.parquet"
        os.replace(target, final)
        moved.append(final)
    return added


def erase_participant(store: Store, study_id: int, code: str) -> int:
    """Remove a participant's events from the study's log files (each file holding any is
    rewritten without them, then swapped in); the number of events removed. A store without a
    log folder (a server store with none configured) holds none."""
    try:
        folder = logs_folder(store)
    except NotFoundError:
        return 0
    study = store.studies.get(study_id).name
    removed = 0
    for path in event_files(folder, study):
        con = duck.connect()
        try:
            n = con.execute(
                f"SELECT COUNT(*) FROM read_parquet('{_q(path)}') WHERE participant = ?", [code]
            ).fetchone()
            count = int(n[0]) if n else 0
            if count:
                tmp = path.with_name(path.name + ".erasing")
                con.execute(
                    f"COPY (SELECT * FROM read_parquet('{_q(path)}') WHERE participant <> ?) "
                    f"TO '{_q(tmp)}' (FORMAT parquet, COMPRESSION zstd)",
                    [code],
                )
        finally:
            con.close()
        if count:
            os.replace(tmp, path)
            removed += count
    return removed


def _q(path: Path) -> str:
    return str(path).replace("'", "''")


def imports(store: Store, study_id: int) -> list[dict[str, Any]]:
    """The files imported into a study's logs, oldest first."""
    return store.logs.list(study_id)


# -- metrics -----------------------------------------------------------------------------------


def prepare(
    store: Store,
    study_id: int,
    *,
    logs_dir: str | Path | None = None,
    params: Mapping[str, Any] | None = None,
    filter: Mapping[str, Any] | None = None,
    metrics: Iterable[str] | str | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    engine: str = "duckdb",
    spark_remote: str | None = None,
) -> PassiveMetrics:
    """The study's logs, participants and job plans, with the passive sums computed (on
    ``engine`` 'duckdb', in process, or 'spark': local Spark, or the Spark Connect address
    ``spark_remote``, whose cluster must see the log folder at the same path)."""
    from workweave.analysis.metrics.passive import PASSIVE_METRICS

    study = store.studies.get(study_id).name
    folder = logs_folder(store, logs_dir)
    people = store.analytic.frame("participants", study_id)
    plans = store.analytic.frame("job_plans", study_id)
    people = people.assign(has_plan=people["participant"].isin(set(plans["participant"])))
    wanted = None
    if metrics is not None:
        items = [metrics] if isinstance(metrics, str) else list(metrics)
        ids = {i.strip().split("[", 1)[0] for item in items for i in str(item).split(",")}
        wanted = [m for m in PASSIVE_METRICS if m.id in ids]
    return PassiveMetrics(
        [str(p) for p in event_files(folder, study)],
        people=people,
        plans=plans,
        study=study,
        params=params,
        filter=filter,
        threads=threads,
        memory_limit=memory_limit,
        metrics=wanted,
        engine=engine,
        spark_remote=spark_remote,
    )


def compute(
    store: Store,
    study_id: int,
    *,
    logs_dir: str | Path | None = None,
    by: Sequence[str] | str | None = None,
    filter: Mapping[str, Any] | None = None,
    metrics: Iterable[str] | str | None = None,
    params: Mapping[str, Any] | None = None,
    seed: int | None = None,
    B: int = BOOTSTRAP_REPLICATES,
    confidence: float = 0.95,
    flag_below: int = FLAG_BELOW,
    interval: str = INTERVAL_METHOD,
    engine: str = "duckdb",
    spark_remote: str | None = None,
) -> pd.DataFrame:
    """Passive metrics of a study's logs, grouped and filtered, with cluster intervals; the
    SQL runs on ``engine`` ('duckdb' or 'spark', see `prepare`), the estimates here."""
    with prepare(
        store,
        study_id,
        logs_dir=logs_dir,
        params=params,
        filter=filter,
        metrics=metrics,
        engine=engine,
        spark_remote=spark_remote,
    ) as pm:
        return pm.compute(
            by=by,
            metrics=metrics,
            seed=seed,
            B=B,
            confidence=confidence,
            flag_below=flag_below,
            interval=interval,
        )


# -- shadowing meets logs ----------------------------------------------------------------------


def agreement(
    store: Store,
    study_id: int,
    *,
    logs_dir: str | Path | None = None,
    params: Mapping[str, Any] | None = None,
    confidence: float = 0.95,
    how_names: Sequence[str] = ("how", "come"),
) -> tuple[pd.DataFrame, Agreement]:
    """Per shadowing session of a participant with logs: observed time on the clinical system
    and log-derived active time in the same window (minutes), and their Bland-Altman
    agreement (log − observed)."""
    study = store.studies.get(study_id).name
    folder = logs_folder(store, logs_dir)
    f = store.analytic.arrow(["sessions", "tasks", "task_dimensions", "suspensions"], study_id)
    frames = {k: v.to_pandas() for k, v in f.items()}
    obs = observed_system_ms(
        frames["sessions"],
        frames["tasks"],
        frames["task_dimensions"],
        frames["suspensions"],
        how_names=how_names,
    )
    files = [str(p) for p in event_files(folder, study)]
    with_logs: set[str] = set()
    if files:
        con = duck.connect()
        try:
            lst = ", ".join(f"'{_q(Path(p))}'" for p in files)
            with_logs = {
                str(r[0])
                for r in con.execute(
                    f"SELECT DISTINCT participant FROM read_parquet([{lst}])"
                ).fetchall()
            }
        finally:
            con.close()
    obs = obs[obs["participant"].isin(with_logs) & (obs["end_ms"] > obs["start_ms"])]
    logged = window_active(files, obs, params=params)
    table = obs.merge(logged, on="session_id")
    table = pd.DataFrame(
        {
            "session_id": table["session_id"],
            "participant": table["participant"],
            "start_ms": table["start_ms"],
            "end_ms": table["end_ms"],
            "observed_minutes": table["observed_ms"] / 60_000.0,
            "log_minutes": table["log_active_ms"] / 60_000.0,
        }
    )
    table["difference"] = table["log_minutes"] - table["observed_minutes"]
    return table, bland_altman(table["observed_minutes"], table["log_minutes"], confidence)


__all__ = [
    "LOGS_ENV",
    "LogImportResult",
    "agreement",
    "compute",
    "event_files",
    "import_logs",
    "imports",
    "logs_folder",
    "prepare",
    "study_secret",
]
