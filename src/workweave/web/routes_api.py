"""The JSON API under /api (its OpenAPI schema is at /api/openapi.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from workweave.domain.errors import NotFoundError, ValidationError, WorkweaveError
from workweave.domain.privacy import may_see_session
from workweave.io.templates import parse_template
from workweave.services import accounts, audit, privacy, setup
from workweave.services import capture as capture_service
from workweave.web.auth import (
    ANY_ROLE,
    AuthError,
    Principal,
    Require,
    RequireStudy,
    StudyPrincipal,
    client_address,
    csrf_token,
    current_user,
    sign_in,
    sign_out,
    store_of,
    study_principal,
)
from workweave.web.building import dashboard_build, dashboard_figures
from workweave.web.schemas import (
    ERROR_RESPONSES,
    ActionOut,
    CaptureConfig,
    Code,
    ConsentIn,
    ConsentOut,
    CorrectionIn,
    DiaryIn,
    EditOut,
    EventOut,
    Headline,
    LoginIn,
    MemberIn,
    MemberOut,
    MembershipOut,
    NoteOut,
    ObserverIn,
    ObserverOut,
    ParallelOut,
    ParticipantIn,
    ParticipantOut,
    PrivacyIn,
    PrivacyOut,
    SessionDetail,
    SessionOut,
    SessionRow,
    SignedOut,
    SiteIn,
    SiteOut,
    StartIn,
    StudyIn,
    StudyOut,
    StudySummary,
    SuspensionOut,
    SyncIn,
    SyncOut,
    TaskOut,
    TemplateChoice,
    TemplateChosen,
    TemplateIn,
    TemplateInfo,
    TemplateOut,
    TemplateStored,
    TimelineOut,
    UserAdded,
    UserIn,
    UserInfo,
    UserOut,
)
from workweave.web.timeline import layout

router = APIRouter(prefix="/api", responses=ERROR_RESPONSES)

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
    """Sign in (throttled: 429 with Retry-After when locked, 503 when busy)."""
    user = accounts.sign_in(
        store_of(request), body.name, body.password, address=client_address(request)
    )
    sign_in(request, user)  # sign-ins and failures are audited by accounts.sign_in
    return SessionOut(user=_user_out(request, user), csrf=csrf_token(request))


@router.post("/logout", response_model=SignedOut, tags=["session"])
def logout(request: Request) -> SignedOut:
    audit.record(store_of(request), "signout", who=getattr(current_user(request), "name", None))
    sign_out(request)
    return SignedOut(signed_out=True)


@router.get("/me", response_model=SessionOut, tags=["session"])
def me(request: Request, who: Annotated[Who, Depends(ANYONE)]) -> SessionOut:
    return SessionOut(user=_user_out(request, who.user), csrf=csrf_token(request))


# -- studies --------------------------------------------------------------------------------------


@router.get("/studies", response_model=list[StudyOut], tags=["studies"])
def list_studies(request: Request, who: Annotated[Who, Depends(ANYONE)]) -> list[StudyOut]:
    return [StudyOut.model_validate(s) for s in setup.visible_studies(store_of(request), who.user)]


@router.post("/studies", response_model=StudyOut, status_code=201, tags=["studies"])
def create_study(request: Request, body: StudyIn, who: Annotated[Who, Depends(MANAGE)]) -> StudyOut:
    store = store_of(request)
    setup.create_study(store, who.user, body.name, body.title, body.description)
    study = next(s for s in setup.visible_studies(store, who.user) if s.name == body.name)
    return StudyOut.model_validate(study)


@router.get("/studies/{study}", response_model=StudySummary, tags=["studies"])
def study_summary(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_STAFF)]
) -> dict[str, Any]:
    """The study summary: sessions, tasks, observed hours, interruptions, by group."""
    from workweave.services.studies import summary

    store = store_of(request)
    return privacy.summary_for(store, who.study_id, summary(store, who.study_id), who.role)


@router.get("/studies/{study}/metrics", response_model=Headline, tags=["studies"])
def study_metrics(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_STAFF)]
) -> dict[str, Any]:
    """Headline metrics from the metric registry (or the summary when it is not installed):
    the dashboard's figures, waiting for their build (joined if under way, cached after).
    Without the researcher role, figures resting on fewer participants than the study's
    small-number threshold are suppressed."""
    build = dashboard_build(request, who.study_id)
    build.wait()
    if build.failed:
        raise WorkweaveError(build.error or "the figures could not be built")
    figures = dashboard_figures(build)
    assert figures is not None
    return privacy.headline_for(store_of(request), who.study_id, figures, who.role)


@router.get("/studies/{study}/sites", response_model=list[SiteOut], tags=["set-up"])
def list_sites(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_STAFF)]
) -> list[SiteOut]:
    return [SiteOut.model_validate(s) for s in store_of(request).studies.sites(who.study_id)]


@router.post("/studies/{study}/sites", response_model=Code, status_code=201, tags=["set-up"])
def add_site(
    request: Request, study: str, body: SiteIn, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> Code:
    setup.add_site(
        store_of(request), who.study_id, body.code, body.name, body.timezone, body.description
    )
    return Code(code=body.code)


@router.get("/studies/{study}/observers", response_model=list[ObserverOut], tags=["set-up"])
def list_observers(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> list[ObserverOut]:
    return [
        ObserverOut.model_validate(o) for o in store_of(request).studies.observers(who.study_id)
    ]


@router.post("/studies/{study}/observers", response_model=Code, status_code=201, tags=["set-up"])
def add_observer(
    request: Request, study: str, body: ObserverIn, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> Code:
    setup.add_observer(store_of(request), who.study_id, body.code, body.name)
    return Code(code=body.code)


@router.get("/studies/{study}/participants", response_model=list[ParticipantOut], tags=["set-up"])
def list_participants(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_STAFF)]
) -> list[dict[str, Any]]:
    """Participants with their consent status (observers need it to start a session)."""
    return setup.participants_view(store_of(request), who.study_id)


@router.post("/studies/{study}/participants", response_model=Code, status_code=201, tags=["set-up"])
def add_participant(
    request: Request,
    study: str,
    body: ParticipantIn,
    who: Annotated[InStudy, Depends(STUDY_MANAGE)],
) -> Code:
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
    return Code(code=body.code)


@router.post(
    "/studies/{study}/participants/{code}/consent", response_model=ConsentOut, tags=["set-up"]
)
def record_consent(
    request: Request,
    study: str,
    code: str,
    body: ConsentIn,
    who: Annotated[InStudy, Depends(STUDY_MANAGE)],
) -> ConsentOut:
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
    return ConsentOut(participant=code, consent=body.given)


def _member_out(user: str, m: accounts.Membership) -> MemberOut:
    return MemberOut(
        user=user,
        study_id=m.study_id,
        study=m.study,
        role=m.role,
        observer_code=m.observer_code,
        participant_code=m.participant_code,
    )


@router.get("/studies/{study}/members", response_model=list[MemberOut], tags=["set-up"])
def list_members(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> list[MemberOut]:
    return [_member_out(name, m) for name, m in accounts.members(store_of(request), who.study_id)]


@router.post("/studies/{study}/members", response_model=MemberOut, status_code=201, tags=["set-up"])
def add_member(
    request: Request, study: str, body: MemberIn, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> MemberOut:
    """Make a user a member (researchers: by exact name, a user in none of the studies yet or
    in one of theirs; an admin adds anyone)."""
    m = privacy.enrol(store_of(request), who.user, body.user, study, body.role, code=body.code)
    return _member_out(body.user, m)


@router.post("/studies/{study}/template", response_model=TemplateChosen, tags=["set-up"])
def choose_template(
    request: Request,
    study: str,
    body: TemplateChoice,
    who: Annotated[InStudy, Depends(STUDY_MANAGE)],
) -> TemplateChosen:
    """The template new sessions of the study are recorded with."""
    setup.choose_template(store_of(request), who.study_id, body.name, body.version, who.user.id)
    return TemplateChosen(template=f"{body.name}@{body.version}")


# -- templates ------------------------------------------------------------------------------------


@router.get("/templates", response_model=list[TemplateInfo], tags=["templates"])
def list_templates(request: Request, who: Annotated[Who, Depends(MANAGE)]) -> list[TemplateInfo]:
    return [
        TemplateInfo(name=t.name, version=t.version, title=t.title, where=where)
        for t, where in setup.all_templates(store_of(request))
    ]


@router.get("/templates/{name}/{version}", response_model=TemplateOut, tags=["templates"])
def get_template(
    request: Request, name: str, version: str, who: Annotated[Who, Depends(MANAGE)]
) -> dict[str, Any]:
    return setup.find_template(store_of(request), name, version).to_dict()


@router.post("/templates", response_model=TemplateStored, status_code=201, tags=["templates"])
def upload_template(
    request: Request, body: TemplateIn, who: Annotated[Who, Depends(MANAGE)]
) -> TemplateStored:
    """Store a template from YAML or JSON text (a changed template needs a new version)."""
    tpl = parse_template(body.text, "uploaded template")
    store_of(request).studies.save_template(tpl)
    return TemplateStored(name=tpl.name, version=tpl.version, categories=len(tpl.categories))


# -- users ----------------------------------------------------------------------------------------


@router.get("/users", response_model=list[UserInfo], tags=["users"])
def list_users(request: Request, who: Annotated[Who, Depends(ADMIN)]) -> list[UserInfo]:
    return [
        UserInfo(name=u.name, role=u.role, active=u.active)
        for u in accounts.users(store_of(request))
    ]


@router.post("/users", response_model=UserAdded, status_code=201, tags=["users"])
def add_user(request: Request, body: UserIn, who: Annotated[Who, Depends(ADMIN)]) -> UserAdded:
    u = accounts.add_user(store_of(request), body.name, body.role, body.password)
    return UserAdded(name=u.name, role=u.role)


# -- capture --------------------------------------------------------------------------------------


@router.get("/studies/{study}/capture-config", response_model=CaptureConfig, tags=["capture"])
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
    """Start a session (its first action). Refused (409) for a participant without consent,
    and for an observer without a passed calibration when the study requires one (unless the
    session is a calibration session)."""
    payload: dict[str, Any] = {"participant": body.participant, "mode": body.mode}
    if body.calibration:
        payload["calibration"] = True
    action = {
        "uuid": body.uuid,
        "session": body.session,
        "seq": body.seq,
        "type": "session_start",
        "t": body.t,
        "payload": payload,
    }
    report = capture_service.ingest(
        store_of(request), who.study_id, who.actor(), [action], clock_ms=body.clock
    )
    if report.rejected:
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


def _own_or_staff(who: Principal, session_participant: str, session_observer: str | None) -> None:
    if not may_see_session(
        who.role,
        session_observer=session_observer,
        session_participant=session_participant,
        observer_code=who.observer_code or who.user.name,
        participant_code=who.participant_code,
    ):
        raise AuthError(
            403, "participants see only their own sessions, observers the sessions they recorded"
        )


@router.get("/studies/{study}/sessions", response_model=list[SessionRow], tags=["sessions"])
def list_sessions(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_ANYONE)]
) -> list[dict[str, Any]]:
    own = who.participant_code if who.role == "participant" else None
    if who.role == "participant" and own is None:
        return []
    rows = setup.sessions_list(store_of(request), who.study_id, participant_code=own)
    if who.role == "observer":
        rows = [r for r in rows if r["observer"] == (who.observer_code or who.user.name)]
    return rows


@router.get(
    "/studies/{study}/sessions/{key}/edits", response_model=list[EditOut], tags=["sessions"]
)
def session_edits(
    request: Request, study: str, key: str, who: Annotated[InStudy, Depends(STUDY_ANYONE)]
) -> list[dict[str, Any]]:
    """Corrections made to a session after the fact: who, when, what, old and new values."""
    store = store_of(request)
    s = setup.load_session(store, who.study_id, key)
    _own_or_staff(who, s.participant, s.observer)
    return capture_service.edits_of(store, who.study_id, key)


@router.get(
    "/studies/{study}/sessions/{key}/actions", response_model=list[ActionOut], tags=["sessions"]
)
def session_actions(
    request: Request, study: str, key: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> list[ActionOut]:
    """The raw action log a captured session was projected from."""
    store = store_of(request)
    row = capture_service.capture_session(store, who.study_id, key)
    if row is None:
        raise NotFoundError(f"session {key} has no capture log")
    return [
        ActionOut(
            uuid=a.uuid,
            seq=a.seq,
            type=a.type,
            t=a.t,
            payload=dict(a.payload),
            received_ms=a.received_ms,
        )
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


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


@router.get("/studies/{study}/sessions/{key}", response_model=SessionDetail, tags=["sessions"])
def get_session_detail(
    request: Request, study: str, key: str, who: Annotated[InStudy, Depends(STUDY_ANYONE)]
) -> SessionDetail:
    """A session with its tasks, events, notes and its timeline layout."""
    store = store_of(request)
    s = setup.load_session(store, who.study_id, key)
    _own_or_staff(who, s.participant, s.observer)
    audit.record(store, "session.view", study=who.study, target=f"session:{key}")
    tpl = setup.template_of(store, s)
    return SessionDetail(
        key=s.key,
        participant=s.participant,
        site=s.site,
        observer=s.observer,
        mode=s.mode,
        source=s.source,
        start=s.start.isoformat(),
        end=_iso(s.end),
        complete=s.complete,
        timezone=s.timezone,
        template=s.template,
        clock_skew_seconds=s.clock_skew_seconds,
        tasks=[
            TaskOut(
                key=t.key,
                seq=t.seq,
                category=t.category,
                subcategory=t.subcategory,
                start=t.start.isoformat(),
                end=_iso(t.end),
                active_seconds=round(t.active_seconds, 3),
                dimensions={d: list(v) for d, v in t.dimensions},
                parallel=[
                    ParallelOut(other=p.other, start=_iso(p.start), end=_iso(p.end))
                    for p in t.parallel
                ],
                suspensions=[
                    SuspensionOut(start=x.start.isoformat(), end=_iso(x.end), by=x.by)
                    for x in t.suspensions
                ],
                ended_by=t.ended_by,
            )
            for t in s.tasks
        ],
        events=[
            EventOut(key=e.key, kind=e.kind, subtype=e.subtype, at=e.at.isoformat())
            for e in s.events
        ],
        notes=[NoteOut(key=n.key, at=n.at.isoformat(), text=n.text) for n in s.notes],
        timeline=TimelineOut.model_validate(layout(s, tpl).as_dict()),
    )


# -- least privilege ------------------------------------------------------------------------------


@router.get("/studies/{study}/privacy", response_model=PrivacyOut, tags=["set-up"])
def privacy_settings(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> PrivacyOut:
    """The study's small-number threshold and whether coders may edit each other's codings."""
    s = privacy.settings(store_of(request), who.study_id)
    return PrivacyOut(suppress_below=s.suppress_below, coders_edit_others=s.coders_edit_others)


@router.post("/studies/{study}/privacy", response_model=PrivacyOut, tags=["set-up"])
def set_privacy_settings(
    request: Request, study: str, body: PrivacyIn, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> PrivacyOut:
    """Change either setting (what is left out stays as it was)."""
    s = privacy.set_settings(
        store_of(request),
        who.study_id,
        suppress_below=body.suppress_below,
        coders_edit_others=body.coders_edit_others,
        by=who.user.id,
    )
    return PrivacyOut(suppress_below=s.suppress_below, coders_edit_others=s.coders_edit_others)
