"""BORIS projects in and out, and the BORIS-compatible time budget and kappa of a study."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from workweave.analysis.boris_compat import (
    BorisObservation,
    Bout,
    BudgetRow,
    KappaResult,
    PointOccurrence,
    cohen_kappa,
    time_budget,
)
from workweave.domain.errors import ValidationError
from workweave.domain.observation import Session
from workweave.io.boris import POINT_KIND, read_project, to_project, write_project
from workweave.services.audit import audited
from workweave.store import Store, WriteCounts


@dataclass
class BorisImportResult:
    observations: int
    events: int
    sessions_in_file: int
    tasks_in_file: int
    counts: WriteCounts
    template: str
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@audited("import.boris")
def import_boris(
    store: Store,
    study_id: int,
    path: str | Path,
    *,
    timezone: str,
    site: str = "boris",
    session_start: datetime | None = None,
    observer_variable: str | None = None,
    skip_bad: bool = False,
    replace: bool = False,
) -> BorisImportResult:
    """Import a BORIS project in one transaction: every observation or none (with
    `skip_bad`, every observation without problems; the others are reported). Re-importing
    the same file changes nothing."""
    project = read_project(
        path,
        timezone=timezone,
        site=site,
        session_start=session_start,
        observer_variable=observer_variable,
        skip_bad=skip_bad,
    )
    counts = WriteCounts()
    with store.transaction() as conn:
        store.studies.save_template(project.template, merge=True, conn=conn)
        store.studies.add_sites(study_id, project.sites, conn)
        store.studies.add_observers(study_id, project.observers, conn)
        store.studies.add_participants(study_id, project.participants, conn)
        counts += store.sessions.write(study_id, project.sessions, conn, replace=replace)
    return BorisImportResult(
        observations=project.observations,
        events=project.events,
        sessions_in_file=len(project.sessions),
        tasks_in_file=project.task_count,
        counts=counts,
        template=project.template.key,
        skipped=[str(p) for p in project.skipped],
        warnings=project.warnings,
    )


@dataclass
class BorisExportResult:
    path: Path
    observations: int
    events: int
    warnings: list[str]


@audited("export.boris")
def export_boris(store: Store, study_id: int, out: str | Path) -> BorisExportResult:
    """Write every session of the study as a BORIS project (see io.boris.to_project)."""
    sessions = store.sessions.load(study_id)
    if not sessions:
        raise ValidationError("the study has no sessions to export")
    wanted = {s.template for s in sessions if s.template}
    templates = [t for t in store.studies.templates() if t.key in wanted]
    study = store.studies.get(study_id)
    export = to_project(
        sessions,
        templates,
        name=study.title or study.name,
        description=f"Exported from the workweave study '{study.name}': one observation per "
        "session, time 0 = the session start; bouts are the tasks' active time.",
    )
    path = Path(out)
    write_project(export, path)
    return BorisExportResult(path, export.observations, export.events, export.warnings)


def observation_of(session: Session) -> BorisObservation:
    """A session as BORIS sees it: its tasks' active intervals as bouts of their category
    (overlapping bouts of one category joined, as BORIS cannot hold them apart), its point
    events as point behaviours; time 0 = the session start."""
    t0 = session.start

    def rel(dt: datetime) -> int:
        return round((dt - t0).total_seconds() * 1000)

    spans: dict[str, list[tuple[int, int, str]]] = {}
    for t in session.tasks:
        mods = ";".join(f"{k}={','.join(v)}" for k, v in t.dimensions)
        for lo, hi in t.active_intervals():
            spans.setdefault(t.category, []).append((rel(lo), rel(hi), mods))
    bouts: list[Bout] = []
    for cat, items in spans.items():
        items.sort()
        merged: list[Bout] = []
        for a, b, m in items:
            if merged and a < merged[-1].stop_ms:
                last = merged[-1]
                merged[-1] = Bout(cat, last.start_ms, max(last.stop_ms, b), last.modifiers)
            else:
                merged.append(Bout(cat, a, b, m))
        bouts.extend(merged)
    points = []
    for e in session.events:
        if e.kind == POINT_KIND and e.subtype:
            beh, _, mods = e.subtype.partition("|")
        else:
            beh, mods = e.kind, e.subtype or ""
        points.append(PointOccurrence(beh, rel(e.at), mods))
    end = (
        session.end
        if session.end is not None
        else max([t.known_end for t in session.tasks] + [session.start])
    )
    subj = session.participant
    return BorisObservation(
        name=session.key,
        length_ms=rel(end),
        bouts={subj: bouts} if bouts else {},
        points={subj: points} if points else {},
    )


def _sessions(store: Store, study_id: int, idents: Sequence[str] | None) -> list[Session]:
    from workweave.services.reliability import find_session

    if not idents:
        return store.sessions.load(study_id)
    return [find_session(store, study_id, i) for i in idents]


def boris_budget(
    store: Store, study_id: int, sessions: Sequence[str] | None = None, *, group: bool = False
) -> list[BudgetRow]:
    """BORIS's time budget of each session (or of the sessions together, `group`)."""
    return time_budget(
        [observation_of(s) for s in _sessions(store, study_id, sessions)], group=group
    )


def boris_kappa(
    store: Store,
    study_id: int,
    a: str,
    b: str,
    *,
    interval_s: float = 1.0,
    include_modifiers: bool = False,
) -> KappaResult:
    """BORIS's time-unit Cohen's kappa of two sessions, each on its own timeline from its
    start (as BORIS compares two observations), the participant as the subject."""
    sa, sb = _sessions(store, study_id, [a, b])
    if sa.key == sb.key:
        raise ValidationError("a session cannot be compared with itself")
    oa, ob = observation_of(sa), observation_of(sb)
    # one subject: BORIS compares the same subject in both observations
    subj = sa.participant
    if sb.participant != subj:
        ob.bouts = {subj: ob.bouts.get(sb.participant, [])}
        ob.points = {subj: ob.points.get(sb.participant, [])}
    try:
        return cohen_kappa(
            oa, ob, interval_s=interval_s, subjects=[subj], include_modifiers=include_modifiers
        )
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


__all__ = [
    "BorisExportResult",
    "BorisImportResult",
    "boris_budget",
    "boris_kappa",
    "export_boris",
    "import_boris",
    "observation_of",
]
