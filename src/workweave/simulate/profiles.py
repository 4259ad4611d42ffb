"""Site profiles for the synthetic study, with the parameters planted in the data.

Everything the generator draws from lives here: the four sites, their clinician-managers, the
mix of activities in each job-plan context, task durations, dimension values, and the
*planted rates* (`PlantedRates`): the ground truth a metric engine should recover from the
simulated data. docs/simulator.md explains every parameter.

A **context** is what the job plan says about an instant of a shadowed day:

- ``DCC``, ``management``, ``SPA``, ``ANR``, ``ED``: inside a planned session of that job-plan
  category;
- ``lunch``: between two planned sessions of the same day (outside contracted hours);
- ``outside``: before the first or after the last planned session of the day (outside
  contracted hours).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import time

from workweave.domain.policy import DEFAULT_TIMEZONE

CONTEXTS: tuple[str, ...] = ("DCC", "management", "SPA", "ANR", "ED", "lunch", "outside")
"""Job-plan contexts of a shadowed instant (see the module docstring)."""

PLANNED_CONTEXTS: tuple[str, ...] = ("DCC", "management", "SPA", "ANR", "ED")

INSTANT_BASIS_CONTEXTS: tuple[str, ...] = ("DCC",)
"""Contexts whose planted managerial share is a share of *instants* with at least one
managerial task active (the basis of ``clinical_displacement``); in the others overlapping
managerial tasks count in full (the basis of ``share_observed``, ``takeover_ratio``,
``compartmentalisation`` and ``leakage``)."""
OUT_OF_HOURS_CONTEXTS: tuple[str, ...] = ("lunch", "outside")

DEMAND_CONTEXT_MULTIPLIER: dict[str, float] = {
    "DCC": 1.0,
    "management": 0.5,
    "SPA": 0.25,
    "ANR": 0.25,
    "ED": 0.1,
    "lunch": 0.5,
    "outside": 0.5,
}
"""Demand events arrive at `demand_events_per_hour` times this factor in each context:
clinical lists generate most of them; a staff absence or an add-on still finds a manager at
lunch or after hours."""

RESPONSE_MODES: tuple[tuple[str, float], ...] = (
    ("interrupt", 0.45),  # the current task is suspended for the re-planning
    ("next", 0.35),  # the current task is wrapped up early and re-planning follows
    ("parallel", 0.20),  # re-planning on the phone while carrying on
)
"""How a demand event's LIST-MANAGE response enters the timeline."""

# Durations (minutes) of tasks that are interruptions, demand responses or run in parallel.
INTERRUPTING_MEDIAN_MIN, INTERRUPTING_SIGMA = 1.5, 0.8
RESPONSE_MEDIAN_MIN, RESPONSE_SIGMA = 4.0, 0.6
PARALLEL_MEDIAN_MIN, PARALLEL_SIGMA = 3.0, 0.8
MIN_TASK_SECONDS = 5
MAX_TASK_SECONDS = 150 * 60


