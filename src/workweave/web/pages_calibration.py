"""Co-observer calibration on the web: the calibration page of a co-observed pair (measures,
pass or fail against the study's threshold, the two records side by side with their
disagreements), the study's calibration settings, and the same as JSON under /api.

Who sees a pair: admins and researchers, and an observer only for pairs they are part of;
participants never. Every number comes from ``workweave.services.calibration``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from workweave.analysis.reliability import MEASURES
from workweave.domain.calibration import MEASURE
from workweave.domain.errors import NotFoundError, ValidationError
from workweave.services import calibration, setup
from workweave.web.auth import AuthError, RequireStudy, StudyPrincipal, store_of
from workweave.web.forms import read_form
from workweave.web.schemas import (
    ERROR_RESPONSES,
    CalibrationOut,
    CalibrationSettingsIn,
    CalibrationStatusOut,
    PassedCalibrationOut,
    Tolerance,
)
from workweave.web.templating import flash, render
from workweave.web.timeline import DOMAIN_COLOURS, DOMAIN_TEXT

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", responses=ERROR_RESPONSES)

STAFF = RequireStudy("admin", "researcher", "observer")
MANAGE = RequireStudy("admin", "researcher")
InStudy = StudyPrincipal

MEASURE_NOTES: dict[str, str] = {
    "pK1": "agreement per second on the first task (Fleiss' kappa)",
    "pAg1": "percent of seconds with the same first task",
    "pK2": "agreement per second on the second, parallel task",
    "pAg2": "percent of seconds with the same second task",
    "pKm": "agreement over all simultaneous tasks (iota)",
    "NK": "agreement on naming matched tasks (kappa)",
    "NAg": "percent of matched tasks named alike",
    "DCCCr": "concordance of matched task durations (Lin)",
    "DCCCcb": "its bias correction factor",
    "NW_score": "agreement of the two task sequences (Needleman–Wunsch)",
    "time_sliced_kappa": "Cohen's kappa over one-second slices: compared with the threshold",
    "time_sliced_agreement": "percent of seconds with the same set of tasks",
}
PERCENT = {"pAg1", "pAg2", "NAg", "time_sliced_agreement"}


def _observer_of(who: StudyPrincipal) -> str:
    """The observer code the user records as (as the capture service names it)."""
    return who.observer_code or who.user.name


def _may_see(who: StudyPrincipal, observers: list[str | None]) -> None:
    if who.role in ("admin", "researcher"):
        return
    if who.role == "observer" and _observer_of(who) in observers:
        return
    raise AuthError(403, "observers see the calibration of pairs they are part of only")


def _pair(
    request: Request, who: StudyPrincipal, key: str, partner: str | None, tolerance: float
) -> tuple[calibration.Calibration | None, list[str]]:
    """The pair of session `key` with `partner` (default: its first co-observed session), or
    None when it has none; checks who may see it before anything is computed."""
    store = store_of(request)
    partners = calibration.partners(store, who.study_id, key, tolerance_seconds=tolerance)
    own = setup.load_session(store, who.study_id, key)
    if partner is None:
        if not partners:
            _may_see(who, [own.observer])
            return None, partners
        partner = partners[0]
    other = setup.load_session(store, who.study_id, partner)
    _may_see(who, [own.observer, other.observer])
    result = calibration.evaluate(
        store,
        who.study_id,
        key,
        partner,
        tolerance_seconds=tolerance,
        record=True,
        by=who.user.id,
    )
    return result, partners


# -- the side-by-side timeline --------------------------------------------------------------------

ROW_H = 34
AXIS = 30
LEFT = 118


@dataclass
class Row:
    label: str
    y: int
    bars: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SideBySide:
    width: float
    height: float
    rows: list[Row]
    differ: Row
    ticks: list[tuple[float, str]]


def side_by_side(
    c: calibration.Calibration, domains: dict[str, str], px_per_minute: float = 6.0
) -> SideBySide:
    """Pixel positions of the two records' foreground categories and of the disagreements,
    on one axis: seconds from each session's own start (as the measures count them),
    labelled with session A's clock."""
    minutes = max(c.horizon / 60, 1.0)
    scale = max(px_per_minute, (960 - LEFT - 8) / minutes)
    clock = _clock(c)

    def x(sec: int) -> float:
        return round(LEFT + sec / 60 * scale, 2)

    rows = []
    for n, (name, observer, track) in enumerate(
        (("A", c.session_a.observer, c.track_a), ("B", c.session_b.observer, c.track_b))
    ):
        row = Row(f"{name}: {observer}", AXIS + n * (ROW_H + 8))
        for p in track:
            domain = domains.get(p.category or "", "other")
            row.bars.append(
                {
                    "x": x(p.start),
                    "w": max(x(p.end) - x(p.start), 1.0),
                    "category": p.category,
                    "fill": DOMAIN_COLOURS.get(domain, DOMAIN_COLOURS["other"]),
                    "text": DOMAIN_TEXT.get(domain, "#FFFFFF"),
                    "title": f"{observer}: {p.category} {clock(p.start)}–{clock(p.end)}",
                }
            )
        rows.append(row)
    differ = Row("Differ", AXIS + 2 * (ROW_H + 8))
    for d in c.disagreements:
        differ.bars.append(
            {
                "x": x(d.start),
                "w": max(x(d.end) - x(d.start), 1.0),
                "category": None,
                "title": (
                    f"{clock(d.start)}–{clock(d.end)}: A {d.a or 'nothing recorded'}, "
                    f"B {d.b or 'nothing recorded'}"
                ),
            }
        )
    step = next((s for s in (1, 2, 5, 10, 15, 30, 60, 120) if s * scale >= 70), 240)
    ticks = [(x(m * 60), clock(m * 60)) for m in range(0, int(minutes) + 1, step)]
    return SideBySide(
        width=round(LEFT + minutes * scale + 56, 2),  # room for the last tick's label
        height=AXIS + 3 * (ROW_H + 8) + 8,
        rows=rows,
        differ=differ,
        ticks=ticks,
    )


