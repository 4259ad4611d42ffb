"""Setting up a study: studies, sites, observers, participants and their job plans, the
template a study records with, and the lists the set-up pages show. Shared by the web pages,
the JSON API and the CLI.

Accounts, membership and consent are in ``workweave.services.accounts``; the SQL of the lists
is in the listings repository (``store.listings``, ``workweave.store.listings``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from workweave.domain.accounts import User
from workweave.domain.errors import NotFoundError, Problem, ValidationError
from workweave.domain.identity import check_participant_code
from workweave.domain.observation import Session
from workweave.domain.policy import DEFAULT_TIMEZONE
from workweave.domain.study import (
    JobPlan,
    JobPlanSession,
    Observer,
    Participant,
    Site,
    Study,
)
from workweave.domain.template import Template
from workweave.domain.time import from_ms, now_ms
from workweave.io.templates import DEFAULT_TEMPLATE, builtin_template, builtin_template_names
from workweave.services import accounts, audit
from workweave.store import Store


def open_store(location: str) -> Store:
    """Open the store at a path or URL, making it if it does not exist yet."""
    try:
        return Store.open(location)
    except NotFoundError:
        return Store.create(location)


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


def check_study_name(name: str) -> str:
    """A study name without surrounding spaces, or a ValidationError saying what one is."""
    name = (name or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", name):
        raise ValidationError(
            f"study name '{name}': a study name is 1-100 letters, digits, '.', '_' or '-' "
            "(it appears in addresses)"
        )
    return name


def create_study(
    store: Store, user: User, name: str, title: str = "", description: str = ""
) -> int:
    """Make a study (recording with the default template); a researcher who makes one
    becomes its researcher."""
    name = check_study_name(name)
    sid = store.studies.create(
        Study(name, title.strip() or name, description.strip()), exist_ok=False
    )
    study_template(store, sid)
    audit.record(store, "study.create", study=name, target=f"study:{name}")
    if user.role != "admin":
        accounts.grant(store, user.name, name, "researcher")
    return sid


# -- sites, participants, observers -------------------------------------------------------------


def add_site(
    store: Store,
    study_id: int,
    code: str,
    name: str = "",
    timezone: str = DEFAULT_TIMEZONE,
    description: str = "",
) -> None:
    site = Site(code.strip(), name.strip(), timezone.strip() or DEFAULT_TIMEZONE, description)
    if any(s.code == site.code for s in store.studies.sites(study_id)):
        raise ValidationError(f"site '{site.code}' already exists")
    with store.transaction() as conn:
        store.studies.add_sites(study_id, [site], conn)
        audit.record(store, "site.add", study=study_id, target=f"site:{site.code}", conn=conn)


def add_observer(store: Store, study_id: int, code: str, name: str = "") -> None:
    obs = Observer(code.strip(), name.strip())
    if any(o.code == obs.code for o in store.studies.observers(study_id)):
        raise ValidationError(f"observer '{obs.code}' already exists")
    with store.transaction() as conn:
        store.studies.add_observers(study_id, [obs], conn)
        audit.record(
            store, "observer.add", study=study_id, target=f"observer:{obs.code}", conn=conn
        )


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
    allow_name_like: bool = False,
) -> Participant:
    """Add a participant (new=True) or update one's attributes (keeping the job plan). A new
    code must be pseudonymous (`workweave.domain.identity`): spaces and '@' are refused, and
    name-like codes unless `allow_name_like`."""
    code = code.strip()
    if new:
        check_participant_code(code, allow_name_like=allow_name_like)
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
        audit.record(
            store,
            "participant.add" if new else "participant.update",
            study=study_id,
            target=f"participant:{code}",
            conn=conn,
        )
    return p


def job_plan_from_rows(rows: list[dict[str, Any]]) -> JobPlan:
    """A job plan from editor rows {weekday 0-6, start HH:MM, end HH:MM, category}; blank
    rows are skipped; every problem is reported."""
    sessions = []
    problems: list[Problem] = []
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


def save_job_plan(store: Store, study_id: int, code: str, rows: list[dict[str, Any]]) -> JobPlan:
    """Replace a participant's job plan with the one in editor rows (see `job_plan_from_rows`)."""
    plan = job_plan_from_rows(rows)
    participant(store, study_id, code)
    store.studies.set_job_plans(study_id, {code: plan})
    audit.record(store, "participant.jobplan", study=study_id, target=f"participant:{code}")
    return plan


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
    """The study's sessions (of one participant if given), latest first, as shown in lists."""
    out = []
    for r in store.listings.session_rows(study_id, participant_code=participant_code, limit=limit):
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
                "complete": r.complete,
                "tasks": r.tasks,
            }
        )
    return out


def data_version(store: Store, study_id: int) -> tuple[Any, ...]:
    """Changes whenever the study's sessions or job plans do (for caching dashboard figures)."""
    return store.listings.study_data_version(study_id)


def load_session(store: Store, study_id: int, key: str) -> Session:
    found = store.sessions.load(study_id, keys=[key])
    if not found:
        raise NotFoundError(f"no session '{key}' in this study")
    return found[0]


def set_observer_role(store: Store, study_id: int, key: str, role: str | None) -> None:
    """Record which observer's record a session is: 'primary', 'second' or not recorded
    (None or ''). Rates and shares count the primary record of co-observed sessions."""
    store.sessions.set_observer_role(study_id, key, role or None)


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


def study_template(store: Store, study_id: int, conn: Connection | None = None) -> Template:
    """The template new sessions of the study are recorded with (default: the built-in
    default template, stored on first use)."""
    if conn is None:
        with store.transaction() as c:
            return study_template(store, study_id, c)
    key = store.accounts.study_template_key(study_id, conn=conn)
    if key is not None:
        return store.studies.template(*key)
    tpl = builtin_template(DEFAULT_TEMPLATE)
    if not store.accounts.template_stored(tpl.name, tpl.version, conn=conn):
        store.studies.save_template(tpl, conn=conn)
    return tpl


def set_study_template(
    store: Store, study_id: int, name: str, version: str, by: int | None = None
) -> None:
    """Record new sessions of the study with this stored template."""
    store.accounts.set_study_template(study_id, name, version, by=by, set_ms=now_ms())
    audit.record(store, "study.template", study=study_id, target=f"template:{name}@{version}")


def choose_template(
    store: Store, study_id: int, name: str, version: str, by: int | None = None
) -> None:
    """Record new sessions of the study with template `name@version` (a built-in one is
    stored first)."""
    store.studies.save_template(find_template(store, name, version))
    set_study_template(store, study_id, name, version, by)


def capture_config(
    store: Store,
    study_id: int,
    who_role: str,
    participant_code: str | None,
    observer_code: str | None,
    user_name: str,
) -> dict[str, Any]:
    """What the capture client needs (and keeps for working offline)."""
    tpl = study_template(store, study_id)
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
    "check_study_name",
    "choose_template",
    "create_study",
    "data_version",
    "find_template",
    "job_plan_from_rows",
    "load_session",
    "open_store",
    "participant",
    "participants_view",
    "save_job_plan",
    "save_participant",
    "sessions_list",
    "set_study_template",
    "study_template",
    "template_of",
    "visible_studies",
]