@dataclass(frozen=True)
class PlantedRates:
    """Ground-truth parameters planted in one site's simulated data.

    Managerial shares outside planned clinical sessions are on the *observed-time* basis of
    metrics.md (``share_observed``): managerial active time (overlapping tasks counted in full)
    divided by observed time in that context. Inside planned clinical (DCC) sessions the share
    is of *instants* with at least one managerial task active (`INSTANT_BASIS_CONTEXTS`), the
    basis of ``clinical_displacement``. In expectation, therefore:

    - ``clinical_displacement`` (planned clinical time with a managerial task active ÷ planned
      clinical time) = `mgmt_share_clinical`;
    - managerial time inside planned management sessions ÷ their length = `mgmt_share_management`
      (``takeover_ratio`` divides *all* managerial time in the observed windows by planned
      management time, so it also counts the management that leaked elsewhere);
    - managerial time ÷ observed time outside contracted hours is `mgmt_share_lunch` in the gap
      between planned sessions and `mgmt_share_outside` before and after them;
    - ``interruptions_per_hour`` = `interruptions_per_hour`;
    - ``demand_response`` >= `demand_response_share` (any managerial episode counts there, not
      only the planted LIST-MANAGE response).
    """

    interruptions_per_hour: float
    """All interruptions (suspensions of a task plus interruption point events) per observed
    hour, in every context. Published range for clinicians: 2-7 per hour."""
    point_interruption_share: float
    """Share of interruptions recorded only as a point event (too brief for a task of its own);
    the rest suspend the current task and start an interrupting task."""
    not_resumed_share: float
    """Share of suspending interruptions after which the interrupted task is never resumed."""
    demand_events_per_hour: float
    """Demand events (cancellation, did-not-attend, add-on, emergency, staff absence) per hour
    inside planned clinical (DCC) sessions; other contexts use DEMAND_CONTEXT_MULTIPLIER."""
    demand_response_share: float
    """Share of demand events answered by LIST-MANAGE work within the response window."""
    mgmt_share_clinical: float
    """Share of observed time inside planned clinical (DCC) sessions with at least one
    managerial task active (instants, not task time: ``clinical_displacement``): leakage of
    management into clinical sessions."""
    mgmt_share_management: float
    """Managerial time per observed hour inside planned management sessions (the rest is being
    pulled back into clinical work, teaching, breaks)."""
    mgmt_share_other_planned: float
    """Managerial time per observed hour inside SPA, ANR and ED sessions."""
    mgmt_share_lunch: float
    """Managerial time per observed hour in the unpaid gap between planned sessions."""
    mgmt_share_outside: float
    """Managerial time per observed hour before and after contracted hours."""
    early_start_minutes: float
    """Mean minutes observed before the first planned session, on days observed from their
    start (exponentially distributed, capped at 90)."""
    late_finish_minutes: float
    """Mean minutes observed after the last planned session, on days observed to their end
    (exponentially distributed, capped at 120)."""
    parallel_tasks_per_hour: float
    """Tasks started in parallel with the current one (multitasking), per observed hour."""

    def mgmt_share(self, context: str) -> float:
        if context == "DCC":
            return self.mgmt_share_clinical
        if context == "management":
            return self.mgmt_share_management
        if context in ("SPA", "ANR", "ED"):
            return self.mgmt_share_other_planned
        if context == "lunch":
            return self.mgmt_share_lunch
        if context == "outside":
            return self.mgmt_share_outside
        raise KeyError(context)

    def demand_rate(self, context: str) -> float:
        """Demand events per hour in a context."""
        return self.demand_events_per_hour * DEMAND_CONTEXT_MULTIPLIER[context]

    def metric_targets(self) -> dict[str, float]:
        """Metric ids (metrics.md) whose expected value is a planted rate, with that value."""
        return {
            "interruptions_per_hour": self.interruptions_per_hour,
            "clinical_displacement": self.mgmt_share_clinical,
        }

    def expected_managerial_seconds(self, observed: Mapping[str, float]) -> dict[str, float]:
        """Expected managerial active time per context, given the observed time (any unit) in
        each context: the planted share times the exposure. In DCC the share is of instants,
        so this is slightly less than the managerial task time counted in full there (by the
        overlap of managerial tasks with each other, about 0.01-0.02 of DCC time with the
        default rates)."""
        return {ctx: self.mgmt_share(ctx) * t for ctx, t in observed.items()}

    def expected_compartmentalisation(self, observed: Mapping[str, float]) -> float:
        """Expected ``compartmentalisation`` (managerial time inside planned management
        sessions ÷ all managerial time) for the given observed time per context."""
        mgmt = self.expected_managerial_seconds(observed)
        total = sum(mgmt.values())
        return mgmt.get("management", 0.0) / total if total else float("nan")

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def problems(self) -> list[str]:
        out = []
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, int | float) or math.isnan(v) or v < 0:
                out.append(f"{f.name} must be a number >= 0, not {v!r}")
        for name in ("point_interruption_share", "not_resumed_share", "demand_response_share"):
            if getattr(self, name) > 1:
                out.append(f"{name} is a share and must be at most 1")
        for ctx in CONTEXTS:
            if self.mgmt_share(ctx) > 1:
                out.append(f"the managerial share in context {ctx} must be at most 1")
        return out


