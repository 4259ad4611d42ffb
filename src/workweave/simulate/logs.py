"""SYNTHETIC audit logs with planted rates, streamed to Parquet in bounded memory.

Each simulated participant works weekdays to the same job plan (09:00-13:00 and 13:30-15:30
direct clinical care, 15:30-17:30 management) and uses the clinical system in activity spells:
each spell is a run of events whose gaps are drawn from an exponential distribution (mean
`gap_seconds`, clipped to [1 s, 4 min], so a spell never breaks at the 5-minute timeout), of
a geometric number of events (mean `events_per_spell`), cut at 10 minutes. Spells start in
20-minute slots, so they never overlap and are always more than 5 minutes apart. Of
`spells_per_day` spells expected a day, a share `p_outside` is placed after hours
(19:00-22:00), of the rest a share `p_management` in the management session and the others in
clinical sessions; each event's activity class is drawn from `class_shares`. Spell lengths
do not depend on where spells are placed or on classes, so the planted rates are what the
passive metrics estimate (docs/passive.md, "Simulator"):

- ``share_by_class[c]`` = class_shares[c]
- ``system_time_by_plan[outside]`` = ``after_hours_share`` = p_outside
- ``system_time_by_plan[management]`` = (1 − p_outside) × p_management
- ``system_time_by_plan[clinical]`` = (1 − p_outside) × (1 − p_management)

Events are written month by month into the store's log layout
(``study=<name>/month=YYYY-MM/part-*.parquet``, the schema of ``io.auditlogs``), in batches
of about `batch_events` events, so memory does not grow with the number of events.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workweave.analysis.metrics.passive import ACTIVITY_CLASSES
from workweave.io.auditlogs import SCHEMA, partition_dir

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MIN_MS = 60_000
DOMAIN_OF: dict[str, str] = {
    "documentation": "clinical",
    "orders": "clinical",
    "inbox": "clinical",
    "chart_review": "clinical",
    "scheduling": "managerial",
    "other": "other",
}
EVENT_TYPES: dict[str, str] = {
    "documentation": "NOTE_EDIT",
    "orders": "ORDER_SIGN",
    "inbox": "INBASKET_VIEW",
    "chart_review": "CHART_VIEW",
    "scheduling": "LIST_EDIT",
    "other": "LOGIN",
}
JOB_PLAN: tuple[tuple[str, str, str], ...] = (
    ("09:00", "13:00", "DCC"),
    ("13:30", "15:30", "DCC"),
    ("15:30", "17:30", "management"),
)
"""Every simulated participant's plan, Monday to Friday."""


@dataclass(frozen=True)
class PlantedLogRates:
    """The rates the audit-log simulator plants (see the module docstring)."""

    class_shares: Mapping[str, float] = field(
        default_factory=lambda: {
            "documentation": 0.35,
            "orders": 0.15,
            "inbox": 0.20,
            "chart_review": 0.20,
            "scheduling": 0.05,
            "other": 0.05,
        }
    )
    p_outside: float = 0.15
    p_management: float = 0.20
    spells_per_day: float = 16.0
    events_per_spell: float = 60.0
    gap_seconds: float = 8.0

    def expected(self) -> dict[tuple[str, str | None], float]:
        """{(metric id, key): planted value}."""
        out: dict[tuple[str, str | None], float] = {
            ("share_by_class", c): float(v) for c, v in self.class_shares.items()
        }
        out[("system_time_by_plan", "outside")] = self.p_outside
        out[("after_hours_share", None)] = self.p_outside
        out[("system_time_by_plan", "management")] = (1 - self.p_outside) * self.p_management
        out[("system_time_by_plan", "clinical")] = (1 - self.p_outside) * (1 - self.p_management)
        out[("system_time_by_plan", "other_planned")] = 0.0
        return out


@dataclass(frozen=True)
class SimulatedLogs:
    folder: Path
    events: int
    files: int
    participants: pd.DataFrame  # participant, site, profession, band
    job_plans: pd.DataFrame  # participant, weekday, start_time, end_time, category
    rates: PlantedLogRates


