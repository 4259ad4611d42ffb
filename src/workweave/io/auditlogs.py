"""Audit-log files (CSV or Parquet) and their mapping file, read as validated Arrow batches.

The mapping file (YAML) names the columns, maps raw user ids to participant codes and event
types to activity classes (and domains); docs/passive.md has an example. Raw user ids are
replaced by their HMAC-SHA256 under the study's secret before anything is written, and never
stored in the clear. Files are read in batches (pyarrow's streaming CSV reader, Parquet row
groups), so memory does not grow with the file.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from workweave.domain.auditlog import ACTIVITY_CLASSES, DEFAULT_CLASS_DOMAINS
from workweave.domain.errors import Problem, ValidationError
from workweave.domain.template import DOMAINS
from workweave.io.datafiles import parse_yaml_or_json

SCHEMA = pa.schema(
    [
        ("participant", pa.string()),
        ("user_hash", pa.string()),
        ("ts_ms", pa.int64()),
        ("local_ms", pa.int64()),
        ("event_type", pa.string()),
        ("activity", pa.string()),
        ("domain", pa.string()),
        ("workstation", pa.string()),
        ("patient", pa.bool_()),
        ("event_key", pa.int64()),
    ]
)
"""The columns of the log Parquet files: participant code, HMAC of the raw user id, UTC and
local (study time zone, counted as if UTC) milliseconds, event type, activity class, domain,
workstation, patient-context flag and the event key (a hash of user, instant, event type,
workstation and flag: identical rows are one event)."""

MAX_TEXT = 256
MIN_MS = 631_152_000_000  # 1990-01-01
MAX_MS = 4_102_444_800_000  # 2100-01-01
_OFFSET = re.compile(r"(?:Z|z|[+-]\d{2}(?::?\d{2})?)$")
_TRUE = {"1", "true", "t", "yes", "y"}
_FALSE = {"0", "false", "f", "no", "n", ""}
BATCH_ROWS = 500_000


def partition_dir(study: str, month: str) -> str:
    """The folder of one study's events of one month, relative to the log folder."""
    return f"study={quote(study, safe='')}/month={month}"


@dataclass(frozen=True)
class LogMapping:
    """What a mapping file says: column names, users -> participants, events -> classes."""

    user: str
    time: str
    event: str
    workstation: str | None = None
    patient: str | None = None
    naive_timezone: str | None = None
    users: dict[str, str] = field(default_factory=dict)
    events: dict[str, tuple[str, str]] = field(default_factory=dict)  # type -> (class, domain)
    default_class: str = "other"
    class_domains: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_CLASS_DOMAINS))

    def classify(self, event_type: str) -> tuple[str, str]:
        found = self.events.get(event_type)
        if found is not None:
            return found
        return self.default_class, self.class_domains[self.default_class]


