"""Exports for analysts: a study's canonical tables and its metric results as CSV, Parquet,
Excel, Stata or SPSS files (docs/exports.md).

`study_sheets` reads the canonical tables (`store.analytic`) and adds what an analyst would
otherwise recompute: each task's participant, site, domain, local clock times, elapsed and
active seconds and one column per dimension; each session's local times and observed
seconds. `metrics_sheet` is what ``workweave metrics`` computes, with the same options.
`io.exports` writes them, with labels and with formula-looking text neutralised.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from workweave.analysis.metrics import list_frame
from workweave.analysis.metrics.docs import TERMS
from workweave.domain.errors import NotFoundError
from workweave.domain.template import Template
from workweave.io.exports import FORMATS, Sheet, write_tables
from workweave.services import metrics as metrics_service
from workweave.services.audit import audited
from workweave.store import Store

TABLES: tuple[str, ...] = (
    "participants",
    "sessions",
    "tasks",
    "task_dimensions",
    "suspensions",
    "parallel_links",
    "point_events",
    "notes",
    "job_plans",
    "planned_activity",
)

DESCRIPTIONS: dict[str, str] = {
    "participants": "One row per participant: site, profession, band, pay point, hours.",
    "sessions": "One row per observation session (shadowing, self-report, imported).",
    "tasks": "One row per task, with its session's participant and site, its category's "
    "domain, times, elapsed and active seconds and one column per dimension.",
    "task_dimensions": "One row per task and dimension value (multi-choice dimensions give "
    "several rows).",
    "suspensions": "One row per interruption of a task (suspended until it was resumed).",
    "parallel_links": "One row per multitasking link between two tasks of a session.",
    "point_events": "One row per point event (demands, interruptions without a task, ...).",
    "notes": "One row per timestamped field note.",
    "job_plans": "One row per planned weekly job-plan session (site local time).",
    "planned_activity": "One row per planned block imported from a participant's calendar.",
    "metrics": "Registry metrics with their intervals, as `workweave metrics` computes them.",
}

COLUMNS: dict[str, str] = {
    "participant": "participant code (pseudonymous)",
    "site": "site code",
    "profession": "profession",
    "band": "Agenda for Change band",
    "pay_point": "pay point within the band",
    "contracted_hours": "contracted hours a week (from the job plan when there is one)",
    "session_id": "session number in this store (joins the tables)",
    "session_key": "the session's key (e.g. wombat:52)",
    "source": "where the session came from (capture, wombat, simulation, ...)",
    "source_id": "the source's own session id",
    "mode": "shadowing, self-report or imported",
    "observer": "observer code (empty: self-report)",
    "observer_role": "primary or second observer of a co-observed session",
    "start_ms": "start, UTC milliseconds since 1970-01-01",
    "end_ms": "end, UTC milliseconds (empty: never ended)",
    "known_end_ms": "end, or the last instant seen for an unended one (UTC ms)",
    "complete": "the session was ended properly",
    "timezone": "IANA time zone of the session's clock times",
    "template": "observation template name",
    "template_version": "observation template version",
    "start_local": "start, local date-time in the session's time zone",
    "end_local": "end, local date-time in the session's time zone",
    "observed_s": "observed seconds (known end minus start)",
    "task_id": "task number in this store (joins the tables)",
    "task_key": "the task's key within its session",
    "seq": "order of the task in its session",
    "category": "task category code",
    "subcategory": "task sub-category",
    "domain": "domain of the category (clinical, managerial, professional, personal, other)",
    "ended_by": "what ended the task (user, session or a task key)",
    "elapsed_s": "elapsed seconds: end minus start (empty: never ended)",
    "active_s": "active seconds: elapsed minus time suspended by interruptions",
    "n_suspensions": "times the task was interrupted (suspended)",
    "dimension": "dimension name",
    "value": "dimension value",
    "by_key": "key of the interrupting task",
    "other_key": "key of the task run in parallel",
    "kind": "point event kind",
    "subtype": "point event subtype",
    "at_ms": "instant, UTC milliseconds",
    "at_local": "instant, local date-time in the session's time zone",
    "text": "note text",
    "weekday": "0 = Monday ... 6 = Sunday",
    "start_time": "planned start, site local clock time",
    "end_time": "planned end, site local clock time",
    "title": "calendar event title",
    "uid": "calendar event UID",
    "recurrence_id": "original start of a recurring event's instance (UTC)",
    "metric": "metric id (README sheet / docs/metrics.md)",
    "key": "key within a metric family",
    "label": "metric label",
    "unit": "unit of the estimate",
    "estimate": "ratio-of-sums estimate",
    "ci_low": "lower bound of the confidence interval",
    "ci_high": "upper bound of the confidence interval",
    "n_participants": "participants contributing",
    "n_sessions": "sessions contributing",
    "observed_hours": "observed hours contributing",
    "flag": "small-number or undefined flag",
    "plan": "plan the planned-versus-actual metrics read (jobplan or calendar)",
}
CODED: tuple[str, ...] = (
    "site",
    "category",
    "domain",
    "mode",
    "profession",
    "kind",
    "observer_role",
    "band",
)
"""Text columns written as integer codes with value labels in .dta and .sav files."""


def _local(ms: pd.Series, zones: pd.Series) -> pd.Series:
    """UTC milliseconds as naive local date-times, each in its own zone."""
    out = pd.Series(pd.NaT, index=ms.index, dtype="datetime64[ms]")
    for tz in zones.dropna().unique():
        sel = (zones == tz) & ms.notna()
        if sel.any():
            utc = pd.to_datetime(ms[sel].astype("int64"), unit="ms", utc=True)
            out[sel] = utc.dt.tz_convert(str(tz)).dt.tz_localize(None).astype("datetime64[ms]")
    return out


def _active_seconds(tasks: pd.DataFrame, susp: pd.DataFrame) -> pd.Series:
    """Active seconds: the task's span minus the union of its suspensions clipped to it."""
    span = {
        int(r.task_id): (int(r.start_ms), int(r.known_end_ms))
        for r in tasks[["task_id", "start_ms", "known_end_ms"]].itertuples(index=False)
    }
    active = {k: (b - a) / 1000 for k, (a, b) in span.items()}
    if len(susp):
        for tid, g in susp.groupby("task_id"):
            lo, hi = span.get(int(tid), (0, 0))
            cuts = sorted(
                (max(int(a), lo), min(hi if pd.isna(b) else int(b), hi))
                for a, b in zip(g["start_ms"], g["end_ms"], strict=True)
            )
            total, cur_a, cur_b = 0, None, None
            for a, b in cuts:
                if b <= a:
                    continue
                if cur_b is None or a > cur_b:
                    if cur_b is not None and cur_a is not None:
                        total += cur_b - cur_a
                    cur_a, cur_b = a, b
                else:
                    cur_b = max(cur_b, b)
            if cur_b is not None and cur_a is not None:
                total += cur_b - cur_a
            active[int(tid)] = active.get(int(tid), 0) - total / 1000
    return tasks["task_id"].map(lambda t: active.get(int(t)))


