"""Passive metrics: audit-log events -> active system time -> the passive family of the registry.

Every passive metric is a `Metric` of section ``P`` (registered in ``registry.py``), with its
SQL in this module and nowhere else. The SQL is plain and portable (window functions, CASE,
GREATEST/LEAST, integer arithmetic on UTC and local millisecond instants; no engine-specific
functions), so that it can be transpiled for other engines. docs/passive.md gives every
definition with its source and how it differs from vendor measures.

Inputs (registered by `workweave.analysis.metrics.passive_engine`):

``LE``  the events: participant, ts_ms (UTC ms), local_ms (wall-clock ms in the study's time
        zone, counted as if UTC), activity (activity class), event_key
``LP``  planned job-plan windows: participant, wd (0 = Monday), start_ms, end_ms (ms of the
        local day), kind ('clinical', 'management', 'other_planned')
``LW``  the windows an interval is intersected with, in the coordinates of the interval's
        start day: ``LP`` plus core hours (kind 'core', Monday-Friday), each also copied onto
        the previous weekday shifted by one day (so an interval that runs past midnight meets
        the next day's windows)

Blocks (built in this order, per batch of participants):

``LX``  each event with the gap to the next and from the previous event of the same person
``LI``  active intervals: from an event to the next one when the gap is at most the inactivity
        timeout (the interval is credited to the activity class of the event that opens it);
        a gap longer than the timeout ends the activity spell and counts nothing
``LSH`` shifts: maximal runs of events with no gap longer than the shift gap; one row per
        shift with its first and last event, credited to the local day it starts on
``LO``  active time inside each kind of window, per participant and local day
``LD``  the local days with system use, with their scheduled clinical, management and all
        planned time from the job plan

Every metric's SQL returns rows ``participant, day, key, v`` (numerator or items) and
``participant, day, v`` (denominator); the engine sums them per participant and group.
"""

from __future__ import annotations

from workweave.analysis.metrics.registry import Metric, Parameter
from workweave.domain.auditlog import ACTIVITY_CLASSES

DAY_MS = 86_400_000
HOUR = 3_600_000.0
PLAN_KINDS: tuple[str, ...] = ("clinical", "management", "other_planned", "outside")
PLAN_KIND_OF: dict[str, str] = {
    "DCC": "clinical",
    "management": "management",
    "SPA": "other_planned",
    "ANR": "other_planned",
    "ED": "other_planned",
}
"""Job-plan categories as kinds of planned time (direct clinical care is the clinical schedule)."""

PASSIVE_PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter(
            "timeout_minutes",
            5.0,
            "minutes",
            "inactivity timeout of audit-log activity: a gap between two events longer than "
            "this ends an activity spell and counts as inactive (Sinsky et al. 2020; Rule et "
            "al. 2020)",
        ),
        Parameter(
            "shift_gap_hours",
            4.0,
            "hours",
            "a gap between two events longer than this starts a new shift (working day), so "
            "that night shifts and on-call stay whole; at least 1 hour",
        ),
        Parameter(
            "core_start_hour",
            8.0,
            "hours",
            "start of core hours on weekdays (local time); before it is after-hours",
        ),
        Parameter(
            "core_end_hour",
            18.0,
            "hours",
            "end of core hours on weekdays (local time); after it, and weekends, is after-hours",
        ),
    )
}

REF_SINSKY = (
    "Sinsky CA, Rule A, Cohen G, et al. Metrics for assessing physician activity using "
    "electronic health record log data. J Am Med Inform Assoc 2020;27(4):639-643"
)
REF_ARNDT = (
    "Arndt BG, Beasley JW, Watkinson MD, et al. Tethered to the EHR: primary care physician "
    "workload assessment using EHR event log data and time-motion observations. Ann Fam Med "
    "2017;15(5):419-426"
)
REF_RULE = (
    "Rule A, Chiang MF, Hribar MR. Using electronic health record audit logs to study clinical "
    "activity: a systematic review of aims, measures, and methods. J Am Med Inform Assoc "
    "2020;27(3):480-490"
)
REF_OWN_P = "workweave's own passive measure (job-plan sessions as the schedule)"

# -- blocks ----------------------------------------------------------------------------------

_DAY = "CAST(FLOOR({col} / 86400000.0) AS BIGINT)"


def _day(col: str) -> str:
    return _DAY.format(col=col)