@dataclass(frozen=True)
class StaffSpec:
    """One clinician-manager of the base cohort."""

    profession: str
    band: str
    pay_point: int
    role: str
    sessions: int = 10  # planned sessions a week (10 = full time, 37.5 h)


@dataclass(frozen=True)
class SiteProfile:
    """One simulated site: who works there, how their days run, and its planted rates."""

    code: str
    name: str
    description: str
    prefix: str  # participant codes: f"{prefix}-{n:02d}"
    am: tuple[time, time]  # standard morning session (local time)
    pm: tuple[time, time]  # standard afternoon session (local time)
    staff: tuple[StaffSpec, ...]  # the base cohort (3-6 clinician-managers)
    professions: tuple[tuple[str, float], ...]  # for further cohorts: profession, weight
    rates: PlantedRates
    clinical_direct_minutes: float  # median length of direct patient care
    transit_minutes: float  # median length of a move between areas or sites
    clinical_where: str  # where direct care happens
    demand_subtypes: tuple[tuple[str, float], ...]
    interruption_sources: tuple[tuple[str, float], ...]
    timezone: str = DEFAULT_TIMEZONE
    extra_variants: tuple[tuple[str, tuple[DimVariant, ...]], ...] = field(default=())

    def with_rates(self, **changes: float) -> SiteProfile:
        return replace(self, rates=replace(self.rates, **changes))


@dataclass(frozen=True)
class DimVariant:
    """One typical combination of dimension values for a category, with a relative weight."""

    weight: float
    with_whom: tuple[str, ...]
    how: tuple[str, ...]
    where: str | None  # None: the site's clinical area


# --- activity mixes -----------------------------------------------------------------------

MANAGERIAL_MIX: dict[str, dict[str, float]] = {
    "DCC": {
        "LIST-MANAGE": 5,
        "ADMIN": 4,
        "STAFF-ROTA": 2,
        "ESTATES-IT": 1,
        "GOVERNANCE": 1,
        "HR-CASEWORK": 0.4,
        "DATA-REPORT": 0.5,
    },
    "management": {
        "ADMIN": 6,
        "MEETING": 2.5,
        "STAFF-ROTA": 2,
        "LIST-MANAGE": 1.5,
        "DATA-REPORT": 1.2,
        "HR-CASEWORK": 1,
        "GOVERNANCE": 1,
        "SERVICE-PLAN": 0.8,
        "SUPERVISE": 0.8,
        "ESTATES-IT": 0.8,
        "RECRUIT": 0.7,
        "BUDGET": 0.7,
    },
    "SPA": {"SUPERVISE": 3, "ADMIN": 3, "MEETING": 1, "GOVERNANCE": 1, "DATA-REPORT": 0.5},
    "ANR": {"GOVERNANCE": 3, "ADMIN": 3, "MEETING": 1.5, "SERVICE-PLAN": 1},
    "ED": {"ADMIN": 3, "MEETING": 1, "SERVICE-PLAN": 1},
    "lunch": {"ADMIN": 6, "STAFF-ROTA": 1.5, "LIST-MANAGE": 1, "DATA-REPORT": 0.5},
    "outside": {
        "ADMIN": 6,
        "STAFF-ROTA": 2,
        "DATA-REPORT": 1.5,
        "LIST-MANAGE": 1,
        "HR-CASEWORK": 0.5,
        "BUDGET": 0.5,
        "GOVERNANCE": 0.5,
    },
}
"""Which managerial categories fill the managerial part of each context (relative weights)."""

