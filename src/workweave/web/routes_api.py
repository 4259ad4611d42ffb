"""The JSON API under /api (its OpenAPI schema is at /api/openapi.json)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from workweave.domain.errors import NotFoundError, ValidationError
from workweave.io.templates import parse_template
from workweave.services import accounts, setup
from workweave.services import capture as capture_service
from workweave.web import headline
from workweave.web.auth import (
    ANY_ROLE,
    AuthError,
    Principal,
    Require,
    RequireStudy,
    StudyPrincipal,
    csrf_token,
    current_user,
    sign_in,
    sign_out,
    store_of,
    study_principal,
)
from workweave.web.timeline import layout

router = APIRouter(prefix="/api")

ADMIN = Require("admin")
MANAGE = Require("admin", "researcher")
ANYONE = Require(*ANY_ROLE)
# -- in the route's study
STUDY_MANAGE = RequireStudy("admin", "researcher")
STUDY_STAFF = RequireStudy("admin", "researcher", "observer")
STUDY_ANYONE = RequireStudy(*ANY_ROLE)
STUDY_PARTICIPANT = RequireStudy("participant")

Who = Principal
InStudy = StudyPrincipal


# -- models ---------------------------------------------------------------------------------------


class LoginIn(BaseModel):
    name: str
    password: str


class MembershipOut(BaseModel):
    study: str
    role: str
    observer_code: str | None = None
    participant_code: str | None = None


class UserOut(BaseModel):
    name: str
    role: str
    memberships: list[MembershipOut] = []


class SessionOut(BaseModel):
    user: UserOut | None
    csrf: str = Field(description="Send it as X-CSRF-Token with every POST.")


class StudyIn(BaseModel):
    name: str
    title: str = ""
    description: str = ""


class StudyOut(BaseModel):
    name: str
    title: str
    description: str
    synthetic: bool
    role: str


class SiteIn(BaseModel):
    code: str
    name: str = ""
    timezone: str = "Europe/London"
    description: str = ""


class ObserverIn(BaseModel):
    code: str
    name: str = ""


class ParticipantIn(BaseModel):
    code: str
    site: str
    profession: str = "other"
    band: str | None = None
    pay_point: int | None = None
    contracted_hours: float | None = None


class ConsentIn(BaseModel):
    given: bool = Field(description="True: consent given; false: consent withdrawn.")
    form_version: str = ""
    note: str = ""


class MemberIn(BaseModel):
    user: str
    role: Literal["researcher", "observer", "participant"]
    code: str | None = Field(None, description="Observer code, or the participant's code.")


class UserIn(BaseModel):
    name: str
    role: Literal["admin", "researcher", "observer", "participant"]
    password: str


class TemplateIn(BaseModel):
    text: str = Field(description="The template as YAML or JSON text.")


class TemplateChoice(BaseModel):
    name: str
    version: str


class SyncIn(BaseModel):
    study: str
    clock: int | None = Field(None, description="The device's clock when it sent the batch (ms).")
    actions: list[dict[str, Any]] = Field(
        description="Actions {uuid, session, seq, type, t, payload}: uuid made by the device "
        "(the key that makes sync idempotent), session the capture session's id, seq the "
        "device's order within the session, type one of session_start, task_start, task_end, "
        "resume, dims, event, note, task_add, edit, undo, session_end, t the device's clock "
        "in ms since 1970 (UTC). Each is checked on its own."
    )


class Rejected(BaseModel):
    uuid: str
    reason: str


class SyncOut(BaseModel):
    stored: list[str]
    duplicates: list[str]
    rejected: list[Rejected]
    sessions: list[dict[str, Any]]
    server_ms: int
    clock_skew_ms: int | None


class StartIn(BaseModel):
    uuid: str
    session: str
    participant: str
    t: int
    seq: int = 0
    mode: Literal["shadowing", "self-report"] = "shadowing"
    clock: int | None = None


class CorrectionIn(BaseModel):
    target: str = Field(description="A task, point event or note key.")
    field: str = Field(description="Tasks: category, subcategory, start, end, deleted; ...")
    value: Any = None


class DiaryEntry(BaseModel):
    category: str
    start: str = Field(description="HH:MM, the site's local time")
    end: str
    dims: dict[str, list[str]] = {}


class DiaryIn(BaseModel):
    date: dt.date
    entries: list[DiaryEntry]


# -- session ---------------------------------------------------------------------------------------


def _user_out(request: Request, user: accounts.User) -> UserOut:
    ms = accounts.memberships(store_of(request), user.id)
    return UserOut(
        name=user.name,
        role=user.role,
        memberships=[
            MembershipOut(
                study=m.study,
                role=m.role,
                observer_code=m.observer_code,
                participant_code=m.participant_code,
            )
            for m in ms
        ],
    )


@router.get("/session", response_model=SessionOut, tags=["session"])
def get_session(request: Request) -> SessionOut:
    """Who is signed in (or null), and the CSRF token for state-changing requests."""
    user = current_user(request)
    return SessionOut(user=_user_out(request, user) if user else None, csrf=csrf_token(request))


@router.post("/login", response_model=SessionOut, tags=["session"])
def login(request: Request, body: LoginIn) -> SessionOut:
    user = accounts.authenticate(store_of(request), body.name, body.password)
    if user is None:
        raise AuthError(401, "wrong user name or password")
    sign_in(request, user)
    return SessionOut(user=_user_out(request, user), csrf=csrf_token(request))


@router.post("/logout", tags=["session"])
def logout(request: Request) -> dict[str, bool]:
    sign_out(request)
    return {"signed_out": True}


@router.get("/me", response_model=SessionOut, tags=["session"])
def me(request: Request, who: Annotated[Who, Depends(ANYONE)]) -> SessionOut:
    return SessionOut(user=_user_out(request, who.user), csrf=csrf_token(request))


# -- studies --------------------------------------------------------------------------------------


@router.get("/studies", response_model=list[StudyOut], tags=["studies"])
def list_studies(request: Request, who: Annotated[Who, Depends(ANYONE)]) -> list[StudyOut]:
    return [StudyOut(**s.__dict__) for s in setup.visible_studies(store_of(request), who.user)]


@router.post("/studies", response_model=StudyOut, status_code=201, tags=["studies"])
def create_study(request: Request, body: StudyIn, who: Annotated[Who, Depends(MANAGE)]) -> StudyOut:
    store = store_of(request)
    setup.create_study(store, who.user, body.name, body.title, body.description)
    study = next(s for s in setup.visible_studies(store, who.user) if s.name == body.name)
    return StudyOut(**study.__dict__)


@router.get("/studies/{study}", tags=["studies"])
def study_summary(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_STAFF)]
) -> dict[str, Any]:
    """The study summary: sessions, tasks, observed hours, interruptions, by group."""
    from workweave.services.studies import summary

    return summary(store_of(request), who.study_id)


@router.get("/studies/{study}/metrics", tags=["studies"])
def study_metrics(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_STAFF)]
) -> dict[str, Any]:
    """Headline metrics from the metric registry (or the summary when it is not installed)."""
    return headline.headline(store_of(request), who.study_id)


@router.get("/studies/{study}/sites", tags=["set-up"])
def list_sites(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_STAFF)]
) -> list[Any]:
    return [s.__dict__ for s in store_of(request).studies.sites(who.study_id)]


@router.post("/studies/{study}/sites", status_code=201, tags=["set-up"])
def add_site(
    request: Request, study: str, body: SiteIn, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> dict[str, str]:
    setup.add_site(
        store_of(request), who.study_id, body.code, body.name, body.timezone, body.description
    )
    return {"code": body.code}


@router.get("/studies/{study}/observers", tags=["set-up"])
def list_observers(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> list[Any]:
    return [o.__dict__ for o in store_of(request).studies.observers(who.study_id)]


@router.post("/studies/{study}/observers", status_code=201, tags=["set-up"])
def add_observer(
    request: Request, study: str, body: ObserverIn, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> dict[str, str]:
    setup.add_observer(store_of(request), who.study_id, body.code, body.name)
    return {"code": body.code}


@router.get("/studies/{study}/participants", tags=["set-up"])
def list_participants(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_STAFF)]
) -> list[dict[str, Any]]:
    """Participants with their consent status (observers need it to start a session)."""
    return setup.participants_view(store_of(request), who.study_id)


@router.post("/studies/{study}/participants", status_code=201, tags=["set-up"])
def add_participant(
    request: Request,
    study: str,
    body: ParticipantIn,
    who: Annotated[InStudy, Depends(STUDY_MANAGE)],
) -> dict[str, str]:
    setup.save_participant(
        store_of(request),
        who.study_id,
        body.code,
        site=body.site,
        profession=body.profession,
        band=body.band,
        pay_point=body.pay_point,
        contracted_hours=body.contracted_hours,
        new=True,
    )
    return {"code": body.code}


@router.post("/studies/{study}/participants/{code}/consent", tags=["set-up"])
def record_consent(
    request: Request,
    study: str,
    code: str,
    body: ConsentIn,
    who: Annotated[InStudy, Depends(STUDY_MANAGE)],
) -> dict[str, Any]:
    """Record consent given (or withdrawn). Observation of a participant needs it."""
    accounts.record_consent(
        store_of(request),
        who.study_id,
        code,
        given=body.given,
        by=who.user.id,
        form_version=body.form_version,
        note=body.note,
    )
    return {"participant": code, "consent": body.given}


@router.get("/studies/{study}/members", tags=["set-up"])
def list_members(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> list[dict[str, Any]]:
    return [
        {"user": name, **m.__dict__}
        for name, m in accounts.members(store_of(request), who.study_id)
    ]


@router.post("/studies/{study}/members", status_code=201, tags=["set-up"])
def add_member(
    request: Request, study: str, body: MemberIn, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> dict[str, Any]:
    m = accounts.grant(store_of(request), body.user, study, body.role, code=body.code)
    return {"user": body.user, **m.__dict__}


@router.post("/studies/{study}/template", tags=["set-up"])
def choose_template(
    request: Request,
    study: str,
    body: TemplateChoice,
    who: Annotated[InStudy, Depends(STUDY_MANAGE)],
) -> dict[str, str]:
    """The template new sessions of the study are recorded with."""
    setup.choose_template(store_of(request), who.study_id, body.name, body.version, who.user.id)
    return {"template": f"{body.name}@{body.version}"}


# -- templates ------------------------------------------------------------------------------------


@router.get("/templates", tags=["templates"])
def list_templates(request: Request, who: Annotated[Who, Depends(MANAGE)]) -> list[dict[str, Any]]:
    return [
        {"name": t.name, "version": t.version, "title": t.title, "where": where}
        for t, where in setup.all_templates(store_of(request))
    ]


@router.get("/templates/{name}/{version}", tags=["templates"])
def get_template(
    request: Request, name: str, version: str, who: Annotated[Who, Depends(MANAGE)]
) -> dict[str, Any]:
    return setup.find_template(store_of(request), name, version).to_dict()


@router.post("/templates", status_code=201, tags=["templates"])
def upload_template(
    request: Request, body: TemplateIn, who: Annotated[Who, Depends(MANAGE)]
) -> dict[str, Any]:
    """Store a template from YAML or JSON text (a changed template needs a new version)."""
    tpl = parse_template(body.text, "uploaded template")
    store_of(request).studies.save_template(tpl)
    return {"name": tpl.name, "version": tpl.version, "categories": len(tpl.categories)}


# -- users ----------------------------------------------------------------------------------------


@router.get("/users", tags=["users"])
def list_users(request: Request, who: Annotated[Who, Depends(ADMIN)]) -> list[dict[str, Any]]:
    return [
        {"name": u.name, "role": u.role, "active": u.active}
        for u in accounts.users(store_of(request))
    ]


@router.post("/users", status_code=201, tags=["users"])
def add_user(request: Request, body: UserIn, who: Annotated[Who, Depends(ADMIN)]) -> dict[str, str]:
    u = accounts.add_user(store_of(request), body.name, body.role, body.password)
    return {"name": u.name, "role": u.role}


# -- capture --------------------------------------------------------------------------------------


@router.get("/studies/{study}/capture-config", tags=["capture"])
def capture_config(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_ANYONE)]
) -> dict[str, Any]:
    """The study's template and the participants one may record (with consent), for the
    capture client to keep offline."""
    return setup.capture_config(
        store_of(request),
        who.study_id,
        who.role,
        who.participant_code,
        who.observer_code,
        who.user.name,
    )


@router.post("/studies/{study}/capture/start", response_model=SyncOut, tags=["capture"])
def capture_start(
    request: Request, study: str, body: StartIn, who: Annotated[InStudy, Depends(STUDY_ANYONE)]
) -> Any:
    """Start a session (its first action). Refused (409) for a participant without consent."""
    action = {
        "uuid": body.uuid,
        "session": body.session,
        "seq": body.seq,
        "type": "session_start",
        "t": body.t,
        "payload": {"participant": body.participant, "mode": body.mode},
    }
    report = capture_service.ingest(
        store_of(request), who.study_id, who.actor(), [action], clock_ms=body.clock
    )
    if report.rejected:
        from fastapi.responses import JSONResponse

        return JSONResponse(
            {"detail": report.rejected[0]["reason"], **report.as_dict()}, status_code=409
        )
    return report.as_dict()


@router.post("/sync", response_model=SyncOut, tags=["capture"])
def sync_actions(request: Request, body: SyncIn, who: Annotated[Who, Depends(ANYONE)]) -> Any:
    """Store a batch of capture actions. Idempotent: an action already stored (same UUID) is
    reported under `duplicates` and changes nothing. Actions are checked one by one; those
    refused are listed under `rejected` with the reason."""
    member = study_principal(request, who.user, body.study)
    report = capture_service.ingest(
        store_of(request), member.study_id, member.actor(), body.actions, clock_ms=body.clock
    )
    return report.as_dict()


@router.post("/studies/{study}/diary", response_model=SyncOut, tags=["capture"])
def diary(
    request: Request, study: str, body: DiaryIn, who: Annotated[InStudy, Depends(STUDY_PARTICIPANT)]
) -> Any:
    """Add end-of-day diary entries (a self-report session for the day)."""
    report = capture_service.record_diary(
        store_of(request),
        who.study_id,
        who.actor(),
        body.date,
        [e.model_dump() for e in body.entries],
    )
    return report.as_dict()


# -- sessions -----------------------------------------------------------------------------------


def _own_or_staff(who: Principal, session_participant: str) -> None:
    if who.role == "participant" and session_participant != who.participant_code:
        raise AuthError(403, "participants see only their own sessions")


@router.get("/studies/{study}/sessions", tags=["sessions"])
def list_sessions(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_ANYONE)]
) -> list[dict[str, Any]]:
    own = who.participant_code if who.role == "participant" else None
    if who.role == "participant" and own is None:
        return []
    return setup.sessions_list(store_of(request), who.study_id, participant_code=own)


@router.get("/studies/{study}/sessions/{key}/edits", tags=["sessions"])
def session_edits(
    request: Request, study: str, key: str, who: Annotated[InStudy, Depends(STUDY_ANYONE)]
) -> list[dict[str, Any]]:
    """Corrections made to a session after the fact: who, when, what, old and new values."""
    store = store_of(request)
    s = setup.load_session(store, who.study_id, key)
    _own_or_staff(who, s.participant)
    return capture_service.edits_of(store, who.study_id, key)


@router.get("/studies/{study}/sessions/{key}/actions", tags=["sessions"])
def session_actions(
    request: Request, study: str, key: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> list[dict[str, Any]]:
    """The raw action log a captured session was projected from."""
    store = store_of(request)
    row = capture_service.capture_session(store, who.study_id, key)
    if row is None:
        raise NotFoundError(f"session {key} has no capture log")
    return [
        {
            "uuid": a.uuid,
            "seq": a.seq,
            "type": a.type,
            "t": a.t,
            "payload": a.payload,
            "received_ms": a.received_ms,
        }
        for a in capture_service.actions_of(store, row.uuid)
    ]


@router.post(
    "/studies/{study}/sessions/{key}/corrections", response_model=SyncOut, tags=["sessions"]
)
def correct_session(
    request: Request,
    study: str,
    key: str,
    body: CorrectionIn,
    who: Annotated[InStudy, Depends(STUDY_MANAGE)],
) -> Any:
    """Correct a captured session; the correction is kept as an edit (who, when, old, new)."""
    report = capture_service.correct(
        store_of(request), who.study_id, who.actor(), key, body.target, body.field, body.value
    )
    if report.rejected:
        raise ValidationError(report.rejected[0]["reason"])
    return report.as_dict()


@router.get("/studies/{study}/sessions/{key}", tags=["sessions"])
def get_session_detail(
    request: Request, study: str, key: str, who: Annotated[InStudy, Depends(STUDY_ANYONE)]
) -> dict[str, Any]:
    """A session with its tasks, events, notes and its timeline layout."""
    store = store_of(request)
    s = setup.load_session(store, who.study_id, key)
    _own_or_staff(who, s.participant)
    tpl = setup.template_of(store, s)
    return {
        "key": s.key,
        "participant": s.participant,
        "site": s.site,
        "observer": s.observer,
        "mode": s.mode,
        "source": s.source,
        "start": s.start.isoformat(),
        "end": s.end.isoformat() if s.end else None,
        "complete": s.complete,
        "timezone": s.timezone,
        "template": s.template,
        "clock_skew_seconds": s.clock_skew_seconds,
        "tasks": [
            {
                "key": t.key,
                "seq": t.seq,
                "category": t.category,
                "subcategory": t.subcategory,
                "start": t.start.isoformat(),
                "end": t.end.isoformat() if t.end else None,
                "active_seconds": round(t.active_seconds, 3),
                "dimensions": {d: list(v) for d, v in t.dimensions},
                "parallel": [
                    {
                        "other": p.other,
                        "start": p.start.isoformat() if p.start else None,
                        "end": p.end.isoformat() if p.end else None,
                    }
                    for p in t.parallel
                ],
                "suspensions": [
                    {
                        "start": x.start.isoformat(),
                        "end": x.end.isoformat() if x.end else None,
                        "by": x.by,
                    }
                    for x in t.suspensions
                ],
                "ended_by": t.ended_by,
            }
            for t in s.tasks
        ],
        "events": [
            {"key": e.key, "kind": e.kind, "subtype": e.subtype, "at": e.at.isoformat()}
            for e in s.events
        ],
        "notes": [{"key": n.key, "at": n.at.isoformat(), "text": n.text} for n in s.notes],
        "timeline": layout(s, tpl).as_dict(),
    }