BLOCK_SELECTS: tuple[tuple[str, str], ...] = (
    (
        "LX",
        "SELECT participant, ts_ms, local_ms, activity, "
        "LEAD(ts_ms) OVER (PARTITION BY participant ORDER BY ts_ms, activity) - ts_ms "
        "AS gap_next, "
        "ts_ms - LAG(ts_ms) OVER (PARTITION BY participant ORDER BY ts_ms, activity) "
        "AS gap_prev "
        "FROM LE",
    ),
    (
        "LI",
        f"SELECT participant, activity, gap_next AS len, {_day('local_ms')} AS day, "
        f"local_ms - {_day('local_ms')} * 86400000 AS m "
        "FROM LX WHERE gap_next > 0 AND gap_next <= {timeout_ms}",
    ),
    (
        "LSH",
        f"SELECT s.participant, s.ts_ms AS start_ms, e.ts_ms AS end_ms, {_day('s.local_ms')} "
        "AS day FROM "
        "(SELECT participant, ts_ms, local_ms, "
        "ROW_NUMBER() OVER (PARTITION BY participant ORDER BY ts_ms) AS k FROM LX "
        "WHERE gap_prev IS NULL OR gap_prev > {shift_gap_ms}) s "
        "JOIN (SELECT participant, ts_ms, "
        "ROW_NUMBER() OVER (PARTITION BY participant ORDER BY ts_ms) AS k FROM LX "
        "WHERE gap_next IS NULL OR gap_next > {shift_gap_ms}) e "
        "ON s.participant = e.participant AND s.k = e.k",
    ),
    (
        "LO",
        "SELECT i.participant, i.day, w.kind, "
        "SUM(LEAST(i.m + i.len, w.end_ms) - GREATEST(i.m, w.start_ms)) AS v "
        "FROM LI i JOIN LW w ON w.participant = i.participant AND w.wd = (i.day + 3) % 7 "
        "WHERE w.start_ms < i.m + i.len AND w.end_ms > i.m "
        "GROUP BY i.participant, i.day, w.kind",
    ),
    (
        "LD",
        "SELECT d.participant, d.day, "
        "SUM(CASE WHEN p.kind = 'clinical' THEN p.end_ms - p.start_ms ELSE 0 END) "
        "AS clinical_ms, "
        "SUM(CASE WHEN p.kind = 'management' THEN p.end_ms - p.start_ms ELSE 0 END) "
        "AS management_ms, "
        "SUM(CASE WHEN p.kind IS NULL THEN 0 ELSE p.end_ms - p.start_ms END) AS planned_ms "
        f"FROM (SELECT DISTINCT participant, {_day('local_ms')} AS day FROM LX) d "
        "LEFT JOIN LP p ON p.participant = d.participant AND p.wd = (d.day + 3) % 7 "
        "GROUP BY d.participant, d.day",
    ),
)
"""The passive blocks as SELECTs (DuckDB's dialect), in build order; ``{timeout_ms}`` and
``{shift_gap_ms}`` are filled in. DuckDB runs them as they are; Spark runs them transpiled by
SQLGlot (`workweave.analysis.metrics.engines.to_spark`)."""

BLOCKS: tuple[tuple[str, str], ...] = tuple(
    (name, f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}") for name, sql in BLOCK_SELECTS
)
"""The blocks as DuckDB statements that create them."""

# -- shared metric SQL -----------------------------------------------------------------------

ACTIVE = (
    "SELECT participant, day, CAST(NULL AS VARCHAR) AS key, SUM(len) AS v FROM LI "
    "GROUP BY participant, day"
)
ACTIVE_DEN = "SELECT participant, day, SUM(len) AS v FROM LI GROUP BY participant, day"
CLINICAL_DEN = "SELECT participant, day, clinical_ms AS v FROM LD"
SHIFTS_DEN = "SELECT participant, day, COUNT(*) AS v FROM LSH GROUP BY participant, day"
OUTSIDE_PLAN = (
    "SELECT participant, day, CAST(NULL AS VARCHAR) AS key, SUM(v) AS v FROM ("
    "SELECT participant, day, len AS v FROM LI UNION ALL "
    "SELECT participant, day, -v AS v FROM LO WHERE kind <> 'core') t "
    "GROUP BY participant, day"
)
AFTER_HOURS = (
    "SELECT participant, day, CAST(NULL AS VARCHAR) AS key, SUM(v) AS v FROM ("
    "SELECT participant, day, len AS v FROM LI UNION ALL "
    "SELECT participant, day, -v AS v FROM LO WHERE kind = 'core') t "
    "GROUP BY participant, day"
)
BY_CLASS = (
    "SELECT participant, day, activity AS key, SUM(len) AS v FROM LI "
    "GROUP BY participant, day, activity"
)
PER_8H = "hours per 8 hours of scheduled clinical time"
SCHED_DEN = "scheduled clinical (DCC) job-plan time on the days with system use, per 8 hours"
NOTE_DAYS = (
    "Scheduled time is the participant's job plan (direct clinical care sessions) on each "
    "local day with at least one logged event: days without system use count as not worked "
    "(the job plan does not record leave). Sinsky et al. use the appointment schedule's "
    "patient hours instead."
)