def _domains(store: Store, sessions: pd.DataFrame) -> dict[tuple[str, str, str], str]:
    """(template, version, category) -> domain, from the templates the sessions used (the
    built-in default template for sessions without one)."""
    out: dict[tuple[str, str, str], str] = {}
    default: Template = metrics_service.default_template()
    pairs = sessions[["template", "template_version"]].astype(object).drop_duplicates()
    for name, version in pairs.itertuples(index=False):
        tpl = default
        if isinstance(name, str) and name:
            try:
                tpl = store.studies.template(name, version if isinstance(version, str) else None)
            except NotFoundError:
                tpl = default
        for c in tpl.categories:
            out[(str(name or ""), str(version or ""), c.code)] = c.domain
    return out


def study_tables(store: Store, study_id: int) -> dict[str, pd.DataFrame]:
    """The canonical tables of a study as analysts read them (see the module)."""
    f = {name: store.analytic.frame(name, study_id) for name in TABLES}
    sessions = f["sessions"]
    zone_of = sessions.set_index("session_id")["timezone"]
    sessions["start_local"] = _local(sessions["start_ms"], sessions["timezone"])
    sessions["end_local"] = _local(sessions["end_ms"], sessions["timezone"])
    sessions["observed_s"] = (sessions["known_end_ms"] - sessions["start_ms"]) / 1000
    tasks = f["tasks"]
    info = sessions.set_index("session_id")
    tz = tasks["session_id"].map(zone_of)
    tasks.insert(2, "session_key", tasks["session_id"].map(info["session_key"]))
    tasks.insert(3, "participant", tasks["session_id"].map(info["participant"]))
    tasks.insert(4, "site", tasks["session_id"].map(info["site"]))
    doms = _domains(store, sessions)
    tpl = tasks["session_id"].map(info["template"]).fillna("").astype(str)
    ver = tasks["session_id"].map(info["template_version"]).fillna("").astype(str)
    tasks.insert(
        tasks.columns.get_loc("category") + 1,
        "domain",
        [
            doms.get((a, b, str(c)), "other")
            for a, b, c in zip(tpl, ver, tasks["category"], strict=True)
        ],
    )
    tasks["start_local"] = _local(tasks["start_ms"], tz)
    tasks["end_local"] = _local(tasks["end_ms"], tz)
    tasks["elapsed_s"] = (tasks["end_ms"] - tasks["start_ms"]) / 1000
    tasks["active_s"] = _active_seconds(tasks, f["suspensions"])
    counts = f["suspensions"].groupby("task_id").size()
    tasks["n_suspensions"] = tasks["task_id"].map(counts).fillna(0).astype("int64")
    dims = f["task_dimensions"]
    if len(dims):
        wide = (
            dims.groupby(["task_id", "dimension"])["value"]
            .agg(lambda v: "; ".join(sorted(map(str, v))))
            .unstack("dimension")
        )
        for dim in wide.columns:
            tasks[f"dim_{dim}"] = tasks["task_id"].map(wide[dim])
    for name in ("point_events", "notes"):
        t = f[name]
        t.insert(1, "participant", t["session_id"].map(info["participant"]))
        t["at_local"] = _local(t["at_ms"], t["session_id"].map(zone_of))
    f["suspensions"].insert(
        1, "session_id", f["suspensions"]["task_id"].map(tasks.set_index("task_id")["session_id"])
    )
    return f


