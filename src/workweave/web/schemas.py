"""The JSON API's request and response models: the OpenAPI schema at /api/openapi.json is
made from them. A response model lists the keys of its payload in the order they are sent;
where a payload is a large free-form structure (a template, a timeline layout) the model names
its top-level fields and leaves the rest open."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workweave.domain.policy import DEFAULT_TIMEZONE, SUPPRESS_BELOW
from workweave.domain.privacy import MAX_SUPPRESS_BELOW

Number = int | float
"""A number sent as it was computed: an integer stays an integer."""


class Out(BaseModel):
    """A response model, also built from the attributes of a domain object."""

    model_config = ConfigDict(from_attributes=True)


class OpenOut(Out):
    """A response model for a payload the services make: keys it does not name pass through
    unchanged (after the named ones)."""

    model_config = ConfigDict(from_attributes=True, extra="allow")


# -- errors ------------------------------------------------------------------------------------


class ErrorOut(BaseModel):
    """Every error the JSON API answers with (4xx): a one-line reason, and for bad input the
    problems one by one (``field: reason``)."""

    detail: str = Field(description="What is wrong, in one line.")
    problems: list[str] = Field(
        default_factory=list,
        description="Bad input only (400, 422): each problem as 'field: reason'.",
    )


ERROR_STATUSES: dict[int, str] = {
    400: "Bad input: a value the rules refuse (the reason names the field).",
    401: "Not signed in, or the session has ended.",
    403: "Not allowed for your role, or the CSRF token is missing or wrong.",
    404: "No such study, session, participant or template.",
    409: "Refused by the study's rules (e.g. no consent, no passed calibration).",
    413: "The request body is too large.",
    422: "The request does not match the declared schema (each problem listed).",
    429: "Too many attempts: wait and try again.",
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text} for status, text in ERROR_STATUSES.items()
}
"""The error responses every JSON API route declares (``APIRouter(responses=...)``)."""


# -- requests, the session and capture batches ---------------------------------------------------

MAX_INT = 2**53
"""The largest integer accepted anywhere in a request (exact in JavaScript and a float)."""
MAX_MS = 10**14
"""Instants (ms since 1970) must be below this (the year 5138): more is not a time."""


def _finite(value: Any, where: str = "") -> None:
    """Refuse NaN, Infinity, integers too large for any column and text holding a NUL
    character (which PostgreSQL cannot store), anywhere in a value."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(f"{where or 'text'}: a NUL character is not allowed in text")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where or 'a number'}: NaN and Infinity are not numbers we accept")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
        raise ValueError(f"{where or 'a number'}: {value} is out of range")
    if isinstance(value, dict):
        for k, v in value.items():
            _finite(k, where)
            _finite(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _finite(v, f"{where}[{i}]")


Tolerance = Annotated[
    float,
    Query(
        ge=0,
        le=86_400,
        allow_inf_nan=False,
        description="Seconds two observers' times may differ and still agree (0 to 86400).",
    ),
]
"""The `tolerance` query parameter of the reliability pages: finite, 0 to a day."""


class In(BaseModel):
    """A request body: floats must be finite, and no number anywhere in it (nested payloads
    included) may be NaN, Infinity or an integer beyond 2**53, nor any text hold a NUL
    character (422, never a 500 later, on SQLite and PostgreSQL alike)."""

    model_config = ConfigDict(allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _numbers(cls, data: Any) -> Any:
        _finite(data)
        return data


class LoginIn(In):
    name: str = Field(max_length=200)
    password: str = Field(max_length=1024)


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


class StudyIn(In):
    name: str
    title: str = ""
    description: str = ""

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class StudyOut(Out):
    name: str
    title: str
    description: str
    synthetic: bool
    role: str


class SiteIn(In):
    code: str
    name: str = ""
    timezone: str = DEFAULT_TIMEZONE
    description: str = ""


class ObserverIn(In):
    code: str
    name: str = ""


class ParticipantIn(In):
    code: str
    site: str
    profession: str = "other"
    band: str | None = None
    pay_point: int | None = None
    contracted_hours: float | None = None


class ConsentIn(In):
    given: bool = Field(description="True: consent given; false: consent withdrawn.")
    form_version: str = ""
    note: str = ""


class MemberIn(In):
    user: str
    role: Literal["researcher", "observer", "participant"]
    code: str | None = Field(None, description="Observer code, or the participant's code.")


class UserIn(In):
    name: str
    role: Literal["admin", "researcher", "observer", "participant"]
    password: str


class TemplateIn(In):
    text: str = Field(description="The template as YAML or JSON text.")


class TemplateChoice(In):
    name: str
    version: str


class SyncIn(In):
    study: str
    clock: int | None = Field(
        None, ge=0, lt=MAX_MS, description="The device's clock when it sent the batch (ms)."
    )
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


class StartIn(In):
    uuid: str
    session: str
    participant: str
    t: int = Field(ge=0, lt=MAX_MS, description="The device's clock (ms since 1970, UTC).")
    seq: int = Field(0, ge=0, le=2**31 - 1)
    mode: Literal["shadowing", "self-report"] = "shadowing"
    clock: int | None = Field(None, ge=0, lt=MAX_MS)
    calibration: bool = Field(
        False, description="A calibration (training) session, allowed before a passed calibration."
    )


class CorrectionIn(In):
    target: str = Field(description="A task, point event or note key.")
    field: str = Field(description="Tasks: category, subcategory, start, end, deleted; ...")
    value: Any = None


class DiaryEntry(In):
    category: str
    start: str = Field(description="HH:MM, the site's local time")
    end: str
    dims: dict[str, list[str]] = {}


class DiaryIn(In):
    date: dt.date
    entries: list[DiaryEntry]


# -- responses: set-up ----------------------------------------------------------------------------


class SignedOut(Out):
    signed_out: bool


class Code(Out):
    """The code of what was added."""

    code: str


class SiteOut(Out):
    code: str
    name: str
    timezone: str
    description: str


class ObserverOut(Out):
    code: str
    name: str


class ParticipantOut(OpenOut):
    code: str
    site: str
    profession: str
    band: str | None
    pay_point: int | None
    weekly_hours: Number | None = Field(
        description="From the job plan when there is one, else the contracted hours."
    )
    job_plan_sessions: int
    consent: bool = Field(description="Consent is given (observation may start).")
    consent_recorded: int | None = Field(description="When consent was last recorded (ms).")


class ConsentOut(Out):
    participant: str
    consent: bool


class MemberOut(Out):
    user: str
    study_id: int
    study: str
    role: str
    observer_code: str | None
    participant_code: str | None


class TemplateChosen(Out):
    template: str = Field(description="name@version")


class TemplateInfo(Out):
    name: str
    version: str
    title: str
    where: str = Field(description="Where the template comes from (the store or built in).")


class TemplateOut(OpenOut):
    """A template: categories, dimensions and point events (as in its YAML form)."""

    name: str
    version: str
    title: str
    description: str
    default_session_hours: Number
    categories: list[dict[str, Any]] = Field(
        description="{code, label, domain, job_plan, subcategories[, examples]}"
    )
    dimensions: list[dict[str, Any]] = Field(
        description="{key, label, multi, required, options[, domains]}"
    )
    point_events: list[dict[str, Any]] = Field(description="{key, label, subtypes}")


class TemplateStored(Out):
    name: str
    version: str
    categories: int = Field(description="How many categories the template has.")


class UserInfo(Out):
    name: str
    role: str
    active: bool


class UserAdded(Out):
    name: str
    role: str


# -- responses: summaries -------------------------------------------------------------------------


WITHHELD = (
    " Null when withheld: the figure rests on fewer participants than the study's "
    "small-number threshold and you do not have the researcher role."
)


class SummaryRow(OpenOut):
    group: Any = Field(description="The group: 'all', or a site, participant or observer code.")
    sessions: int | None = Field(description="Sessions." + WITHHELD)
    incomplete_sessions: int | None
    tasks: int | None
    observed_hours: float | None
    interruptions: int | None = Field(
        description="Interruption events: one interrupting task at one instant is one event."
    )
    suspensions: int | None = Field(0, description="Tasks suspended by interruptions.")


class StudySummary(OpenOut):
    """Sessions, tasks, observed hours and interruptions, in total and by group."""

    study: str
    title: str
    synthetic: bool
    total: SummaryRow
    by_site: list[SummaryRow]
    by_participant: list[SummaryRow]
    by_observer: list[SummaryRow]
    suppress_below: int | None = Field(
        None,
        description="The study's small-number threshold: without the researcher role, groups "
        "with fewer participants are left out and a total resting on fewer is withheld.",
    )
    suppressed_groups: int = Field(0, description="Rows left out or withheld for you.")


class HeadlineItem(Out):
    id: str = Field(description="A metric id (with its key in brackets) or a summary figure.")
    label: str
    value: str | Number = Field(description="Formatted for display.")
    unit: str
    detail: str
    n_participants: int | None = Field(
        None, description="Participants the figure rests on (metric items)."
    )


class Headline(Out):
    source: Literal["metrics", "summary"] = Field(
        description="'metrics': the items come from the metric registry; 'summary': from the "
        "study summary."
    )
    items: list[HeadlineItem]
    totals: list[HeadlineItem]
    summary: StudySummary


# -- responses: capture and sessions --------------------------------------------------------------


class CaptureParticipant(Out):
    code: str
    site: str
    profession: str
    consent: bool


class CaptureConfig(OpenOut):
    """What the capture client keeps for working offline."""

    study: str
    template: TemplateOut
    template_key: str = Field(description="name@version")
    participants: list[CaptureParticipant]
    observer: str | None
    mode: Literal["shadowing", "self-report"]
    role: str


class SessionRow(OpenOut):
    key: str
    mode: str
    source: str | None
    participant: str
    site: str
    observer: str | None
    start: str = Field(description="ISO 8601, UTC")
    local_start: str = Field(description="YYYY-MM-DD HH:MM, the site's time")
    hours: float
    complete: bool
    tasks: int


class EditOut(OpenOut):
    action: str = Field(description="The UUID of the edit action.")
    target: str
    field: str
    old: Any
    new: Any
    applied: bool
    by: str | None = Field(description="Who made the correction.")
    device_ms: int
    received_ms: int


class ActionOut(Out):
    uuid: str
    seq: int
    type: str
    t: int
    payload: dict[str, Any]
    received_ms: int


class ParallelOut(Out):
    other: str
    start: str | None
    end: str | None


class SuspensionOut(Out):
    start: str
    end: str | None
    by: str | None


class TaskOut(Out):
    key: str
    seq: int
    category: str
    subcategory: str | None
    start: str
    end: str | None
    active_seconds: Number
    dimensions: dict[str, list[str]]
    parallel: list[ParallelOut]
    suspensions: list[SuspensionOut]
    ended_by: str | None


class EventOut(Out):
    key: str | None
    kind: str
    subtype: str | None
    at: str


class NoteOut(Out):
    key: str | None
    at: str
    text: str


class TimelineOut(OpenOut):
    """The layout of a session's timeline (``web.timeline.layout``): positions in pixels."""

    width: Number
    height: Number
    lanes: int
    bars: list[dict[str, Any]] = Field(
        description="{key, category, label, domain, lane, x, w, y, start, end, fill, text, "
        "open, gaps, dims, parallel, title}"
    )
    events: list[dict[str, Any]] = Field(description="{x, at, label, kind, text, key}")
    notes: list[dict[str, Any]] = Field(description="{x, at, label, kind, text, key}")
    ticks: list[list[Any]] = Field(description="[x, HH:MM]")
    start: str
    end: str
    hours: Number
    legend: list[list[str]] = Field(description="[domain, colour]")


class SessionDetail(Out):
    """A session with its tasks, point events, notes and the layout of its timeline."""

    key: str
    participant: str
    site: str
    observer: str | None
    mode: str
    source: str | None
    start: str
    end: str | None
    complete: bool
    timezone: str
    template: str | None
    clock_skew_seconds: Number | None
    tasks: list[TaskOut]
    events: list[EventOut]
    notes: list[NoteOut]
    timeline: TimelineOut


# -- co-observer calibration -------------------------------------------------------------------


class PieceOut(Out):
    """Seconds [start, end) from the session's start with one foreground category."""

    start: int
    end: int
    category: str | None


class DisagreementOut(Out):
    """Seconds [start, end) in which the two records' foreground categories differ (None:
    that observer recorded nothing)."""

    start: int
    end: int
    a: str | None
    b: str | None


class CalibrationOut(Out):
    """A co-observed pair compared (``services.calibration.evaluate``)."""

    session_a: str
    session_b: str
    observer_a: str | None
    observer_b: str | None
    participant: str
    start_a: str
    start_b: str
    calibration_a: bool = Field(description="Session A was started as a calibration session.")
    calibration_b: bool
    complete: bool = Field(description="Both sessions have ended.")
    measure: str = Field(description="The measure compared with the threshold.")
    kappa: Number | None = Field(description="Its value (None where undefined).")
    threshold: Number
    passed: bool
    required: bool = Field(description="The study requires a passed calibration.")
    measures: dict[str, Number | None] = Field(
        description="The ten IORapp measures, time_sliced_kappa and time_sliced_agreement."
    )
    n_seconds: int
    horizon: int
    disagreement_seconds: int
    disagreements: list[DisagreementOut]
    track_a: list[PieceOut]
    track_b: list[PieceOut]
    recorded: list[str] = Field(description="Observers recorded as passed by this request.")
    warnings: list[str]
    partners: list[str] = Field(description="Every session co-observed with session A.")


class CalibrationSettingsIn(In):
    threshold: float | None = Field(None, description="Kappa to reach, above 0 and at most 1.")
    required: bool | None = Field(
        None, description="Require a passed calibration before an observer records real sessions."
    )


class PassedCalibrationOut(Out):
    observer: str
    partner: str
    session_key: str
    partner_session_key: str
    measure: str
    kappa: Number
    threshold: Number
    recorded_ms: int


class CalibrationStatusOut(Out):
    """The study's calibration rule and the passed calibrations (an observer sees their own)."""

    measure: str
    threshold: Number
    required: bool
    passed: list[PassedCalibrationOut]


class PrivacyIn(BaseModel):
    suppress_below: int | None = Field(
        None,
        ge=SUPPRESS_BELOW,
        le=MAX_SUPPRESS_BELOW,
        description="Hide figures resting on fewer participants than this from anyone "
        "without the researcher role, and never show fewer in the code analysis.",
    )
    coders_edit_others: bool | None = Field(
        None, description="Let coders delete and write memos on each other's codings."
    )


class PrivacyOut(BaseModel):
    """A study's least-privilege settings."""

    suppress_below: int
    coders_edit_others: bool
