"""The pure domain core: no I/O, no framework imports. Everything else depends on this."""

from workweave.domain.errors import NotFoundError, Problem, ValidationError, WorkweaveError
from workweave.domain.observation import (
    MODES,
    Note,
    ParallelLink,
    PointEvent,
    Session,
    Suspension,
    Task,
    sessions_overlap,
    utc,
)
from workweave.domain.study import (
    BANDS,
    PROFESSIONS,
    WEEKDAYS,
    JobPlan,
    JobPlanSession,
    Observer,
    Participant,
    Site,
    Study,
)
from workweave.domain.template import (
    DOMAINS,
    JOB_PLAN_CATEGORIES,
    Category,
    Dimension,
    PointEventType,
    Template,
)

__all__ = [
    "BANDS",
    "DOMAINS",
    "JOB_PLAN_CATEGORIES",
    "MODES",
    "PROFESSIONS",
    "WEEKDAYS",
    "Category",
    "Dimension",
    "JobPlan",
    "JobPlanSession",
    "NotFoundError",
    "Note",
    "Observer",
    "ParallelLink",
    "Participant",
    "PointEvent",
    "PointEventType",
    "Problem",
    "Session",
    "Site",
    "Study",
    "Suspension",
    "Task",
    "Template",
    "ValidationError",
    "WorkweaveError",
    "sessions_overlap",
    "utc",
]