def read_mapping(path: str | Path) -> LogMapping:
    """A mapping file, checked (every problem named with the file and key)."""
    path = Path(path)
    src = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(Problem("no such file", str(path))) from None
    except UnicodeDecodeError:
        raise ValidationError(Problem("not a UTF-8 text file", src)) from None
    data = parse_yaml_or_json(text, src)
    if not isinstance(data, dict):
        raise ValidationError(
            Problem("a mapping file is a YAML mapping (columns, users, events)", src)
        )
    problems: list[Problem] = []

    def text_of(value: Any, where: str) -> str:
        s = "" if value is None else str(value)
        if not s.strip() or "\x00" in s or len(s) > MAX_TEXT:
            problems.append(Problem(f"'{where}' must be non-empty text (at most {MAX_TEXT})", src))
        return s.strip()

    cols = data.get("columns") or {}
    if not isinstance(cols, dict):
        cols = {}
        problems.append(
            Problem(
                "'columns' must map user, time, event (and optionally "
                "workstation, patient) to column names",
                src,
            )
        )
    for need in ("user", "time", "event"):
        if need not in cols:
            problems.append(Problem(f"'columns' needs '{need}'", src))
    class_domains = dict(DEFAULT_CLASS_DOMAINS)
    for cls, dom in (data.get("domains") or {}).items():
        if cls not in ACTIVITY_CLASSES:
            problems.append(
                Problem(
                    f"domains: '{cls}' is not an activity class ({', '.join(ACTIVITY_CLASSES)})",
                    src,
                )
            )
        elif dom not in DOMAINS:
            problems.append(
                Problem(f"domains: '{dom}' is not a domain ({', '.join(DOMAINS)})", src)
            )
        else:
            class_domains[cls] = dom
    users: dict[str, str] = {}
    raw_users = data.get("users") or {}
    if not isinstance(raw_users, dict) or not raw_users:
        problems.append(Problem("'users' must map raw user ids to participant codes", src))
        raw_users = {}
    for uid, code in raw_users.items():
        users[text_of(uid, f"users: {uid}")] = text_of(code, f"users: {uid}")
    events: dict[str, tuple[str, str]] = {}
    raw_events = data.get("events") or {}
    if not isinstance(raw_events, dict):
        problems.append(Problem("'events' must map event types to activity classes", src))
        raw_events = {}
    for etype, spec in raw_events.items():
        key = text_of(etype, f"events: {etype}")
        if isinstance(spec, dict):
            cls, dom = spec.get("class"), spec.get("domain")
        else:
            cls, dom = spec, None
        if cls not in ACTIVITY_CLASSES:
            problems.append(
                Problem(
                    f"events: '{etype}': class '{cls}' is not one of {', '.join(ACTIVITY_CLASSES)}",
                    src,
                )
            )
            continue
        dom = dom or class_domains[str(cls)]
        if dom not in DOMAINS:
            problems.append(Problem(f"events: '{etype}': '{dom}' is not a domain", src))
            continue
        events[key] = (str(cls), str(dom))
    default_class = str(data.get("default_class", "other"))
    if default_class not in ACTIVITY_CLASSES:
        problems.append(Problem(f"default_class '{default_class}' is not an activity class", src))
    tz = data.get("timezone")
    if tz is not None:
        try:
            ZoneInfo(str(tz))
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(Problem(f"timezone '{tz}' is not an IANA time zone", src))
    if problems:
        raise ValidationError(problems)
    return LogMapping(
        user=text_of(cols["user"], "columns.user"),
        time=text_of(cols["time"], "columns.time"),
        event=text_of(cols["event"], "columns.event"),
        workstation=str(cols["workstation"]) if cols.get("workstation") else None,
        patient=str(cols["patient"]) if cols.get("patient") else None,
        naive_timezone=str(tz) if tz else None,
        users=users,
        events=events,
        default_class=default_class,
        class_domains=class_domains,
    )


@dataclass
class FileReport:
    """What reading one file found."""

    name: str
    rows: int = 0
    unmapped: int = 0
    bad: list[Problem] = field(default_factory=list)
    bad_count: int = 0
    first_ms: int | None = None
    last_ms: int | None = None
    unknown_events: set[str] = field(default_factory=set)


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def user_hash(secret: bytes, user: str) -> str:
    """HMAC-SHA256 of a raw user id under the study secret (hex)."""
    return hmac.new(secret, user.encode("utf-8"), hashlib.sha256).hexdigest()


