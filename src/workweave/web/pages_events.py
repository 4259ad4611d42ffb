"""Site events on the web: the study's dated reorganisations, mergers, re-applications for
posts and budget cuts, listed, added and removed by admins and researchers. The study
report draws them on its trend charts (docs/trends.md). Every value is checked by
``workweave.services.events``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from workweave.domain.errors import NotFoundError, ValidationError
from workweave.services import events
from workweave.web.auth import RequireStudy, StudyPrincipal, store_of
from workweave.web.forms import read_form
from workweave.web.templating import flash, render

router = APIRouter(include_in_schema=False)
MANAGE = RequireStudy("admin", "researcher")


def _back(study: str) -> Response:
    return RedirectResponse(f"/studies/{quote(study, safe='')}/events", status_code=303)


@router.get("/studies/{study}/events")
def events_page(
    request: Request, study: str, who: Annotated[StudyPrincipal, Depends(MANAGE)]
) -> Response:
    """The study's site events, and a form to add one."""
    store = store_of(request)
    return render(
        request,
        "events.html",
        who,
        events=events.list_events(store, who.study_id),
        sites=store.studies.sites(who.study_id),
        kinds=events.KINDS,
        max_label=events.MAX_LABEL,
    )


@router.post("/studies/{study}/events")
async def add_event(
    request: Request, study: str, who: Annotated[StudyPrincipal, Depends(MANAGE)]
) -> Response:
    form = await read_form(request)
    try:
        e = events.add(
            store_of(request),
            who.study_id,
            str(form.get("site", "")),
            str(form.get("date", "")),
            str(form.get("label", "")),
            str(form.get("kind", "other") or "other"),
        )
    except ValidationError as exc:
        flash(request, "Nothing was added: " + exc.describe(), "error")
    else:
        flash(request, f"Event added: {e.day} {e.site}, {e.label}")
    return _back(study)


@router.post("/studies/{study}/events/{event_id}/remove")
def remove_event(
    request: Request,
    study: str,
    event_id: int,
    who: Annotated[StudyPrincipal, Depends(MANAGE)],
) -> Response:
    try:
        events.remove(store_of(request), who.study_id, event_id)
    except NotFoundError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, f"Event {event_id} removed.")
    return _back(study)


__all__ = ["router"]