OTHER_MIX: dict[str, dict[str, float]] = {
    "DCC": {
        "CLIN-DIRECT": 6,
        "CLIN-INDIRECT": 5,
        "CLIN-ADVICE": 2,
        "CLIN-PREP": 1.5,
        "TRANSIT": 1.5,
        "EDUCATION": 0.5,
        "BREAK": 0.3,
        "OTHER": 0.2,
    },
    "management": {
        "CLIN-ADVICE": 2,
        "CLIN-DIRECT": 1,
        "CLIN-INDIRECT": 1,
        "TRANSIT": 1.5,
        "EDUCATION": 0.5,
        "BREAK": 0.5,
        "OTHER": 0.3,
    },
    "SPA": {
        "EDUCATION": 3,
        "OWN-CPD": 2,
        "RESEARCH": 1.5,
        "CLIN-ADVICE": 1,
        "TRANSIT": 0.8,
        "BREAK": 0.3,
    },
    "ANR": {"EDUCATION": 1, "RESEARCH": 1, "EXTERNAL": 1, "CLIN-ADVICE": 1, "TRANSIT": 0.8},
    "ED": {"EXTERNAL": 4, "TRANSIT": 1, "OWN-CPD": 1},
    "lunch": {"BREAK": 8, "TRANSIT": 1, "CLIN-INDIRECT": 1, "OWN-CPD": 0.3},
    "outside": {
        "CLIN-INDIRECT": 3,
        "TRANSIT": 1.5,
        "CLIN-PREP": 1,
        "BREAK": 1,
        "OWN-CPD": 1,
    },
}
"""Which other categories fill the rest of each context (relative weights)."""

INTERRUPTING_MIX: tuple[dict[str, float], dict[str, float]] = (
    {
        "ADMIN": 4,
        "STAFF-ROTA": 2,
        "LIST-MANAGE": 2,
        "ESTATES-IT": 1,
        "GOVERNANCE": 0.5,
        "HR-CASEWORK": 0.5,
    },
    {"CLIN-ADVICE": 5, "CLIN-INDIRECT": 2, "CLIN-DIRECT": 1, "EDUCATION": 0.5, "OTHER": 0.5},
)
"""Categories of interrupting tasks: (managerial, other). Interruptions lean managerial: their
managerial share is the context's share plus INTERRUPTING_MGMT_TILT."""
INTERRUPTING_MGMT_TILT = 0.25

PARALLEL_MIX: tuple[dict[str, float], dict[str, float]] = (
    {"ADMIN": 5, "DATA-REPORT": 1, "STAFF-ROTA": 1, "LIST-MANAGE": 1},
    {"EDUCATION": 2, "CLIN-INDIRECT": 2, "CLIN-ADVICE": 2, "BREAK": 1},
)
"""Categories of tasks run in parallel: (managerial, other), in the context's proportion."""

DURATIONS: dict[str, tuple[float, float]] = {
    "CLIN-DIRECT": (12, 0.6),
    "CLIN-INDIRECT": (4, 0.8),
    "CLIN-ADVICE": (2, 0.8),
    "CLIN-PREP": (3, 0.7),
    "LIST-MANAGE": (3.5, 0.7),
    "STAFF-ROTA": (4, 0.8),
    "HR-CASEWORK": (12, 0.8),
    "RECRUIT": (15, 0.8),
    "SUPERVISE": (25, 0.6),
    "BUDGET": (10, 0.8),
    "SERVICE-PLAN": (15, 0.8),
    "DATA-REPORT": (8, 0.8),
    "GOVERNANCE": (8, 0.8),
    "MEETING": (30, 0.6),
    "ADMIN": (2, 0.9),
    "ESTATES-IT": (4, 0.8),
    "EDUCATION": (15, 0.8),
    "OWN-CPD": (20, 0.8),
    "RESEARCH": (15, 0.8),
    "EXTERNAL": (25, 0.7),
    "TRANSIT": (3, 0.6),
    "BREAK": (12, 0.6),
    "OTHER": (2, 0.8),
}
"""Main-task durations: (median minutes, sigma of the log), lognormal; sites override direct
care and transit."""

PLANNED_PROBABILITY: dict[str, float] = {
    "CLIN-DIRECT": 0.8,
    "MEETING": 0.9,
    "SUPERVISE": 0.9,
    "EDUCATION": 0.7,
    "RECRUIT": 0.6,
    "EXTERNAL": 0.9,
    "OWN-CPD": 0.7,
    "RESEARCH": 0.5,
    "BREAK": 0.3,
}
"""Chance that a main task is recorded as initiated_by 'planned' (otherwise 'self')."""