def simulate_logs(
    out: str | Path,
    *,
    events: int,
    participants: int | None = None,
    study: str = "synthetic-logs",
    seed: int = 7,
    timezone: str = "Europe/London",
    start: date = date(2025, 1, 6),
    rates: PlantedLogRates | None = None,
    batch_events: int = 2_000_000,
    progress: Callable[[int], None] | None = None,
) -> SimulatedLogs:
    """Write about `events` SYNTHETIC audit-log events (exactly `events`, the last day cut)
    under `out`, plus ``participants.csv`` and ``jobplans.csv`` describing who they are."""
    if events < 1:
        raise ValueError("events must be at least 1")
    rates = rates or PlantedLogRates()
    shares = np.array([rates.class_shares.get(c, 0.0) for c in ACTIVITY_CLASSES], dtype=float)
    if not np.isclose(shares.sum(), 1.0):
        raise ValueError("class shares must sum to 1")
    rng = np.random.default_rng(seed)
    per_day = rates.spells_per_day * rates.events_per_spell
    n_people = participants or int(min(2000, max(4, events // int(per_day * 250))))
    codes = [f"L{i + 1:04d}" for i in range(n_people)]
    sites = ["North", "South", "East", "West"]
    people = pd.DataFrame(
        {
            "participant": codes,
            "site": [sites[i % len(sites)] for i in range(n_people)],
            "profession": [("radiographer", "physiotherapist")[i % 2] for i in range(n_people)],
            "band": [("7", "8a")[i % 2] for i in range(n_people)],
        }
    )
    plans = pd.DataFrame(
        [(c, wd, s, e, cat) for c in codes for wd in range(5) for s, e, cat in JOB_PLAN],
        columns=["participant", "weekday", "start_time", "end_time", "category"],
    )
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    people.to_csv(folder / "participants.csv", index=False)
    plans.to_csv(folder / "jobplans.csv", index=False)
    tz = ZoneInfo(timezone)
    hashes = np.array([hashlib.sha256(f"{study}:{c}".encode()).hexdigest() for c in codes])
    clin = [(_min(s), _min(e)) for s, e, cat in JOB_PLAN if cat == "DCC"]
    mgmt = next((_min(s), _min(e)) for s, e, cat in JOB_PLAN if cat == "management")
    writers: dict[str, pq.ParquetWriter] = {}
    written = 0
    key = 0
    files = 0
    buffer: list[pa.Table] = []
    buffered = 0
    day = start
    try:
        while written < events:
            if day.weekday() < 5:
                batch = _one_day(rng, day, n_people, rates, shares, clin, mgmt)
                if batch is not None:
                    pidx, local_ms, cls = batch
                    take = min(len(pidx), events - written)
                    pidx, local_ms, cls = pidx[:take], local_ms[:take], cls[:take]
                    offset = _utc_offset_ms(day, tz)
                    n = len(pidx)
                    table = pa.table(
                        {
                            "participant": pa.DictionaryArray.from_arrays(
                                pa.array(pidx, pa.int32()), pa.array(codes, pa.string())
                            ).cast(pa.string()),
                            "user_hash": pa.array(hashes[pidx], pa.string()),
                            "ts_ms": pa.array(local_ms - offset, pa.int64()),
                            "local_ms": pa.array(local_ms, pa.int64()),
                            "event_type": pa.array(
                                np.array(list(EVENT_TYPES.values()))[cls], pa.string()
                            ),
                            "activity": pa.array(np.array(ACTIVITY_CLASSES)[cls], pa.string()),
                            "domain": pa.array(
                                np.array([DOMAIN_OF[c] for c in ACTIVITY_CLASSES])[cls],
                                pa.string(),
                            ),
                            "workstation": pa.nulls(n, pa.string()),
                            "patient": pa.array(cls < 4, pa.bool_()),
                            "event_key": pa.array(np.arange(key, key + n), pa.int64()),
                        },
                        schema=SCHEMA,
                    )
                    key += n
                    written += n
                    buffer.append(table)
                    buffered += n
                    month = day.strftime("%Y-%m")
                    if buffered >= batch_events or written >= events or _month_ends(day):
                        w = writers.get(month)
                        if w is None:
                            d = folder / partition_dir(study, month)
                            d.mkdir(parents=True, exist_ok=True)
                            w = pq.ParquetWriter(
                                d / f"part-{uuid.uuid4().hex}.parquet", SCHEMA, compression="zstd"
                            )
                            writers[month] = w
                            files += 1
                        w.write_table(pa.concat_tables(buffer), row_group_size=1_000_000)
                        buffer, buffered = [], 0
                        if _month_ends(day):
                            writers.pop(month).close()
                        if progress is not None:
                            progress(written)
            day += timedelta(days=1)
    finally:
        for w in writers.values():
            w.close()
    return SimulatedLogs(folder, written, files, people, plans, rates)


def _month_ends(day: date) -> bool:
    return (day + timedelta(days=1)).month != day.month


def _min(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def _utc_offset_ms(day: date, tz: ZoneInfo) -> int:
    """The zone's UTC offset at noon of the day (simulated work is never at a DST change)."""
    off = datetime(day.year, day.month, day.day, 12, tzinfo=tz).utcoffset()
    return int(off.total_seconds() * 1000) if off is not None else 0


SLOT_MIN = 20
"""Spells start in 20-minute slots (within the first 4 minutes) and last at most 10 minutes,
so two spells never overlap and are always more than the 5-minute timeout apart."""


def _slots(windows: list[tuple[int, int]]) -> np.ndarray:
    return np.array(
        [m for s, e in windows for m in range(s, e - SLOT_MIN + 1, SLOT_MIN)], dtype=np.int64
    )


def _one_day(
    rng: np.random.Generator,
    day: date,
    n_people: int,
    rates: PlantedLogRates,
    shares: np.ndarray,
    clin: list[tuple[int, int]],
    mgmt: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """One weekday's events of every participant: (participant index, local ms, class).

    Each slot of a kind holds a spell with the probability that gives the planted expected
    number of spells of that kind (binomial counts: no slot holds two spells)."""
    kinds = (
        (_slots(clin), rates.spells_per_day * (1 - rates.p_outside) * (1 - rates.p_management)),
        (_slots([mgmt]), rates.spells_per_day * (1 - rates.p_outside) * rates.p_management),
        (_slots([(19 * 60, 22 * 60)]), rates.spells_per_day * rates.p_outside),
    )
    owners, starts = [], []
    for slots, expected in kinds:
        p = expected / len(slots)
        if p > 1:
            raise ValueError("too many spells a day for the simulated job plan's slots")
        used = rng.random((n_people, len(slots))) < p
        who, which = np.nonzero(used)
        owners.append(who)
        starts.append(slots[which])
    owner = np.concatenate(owners)
    s = len(owner)
    if s == 0:
        return None
    start_ms = np.concatenate(starts) * MIN_MS + (rng.random(s) * 4 * MIN_MS).astype(np.int64)
    n_ev = rng.geometric(1.0 / rates.events_per_spell, size=s)
    total = int(n_ev.sum())
    spell_of = np.repeat(np.arange(s), n_ev)
    gaps = np.clip(rng.exponential(rates.gap_seconds * 1000, size=total), 1000, 240_000)
    first = np.concatenate(([0], np.cumsum(n_ev)[:-1]))
    gaps[first] = 0
    csum = np.cumsum(gaps)
    within = csum - np.repeat(csum[first], n_ev)
    keep = within <= 10 * MIN_MS  # a spell lasts at most 10 minutes
    day_ms = (day - date(1970, 1, 1)).days * DAY_MS
    local = (day_ms + start_ms[spell_of] + within.astype(np.int64))[keep]
    cls = rng.choice(len(shares), size=total, p=shares).astype(np.int64)[keep]
    pidx = owner[spell_of].astype(np.int64)[keep]
    order = np.lexsort((local, pidx))
    return pidx[order], local[order], cls[order]


__all__ = ["DOMAIN_OF", "JOB_PLAN", "PlantedLogRates", "SimulatedLogs", "simulate_logs"]