PASSIVE_METRICS: tuple[Metric, ...] = (
    Metric(
        id="ehr_time8",
        section="P",
        label="Active system time per 8 hours of scheduled clinical time (EHR-Time8)",
        definition=(
            "Σ active system time (audit-log events joined into activity spells with the "
            "inactivity timeout) ÷ scheduled clinical time, × 8."
        ),
        unit=PER_8H,
        denominator=SCHED_DEN,
        reference=REF_SINSKY + "; timeout: " + REF_RULE,
        kind="ratio",
        sql=ACTIVE,
        den_sql=CLINICAL_DEN,
        scale=8.0,
        eligible="job_plan",
        parameters=("timeout_minutes",),
        notes=NOTE_DAYS,
        blocks=("LX", "LI", "LD"),
    ),
    Metric(
        id="wow8",
        section="P",
        label="Work outside scheduled time per 8 hours of scheduled clinical time (WOW8)",
        definition=(
            "Σ active system time outside every planned job-plan session (clinical, "
            "management, SPA, ...) ÷ scheduled clinical time, × 8. No grace window before or "
            "after sessions."
        ),
        unit=PER_8H,
        denominator=SCHED_DEN,
        reference=REF_SINSKY + "; no grace window: " + REF_ARNDT,
        kind="ratio",
        sql=OUTSIDE_PLAN,
        den_sql=CLINICAL_DEN,
        scale=8.0,
        eligible="job_plan",
        parameters=("timeout_minutes",),
        notes=NOTE_DAYS,
        blocks=("LX", "LI", "LO", "LD"),
    ),
    Metric(
        id="after_hours_time8",
        section="P",
        label="After-hours system time per 8 hours of scheduled clinical time",
        definition=(
            "Σ active system time outside core hours (weekdays before core_start_hour or "
            "after core_end_hour, and all weekend time) ÷ scheduled clinical time, × 8."
        ),
        unit=PER_8H,
        denominator=SCHED_DEN,
        reference=REF_SINSKY + " (normalisation); core-hours window: workweave parameter",
        kind="ratio",
        sql=AFTER_HOURS,
        den_sql=CLINICAL_DEN,
        scale=8.0,
        eligible="job_plan",
        parameters=("timeout_minutes", "core_start_hour", "core_end_hour"),
        notes=NOTE_DAYS,
        blocks=("LX", "LI", "LO", "LD"),
    ),
    Metric(
        id="after_hours_share",
        section="P",
        label="Share of system time after hours",
        definition="After-hours active system time ÷ all active system time.",
        unit="proportion",
        denominator="active system time",
        reference=REF_OWN_P + "; core-hours window as after_hours_time8",
        kind="ratio",
        sql=AFTER_HOURS,
        den_sql=ACTIVE_DEN,
        parameters=("timeout_minutes", "core_start_hour", "core_end_hour"),
        blocks=("LX", "LI", "LO"),
    ),
    Metric(
        id="time8_by_class",
        section="P",
        label="System time by activity class per 8 hours of scheduled clinical time",
        definition=(
            "Σ active system time in activity class c ÷ scheduled clinical time, × 8 (c = "
            "documentation: Sinsky's Note-Time8; orders: Prescription-Time8 widened to all "
            "orders; inbox: IB-Time8)."
        ),
        unit=PER_8H,
        denominator=SCHED_DEN,
        reference=REF_SINSKY,
        kind="ratio",
        sql=BY_CLASS,
        den_sql=CLINICAL_DEN,
        scale=8.0,
        key="activity",
        keys=ACTIVITY_CLASSES,
        eligible="job_plan",
        parameters=("timeout_minutes",),
        notes=NOTE_DAYS,
        blocks=("LX", "LI", "LD"),
    ),
    Metric(
        id="share_by_class",
        section="P",
        label="Share of system time by activity class",
        definition="Σ active system time in activity class c ÷ all active system time.",
        unit="proportion",
        denominator="active system time",
        reference=REF_RULE,
        kind="ratio",
        sql=BY_CLASS,
        den_sql=ACTIVE_DEN,
        key="activity",
        keys=ACTIVITY_CLASSES,
        parameters=("timeout_minutes",),
        notes=(
            "An interval between two events is credited to the class of the event that opens "
            "it (the time to the next event is spent on what was just opened)."
        ),
        blocks=("LX", "LI"),
    ),
    Metric(
        id="system_time_by_plan",
        section="P",
        label="Share of system time by planned session",
        definition=(
            "Active system time inside planned clinical (DCC) sessions, planned management "
            "sessions, other planned sessions (SPA, ANR, ED), and outside every planned "
            "session, each ÷ all active system time. Sums to 1."
        ),
        unit="proportion",
        denominator="active system time (participants with a job plan)",
        reference=REF_OWN_P,
        kind="ratio",
        sql=(
            "SELECT participant, day, kind AS key, v FROM LO WHERE kind <> 'core' "
            "UNION ALL SELECT participant, day, 'outside' AS key, v FROM (" + OUTSIDE_PLAN + ") o"
        ),
        den_sql=ACTIVE_DEN,
        key="plan",
        keys=PLAN_KINDS,
        eligible="job_plan",
        parameters=("timeout_minutes",),
        blocks=("LX", "LI", "LO"),
    ),
    Metric(
        id="active_per_shift",
        section="P",
        label="Active system time per shift",
        definition="Σ active system time ÷ number of shifts.",
        unit="hours",
        denominator="shifts",
        reference=REF_OWN_P + "; shifts from event gaps",
        kind="ratio",
        sql=ACTIVE,
        den_sql=SHIFTS_DEN,
        scale=1 / HOUR,
        parameters=("timeout_minutes", "shift_gap_hours"),
        blocks=("LX", "LI", "LSH"),
    ),
    Metric(
        id="shift_length_mean",
        section="P",
        label="Mean shift length (first to last event)",
        definition=(
            "Mean time from the first to the last event of a shift; a shift is a run of events "
            "with no gap longer than shift_gap_hours, so a night shift or an on-call period "
            "across midnight is one shift."
        ),
        unit="hours",
        denominator="shifts",
        reference=REF_OWN_P + "; cf. " + REF_ARNDT + " (EHR session span)",
        kind="ratio",
        sql=(
            "SELECT participant, day, CAST(NULL AS VARCHAR) AS key, end_ms - start_ms AS v FROM LSH"
        ),
        den_sql=SHIFTS_DEN,
        scale=1 / HOUR,
        parameters=("shift_gap_hours",),
        blocks=("LX", "LSH"),
    ),
    Metric(
        id="shift_length_median",
        section="P",
        label="Median shift length (first to last event)",
        definition="Median of shift lengths (linear interpolation).",
        unit="hours",
        denominator="shifts",
        reference=REF_OWN_P,
        kind="quantile",
        sql="SELECT participant, day, end_ms - start_ms AS v FROM LSH",
        scale=1 / HOUR,
        quantile=0.5,
        parameters=("shift_gap_hours",),
        blocks=("LX", "LSH"),
    ),
)

