"""What the web pages and the JSON API do, as plain functions over the store, shared by both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from workweave.domain.errors import NotFoundError, Problem, ValidationError
from workweave.domain.observation import Session
from workweave.domain.study import (
    JobPlan,
    JobPlanSession,
    Observer,
    Participant,
    Site,
    Study,
)
from workweave.domain.template import Template
from workweave.domain.time import from_ms
from workweave.io.templates import builtin_template, builtin_template_names
from workweave.store import Store
from workweave.store import schema as S
from workweave.web import accounts
from workweave.web.accounts import User


@dataclass(frozen=True)
class StudyView:
    name: str
    title: str
    description: str
    synthetic: bool
    role: str


def visible_studies(store: Store, user: User) -> list[StudyView]:
    """The studies a user may see: all for an admin, else those they are a member of."""
    if user.role == "admin":
        return [
            StudyView(s.name, s.title, s.description, s.synthetic, "admin")
            for s in store.studies.all()
        ]
    roles = {m.study: m.role for m in accounts.memberships(store, user.id)}
    return [
        StudyView(s.name, s.title, s.description, s.synthetic, roles[s.name])
        for s in store.studies.all()
        if s.name in roles
    ]


def create_study(
    store: Store, user: User, name: str, title: str = "", description: str = ""
) -> int:
    import re

    name = (name or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", name):
        raise ValidationError(
            "a study name is 1-100 letters, digits, '.', '_' or '-' (it appears in addresses)"
        )
    sid = store.studies.create(
        Study(name, title.strip() or name, description.strip()), exist_ok=False
    )
    accounts.study_template(store, sid)
    if user.role != "admin":
        accounts.grant(store, user.name, name, "researcher")
    return sid


# -- sites, participants, observers -------------------------------------------------------------


def add_site(
    store: Store,
    study_id: int,
    code: str,
    name: str = "",
    timezone: str = "Europe/London",
    description: str = "",
) -> None:
    site = Site(code.strip(), name.strip(), timezone.strip() or "Europe/London", description)
    if any(s.code == site.code for s in store.studies.sites(study_id)):
        raise ValidationError(f"site '{site.code}' already exists")
    with store.transaction() as conn:
        store.studies.add_sites(study_id, [site], conn)


def add_observer(store: Store, study_id: int, code: str, name: str = "") -> None:
    obs = Observer(code.strip(), name.strip())
    if any(o.code == obs.code for o in store.studies.observers(study_id)):
        raise ValidationError(f"observer '{obs.code}' already exists")
    with store.transaction() as conn:
        store.studies.add_observers(study_id, [obs], conn)


def participant(store: Store, study_id: int, code: str) -> Participant:
    found = next((p for p in store.studies.participants(study_id) if p.code == code), None)
    if found is None:
        raise NotFoundError(f"no participant '{code}' in this study")
    return found


def _opt_int(v: Any) -> int | None:
    if v in (None, ""):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        raise ValidationError(f"'{v}' is not a whole number") from None


def _opt_float(v: Any) -> float | None:
    if v in (None, ""):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        raise ValidationError(f"'{v}' is not a number") from None


def save_participant(
    store: Store,
    study_id: int,
    code: str,
    *,
    site: str,
    profession: str = "other",
    band: str | None = None,
    pay_point: Any = None,
    contracted_hours: Any = None,
    new: bool,
) -> Participant:
    """Add a participant (new=True) or update one's attributes (keeping the job plan)."""
    code = code.strip()
    existing = {p.code: p for p in store.studies.participants(study_id)}
    if new and code in existing:
        raise ValidationError(f"participant '{code}' already exists")
    if not new and code not in existing:
        raise NotFoundError(f"no participant '{code}' in this study")
    p = Participant(
        code=code,
        site=site,
        profession=profession or "other",
        band=band or None,
        pay_point=_opt_int(pay_point),
        job_plan=existing[code].job_plan if code in existing else JobPlan(),
        contracted_hours=_opt_float(contracted_hours),
        attributes=existing[code].attributes if code in existing else (),
    )
    with store.transaction() as conn:
        store.studies.add_participants(study_id, [p], conn, update_existing=True)
    return p


def job_plan_from_rows(rows: list[dict[str, Any]]) -> JobPlan:
    """A job plan from editor rows {weekday 0-6, start HH:MM, end HH:MM, category}; blank
    rows are skipped; every problem is reported."""
    sessions = []
    problems = []
    for n, r in enumerate(rows, start=1):
        if not (r.get("start") or r.get("end")):
            continue
        try:
            sessions.append(
                JobPlanSession(
                    int(r.get("weekday", -1)),
                    time.fromisoformat(str(r.get("start", "")).strip()),
                    time.fromisoformat(str(r.get("end", "")).strip()),
                    str(r.get("category", "")),
                )
            )
        except ValidationError as exc:
            problems.extend(Problem(f"row {n}: {p.reason}") for p in exc.problems)
        except ValueError:
            problems.append(Problem(f"row {n}: times must be HH:MM and the weekday 0-6"))
    if problems:
        raise ValidationError(problems)
    return JobPlan(tuple(sessions))