MINTZBERG: dict[str, tuple[tuple[str, float], ...]] = {
    "LIST-MANAGE": (("disturbance handler", 2), ("resource allocator", 3)),
    "STAFF-ROTA": (("resource allocator", 3), ("disturbance handler", 2)),
    "HR-CASEWORK": (("leader", 3), ("negotiator", 1)),
    "RECRUIT": (("leader", 2), ("figurehead", 1)),
    "SUPERVISE": (("leader", 1),),
    "BUDGET": (("resource allocator", 3), ("negotiator", 1)),
    "SERVICE-PLAN": (("entrepreneur", 3), ("negotiator", 1)),
    "DATA-REPORT": (("monitor", 3), ("disseminator", 1)),
    "GOVERNANCE": (("monitor", 2), ("disturbance handler", 1)),
    "MEETING": (("liaison", 3), ("disseminator", 2), ("spokesperson", 1), ("figurehead", 0.5)),
    "ADMIN": (("disseminator", 2), ("monitor", 2), ("liaison", 1)),
    "ESTATES-IT": (("disturbance handler", 2), ("resource allocator", 1)),
}
"""Mintzberg roles offered for each managerial category, with relative weights."""

_C = None  # the site's clinical area
DIM_VARIANTS: dict[str, tuple[DimVariant, ...]] = {
    "CLIN-DIRECT": (
        DimVariant(4, ("patient",), ("face to face",), _C),
        DimVariant(1, ("patient", "carer/relative"), ("face to face",), _C),
        DimVariant(1, ("patient", "student"), ("face to face",), _C),
        DimVariant(1, ("patient", "own team clinician"), ("face to face",), _C),
    ),
    "CLIN-INDIRECT": (
        DimVariant(4, ("alone",), ("clinical system (EHR/RIS)",), "office"),
        DimVariant(1, ("alone",), ("paper",), _C),
        DimVariant(1.5, ("other professional",), ("face to face",), _C),
        DimVariant(1, ("other professional",), ("phone",), "office"),
    ),
    "CLIN-ADVICE": (
        DimVariant(3, ("own team clinician",), ("face to face",), _C),
        DimVariant(1, ("own team clinician",), ("phone",), "corridor/transit"),
        DimVariant(1, ("student",), ("face to face",), _C),
        DimVariant(0.5, ("own team clinician",), ("clinical system (EHR/RIS)",), "office"),
    ),
    "CLIN-PREP": (
        DimVariant(2, ("alone",), ("clinical system (EHR/RIS)",), _C),
        DimVariant(1, ("own team clinician",), ("face to face",), _C),
        DimVariant(1, ("alone",), ("paper",), _C),
    ),
    "LIST-MANAGE": (
        DimVariant(3, ("admin staff",), ("face to face", "clinical system (EHR/RIS)"), _C),
        DimVariant(2, ("other professional",), ("phone",), "office"),
        DimVariant(2, ("alone",), ("clinical system (EHR/RIS)",), "office"),
        DimVariant(1, ("own team clinician",), ("face to face",), "corridor/transit"),
    ),
    "STAFF-ROTA": (
        DimVariant(2, ("alone",), ("other computer",), "office"),
        DimVariant(2, ("own team clinician",), ("phone",), "office"),
        DimVariant(1, ("admin staff",), ("email/messaging",), "office"),
        DimVariant(1, ("senior manager",), ("face to face",), "office"),
        DimVariant(1, ("own team clinician",), ("face to face",), _C),
    ),
    "HR-CASEWORK": (
        DimVariant(2, ("own team clinician",), ("face to face",), "meeting room"),
        DimVariant(2, ("alone",), ("email/messaging",), "office"),
        DimVariant(1, ("senior manager", "other professional"), ("video call",), "office"),
    ),
    "RECRUIT": (
        DimVariant(2, ("alone",), ("other computer",), "office"),
        DimVariant(1, ("external", "senior manager"), ("face to face",), "meeting room"),
        DimVariant(1, ("external",), ("video call",), "office"),
    ),
    "SUPERVISE": (
        DimVariant(3, ("own team clinician",), ("face to face",), "meeting room"),
        DimVariant(1, ("student",), ("face to face",), "office"),
        DimVariant(0.5, ("own team clinician",), ("video call",), "office"),
    ),
    "BUDGET": (
        DimVariant(3, ("alone",), ("other computer",), "office"),
        DimVariant(1, ("senior manager",), ("face to face",), "meeting room"),
    ),
    "SERVICE-PLAN": (
        DimVariant(2, ("senior manager", "other professional"), ("face to face",), "meeting room"),
        DimVariant(2, ("alone",), ("other computer",), "office"),
        DimVariant(1, ("other professional",), ("video call",), "office"),
    ),
    "DATA-REPORT": (
        DimVariant(3, ("alone",), ("other computer",), "office"),
        DimVariant(2, ("alone",), ("clinical system (EHR/RIS)",), "office"),
        DimVariant(1, ("admin staff",), ("email/messaging",), "office"),
    ),
    "GOVERNANCE": (
        DimVariant(2, ("alone",), ("other computer",), "office"),
        DimVariant(1, ("own team clinician",), ("face to face",), _C),
        DimVariant(1, ("senior manager",), ("email/messaging",), "office"),
    ),
    "MEETING": (
        DimVariant(3, ("senior manager", "other professional"), ("face to face",), "meeting room"),
        DimVariant(2, ("own team clinician",), ("face to face",), "meeting room"),
        DimVariant(2, ("senior manager",), ("video call",), "office"),
    ),
    "ADMIN": (
        DimVariant(5, ("alone",), ("email/messaging",), "office"),
        DimVariant(2, ("other professional",), ("phone",), "office"),
        DimVariant(1, ("alone",), ("email/messaging",), "corridor/transit"),
        DimVariant(1, ("admin staff",), ("face to face",), "office"),
        DimVariant(1, ("alone",), ("paper",), "office"),
    ),
    "ESTATES-IT": (
        DimVariant(2, ("other professional",), ("phone",), "office"),
        DimVariant(1, ("alone",), ("other computer",), "office"),
        DimVariant(1, ("other professional",), ("face to face",), _C),
    ),
    "EDUCATION": (
        DimVariant(2, ("student",), ("face to face",), _C),
        DimVariant(1, ("own team clinician",), ("face to face",), "meeting room"),
    ),
    "OWN-CPD": (
        DimVariant(2, ("alone",), ("other computer",), "office"),
        DimVariant(1, ("other professional",), ("face to face",), "meeting room"),
    ),
    "RESEARCH": (
        DimVariant(2, ("alone",), ("other computer",), "office"),
        DimVariant(1, ("other professional",), ("video call",), "office"),
    ),
    "EXTERNAL": (
        DimVariant(2, ("external",), ("face to face",), "off site"),
        DimVariant(1, ("external",), ("video call",), "office"),
    ),
    "TRANSIT": (DimVariant(1, ("alone",), (), "corridor/transit"),),
    "BREAK": (
        DimVariant(2, ("alone",), (), "office"),
        DimVariant(1, ("own team clinician",), (), "office"),
    ),
    "OTHER": (DimVariant(1, ("alone",), (), "office"),),
}
"""Typical dimension values per category (with_whom, how, where)."""