def domains_of(request: Request, c: calibration.Calibration) -> dict[str, str]:
    """Category code -> domain, from the two sessions' templates (A's wins)."""
    store = store_of(request)
    out: dict[str, str] = {}
    for s in (c.session_b, c.session_a):
        tpl = setup.template_of(store, s)
        if tpl is not None:
            out.update({cat.code: tpl.domain_of(cat.code) for cat in tpl.categories})
    return out


# -- pages ----------------------------------------------------------------------------------------


def _q(text: str) -> str:
    return quote(text, safe="")


@router.get("/studies/{study}/sessions/{key}/calibration")
def calibration_page(
    request: Request,
    study: str,
    key: str,
    who: Annotated[InStudy, Depends(STAFF)],
    partner: str | None = None,
    tolerance: Tolerance = 0,
) -> Response:
    """The calibration of a session with a co-observed session (its first, or `partner`)."""
    result, partners = _pair(request, who, key, partner, tolerance)
    return render(
        request,
        "calibration.html",
        who,
        key=key,
        c=result,
        partners=partners,
        tl=side_by_side(result, domains_of(request, result)) if result is not None else None,
        measures=[*MEASURES, "time_sliced_kappa", "time_sliced_agreement"],
        notes=MEASURE_NOTES,
        percent=PERCENT,
        tolerance=tolerance,
        clock=_clock(result) if result is not None else None,
    )


def _clock(c: calibration.Calibration) -> Any:
    """Seconds from the sessions' start as session A's local clock time."""
    zone = ZoneInfo(c.session_a.timezone)

    def clock(sec: int) -> str:
        return (c.session_a.start + timedelta(seconds=sec)).astimezone(zone).strftime("%H:%M:%S")

    return clock


@router.get("/studies/{study}/calibration")
def settings_page(
    request: Request, study: str, who: Annotated[InStudy, Depends(MANAGE)]
) -> Response:
    """The study's calibration threshold and requirement, and the passed calibrations."""
    store = store_of(request)
    return render(
        request,
        "calibration_settings.html",
        who,
        rule=calibration.settings(store, who.study_id),
        passed=calibration.passed_calibrations(store, who.study_id),
    )


@router.post("/studies/{study}/calibration")
async def save_settings(
    request: Request, study: str, who: Annotated[InStudy, Depends(MANAGE)]
) -> Response:
    form = await read_form(request)
    try:
        rule = calibration.set_settings(
            store_of(request),
            who.study_id,
            threshold=str(form.get("threshold", "")).strip() or None,
            required=form.get("required") in ("yes", "on", "true", "1"),
            by=who.user.id,
        )
    except ValidationError as exc:
        flash(request, str(exc), "error")
    else:
        flash(
            request,
            f"Calibration threshold {rule.threshold:.2f}; a passed calibration is "
            f"{'required' if rule.required else 'not required'} before real sessions.",
        )
    return RedirectResponse(f"/studies/{_q(study)}/calibration", status_code=303)


# -- the JSON API ---------------------------------------------------------------------------------


@api.get(
    "/studies/{study}/sessions/{key}/calibration",
    response_model=CalibrationOut,
    tags=["calibration"],
)
def calibration_json(
    request: Request,
    study: str,
    key: str,
    who: Annotated[InStudy, Depends(STAFF)],
    partner: str | None = None,
    tolerance: Tolerance = 0,
) -> dict[str, Any]:
    """The calibration of a session with a co-observed session (its first, or `partner`):
    the IOR measures, the time-sliced kappa against the study's threshold, both records'
    foreground categories and their disagreements (seconds from each session's start).
    404 when the session has no co-observed partner. Observers: their own pairs only."""
    result, partners = _pair(request, who, key, partner, tolerance)
    if result is None:
        raise NotFoundError(f"session {key} has no co-observed session")
    return {**result.as_dict(), "partners": partners}


@api.get("/studies/{study}/calibration", response_model=CalibrationStatusOut, tags=["calibration"])
def calibration_status(
    request: Request, study: str, who: Annotated[InStudy, Depends(STAFF)]
) -> dict[str, Any]:
    """The study's calibration rule and the passed calibrations (observers: their own)."""
    store = store_of(request)
    rule = calibration.settings(store, who.study_id)
    only = _observer_of(who) if who.role == "observer" else None
    return {
        "measure": MEASURE,
        "threshold": rule.threshold,
        "required": rule.required,
        "passed": [
            PassedCalibrationOut.model_validate(p)
            for p in calibration.passed_calibrations(store, who.study_id, only)
        ],
    }


@api.post("/studies/{study}/calibration", response_model=CalibrationStatusOut, tags=["calibration"])
def calibration_settings(
    request: Request,
    study: str,
    body: CalibrationSettingsIn,
    who: Annotated[InStudy, Depends(MANAGE)],
) -> dict[str, Any]:
    """Set the threshold and/or the requirement (what is left out stays as it was)."""
    store = store_of(request)
    calibration.set_settings(
        store, who.study_id, threshold=body.threshold, required=body.required, by=who.user.id
    )
    return calibration_status(request, study, who)


__all__ = ["api", "router", "side_by_side"]