WINDOW_ACTIVE = (
    "SELECT w.session_id, "
    "SUM(LEAST(x.ts_ms + x.gap_next, w.end_ms) - GREATEST(x.ts_ms, w.start_ms)) AS v "
    "FROM LX x JOIN SW w ON w.participant = x.participant "
    "WHERE x.gap_next > 0 AND x.gap_next <= {timeout_ms} "
    "AND x.ts_ms < w.end_ms AND x.ts_ms + x.gap_next > w.start_ms "
    "GROUP BY w.session_id"
)
"""Log-derived active time inside each window ``SW`` (session_id, participant, start_ms,
end_ms: UTC): the active intervals of ``LX`` clipped to the window."""

PASSIVE_IDS: frozenset[str] = frozenset(m.id for m in PASSIVE_METRICS)


def is_passive(metric_id: str) -> bool:
    """Whether a metric id (``share_by_class[inbox]`` names ``share_by_class``) is passive."""
    return metric_id.split("[", 1)[0] in PASSIVE_IDS


def block_sql(params: dict[str, float]) -> list[tuple[str, str]]:
    """The blocks with the timeout and shift gap filled in (milliseconds)."""
    values = _values(params)
    return [(name, sql.format_map(values)) for name, sql in BLOCKS]


def block_selects(params: dict[str, float]) -> list[tuple[str, str]]:
    """The blocks as SELECTs with the timeout and shift gap filled in (milliseconds)."""
    values = _values(params)
    return [(name, sql.format_map(values)) for name, sql in BLOCK_SELECTS]


def window_active_sql(params: dict[str, float]) -> str:
    """`WINDOW_ACTIVE` with the timeout filled in."""
    return WINDOW_ACTIVE.format_map(_values(params))


def _values(params: dict[str, float]) -> dict[str, str]:
    return {
        "timeout_ms": str(round(float(params["timeout_minutes"]) * 60_000)),
        "shift_gap_ms": str(round(float(params["shift_gap_hours"]) * 3_600_000)),
    }


__all__ = [
    "ACTIVITY_CLASSES",
    "BLOCKS",
    "BLOCK_SELECTS",
    "PASSIVE_IDS",
    "PASSIVE_METRICS",
    "PASSIVE_PARAMETERS",
    "PLAN_KINDS",
    "PLAN_KIND_OF",
    "block_selects",
    "block_sql",
    "is_passive",
    "window_active_sql",
]
