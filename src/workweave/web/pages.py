"""The HTML pages: sign-in, studies and their dashboards, administration, capture shells,
self-report, session review."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.observation import OBSERVER_ROLES, Session
from workweave.domain.privacy import may_see_session
from workweave.domain.study import BANDS, PROFESSIONS, WEEKDAYS
from workweave.domain.template import DOMAINS, JOB_PLAN_CATEGORIES
from workweave.io.templates import parse_template
from workweave.services import accounts, audit, privacy, setup
from workweave.services import calibration as calibration_service
from workweave.services import capture as capture_service
from workweave.web import pages_qual
from workweave.web.auth import (
    ANY_ROLE,
    AuthError,
    Principal,
    Require,
    RequireStudy,
    StudyPrincipal,
    client_address,
    current_user,
    sign_in,
    sign_out,
    store_of,
)
from workweave.web.building import dashboard_build, dashboard_figures
from workweave.web.forms import read_form
from workweave.web.templating import flash, render
from workweave.web.timeline import crosses_midnight, layout, local_clock

router = APIRouter(include_in_schema=False)

ADMIN = Require("admin")
MANAGE = Require("admin", "researcher")
ANYONE = Require(*ANY_ROLE)
# -- in the route's study
STUDY_MANAGE = RequireStudy("admin", "researcher")
STUDY_CAPTURE = RequireStudy("admin", "researcher", "observer")
STUDY_ANYONE = RequireStudy(*ANY_ROLE)
STUDY_PARTICIPANT = RequireStudy("participant")

Who = Principal
InStudy = StudyPrincipal


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _q(text: str) -> str:
    return quote(text, safe="")


def _local(target: str) -> str:
    """A path on this site to go back to after signing in (never another site)."""
    ok = target.startswith("/") and not target.startswith("//")
    ok = ok and not any(c in target for c in "\\\r\n\t") and "://" not in target
    return target if ok else "/"


async def _form(request: Request) -> dict[str, Any]:
    form = await read_form(request)
    out: dict[str, Any] = {}
    for k, v in form.multi_items():
        if k == "csrf_token":
            continue
        if k in out:
            out[k] = [*out[k], v] if isinstance(out[k], list) else [out[k], v]
        else:
            out[k] = v
    return out


def _attempt(request: Request, fn: Any, ok: str) -> bool:
    """Run a change; flash its result or the problems found (nothing half-done)."""
    try:
        fn()
    except (ValidationError, NotFoundError) as exc:
        flash(request, str(exc), "error")
        return False
    flash(request, ok)
    return True


# -- sign-in ----------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(
        request,
        "login.html",
        None,
        next=_local(next),
        no_users=accounts.user_count(store_of(request)) == 0,
    )


@router.post("/login")
async def login_submit(request: Request) -> Response:
    form = await _form(request)
    target = _local(str(form.get("next") or "/"))
    try:
        # in a worker thread: the password check must not hold up the event loop
        user = await run_in_threadpool(
            accounts.sign_in,
            store_of(request),
            str(form.get("name", "")),
            str(form.get("password", "")),
            address=client_address(request),
        )
    except accounts.SignInError as exc:
        wrong = isinstance(exc, accounts.WrongCredentials)
        response = render(
            request,
            "login.html",
            None,
            status_code=exc.status,
            next=target,
            error="Wrong user name or password." if wrong else str(exc)[:1].upper() + str(exc)[1:],
            no_users=False,
        )
        if exc.retry_after_s:
            response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    sign_in(request, user)  # sign-ins and failures are audited by accounts.sign_in
    return _back(target)


@router.post("/logout")
def logout(request: Request) -> Response:
    audit.record(store_of(request), "signout", who=getattr(current_user(request), "name", None))
    sign_out(request)  # the session ends on the server too
    return _back("/login")


@router.get("/")
def home(request: Request, who: Annotated[Who, Depends(ANYONE)]) -> Response:
    default = request.app.state.default_study
    studies = setup.visible_studies(store_of(request), who.user)
    names = [s.name for s in studies]
    if default in names:
        return _back(f"/studies/{_q(default)}")
    if len(studies) == 1:
        return _back(f"/studies/{_q(studies[0].name)}")
    return _back("/studies")


@router.get("/account")
def account(request: Request, who: Annotated[Who, Depends(ANYONE)]) -> Response:
    ms = accounts.memberships(store_of(request), who.user.id)
    return render(request, "account.html", who, memberships=ms)


@router.post("/account/password")
async def change_password(request: Request, who: Annotated[Who, Depends(ANYONE)]) -> Response:
    form = await _form(request)
    store = store_of(request)
    try:  # throttled like a sign-in: a stolen session cannot guess the password
        await run_in_threadpool(
            accounts.sign_in,
            store,
            who.user.name,
            str(form.get("current", "")),
            address=client_address(request),
        )
    except accounts.WrongCredentials:
        flash(request, "The current password is wrong.", "error")
        return _back("/account")
    except accounts.SignInError as exc:
        flash(request, str(exc), "error")
        return _back("/account")
    if form.get("new") != form.get("again"):
        flash(request, "The two new passwords differ.", "error")
        return _back("/account")

    def change() -> None:
        accounts.set_password(store, who.user.name, str(form.get("new", "")))

    if _attempt(request, change, "Password changed: your other sessions have ended."):
        user = accounts.user_by_id(store, who.user.id)
        assert user is not None
        sign_in(request, user)  # every session ended with the change: a new one for this one
    return _back("/account")


# -- studies ----------------------------------------------------------------------------------


@router.get("/studies")
def studies(request: Request, who: Annotated[Who, Depends(ANYONE)]) -> Response:
    return render(
        request,
        "studies.html",
        who,
        studies=setup.visible_studies(store_of(request), who.user),
        can_create=who.role in ("admin", "researcher"),
    )


@router.post("/studies")
async def create_study(request: Request, who: Annotated[Who, Depends(MANAGE)]) -> Response:
    form = await _form(request)
    name = str(form.get("name", "")).strip()
    ok = _attempt(
        request,
        lambda: setup.create_study(
            store_of(request),
            who.user,
            name,
            str(form.get("title", "")),
            str(form.get("description", "")),
        ),
        f"Study {name} created.",
    )
    return _back(f"/studies/{_q(name)}" if ok else "/studies")


@router.get("/studies/{study}")
def dashboard(
    request: Request,
    study: str,
    who: Annotated[InStudy, Depends(STUDY_ANYONE)],
    retry: bool = False,
) -> Response:
    if who.role == "participant":
        return _back(f"/me/{_q(study)}")
    store = store_of(request)
    info = store.studies.get(who.study_id)
    build = dashboard_build(request, who.study_id, retry=retry)
    figures = dashboard_figures(build)
    head = None if figures is None else privacy.headline_for(store, who.study_id, figures, who.role)
    tpl = setup.study_template(store, who.study_id)
    return render(
        request,
        "dashboard.html",
        who,
        info=info,
        head=head,
        build=build,
        build_status_url=f"/api/studies/{_q(study)}/builds/dashboard",
        build_retry_url=f"/studies/{_q(study)}?retry=1",
        sessions=_visible_sessions(who, setup.sessions_list(store, who.study_id, limit=1000))[:25],
        template=tpl,
        templates=setup.all_templates(store) if who.role in ("admin", "researcher") else [],
        counts={
            "sites": len(store.studies.sites(who.study_id)),
            "participants": len(store.studies.participants(who.study_id)),
            "observers": len(store.studies.observers(who.study_id)),
        },
    )


@router.post("/studies/{study}/template")
async def choose_template(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> Response:
    form = await _form(request)
    store = store_of(request)
    name, _, version = str(form.get("template", "")).rpartition("@")
    sid = who.study_id

    def choose() -> None:
        setup.choose_template(store, sid, name, version, who.user.id)

    _attempt(request, choose, f"New sessions will use template {name}@{version}.")
    return _back(f"/studies/{_q(study)}")


# -- sites, observers, members --------------------------------------------------------------------


@router.get("/studies/{study}/sites")
def sites(request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]) -> Response:
    return render(request, "sites.html", who, sites=store_of(request).studies.sites(who.study_id))


@router.post("/studies/{study}/sites")
async def add_site(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> Response:
    form = await _form(request)
    sid = who.study_id
    _attempt(
        request,
        lambda: setup.add_site(
            store_of(request),
            sid,
            str(form.get("code", "")),
            str(form.get("name", "")),
            str(form.get("timezone", "")),
            str(form.get("description", "")),
        ),
        f"Site {form.get('code')} added.",
    )
    return _back(f"/studies/{_q(study)}/sites")


@router.get("/studies/{study}/observers")
def observers(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> Response:
    return render(
        request, "observers.html", who, observers=store_of(request).studies.observers(who.study_id)
    )


@router.post("/studies/{study}/observers")
async def add_observer(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> Response:
    form = await _form(request)
    sid = who.study_id
    _attempt(
        request,
        lambda: setup.add_observer(
            store_of(request), sid, str(form.get("code", "")), str(form.get("name", ""))
        ),
        f"Observer {form.get('code')} added.",
    )
    return _back(f"/studies/{_q(study)}/observers")


@router.get("/studies/{study}/members")
def members(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> Response:
    store = store_of(request)
    return render(
        request,
        "members.html",
        who,
        members=accounts.members(store, who.study_id),
        users=[u for u in privacy.visible_users(store, who.user) if u.role != "admin"],
        participants=store.studies.participants(who.study_id),
    )


@router.post("/studies/{study}/members")
async def add_member(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> Response:
    form = await _form(request)
    name = str(form.get("user", ""))
    role = str(form.get("role", ""))
    code = str(form.get("code", "")).strip() or None
    _attempt(
        request,
        lambda: privacy.enrol(store_of(request), who.user, name, study, role, code=code),
        f"{name} is now {role} in {study}.",
    )
    return _back(f"/studies/{_q(study)}/members")


@router.get("/studies/{study}/privacy")
def privacy_page(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> Response:
    return render(
        request, "privacy.html", who, settings=privacy.settings(store_of(request), who.study_id)
    )


@router.post("/studies/{study}/privacy")
async def save_privacy(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> Response:
    form = await _form(request)
    sid = who.study_id
    _attempt(
        request,
        lambda: privacy.set_settings(
            store_of(request),
            sid,
            suppress_below=str(form.get("suppress_below", "")).strip() or None,
            coders_edit_others=form.get("coders_edit_others") == "yes",
            by=who.user.id,
        ),
        "Privacy settings saved.",
    )
    return _back(f"/studies/{_q(study)}/privacy")


# -- participants -------------------------------------------------------------------------------


@router.get("/studies/{study}/participants")
def participants(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> Response:
    store = store_of(request)
    return render(
        request,
        "participants.html",
        who,
        participants=setup.participants_view(store, who.study_id),
        sites=store.studies.sites(who.study_id),
        professions=PROFESSIONS,
        bands=BANDS,
    )


@router.post("/studies/{study}/participants")
async def add_participant(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> Response:
    form = await _form(request)
    code = str(form.get("code", "")).strip()
    sid = who.study_id
    ok = _attempt(
        request,
        lambda: setup.save_participant(
            store_of(request),
            sid,
            code,
            site=str(form.get("site", "")),
            profession=str(form.get("profession", "other")),
            band=str(form.get("band", "")) or None,
            pay_point=form.get("pay_point"),
            contracted_hours=form.get("contracted_hours"),
            new=True,
        ),
        f"Participant {code} added. Record their consent before observing them.",
    )
    if ok:
        return _back(f"/studies/{_q(study)}/participants/{_q(code)}")
    return _back(f"/studies/{_q(study)}/participants")


@router.get("/studies/{study}/participants/{code}")
def participant(
    request: Request, study: str, code: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> Response:
    store = store_of(request)
    p = setup.participant(store, who.study_id, code)
    audit.record(store, "participant.view", study=who.study, target=f"participant:{code}")
    plan = [
        {
            "weekday": s.weekday,
            "start": s.start.strftime("%H:%M"),
            "end": s.end.strftime("%H:%M"),
            "category": s.category,
        }
        for s in p.job_plan.sessions
    ]
    plan += [{"weekday": 0, "start": "", "end": "", "category": "DCC"}] * 4
    return render(
        request,
        "participant.html",
        who,
        p=p,
        plan=plan,
        sites=store.studies.sites(who.study_id),
        professions=PROFESSIONS,
        bands=BANDS,
        weekdays=WEEKDAYS,
        jp_categories=JOB_PLAN_CATEGORIES,
        consent=accounts.consent_history(store, who.study_id, code),
    )


@router.post("/studies/{study}/participants/{code}")
async def update_participant(
    request: Request, study: str, code: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> Response:
    form = await _form(request)
    sid = who.study_id
    _attempt(
        request,
        lambda: setup.save_participant(
            store_of(request),
            sid,
            code,
            site=str(form.get("site", "")),
            profession=str(form.get("profession", "other")),
            band=str(form.get("band", "")) or None,
            pay_point=form.get("pay_point"),
            contracted_hours=form.get("contracted_hours"),
            new=False,
        ),
        "Saved.",
    )
    return _back(f"/studies/{_q(study)}/participants/{_q(code)}")


@router.post("/studies/{study}/participants/{code}/jobplan")
async def save_job_plan(
    request: Request, study: str, code: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> Response:
    form = await read_form(request)
    rows = []
    weekdays = form.getlist("weekday")
    starts = form.getlist("start")
    ends = form.getlist("end")
    cats = form.getlist("category")
    for i in range(len(starts)):
        rows.append(
            {
                "weekday": weekdays[i] if i < len(weekdays) else -1,
                "start": starts[i],
                "end": ends[i] if i < len(ends) else "",
                "category": cats[i] if i < len(cats) else "",
            }
        )
    store = store_of(request)
    sid = who.study_id

    def save() -> None:
        setup.save_job_plan(store, sid, code, rows)

    _attempt(request, save, "Job plan saved.")
    return _back(f"/studies/{_q(study)}/participants/{_q(code)}")


@router.post("/studies/{study}/participants/{code}/consent")
async def record_consent(
    request: Request, study: str, code: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> Response:
    form = await _form(request)
    given = form.get("given") == "yes"
    sid = who.study_id
    if form.get("given") not in ("yes", "no"):
        flash(request, "Say whether consent was given or withdrawn.", "error")
        return _back(f"/studies/{_q(study)}/participants/{_q(code)}")
    _attempt(
        request,
        lambda: accounts.record_consent(
            store_of(request),
            sid,
            code,
            given=given,
            by=who.user.id,
            form_version=str(form.get("form_version", "")),
            note=str(form.get("note", "")),
        ),
        "Consent recorded." if given else "Withdrawal of consent recorded.",
    )
    return _back(f"/studies/{_q(study)}/participants/{_q(code)}")


# -- templates --------------------------------------------------------------------------------


@router.get("/templates")
def templates_page(request: Request, who: Annotated[Who, Depends(MANAGE)]) -> Response:
    return render(request, "templates.html", who, templates=setup.all_templates(store_of(request)))


@router.post("/templates")
async def upload_template(request: Request, who: Annotated[Who, Depends(MANAGE)]) -> Response:
    form = await read_form(request)
    text = str(form.get("text") or "")
    upload = form.get("file")
    if upload is not None and not isinstance(upload, str):
        raw = await upload.read()
        if raw:
            text = raw.decode("utf-8-sig", errors="replace")
    store = store_of(request)
    holder: dict[str, Any] = {}

    def save() -> None:
        tpl = parse_template(text, getattr(upload, "filename", None) or "template")
        store.studies.save_template(tpl)
        holder["t"] = tpl

    if _attempt(request, save, "Template stored."):
        t = holder["t"]
        return _back(f"/templates/{_q(t.name)}/{_q(t.version)}")
    return _back("/templates")


@router.get("/templates/{name}/{version}")
def template_page(
    request: Request, name: str, version: str, who: Annotated[Who, Depends(MANAGE)]
) -> Response:
    import yaml

    tpl = setup.find_template(store_of(request), name, version)
    return render(
        request,
        "template.html",
        who,
        t=tpl,
        domains=DOMAINS,
        yaml_text=yaml.safe_dump(tpl.to_dict(), sort_keys=False, allow_unicode=True),
    )


# -- users ----------------------------------------------------------------------------------------


@router.get("/admin/users")
def users_page(request: Request, who: Annotated[Who, Depends(ADMIN)]) -> Response:
    store = store_of(request)
    rows = [(u, accounts.memberships(store, u.id)) for u in accounts.users(store)]
    return render(request, "users.html", who, rows=rows, roles=accounts.ROLES)


@router.post("/admin/users")
async def add_user(request: Request, who: Annotated[Who, Depends(ADMIN)]) -> Response:
    form = await _form(request)
    name = str(form.get("name", ""))
    _attempt(
        request,
        lambda: accounts.add_user(
            store_of(request), name, str(form.get("role", "")), str(form.get("password", ""))
        ),
        f"User {name} added.",
    )
    return _back("/admin/users")


@router.post("/admin/users/{name}")
async def change_user(request: Request, name: str, who: Annotated[Who, Depends(ADMIN)]) -> Response:
    form = await _form(request)
    store = store_of(request)

    def change() -> None:
        if form.get("role"):
            accounts.set_role(store, name, str(form["role"]))
        if form.get("password"):
            accounts.set_password(store, name, str(form["password"]))
        if form.get("active") in ("yes", "no"):
            if name == who.user.name and form["active"] == "no":
                raise ValidationError("you cannot disable your own account")
            accounts.set_active(store, name, form["active"] == "yes")

    _attempt(request, change, f"User {name} updated.")
    return _back("/admin/users")


# -- capture and self-report ------------------------------------------------------------------


def _capture_boot(request: Request, who: StudyPrincipal, mode: str) -> dict[str, Any]:
    return {
        "study": who.study,
        "mode": mode,
        "user": who.user.name,
        "role": who.role,
        "config": f"/api/studies/{_q(who.study)}/capture-config",
        "home": f"/studies/{_q(who.study)}" if mode == "shadowing" else f"/me/{_q(who.study)}",
    }


@router.get("/capture/{study}")
def capture(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_CAPTURE)]
) -> Response:
    return render(request, "capture.html", who, boot=_capture_boot(request, who, "shadowing"))


@router.get("/me/{study}")
def self_report(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_PARTICIPANT)]
) -> Response:
    if who.participant_code is None:
        raise AuthError(403, "your account is not linked to a participant code in this study")
    return render(request, "capture.html", who, boot=_capture_boot(request, who, "self-report"))


@router.get("/me/{study}/diary")
def diary_page(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_PARTICIPANT)]
) -> Response:
    store = store_of(request)
    tpl = setup.study_template(store, who.study_id)
    own = (
        setup.sessions_list(store, who.study_id, participant_code=who.participant_code, limit=30)
        if who.participant_code
        else []
    )
    return render(
        request,
        "diary.html",
        who,
        t=tpl,
        domains=DOMAINS,
        today=dt.date.today().isoformat(),
        rows=range(6),
        sessions=own,
    )


@router.post("/me/{study}/diary")
async def diary_submit(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_PARTICIPANT)]
) -> Response:
    form = await read_form(request)
    cats, starts, ends = form.getlist("category"), form.getlist("start"), form.getlist("end")
    withs = form.getlist("with_whom")
    entries = []
    for i, cat in enumerate(cats):
        if not cat and not (starts[i] if i < len(starts) else ""):
            continue
        dims = {}
        if i < len(withs) and withs[i]:
            dims["with_whom"] = [str(withs[i])]
        entries.append(
            {
                "category": str(cat),
                "start": str(starts[i]) if i < len(starts) else "",
                "end": str(ends[i]) if i < len(ends) else "",
                "dims": dims,
            }
        )
    sid = who.study_id

    def save() -> None:
        try:
            day = dt.date.fromisoformat(str(form.get("date", "")))
        except ValueError:
            raise ValidationError("choose the day (YYYY-MM-DD)") from None
        report = capture_service.record_diary(store_of(request), sid, who.actor(), day, entries)
        if report.rejected:
            raise ValidationError(report.rejected[0]["reason"])

    _attempt(
        request, save, f"{len(entries)} diary entr{'y' if len(entries) == 1 else 'ies'} saved."
    )
    return _back(f"/me/{_q(study)}/diary")


# -- sessions -----------------------------------------------------------------------------------


def _may_see(who: StudyPrincipal, participant: str, observer: str | None) -> bool:
    return may_see_session(
        who.role,
        session_observer=observer,
        session_participant=participant,
        observer_code=who.observer_code or who.user.name,
        participant_code=who.participant_code,
    )


def _visible_sessions(who: StudyPrincipal, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of a session list the user may open (observers: the sessions they recorded)."""
    return [r for r in rows if _may_see(who, r["participant"], r["observer"])]


