"""Analysis pages: inter-observer reliability of a study, the study report (researchers) and a
participant's own report (that participant only). Every number comes from the analysis
packages (IOR module, metric registry through the report); nothing is computed here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from workweave.analysis.reliability import MEASURES
from workweave.domain.errors import NotFoundError, ValidationError
from workweave.services.reliability import PARTICIPANT_KEYS, ior_study_table
from workweave.web.auth import AuthError, RequireStudy, StudyPrincipal, store_of
from workweave.web.building import study_report_build
from workweave.web.schemas import Tolerance
from workweave.web.templating import render

router = APIRouter(include_in_schema=False)

MANAGE = RequireStudy("admin", "researcher")
PARTICIPANT = RequireStudy("participant")

IOR_COLUMNS = MEASURES
MAX_BOOTSTRAP = 5000


@router.get("/studies/{study}/ior")
def ior_page(
    request: Request,
    study: str,
    who: Annotated[StudyPrincipal, Depends(MANAGE)],
    tolerance: Tolerance = 0,
    match: str = "code",
) -> Response:
    """Every co-observed pair of the study with the ten IORapp-compatible measures."""
    problem = None
    rows: list[dict[str, object]] = []
    try:
        table = ior_study_table(
            store_of(request), who.study_id, tolerance_seconds=tolerance, participant=match
        )
        rows = table.to_dict("records")
    except ValidationError as exc:
        problem = str(exc)
    return render(
        request,
        "ior.html",
        who,
        rows=rows,
        columns=IOR_COLUMNS,
        tolerance=tolerance,
        match=match,
        matches=tuple(PARTICIPANT_KEYS),
        problem=problem,
    )


def _bootstrap(B: int) -> int:
    if not 0 <= B <= MAX_BOOTSTRAP:
        raise ValidationError(f"B must be between 0 and {MAX_BOOTSTRAP}")
    return B


@router.get("/studies/{study}/report")
def study_report(
    request: Request,
    study: str,
    who: Annotated[StudyPrincipal, Depends(MANAGE)],
    B: int = 500,
    retry: bool = False,
) -> Response:
    """The study report (self-contained HTML), built in the background and kept until the
    study's data change: a progress view until it is built (``web/building.py``)."""
    from urllib.parse import quote

    build = study_report_build(request, who.study_id, _bootstrap(B), retry=retry)
    if build.ready:
        return HTMLResponse(build.result, headers={"Cache-Control": "private, no-cache"})
    base = f"/studies/{quote(study, safe='')}"
    return render(
        request,
        "building.html",
        who,
        status_code=409 if build.failed else 202,
        build=build,
        what="study report",
        title="Study report",
        status_url=f"/api{base}/builds/report?B={B}",
        retry_url=f"{base}/report?B={B}&retry=1",
    )


@router.get("/me/{study}/report")
def my_report(
    request: Request,
    study: str,
    who: Annotated[StudyPrincipal, Depends(PARTICIPANT)],
    B: int = 500,
) -> Response:
    """The signed-in participant's own report: their data and the study as a whole only."""
    from workweave import report

    if who.participant_code is None:
        raise AuthError(403, "your account is not linked to a participant code in this study")
    B = _bootstrap(B)
    try:
        options = report.ReportOptions(B=B)
        html = report.participant_report(
            store_of(request), who.study_id, who.participant_code, options
        ).html()
    except (ValidationError, NotFoundError) as exc:
        return render(request, "error.html", who, status_code=409, status=409, message=str(exc))
    return HTMLResponse(html)