def _labels(frame: pd.DataFrame) -> dict[str, str]:
    out = {}
    for c in frame.columns:
        c = str(c)
        if c in COLUMNS:
            out[c] = COLUMNS[c]
        elif c.startswith("dim_"):
            out[c] = f"dimension {c[4:]}: the task's value(s), '; '-separated"
    return out


def sheets_of(frames: dict[str, pd.DataFrame]) -> list[Sheet]:
    return [
        Sheet(
            name=name,
            frame=frame,
            description=DESCRIPTIONS.get(name, ""),
            labels=_labels(frame),
            coded=tuple(c for c in CODED if c in frame.columns),
        )
        for name, frame in frames.items()
    ]


def readme_rows(include_metrics: bool = True) -> list[tuple[str, str, str]]:
    """(section, term, definition) rows for a workbook's README: terms and metrics."""
    rows = [("term", k, v) for k, v in TERMS.items()]
    if include_metrics:
        for r in list_frame().itertuples(index=False):
            rows.append(
                (
                    "metric",
                    str(r.id),
                    f"{r.label}. {r.definition} Unit: {r.unit}. Denominator: {r.denominator}. "
                    f"Applies to: {r.applies_to}. Source: {r.reference}",
                )
            )
    return rows


@audited("export.tables")
def export_tables(
    store: Store,
    study_id: int,
    fmt: str,
    out: str | Path,
    *,
    tables: Sequence[str] | None = None,
) -> list[Path]:
    """Write the study's canonical tables (all, or those named) as `fmt` to `out`."""
    from workweave.domain.errors import ValidationError

    if fmt not in FORMATS:
        raise ValidationError(f"unknown format '{fmt}' (choose from: {', '.join(FORMATS)})")
    unknown = [t for t in tables or () if t not in TABLES]
    if unknown:
        raise ValidationError(
            f"unknown table(s) {', '.join(unknown)} (tables: {', '.join(TABLES)})"
        )
    frames = study_tables(store, study_id)
    if tables:
        frames = {k: v for k, v in frames.items() if k in tables}
    name = store.studies.get(study_id).name
    return write_tables(sheets_of(frames), fmt, out, readme=readme_rows(), stem=f"{name}-tables")