@router.get("/studies/{study}/sessions")
def sessions(
    request: Request, study: str, who: Annotated[InStudy, Depends(STUDY_ANYONE)]
) -> Response:
    own = who.participant_code if who.role == "participant" else None
    rows = (
        []
        if who.role == "participant" and own is None
        else setup.sessions_list(store_of(request), who.study_id, participant_code=own, limit=1000)
    )
    rows = _visible_sessions(who, rows)
    return render(request, "sessions.html", who, sessions=rows)


@router.get("/studies/{study}/sessions/{key}")
def session_page(
    request: Request, study: str, key: str, who: Annotated[InStudy, Depends(STUDY_ANYONE)]
) -> Response:
    store = store_of(request)
    s = setup.load_session(store, who.study_id, key)
    if not _may_see(who, s.participant, s.observer):
        raise AuthError(
            403, "participants see only their own sessions, observers the sessions they recorded"
        )
    audit.record(store, "session.view", study=who.study, target=f"session:{key}")
    tpl = setup.template_of(store, s)
    captured = capture_service.capture_session(store, who.study_id, key) is not None
    # co-observed sessions, for the link to the calibration page (observers: their sessions)
    mine = who.role in ("admin", "researcher") or (
        who.role == "observer" and s.observer == (who.observer_code or who.user.name)
    )
    co_observed = calibration_service.partners(store, who.study_id, key) if mine else []
    return render(
        request,
        "session.html",
        who,
        s=s,
        t=tpl,
        tl=layout(s, tpl),
        edits=capture_service.edits_of(store, who.study_id, key),
        captured=captured,
        can_correct=captured and who.role in ("admin", "researcher"),
        can_set_role=who.role in ("admin", "researcher") and s.observer is not None,
        roles=OBSERVER_ROLES,
        co_observed=co_observed,
        labels={c.code: c.label for c in tpl.categories} if tpl else {},
        # -- the codes applied to the session's field notes (qualitative coding) --
        coded_notes=(
            _dated_notes(pages_qual.coded_notes(request, who.study_id, s.key, s.timezone), s)
            if who.role in ("admin", "researcher")
            else []
        ),
    )