CONFUSABLE: dict[str, str] = {
    "ADMIN": "DATA-REPORT",
    "DATA-REPORT": "ADMIN",
    "CLIN-INDIRECT": "CLIN-DIRECT",
    "CLIN-DIRECT": "CLIN-INDIRECT",
    "STAFF-ROTA": "LIST-MANAGE",
    "LIST-MANAGE": "STAFF-ROTA",
    "MEETING": "SERVICE-PLAN",
    "SERVICE-PLAN": "MEETING",
    "CLIN-ADVICE": "SUPERVISE",
    "SUPERVISE": "CLIN-ADVICE",
    "TRANSIT": "BREAK",
    "BREAK": "TRANSIT",
    "CLIN-PREP": "CLIN-INDIRECT",
    "GOVERNANCE": "ADMIN",
    "ESTATES-IT": "ADMIN",
}
"""What a second observer records instead when the two disagree on a task's category."""


# --- the four sites ------------------------------------------------------------------------

_RAD = SiteProfile(
    code="TH-RAD",
    name="Teaching hospital radiography",
    description=(
        "Diagnostic radiography in a large teaching hospital: CT, MRI and general lists with "
        "emergency add-ons. Synthetic."
    ),
    prefix="RAD",
    am=(time(8, 0), time(11, 45)),
    pm=(time(12, 30), time(16, 15)),
    staff=(
        StaffSpec("radiographer", "8b", 2, "Radiology services manager"),
        StaffSpec("radiographer", "8a", 1, "CT modality lead"),
        StaffSpec("radiographer", "7", 3, "MRI superintendent radiographer"),
        StaffSpec("radiographer", "7", 2, "General radiography team lead", sessions=8),
        StaffSpec("radiographer", "6", 3, "Senior radiographer, rota lead"),
    ),
    professions=(("radiographer", 1.0),),
    rates=PlantedRates(
        interruptions_per_hour=5.5,
        point_interruption_share=0.25,
        not_resumed_share=0.12,
        demand_events_per_hour=1.6,
        demand_response_share=0.85,
        mgmt_share_clinical=0.24,
        mgmt_share_management=0.72,
        mgmt_share_other_planned=0.25,
        mgmt_share_lunch=0.30,
        mgmt_share_outside=0.65,
        early_start_minutes=15,
        late_finish_minutes=35,
        parallel_tasks_per_hour=2.5,
    ),
    clinical_direct_minutes=8,
    transit_minutes=2.5,
    clinical_where="clinical area",
    demand_subtypes=(
        ("add-on", 4),
        ("list cancellation", 2),
        ("emergency", 2),
        ("did-not-attend", 1),
        ("staff absence", 1),
    ),
    interruption_sources=(
        ("person in person", 5),
        ("phone", 3),
        ("bleep/pager", 1),
        ("message", 1),
        ("self", 0.5),
    ),
    extra_variants=(
        (
            "CLIN-DIRECT",
            (DimVariant(3, ("patient",), ("face to face", "clinical system (EHR/RIS)"), _C),),
        ),
    ),
)

