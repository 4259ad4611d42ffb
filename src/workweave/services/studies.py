"""Use cases: set up a workspace, import data, simulate, summarise."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from workweave.analysis.summary import summarise
from workweave.domain.errors import Problem, ValidationError
from workweave.domain.identity import fold_id, name_like_reason
from workweave.domain.observation import Session
from workweave.domain.policy import DEFAULT_TIMEZONE
from workweave.domain.study import JobPlan, Participant, Study
from workweave.domain.template import Template
from workweave.domain.time import now_ms
from workweave.io.jobplan import read_job_plans
from workweave.io.roles import RoleMap, read_roles
from workweave.io.templates import DEFAULT_TEMPLATE, builtin_template
from workweave.io.wombat import WombatExport, read_many
from workweave.services import audit
from workweave.store import Store, WriteCounts
from workweave.workspace import DEFAULT_STORE_FILE, SETTINGS_FILE, write_settings

Progress = Callable[[int], None]  # called with the number of tasks just written


def init_workspace(
    folder: Path,
    *,
    study: str | None = None,
    title: str = "",
    store: str | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    synthetic: bool = False,
) -> tuple[Store, int]:
    """Make a workspace in `folder`: settings file, store (SQLite by default) and a study using
    the default template. Running it again on an existing workspace changes nothing."""
    from workweave.domain.study import check_timezone

    check_timezone(timezone)
    folder.mkdir(parents=True, exist_ok=True)
    from workweave.services.setup import check_study_name

    name = check_study_name(study) if study is not None else _slug(folder.resolve().name) or "study"
    location = store or DEFAULT_STORE_FILE
    target = location if "://" in location else str(folder / location)
    st = Store.create(target)
    sid = st.studies.create(Study(name=name, title=title or name, synthetic=synthetic))
    st.studies.save_template(builtin_template(DEFAULT_TEMPLATE))
    if not (folder / SETTINGS_FILE).exists():
        write_settings(folder, study=name, store=location, timezone=timezone)
    return st, sid


@dataclass
class ImportResult:
    files: int
    counts: WriteCounts
    sessions_in_files: int
    tasks_in_files: int
    interruptions_in_files: int = 0
    suspensions_in_files: int = 0
    time_mismatches: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)


def import_wombat(
    store: Store,
    study_id: int,
    paths: Sequence[str | Path],
    *,
    timezone: str,
    replace: bool = False,
    profession: str | None = None,
    template_name: str | None = None,
    primary_observer: str | None = None,
    roles: str | Path | None = None,
    casefold_ids: bool = False,
) -> ImportResult:
    """Import WOMBAT exports: all of them in one transaction, or none if any file is bad.

    Observer roles (which record of a co-observed session rates count): ``primary_observer``
    names the observer whose sessions are ``primary``; ``roles`` is a role mapping file
    (`workweave.io.roles`) by observer or by session id, which wins over it. Sessions already
    stored take the roles given (a role is not part of a session's content)."""
    role_map = read_roles(roles) if roles is not None else None
    exports: list[WombatExport] = read_many(
        paths, timezone=timezone, profession=profession, template_name=template_name
    )
    warnings = _assign_roles(exports, primary_observer, role_map)
    warnings += _participant_ids(exports, casefold_ids)
    counts = WriteCounts()
    templates: dict[str, Template] = {}
    for e in exports:
        k = e.template.key
        templates[k] = templates[k].merged_with(e.template) if k in templates else e.template
    with store.transaction() as conn:
        for t in templates.values():
            store.studies.save_template(t, merge=True, conn=conn)
        for e in exports:
            store.studies.add_sites(study_id, e.sites, conn)
            store.studies.add_observers(study_id, e.observers, conn)
            store.studies.add_participants(study_id, e.participants, conn)
            counts += store.sessions.write(study_id, e.sessions, conn, replace=replace)
        audit.record(
            store,
            "import.wombat",
            study=study_id,
            details={
                "files": [Path(p).name for p in paths][:50],
                "sessions_added": counts.sessions_added,
                "casefold_ids": casefold_ids,
            },
            conn=conn,
        )
    return ImportResult(
        files=len(exports),
        counts=counts,
        sessions_in_files=sum(len(e.sessions) for e in exports),
        tasks_in_files=sum(e.task_count for e in exports),
        interruptions_in_files=sum(e.interruption_count for e in exports),
        suspensions_in_files=sum(e.suspension_count for e in exports),
        time_mismatches=[m for e in exports for m in e.time_mismatches()],
        warnings=[w for e in exports for w in e.warnings] + warnings,
        templates=sorted(templates),
    )


def _participant_ids(exports: list[WombatExport], casefold: bool) -> list[str]:
    """Fold participant ids to one case when asked (``C2:Ilaria`` and ``c2:ilaria`` become one
    person); warnings for ids that differ only in case, and for name-like ids."""
    warnings: list[str] = []
    codes = sorted({p.code for e in exports for p in e.participants})
    by_fold: dict[str, list[str]] = {}
    for c in codes:
        by_fold.setdefault(fold_id(c), []).append(c)
    if casefold:
        for e in exports:
            people: dict[str, Participant] = {}
            for p in e.participants:
                people.setdefault(fold_id(p.code), replace(p, code=fold_id(p.code)))
            e.participants = list(people.values())
            e.sessions = [replace(s, participant=fold_id(s.participant)) for s in e.sessions]
    else:
        for variants in by_fold.values():
            if len(variants) > 1:
                warnings.append(
                    f"participant ids {', '.join(variants)} differ only in case: they are kept as "
                    "different people (--casefold-ids makes them one)"
                )
    named = [c for c in codes if name_like_reason(c)]
    if named:
        shown = ", ".join(named[:10]) + (f" and {len(named) - 10} more" if len(named) > 10 else "")
        warnings.append(
            f"{len(named)} participant id(s) look like names or e-mail addresses ({shown}): "
            "the store should hold pseudonymous codes only; keep real identities in the key "
            "store ('workweave keys') and re-code the export"
        )
    return warnings


def _assign_roles(
    exports: list[WombatExport], primary: str | None, role_map: RoleMap | None
) -> list[str]:
    """Set the observer role of the exports' sessions; warnings for codes no file holds."""
    if primary is None and role_map is None:
        return []
    observers = {s.observer for e in exports for s in e.sessions if s.observer}
    source_ids = {s.source_id for e in exports for s in e.sessions if s.source_id}
    if primary is not None and primary not in observers:
        shown = ", ".join(sorted(observers)[:20])
        raise ValidationError(
            f"--primary-observer: no observer '{primary[:64]}' in the file(s) (observers: {shown})"
        )
    warnings: list[str] = []
    if role_map is not None:
        for code in sorted(set(role_map.by_observer) - observers):
            warnings.append(f"role mapping: no observer '{code}' in the file(s)")
        for code in sorted(set(role_map.by_session) - source_ids):
            warnings.append(f"role mapping: no session '{code}' in the file(s)")
    for e in exports:
        updated = []
        for s in e.sessions:
            role = role_map.role(s.observer, s.source_id) if role_map is not None else None
            if role is None and primary is not None and s.observer == primary:
                role = "primary"
            updated.append(replace(s, observer_role=role) if role is not None else s)
        e.sessions = updated
    return warnings


def _plan_key(plan: JobPlan) -> list[tuple[int, str, str, str]]:
    return sorted((s.weekday, str(s.start), str(s.end), s.category) for s in plan.sessions)


def import_job_plans(
    store: Store, study_id: int, path: str | Path, *, replace: bool = False
) -> dict[str, float]:
    """Set the job plans of the participants in a job-plan CSV; returns weekly hours.

    A participant who already has a different plan keeps it unless `replace` is given: a file
    cut short at a row boundary must not silently replace a plan with part of it. The refusal
    lists, for each such participant, the plan held and the plan in the file."""
    plans = read_job_plans(path)
    held = {p.code: p.job_plan for p in store.studies.participants(study_id)}
    changes = []
    for code, plan in sorted(plans.items()):
        old = held.get(code)
        if old is None or not old.sessions or _plan_key(old) == _plan_key(plan):
            continue
        changes.append(
            Problem(
                f"participant {code} has a job plan of {len(old.sessions)} session(s), "
                f"{old.weekly_hours:.2f} h/week; the file gives {len(plan.sessions)} "
                f"session(s), {plan.weekly_hours:.2f} h/week",
                Path(path).name,
            )
        )
    if changes and not replace:
        changes.append(
            Problem("give --replace to replace these plans (nothing was changed)", Path(path).name)
        )
        raise ValidationError(changes)
    store.studies.set_job_plans(study_id, plans)
    audit.record(
        store,
        "import.jobplans",
        study=study_id,
        details={"file": Path(path).name, "participants": len(plans)},
    )
    return {code: plan.weekly_hours for code, plan in plans.items()}


def write_stream(
    store: Store,
    study_id: int,
    sessions: Iterable[Session],
    *,
    batch_tasks: int = 20_000,
    progress: Progress | None = None,
) -> WriteCounts:
    """Write a stream of sessions in batches of about `batch_tasks` tasks, in one transaction,
    so memory stays bounded however long the stream is."""
    counts = WriteCounts()
    batch: list[Session] = []
    pending = 0
    with store.transaction() as conn:
        for s in sessions:
            batch.append(s)
            pending += len(s.tasks)
            if pending >= batch_tasks:
                counts += store.sessions.write(study_id, batch, conn)
                if progress:
                    progress(pending)
                batch, pending = [], 0
        if batch:
            counts += store.sessions.write(study_id, batch, conn)
            if progress:
                progress(pending)
    return counts


def simulate_into(
    store: Store,
    *,
    seed: int = 7,
    target_tasks: int | None = None,
    study: str | None = None,
    progress: Progress | None = None,
    config: Any = None,
) -> tuple[int, WriteCounts, Any]:
    """Simulate a synthetic study into the store (a new study; refused if the name exists).
    `config` (a `SimulationConfig`) replaces the default configuration of `seed` and
    `target_tasks`; the reorganisations it plants are recorded as site events."""
    from workweave.simulate import SimulationConfig, simulate

    sim = simulate(config or SimulationConfig(seed=seed, target_tasks=target_tasks))
    st = sim.study
    if study:
        st = Study(name=study, title=st.title, description=st.description, synthetic=True)
    sid = store.studies.create(st, exist_ok=False)
    with store.transaction() as conn:
        store.studies.save_template(builtin_template(DEFAULT_TEMPLATE), conn=conn)
        store.studies.add_sites(sid, sim.sites, conn)
        store.studies.add_observers(sid, sim.observers, conn)
        store.studies.add_participants(sid, sim.participants, conn)
        for r in sim.reorganisations:
            store.events.add(sid, r.site, r.day, r.label, r.kind, created_ms=now_ms(), conn=conn)
    counts = write_stream(store, sid, sim.iter_sessions(), progress=progress)
    audit.record(
        store,
        "import.simulate",
        study=sid,
        details={"seed": seed, "sessions_added": counts.sessions_added, "synthetic": True},
    )
    return sid, counts, sim


def create_demo_workspace(
    folder: Path, *, seed: int = 7, progress: Progress | None = None
) -> tuple[Store, int, WriteCounts]:
    """A workspace folder holding the SYNTHETIC demo study (study name `demo`), replacing any
    demo store already there: `workweave demo` and the tested documentation examples use it."""
    from workweave.workspace import write_settings

    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("workweave.sqlite", "workweave.sqlite-wal", "workweave.sqlite-shm"):
        (folder / name).unlink(missing_ok=True)
    store = Store.create(folder / "workweave.sqlite")
    from workweave.simulate import demo_config

    # a year of shadowing with two planted styles and one reorganisation (docs/simulator.md)
    sid, counts, _ = simulate_into(store, study="demo", progress=progress, config=demo_config(seed))
    write_settings(folder, study="demo", store="workweave.sqlite", timezone=DEFAULT_TIMEZONE)
    return store, sid, counts


def summary(store: Store, study_id: int, *, observers: str | None = None) -> dict[str, Any]:
    """Sessions, tasks, observed hours and interruptions, overall and by site, participant and
    observer; co-observed sessions counted once unless ``observers='all'``."""
    # Arrow tables: the summary only scans them, and reading is several times faster
    frames = store.analytic.arrow(("sessions", "tasks", "suspensions", "point_events"), study_id)
    study = store.studies.get(study_id)
    out = {"study": study.name, "title": study.title, "synthetic": study.synthetic}
    out.update(summarise(frames, observers=observers))
    # consent acts: the analytic reads leave out participants who withdrew; say how many
    out["excluded_withdrawn"] = len(store.analytic.withdrawn(study_id))
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


__all__ = [
    "ImportResult",
    "ValidationError",
    "import_job_plans",
    "import_wombat",
    "init_workspace",
    "simulate_into",
    "summary",
    "write_stream",
]