def read_log(
    path: str | Path,
    mapping: LogMapping,
    *,
    secret: bytes,
    timezone: str,
    report: FileReport,
    keep_bad: int = 1000,
) -> Iterator[pa.Table]:
    """Validated event batches (SCHEMA) of one file; bad rows go to `report` (file, row,
    reason), rows of users the mapping does not list are counted and dropped."""
    path = Path(path)
    tz = ZoneInfo(timezone)
    row0 = 0
    hashes: dict[str, str] = {}
    for batch in _batches(path, mapping):
        df = batch.to_pandas()
        n = len(df)
        rows = np.arange(row0 + 1, row0 + n + 1)
        row0 += n
        report.rows += n
        bad = np.zeros(n, dtype=bool)
        reasons = np.full(n, "", dtype=object)

        def flag(
            mask: np.ndarray,
            reason: str,
            column: str,
            bad: np.ndarray = bad,
            reasons: np.ndarray = reasons,
        ) -> None:
            new = mask & ~bad
            reasons[new] = f"{column}|{reason}"
            bad[new] = True

        user = _text(df, mapping.user)
        flag(_bad_text(user), "empty, too long or containing NUL", mapping.user)
        ev = _text(df, mapping.event)
        flag(_bad_text(ev), "empty, too long or containing NUL", mapping.event)
        ts = _instants(df[mapping.time], mapping.naive_timezone)
        flag(np.isnan(ts), "not a date-time with a time zone or UTC offset", mapping.time)
        flag(~np.isnan(ts) & ((ts < MIN_MS) | (ts >= MAX_MS)), "outside 1990-2099", mapping.time)
        ws = (
            _text(df, mapping.workstation)
            if mapping.workstation
            else pd.Series([None] * n, dtype=object)
        )
        if mapping.workstation:
            flag(
                ws.notna().to_numpy()
                & ws.fillna("").map(lambda s: len(s) > MAX_TEXT or "\x00" in s).to_numpy(bool),
                "too long or containing NUL",
                mapping.workstation,
            )
        patient = pd.Series([None] * n, dtype=object)
        if mapping.patient:
            raw = _text(df, mapping.patient).fillna("").str.strip().str.lower()
            ok_t, ok_f = raw.isin(_TRUE), raw.isin(_FALSE)
            flag(~(ok_t | ok_f).to_numpy(), "not a yes/no flag", mapping.patient)
            flags: list[bool | None] = [
                True if t else (None if r == "" else False) for t, r in zip(ok_t, raw, strict=True)
            ]
            patient = pd.Series(flags, dtype=object)
        for i in np.flatnonzero(bad):
            report.bad_count += 1
            if len(report.bad) < keep_bad:
                col, reason = str(reasons[i]).split("|", 1)
                report.bad.append(Problem(reason, path.name, int(rows[i]), col))
        good = ~bad
        mapped = user.map(mapping.users).to_numpy(object)
        unmapped = good & pd.isna(mapped)
        report.unmapped += int(unmapped.sum())
        keep = good & ~unmapped
        if not keep.any():
            continue
        users = user[keep].to_numpy(object)
        for u in set(users) - hashes.keys():
            hashes[u] = user_hash(secret, u)
        t = ts[keep].astype(np.int64)
        report.first_ms = (
            int(t.min()) if report.first_ms is None else min(report.first_ms, int(t.min()))
        )
        report.last_ms = (
            int(t.max()) if report.last_ms is None else max(report.last_ms, int(t.max()))
        )
        local = _local_ms(t, tz)
        etypes = ev[keep].to_numpy(object)
        classes = {e: mapping.classify(e) for e in set(etypes)}
        report.unknown_events.update(e for e in classes if e not in mapping.events)
        out = pd.DataFrame(
            {
                "participant": mapped[keep],
                "user_hash": [hashes[u] for u in users],
                "ts_ms": t,
                "local_ms": local,
                "event_type": etypes,
                "activity": [classes[e][0] for e in etypes],
                "domain": [classes[e][1] for e in etypes],
                "workstation": ws[keep].to_numpy(object),
                "patient": patient[keep].to_numpy(object),
            }
        )
        out["event_key"] = (
            pd.util.hash_pandas_object(
                out[["user_hash", "ts_ms", "event_type", "workstation", "patient"]].astype(str),
                index=False,
            )
            .to_numpy()
            .view(np.int64)
        )
        yield pa.Table.from_pandas(out, schema=SCHEMA, preserve_index=False)