_PHY = SiteProfile(
    code="CP-PHYS",
    name="Community physiotherapy",
    description=(
        "Community physiotherapy and MSK service: home visits, clinics in health centres, "
        "a mixed therapy team. Synthetic."
    ),
    prefix="PHY",
    am=(time(8, 30), time(12, 15)),
    pm=(time(13, 0), time(16, 45)),
    staff=(
        StaffSpec("physiotherapist", "8a", 2, "Community therapy service lead"),
        StaffSpec("physiotherapist", "7", 3, "MSK team lead"),
        StaffSpec("podiatrist", "7", 1, "Podiatry team lead", sessions=8),
        StaffSpec("physiotherapist", "6", 2, "Rehabilitation team coordinator"),
    ),
    professions=(("physiotherapist", 3.0), ("podiatrist", 1.0), ("dietitian", 0.5)),
    rates=PlantedRates(
        interruptions_per_hour=3.0,
        point_interruption_share=0.2,
        not_resumed_share=0.10,
        demand_events_per_hour=0.6,
        demand_response_share=0.70,
        mgmt_share_clinical=0.13,
        mgmt_share_management=0.80,
        mgmt_share_other_planned=0.20,
        mgmt_share_lunch=0.45,
        mgmt_share_outside=0.75,
        early_start_minutes=10,
        late_finish_minutes=45,
        parallel_tasks_per_hour=1.5,
    ),
    clinical_direct_minutes=35,
    transit_minutes=14,
    clinical_where="patient's home",
    demand_subtypes=(
        ("did-not-attend", 4),
        ("staff absence", 2),
        ("list cancellation", 1),
        ("add-on", 1),
        ("emergency", 0.5),
    ),
    interruption_sources=(
        ("phone", 5),
        ("message", 3),
        ("person in person", 2),
        ("self", 0.5),
    ),
    extra_variants=(
        ("ADMIN", (DimVariant(2, ("alone",), ("phone", "email/messaging"), "off site"),)),
        ("CLIN-INDIRECT", (DimVariant(2, ("alone",), ("clinical system (EHR/RIS)",), "off site"),)),
    ),
)

