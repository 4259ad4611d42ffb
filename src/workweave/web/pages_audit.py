"""The audit trail in the web app: who each request is (for the entries the services record),
the admin page that lists and verifies the trail, and a participant's own consent page,
where they can withdraw."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from workweave.services import audit, governance
from workweave.web.auth import Principal, Require, RequireStudy, StudyPrincipal, store_of
from workweave.web.forms import read_form
from workweave.web.templating import flash, render

router = APIRouter(include_in_schema=False)

ADMIN = Require("admin")
STUDY_PARTICIPANT = RequireStudy("participant")


class AuditActorMiddleware:
    """Each HTTP request records as coming from the client's address (anonymous until the
    session is checked, when `workweave.services.audit.identify` names the user)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client")
            audit.begin_request(str(client[0]) if client else "unknown")
        await self.app(scope, receive, send)


def install(app: FastAPI) -> None:
    """Add the request actor middleware and the audit and consent pages to the app."""
    app.add_middleware(AuditActorMiddleware)
    app.include_router(router)


def viewed(request: Request, action: str, study: str | None, target: str) -> None:
    """Record that personal data was viewed (one call from each page that shows some)."""
    audit.record(store_of(request), action, study=study, target=target)


@router.get("/admin/audit")
def audit_page(
    request: Request,
    who: Annotated[Principal, Depends(ADMIN)],
    actor: str = "",
    action: str = "",
    verify: int = 0,
) -> Response:
    store = store_of(request)
    rows = audit.entries(
        store,
        None,
        actor[:200] or None,
        action=action[:64] or None,
        limit=500,
        newest_first=True,
    )
    checked = audit.verify(store) if verify else None
    entries: list[dict[str, Any]] = [
        {
            **e.as_dict(),
            "when": datetime.fromtimestamp(e.at_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S"),
        }
        for e in rows
    ]
    return render(
        request,
        "audit.html",
        who,
        entries=entries,
        actor=actor,
        action=action,
        checked=checked,
    )


@router.get("/me/{study}/consent")
def consent_page(
    request: Request, study: str, who: Annotated[StudyPrincipal, Depends(STUDY_PARTICIPANT)]
) -> Response:
    code = who.participant_code
    withdrawn = code is not None and code in governance.excluded(store_of(request), who.study_id)
    return render(request, "my_consent.html", who, code=code, withdrawn=withdrawn)


@router.post("/me/{study}/consent/withdraw")
async def consent_withdraw(
    request: Request, study: str, who: Annotated[StudyPrincipal, Depends(STUDY_PARTICIPANT)]
) -> Response:
    form = await read_form(request)
    if who.participant_code is None or form.get("confirm") != "yes":
        flash(request, "Tick the box to confirm that you withdraw.", "error")
        return RedirectResponse(f"/me/{study}/consent", status_code=303)
    governance.withdraw(
        store_of(request),
        who.study_id,
        who.participant_code,
        by=who.user.id,
        self_service=True,
    )
    flash(request, "Your consent is withdrawn: your records are no longer used in any figure.")
    return RedirectResponse(f"/me/{study}/consent", status_code=303)


__all__ = ["AuditActorMiddleware", "install", "router", "viewed"]