def _batches(path: Path, mapping: LogMapping) -> Iterator[pa.RecordBatch]:
    wanted = [
        c
        for c in (mapping.user, mapping.time, mapping.event, mapping.workstation, mapping.patient)
        if c
    ]
    name = path.name
    if not path.is_file():
        raise ValidationError(Problem("no such file", str(path)))
    if path.suffix.lower() == ".parquet":
        try:
            pf = pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise ValidationError(Problem(f"not a readable Parquet file ({exc})", name)) from None
        missing = [c for c in wanted if c not in pf.schema_arrow.names]
        if missing:
            raise ValidationError(Problem(f"missing column(s) {', '.join(missing)}", name, 0))
        yield from pf.iter_batches(batch_size=BATCH_ROWS, columns=wanted)
        return
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted,
                column_types={c: pa.string() for c in wanted},
                strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowKeyError, OSError) as exc:
        msg = str(exc).splitlines()[0]
        raise ValidationError(
            Problem(f"not a readable CSV file with the mapped columns ({msg})", name, 0)
        ) from None
    try:
        yield from reader
    except pa.ArrowInvalid as exc:
        raise ValidationError(
            Problem(f"malformed CSV ({str(exc).splitlines()[0]})", name)
        ) from None


def _text(df: pd.DataFrame, column: str) -> pd.Series:
    s = df[column]
    return s.astype(object).where(s.notna(), None).map(lambda v: None if v is None else str(v))


def _bad_text(s: pd.Series) -> np.ndarray:
    v = s.fillna("")
    return (
        v.str.strip().eq("") | v.str.len().gt(MAX_TEXT) | v.str.contains("\x00", regex=False)
    ).to_numpy(bool)


def _instants(col: pd.Series, naive_timezone: str | None) -> np.ndarray:
    """UTC milliseconds (float, NaN where not a valid instant)."""
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        return _ms(col)
    if pd.api.types.is_datetime64_any_dtype(col.dtype):  # naive timestamps
        if naive_timezone is None:
            return np.full(len(col), np.nan)
        loc = col.dt.tz_localize(naive_timezone, ambiguous="NaT", nonexistent="NaT")
        return _ms(loc)
    s = col.astype(object).where(col.notna(), "").map(str).str.strip()
    has_zone = s.str.contains(_OFFSET, regex=True).to_numpy(bool)
    out = np.full(len(s), np.nan)
    if has_zone.any():
        parsed = pd.to_datetime(s[has_zone], format="ISO8601", utc=True, errors="coerce")
        out[has_zone] = _ms(parsed)
    naive = ~has_zone & (s != "").to_numpy(bool)
    if naive.any() and naive_timezone is not None:
        parsed = pd.to_datetime(s[naive], format="ISO8601", errors="coerce")
        loc = parsed.dt.tz_localize(naive_timezone, ambiguous="NaT", nonexistent="NaT")
        out[naive] = _ms(loc)
    return out


def _ms(aware: pd.Series) -> np.ndarray:
    """UTC milliseconds of tz-aware instants (NaN for NaT)."""
    ns = aware.dt.tz_convert("UTC").dt.as_unit("ns").astype("int64").to_numpy()
    out = ns / 1e6
    out[aware.isna().to_numpy()] = np.nan
    return out


def _local_ms(utc_ms: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """Wall-clock milliseconds in `tz`, counted as if UTC."""
    idx = pd.to_datetime(utc_ms, unit="ms", utc=True).tz_convert(tz).tz_localize(None)
    return np.asarray(idx.as_unit("ms").asi8, dtype=np.int64)


__all__ = [
    "SCHEMA",
    "FileReport",
    "LogMapping",
    "file_sha256",
    "partition_dir",
    "read_log",
    "read_mapping",
    "user_hash",
]