_OT = SiteProfile(
    code="AC-OT",
    name="Acute occupational therapy",
    description=(
        "Occupational therapy in an acute hospital: ward assessments, discharge planning, "
        "daily bed-pressure calls. Synthetic."
    ),
    prefix="OT",
    am=(time(8, 30), time(12, 15)),
    pm=(time(12, 45), time(16, 30)),
    staff=(
        StaffSpec("occupational therapist", "8a", 2, "Head of acute occupational therapy"),
        StaffSpec("occupational therapist", "7", 3, "Medicine OT team lead"),
        StaffSpec("occupational therapist", "7", 1, "Surgery OT team lead"),
        StaffSpec("speech and language therapist", "7", 2, "Acute SLT team lead", sessions=9),
    ),
    professions=(
        ("occupational therapist", 3.0),
        ("speech and language therapist", 1.0),
        ("dietitian", 0.5),
    ),
    rates=PlantedRates(
        interruptions_per_hour=6.5,
        point_interruption_share=0.3,
        not_resumed_share=0.15,
        demand_events_per_hour=1.2,
        demand_response_share=0.80,
        mgmt_share_clinical=0.28,
        mgmt_share_management=0.62,
        mgmt_share_other_planned=0.30,
        mgmt_share_lunch=0.35,
        mgmt_share_outside=0.70,
        early_start_minutes=20,
        late_finish_minutes=30,
        parallel_tasks_per_hour=3.0,
    ),
    clinical_direct_minutes=22,
    transit_minutes=4,
    clinical_where="clinical area",
    demand_subtypes=(
        ("emergency", 3),
        ("add-on", 3),
        ("staff absence", 2),
        ("list cancellation", 1),
    ),
    interruption_sources=(
        ("person in person", 4),
        ("bleep/pager", 3),
        ("phone", 2),
        ("message", 1),
        ("self", 0.5),
    ),
)

_ART = SiteProfile(
    code="MH-ART",
    name="Inner-city older people's mental-health arts therapies",
    description=(
        "Art, music and drama therapies for older people's mental health in an inner-city "
        "trust: groups, individual sessions, ward and community work. Synthetic."
    ),
    prefix="ART",
    am=(time(9, 0), time(12, 45)),
    pm=(time(13, 30), time(17, 15)),
    staff=(
        StaffSpec("arts therapist", "8b", 1, "Head of arts therapies"),
        StaffSpec("arts therapist", "8a", 2, "Lead music therapist", sessions=8),
        StaffSpec("arts therapist", "7", 3, "Art therapy team lead"),
    ),
    professions=(("arts therapist", 3.0), ("occupational therapist", 1.0)),
    rates=PlantedRates(
        interruptions_per_hour=2.5,
        point_interruption_share=0.2,
        not_resumed_share=0.08,
        demand_events_per_hour=0.4,
        demand_response_share=0.60,
        mgmt_share_clinical=0.12,
        mgmt_share_management=0.85,
        mgmt_share_other_planned=0.20,
        mgmt_share_lunch=0.25,
        mgmt_share_outside=0.60,
        early_start_minutes=5,
        late_finish_minutes=25,
        parallel_tasks_per_hour=1.0,
    ),
    clinical_direct_minutes=45,
    transit_minutes=5,
    clinical_where="clinical area",
    demand_subtypes=(
        ("did-not-attend", 3),
        ("staff absence", 2),
        ("emergency", 1),
        ("list cancellation", 1),
    ),
    interruption_sources=(
        ("person in person", 5),
        ("phone", 2),
        ("message", 2),
        ("self", 1),
    ),
)

DEFAULT_SITES: tuple[SiteProfile, ...] = (_RAD, _PHY, _OT, _ART)
"""The four sites of the synthetic study (product.md)."""

PAY_POINTS: dict[str, int] = {"6": 3, "7": 3, "8a": 2, "8b": 2}
"""Agenda for Change pay points per band (England, since the 2018 pay deal)."""

MANAGEMENT_SESSIONS: dict[str, int] = {"6": 1, "7": 2, "8a": 4, "8b": 6}
"""Planned management sessions a week by band, for a full-time job plan."""
