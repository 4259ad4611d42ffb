"""Slow pages built in the background: the web side of ``workweave.services.builds``.

The study report and the dashboard's figures are built by the app's `Builds` registry (one
worker by default, ``WORKWEAVE_WEB_BUILD_WORKERS=2`` for two) and cached until the study's data
changes, in memory and in a cache folder beside the store. A page whose result is not built
yet answers at once with a progress view; ``static/builds.js`` polls the JSON status routes
here and reloads the page when the result is ready (without JavaScript the progress view
refreshes itself). A failed build shows its error and a "Try again" link (``?retry=1``).
"""

from __future__ import annotations

import json
import os
import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, Field

from workweave.domain.errors import ValidationError
from workweave.services.builds import Build, Builds, cache_dir_for, dashboard_key, report_key
from workweave.web.auth import RequireStudy, StudyPrincipal, store_of
from workweave.web.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/api", tags=["builds"], responses=ERROR_RESPONSES)

ENV_WORKERS = "WORKWEAVE_WEB_BUILD_WORKERS"
STAFF = RequireStudy("admin", "researcher", "observer")
MANAGE = RequireStudy("admin", "researcher")
MAX_BOOTSTRAP = 5000

_lock = threading.Lock()


def builds_of(app: FastAPI) -> Builds:
    """The app's build registry (made on first use, with its cache beside the app's store)."""
    found = getattr(app.state, "builds", None)
    if found is not None:
        return found
    with _lock:
        found = getattr(app.state, "builds", None)
        if found is None:
            workers = os.environ.get(ENV_WORKERS, "1")
            if workers not in ("1", "2"):
                raise ValidationError(f"{ENV_WORKERS} must be 1 or 2, not {workers!r}")
            found = Builds(cache_dir_for(app.state.store.location), workers=int(workers))
            app.state.builds = found
    return found


def warm_up(app: FastAPI) -> None:
    """Make the app's build registry and load, in the background, the libraries the first
    report or dashboard request would otherwise load while its user waits."""
    builds_of(app)
    threading.Thread(target=_load_libraries, name="workweave-warm-up", daemon=True).start()


def _load_libraries() -> None:
    import workweave.report
    import workweave.services.studies
    import workweave.web.headline  # noqa: F401


def report_options(B: int) -> Any:
    """The options the web builds the study report with (B bootstrap replicates)."""
    from workweave import report

    if not 0 <= B <= MAX_BOOTSTRAP:
        raise ValidationError(f"B must be between 0 and {MAX_BOOTSTRAP}")
    return report.ReportOptions(B=B, csv_href=_no_csv)


def _no_csv(name: str) -> None:
    return None  # the served report links no CSV files


def study_report_build(request: Request, study_id: int, B: int, *, retry: bool = False) -> Build:
    return builds_of(request.app).study_report(
        store_of(request), study_id, report_options(B), retry=retry
    )


def dashboard_build(request: Request, study_id: int, *, retry: bool = False) -> Build:
    from workweave.web.headline import compute_headline

    return builds_of(request.app).dashboard(
        store_of(request), study_id, compute_headline, retry=retry
    )


def dashboard_figures(build: Build) -> dict[str, Any] | None:
    """The built dashboard figures (None until built)."""
    return json.loads(build.result) if build.ready else None


class BuildStatus(BaseModel):
    status: Literal["queued", "running", "done", "failed", "missing"] = Field(
        description="'missing': no build of this result is known (the data changed since it "
        "was started): load the page again to start one."
    )
    stage: str = Field(description="What the build is doing now.")
    percent: int = Field(description="Stages done over stages expected, 0-100.")
    step: int
    steps: int
    elapsed_s: float
    error: str | None
    cached: bool = Field(description="True when the result came from the cache.")


MISSING = {
    "status": "missing",
    "stage": "not started",
    "percent": 0,
    "step": 0,
    "steps": 0,
    "elapsed_s": 0.0,
    "error": None,
    "cached": False,
}


def _status(build: Build | None) -> dict[str, Any]:
    return build.describe() if build is not None else dict(MISSING)


@router.get("/studies/{study}/builds/report", response_model=BuildStatus)
def report_status(
    request: Request, study: str, who: Annotated[StudyPrincipal, Depends(MANAGE)], B: int = 500
) -> dict[str, Any]:
    """The status of the study report's build (starts nothing)."""
    key = report_key(store_of(request), who.study_id, report_options(B))
    return _status(builds_of(request.app).get(key))


@router.get("/studies/{study}/builds/dashboard", response_model=BuildStatus)
def dashboard_status(
    request: Request, study: str, who: Annotated[StudyPrincipal, Depends(STAFF)]
) -> dict[str, Any]:
    """The status of the dashboard figures' build (starts nothing)."""
    key = dashboard_key(store_of(request), who.study_id)
    return _status(builds_of(request.app).get(key))


__all__ = [
    "BuildStatus",
    "builds_of",
    "dashboard_build",
    "dashboard_figures",
    "report_options",
    "router",
    "study_report_build",
    "warm_up",
]