def _dated_notes(notes: list[pages_qual.CodedNote], s: Session) -> list[pages_qual.CodedNote]:
    """Coded notes in the order of their instants; with their weekday when the session
    crosses midnight, as the timeline shows them."""
    dated = crosses_midnight(s)
    zone = ZoneInfo(s.timezone)
    out = []
    for n in sorted(notes, key=lambda n: n.anchor):  # ISO UTC: text order is instant order
        if dated and n.anchor:
            at = dt.datetime.strptime(n.anchor, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            n = dataclasses.replace(n, clock=local_clock(at, zone, dated=True))
        out.append(n)
    return out


@router.post("/studies/{study}/sessions/{key}/corrections")
async def correct_session(
    request: Request, study: str, key: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> Response:
    form = await _form(request)
    field = str(form.get("field", ""))
    value: Any = form.get("value", "")
    store = store_of(request)
    sid = who.study_id

    def run() -> None:
        v: Any = value
        if field in ("start", "end", "at"):
            s = setup.load_session(store, sid, key)
            from zoneinfo import ZoneInfo

            try:
                local = dt.datetime.fromisoformat(str(value))
            except ValueError:
                raise ValidationError("a time must be YYYY-MM-DD HH:MM[:SS]") from None
            if local.tzinfo is None:
                local = local.replace(tzinfo=ZoneInfo(s.timezone))
            v = int(local.timestamp() * 1000)
        elif field == "deleted":
            v = value in ("yes", "true", "1", True)
        report = capture_service.correct(
            store, sid, who.actor(), key, str(form.get("target", "")), field, v
        )
        if report.rejected:
            raise ValidationError(report.rejected[0]["reason"])

    _attempt(request, run, "Correction recorded (see the list of edits).")
    return _back(f"/studies/{_q(study)}/sessions/{_q(key)}")


@router.post("/studies/{study}/sessions/{key}/observer-role")
async def set_observer_role(
    request: Request, study: str, key: str, who: Annotated[InStudy, Depends(STUDY_MANAGE)]
) -> Response:
    form = await _form(request)
    role = str(form.get("role", "")).strip()[:32]
    store = store_of(request)

    def run() -> None:
        setup.set_observer_role(store, who.study_id, key, role or None)

    _attempt(request, run, f"Observer role set to {role}." if role else "Observer role cleared.")
    return _back(f"/studies/{_q(study)}/sessions/{_q(key)}")


# -- the API, described for people ---------------------------------------------------------------


@router.get("/api/docs")
def api_docs(request: Request) -> Response:
    schema = request.app.openapi()
    rows = []
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            rows.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tags": ", ".join(op.get("tags", [])),
                }
            )
    return render(request, "api_docs.html", None, rows=rows, user=current_user(request))