def metrics_frame(store: Store, study_id: int, **options: Any) -> pd.DataFrame:
    """Metric results as ``workweave metrics`` computes them (options as for
    `workweave.services.metrics.compute`), with the plan in a column."""
    df = metrics_service.compute(store, study_id=study_id, **options)
    out = df.copy()
    out["key"] = out["key"].astype(object).where(out["key"].notna(), None)
    out["plan"] = df.attrs.get("plan", "jobplan")
    out.attrs = {}
    return out


@audited("export.metrics")
def export_metrics(
    store: Store, study_id: int, fmt: str, out: str | Path, **options: Any
) -> list[Path]:
    """Write metric results as `fmt`: `out` a file (by its extension) or a folder."""
    from workweave.domain.errors import ValidationError
    from workweave.io.exports import EXTENSIONS, write_one, write_xlsx

    if fmt not in FORMATS:
        raise ValidationError(f"unknown format '{fmt}' (choose from: {', '.join(FORMATS)})")
    frame = metrics_frame(store, study_id, **options)
    (sheet,) = sheets_of({"metrics": frame})
    sheet = Sheet(sheet.name, frame, sheet.description, sheet.labels, ("site", "metric"))
    out = Path(out)
    path = out if out.suffix.lower() == EXTENSIONS[fmt] else out / f"metrics{EXTENSIONS[fmt]}"
    if fmt == "xlsx":
        path.parent.mkdir(parents=True, exist_ok=True)
        return [write_xlsx([sheet], path, readme=readme_rows())]
    return [write_one(sheet, fmt, path)]


@audited("export.wombat")
def export_wombat(
    store: Store, study_id: int, out: str | Path, *, timezone: str | None = None
) -> Any:
    """Write every session of the study as one WOMBAT 2 CSV export (docs/wombat.md), with
    clock times in `timezone` (default: the sessions' own zone, when they share one)."""
    from workweave.domain.errors import ValidationError
    from workweave.io.wombat_export import write_wombat_export

    sessions = store.sessions.load(study_id)
    if not sessions:
        raise ValidationError("the study has no sessions to export")
    zones = sorted({s.timezone for s in sessions})
    if timezone is None:
        if len(zones) > 1:
            raise ValidationError(
                f"the sessions were recorded in several time zones ({', '.join(zones)}); "
                "give --timezone: WOMBAT clock times carry none, and the file is imported "
                "with one"
            )
        timezone = zones[0]
    templates: dict[str, Template] = {}
    for key in {s.template for s in sessions if s.template}:
        name, _, version = key.partition("@")
        try:
            templates[key] = store.studies.template(name, version or None)
        except NotFoundError:
            continue
    return write_wombat_export(sessions, templates, out, timezone=timezone)


__all__ = [
    "TABLES",
    "export_metrics",
    "export_tables",
    "export_wombat",
    "metrics_frame",
    "readme_rows",
    "sheets_of",
    "study_tables",
]