def participants_view(store: Store, study_id: int) -> list[dict[str, Any]]:
    consent = accounts.consents(store, study_id)
    out = []
    for p in store.studies.participants(study_id):
        c = consent.get(p.code)
        out.append(
            {
                "code": p.code,
                "site": p.site,
                "profession": p.profession,
                "band": p.band,
                "pay_point": p.pay_point,
                "weekly_hours": p.weekly_hours,
                "job_plan_sessions": len(p.job_plan.sessions),
                "consent": bool(c and c.given),
                "consent_recorded": c.recorded_ms if c else None,
            }
        )
    return out


# -- sessions ---------------------------------------------------------------------------------


def sessions_list(
    store: Store,
    study_id: int,
    *,
    participant_code: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    n_tasks = (
        select(S.tasks.c.session_id, func.count().label("n"))
        .group_by(S.tasks.c.session_id)
        .subquery()
    )
    q = (
        select(
            S.sessions.c.key,
            S.sessions.c.mode,
            S.sessions.c.source,
            S.sessions.c.start_ms,
            S.sessions.c.end_ms,
            S.sessions.c.known_end_ms,
            S.sessions.c.complete,
            S.sessions.c.timezone,
            S.participants.c.code.label("participant"),
            S.sites.c.code.label("site"),
            S.observers.c.code.label("observer"),
            func.coalesce(n_tasks.c.n, 0).label("tasks"),
        )
        .join(S.participants, S.participants.c.id == S.sessions.c.participant_id)
        .join(S.sites, S.sites.c.id == S.sessions.c.site_id)
        .outerjoin(S.observers, S.observers.c.id == S.sessions.c.observer_id)
        .outerjoin(n_tasks, n_tasks.c.session_id == S.sessions.c.id)
        .where(S.sessions.c.study_id == study_id)
        .order_by(S.sessions.c.start_ms.desc(), S.sessions.c.key)
        .limit(limit)
    )
    if participant_code is not None:
        q = q.where(S.participants.c.code == participant_code)
    with store.engine.connect() as conn:
        rows = conn.execute(q).all()
    out = []
    for r in rows:
        zone = ZoneInfo(r.timezone)
        start = from_ms(r.start_ms)
        assert start is not None
        out.append(
            {
                "key": r.key,
                "mode": r.mode,
                "source": r.source,
                "participant": r.participant,
                "site": r.site,
                "observer": r.observer,
                "start": start.isoformat(),
                "local_start": start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                "hours": round((r.known_end_ms - r.start_ms) / 3_600_000, 2),
                "complete": bool(r.complete),
                "tasks": int(r.tasks),
            }
        )
    return out


def load_session(store: Store, study_id: int, key: str) -> Session:
    found = store.sessions.load(study_id, keys=[key])
    if not found:
        raise NotFoundError(f"no session '{key}' in this study")
    return found[0]


def template_of(store: Store, session: Session) -> Template | None:
    if session.template:
        name, _, version = session.template.rpartition("@")
        try:
            return store.studies.template(name, version)
        except NotFoundError:
            return None
    return None


# -- templates ----------------------------------------------------------------------------------


def all_templates(store: Store) -> list[tuple[Template, str]]:
    """(template, 'store' or 'built-in') for every template known."""
    stored = store.studies.templates()
    keys = {t.key for t in stored}
    out = [(t, "store") for t in stored]
    for name in builtin_template_names():
        t = builtin_template(name)
        if t.key not in keys:
            out.append((t, "built-in"))
    return out


def find_template(store: Store, name: str, version: str) -> Template:
    try:
        return store.studies.template(name, version)
    except NotFoundError:
        if name in builtin_template_names():
            t = builtin_template(name)
            if t.version == version:
                return t
        raise


def capture_config(
    store: Store,
    study_id: int,
    who_role: str,
    participant_code: str | None,
    observer_code: str | None,
    user_name: str,
) -> dict[str, Any]:
    """What the capture client needs (and keeps for working offline)."""
    tpl = accounts.study_template(store, study_id)
    people = participants_view(store, study_id)
    if who_role == "participant":
        people = [p for p in people if p["code"] == participant_code]
    return {
        "study": store.studies.get(study_id).name,
        "template": tpl.to_dict(),
        "template_key": tpl.key,
        "participants": [
            {
                "code": p["code"],
                "site": p["site"],
                "profession": p["profession"],
                "consent": p["consent"],
            }
            for p in people
        ],
        "observer": observer_code or (user_name if who_role != "participant" else None),
        "mode": "self-report" if who_role == "participant" else "shadowing",
        "role": who_role,
    }


__all__ = [
    "StudyView",
    "add_observer",
    "add_site",
    "all_templates",
    "capture_config",
    "create_study",
    "find_template",
    "job_plan_from_rows",
    "load_session",
    "participant",
    "participants_view",
    "save_participant",
    "sessions_list",
    "template_of",
    "visible_studies",
]
