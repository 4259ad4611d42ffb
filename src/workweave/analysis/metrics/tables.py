"""The canonical tables a metric computation reads, from a store, from DataFrames, or from
domain sessions (for data not yet stored, and for tests).

Column names are those of ``store.analytic.frame`` (``workweave.store.TABLES``); the
``categories`` table (template, template_version, category, domain, job_plan) comes from the
templates the sessions were recorded with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.observation import Session
from workweave.domain.study import Participant
from workweave.domain.template import DOMAINS, Template
from workweave.domain.time import to_ms

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "sessions": (
        "session_id",
        "session_key",
        "source_id",
        "source",
        "mode",
        "participant",
        "profession",
        "band",
        "site",
        "observer",
        "observer_role",
        "start_ms",
        "end_ms",
        "known_end_ms",
        "complete",
        "timezone",
        "template",
        "template_version",
    ),
    "tasks": (
        "task_id",
        "session_id",
        "task_key",
        "seq",
        "category",
        "subcategory",
        "start_ms",
        "end_ms",
        "known_end_ms",
        "ended_by",
    ),
    "task_dimensions": ("task_id", "dimension", "value"),
    "suspensions": ("task_id", "start_ms", "end_ms", "by_key"),
    "point_events": ("session_id", "kind", "subtype", "at_ms"),
    "participants": (
        "participant",
        "site",
        "profession",
        "band",
        "pay_point",
        "contracted_hours",
    ),
    "job_plans": ("participant", "weekday", "start_time", "end_time", "category"),
    "categories": ("template", "template_version", "category", "domain", "job_plan"),
    # a dated plan (a calendar) instead of the weekly job plans: blocks and covered periods
    "plan_blocks": ("participant", "start_ms", "end_ms", "category"),
    "plan_periods": ("participant", "from_ms", "to_ms"),
}
REQUIRED = ("sessions", "tasks")


@dataclass
class Tables:
    """The canonical tables of one study (pandas DataFrames or anything DuckDB can scan)."""

    study: str
    frames: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.frames[name]


def empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in TABLE_COLUMNS[name]})


def _dtype(column: str) -> str:
    if column.endswith("_ms") or column in ("session_id", "task_id", "seq", "weekday", "pay_point"):
        return "Int64"
    if column in ("complete",):
        return "boolean"
    if column == "contracted_hours":
        return "float64"
    return "object"


def categories_frame(templates: Iterable[Template]) -> pd.DataFrame:
    rows = [
        {
            "template": t.name,
            "template_version": t.version,
            "category": c.code,
            "domain": c.domain,
            "job_plan": c.job_plan,
        }
        for t in templates
        for c in t.categories
    ]
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS["categories"]))


def from_frames(
    frames: Mapping[str, Any],
    *,
    study: str = "study",
    templates: Iterable[Template] = (),
) -> Tables:
    """Tables from DataFrames named as the canonical tables (``sessions`` and ``tasks`` at
    least; missing ones are empty). Templates, if given, supply the ``categories`` table."""
    missing = [n for n in REQUIRED if n not in frames]
    if missing:
        raise ValidationError(f"missing table(s): {', '.join(missing)}")
    out: dict[str, Any] = {}
    for name in TABLE_COLUMNS:
        if name in frames and frames[name] is not None:
            f = frames[name]
            out[name] = f if _is_arrow(f) else _to_pandas(f)
        else:
            out[name] = empty(name)
    templates = list(templates)
    if templates:
        out["categories"] = pd.concat(
            [out["categories"], categories_frame(templates)], ignore_index=True
        )
    return Tables(study=study, frames=out)


def to_pandas(frame: Any) -> pd.DataFrame:
    """A pandas DataFrame of a pandas, polars or Arrow table."""
    return _to_pandas(frame)


def _is_arrow(frame: Any) -> bool:
    return type(frame).__module__.startswith("pyarrow")


def _to_pandas(frame: Any) -> Any:
    if isinstance(frame, pd.DataFrame):
        return frame
    to_pandas = getattr(frame, "to_pandas", None)
    if callable(to_pandas):  # polars or pyarrow
        return to_pandas()
    return pd.DataFrame(frame)


ANALYSIS_TABLES = (
    "sessions",
    "tasks",
    "task_dimensions",
    "suspensions",
    "point_events",
    "participants",
    "job_plans",
)


def from_store(store: Any, study_id: int) -> Tables:
    """Tables of a study in a `Store`, with its templates' categories.

    The tables are read column-wise into Arrow through the store (``store.analytic.arrow``, the
    same queries as ``store.analytic.frame``, several times faster).
    """
    frames: dict[str, Any] = dict(store.analytic.arrow(ANALYSIS_TABLES, study_id))
    sessions = _to_pandas(frames["sessions"])
    templates: list[Template] = []
    if len(sessions):
        pairs = sessions[["template", "template_version"]].dropna().drop_duplicates()
        for name, version in pairs.itertuples(index=False):
            try:
                templates.append(store.studies.template(name, version))
            except NotFoundError:
                continue
    frames["categories"] = categories_frame(templates)
    return Tables(study=store.studies.get(study_id).name, frames=frames)


def from_sessions(
    sessions: Iterable[Session],
    participants: Iterable[Participant] = (),
    *,
    templates: Iterable[Template] = (),
    study: str = "study",
) -> Tables:
    """Tables built directly from domain sessions, as the store would return them."""
    people = {p.code: p for p in participants}
    srows: list[dict[str, Any]] = []
    trows: list[dict[str, Any]] = []
    drows: list[dict[str, Any]] = []
    xrows: list[dict[str, Any]] = []
    erows: list[dict[str, Any]] = []
    task_id = 0
    for sid, s in enumerate(sessions, start=1):
        p = people.get(s.participant)
        name, _, version = (s.template or "").partition("@")
        srows.append(
            {
                "session_id": sid,
                "session_key": s.key,
                "source_id": s.source_id,
                "source": s.source,
                "mode": s.mode,
                "participant": s.participant,
                "profession": p.profession if p else "other",
                "band": p.band if p else None,
                "site": s.site,
                "observer": s.observer,
                "observer_role": s.observer_role,
                "start_ms": to_ms(s.start),
                "end_ms": to_ms(s.end),
                "known_end_ms": to_ms(s.known_end),
                "complete": s.complete,
                "timezone": s.timezone,
                "template": name or None,
                "template_version": version or None,
            }
        )
        for t in s.tasks:
            task_id += 1
            trows.append(
                {
                    "task_id": task_id,
                    "session_id": sid,
                    "task_key": t.key,
                    "seq": t.seq,
                    "category": t.category,
                    "subcategory": t.subcategory,
                    "start_ms": to_ms(t.start),
                    "end_ms": to_ms(t.end),
                    "known_end_ms": to_ms(t.known_end),
                    "ended_by": t.ended_by,
                }
            )
            for dim, values in t.dimensions:
                drows.extend(
                    {"task_id": task_id, "dimension": dim, "value": v}
                    for v in dict.fromkeys(values)
                )
            xrows.extend(
                {
                    "task_id": task_id,
                    "start_ms": to_ms(x.start),
                    "end_ms": to_ms(x.end),
                    "by_key": x.by,
                }
                for x in t.suspensions
            )
        erows.extend(
            {"session_id": sid, "kind": e.kind, "subtype": e.subtype, "at_ms": to_ms(e.at)}
            for e in s.events
        )
    prows = [
        {
            "participant": p.code,
            "site": p.site,
            "profession": p.profession,
            "band": p.band,
            "pay_point": p.pay_point,
            "contracted_hours": p.contracted_hours,
        }
        for p in people.values()
    ]
    jrows = [
        {
            "participant": p.code,
            "weekday": js.weekday,
            "start_time": js.start.isoformat(timespec="seconds"),
            "end_time": js.end.isoformat(timespec="seconds"),
            "category": js.category,
        }
        for p in people.values()
        for js in p.job_plan.sessions
    ]

    def frame(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
        if not rows:
            return empty(name)
        df = pd.DataFrame(rows, columns=list(TABLE_COLUMNS[name]))
        for c in df.columns:
            if _dtype(c) == "Int64":
                df[c] = df[c].astype("Int64")
        return df

    return Tables(
        study=study,
        frames={
            "sessions": frame("sessions", srows),
            "tasks": frame("tasks", trows),
            "task_dimensions": frame("task_dimensions", drows),
            "suspensions": frame("suspensions", xrows),
            "point_events": frame("point_events", erows),
            "participants": frame("participants", prows),
            "job_plans": frame("job_plans", jrows),
            "categories": categories_frame(templates),
        },
    )


def check_domains(domains: Mapping[str, str]) -> dict[str, str]:
    bad = {c: d for c, d in domains.items() if d not in DOMAINS}
    if bad:
        raise ValidationError(
            "unknown domain(s) "
            + ", ".join(f"{c} -> {d}" for c, d in bad.items())
            + f" (domains: {', '.join(DOMAINS)})"
        )
    return dict(domains)


__all__ = [
    "TABLE_COLUMNS",
    "Tables",
    "categories_frame",
    "check_domains",
    "from_frames",
    "from_sessions",
    "from_store",
    "to_pandas",
]
