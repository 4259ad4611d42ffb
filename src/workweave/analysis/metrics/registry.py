"""The metric registry: every metric workweave reports, defined once.

Each `Metric` carries its id (as in the study's metric definitions), label, definition, unit,
denominator, reference and parameters, and its one implementation: SQL run by DuckDB over
the building blocks of `workweave.analysis.metrics.blocks` (active pieces of tasks, the
timeline sweep, the foreground timeline, job-plan intervals...). A ratio metric gives, per
observation session, a numerator (``session_id, key, v``) and a denominator
(``session_id, v``); a group's estimate is the ratio of their sums times `scale`. A quantile
metric gives one value per item (``session_id, v``); a group's estimate is the quantile of its
items. The command line, the Python API, the web app and the report all read this registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from workweave.domain.errors import ValidationError
from workweave.domain.template import DOMAINS

CLINICAL = DOMAINS.index("clinical") + 1
MANAGERIAL = DOMAINS.index("managerial") + 1
"""The numbers of these domains in the blocks' ``dom`` columns (`blocks.DOMAIN_CODES`)."""

Kind = Literal["ratio", "quantile"]
Eligible = Literal["all", "job_plan", "pay", "demand"]

ELIGIBILITY: dict[str, str] = {
    "all": "all sessions",
    "job_plan": "sessions of participants with a job plan",
    "pay": "sessions of participants whose band is in the pay scale",
    "demand": "sessions in which demand events were recorded",
}

LEAKAGE_KEYS: tuple[str, ...] = ("clinical", "other_planned", "outside_contracted")

REF_WOMBAT = (
    "Westbrook & Ampt 2009 (Int J Med Inform); Westbrook et al. 2008 (MJA 188:506), "
    "2010 (BMJ Qual Saf 19:284), 2011 (BMC Health Serv Res 11:319)"
)
REF_WALTER = "Walter et al. 2014 (BMJ Qual Saf 23:231)"
REF_OWN = "workweave's own measure (clinical-managerial intertwining)"
REF_COST = (
    "Agenda for Change pay scale of the selected pay-scale file (NHS Employers), employer "
    "pension and National Insurance on-costs as stated in that file"
)


@dataclass(frozen=True)
class Parameter:
    """A tunable input of one or more metrics, with its default."""

    name: str
    default: Any
    unit: str
    description: str
    choices: tuple[Any, ...] = ()

    def check(self, value: Any) -> Any:
        if self.choices:
            if value not in self.choices:
                raise ValidationError(
                    f"parameter {self.name}: '{value}' is not one of "
                    + ", ".join(str(c) for c in self.choices)
                )
            return value
        if isinstance(self.default, bool):
            return bool(value)
        if isinstance(self.default, int | float) or (self.default is None and self.unit != "text"):
            if value is None:
                return None
            try:
                v = float(value)
            except (TypeError, ValueError):
                raise ValidationError(f"parameter {self.name}: '{value}' is not a number") from None
            if v < 0:
                raise ValidationError(f"parameter {self.name} must not be negative")
            return v
        if isinstance(self.default, tuple):
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            return tuple(str(v) for v in value)
        return str(value)


PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter(
            "fragment_minutes",
            2.0,
            "minutes",
            "management episodes shorter than this are fragments",
        ),
        Parameter(
            "demand_window_minutes",
            15.0,
            "minutes",
            "a demand event counts as answered when a management episode starts within this "
            "time after it",
        ),
        Parameter(
            "paid_hours_per_year",
            1955.4,
            "hours",
            "contracted annual hours of one full-time equivalent (Agenda for Change full time: "
            "37.5 hours a week × 52.143 weeks); also the divisor turning annual salary into "
            "an hourly rate",
        ),
        Parameter(
            "share_basis",
            "time_sliced",
            "text",
            "how the managerial share of observed time is counted for the cost metrics: "
            "'time_sliced' (each instant shared among its active tasks, so no time counts "
            "twice) or 'observed' (overlapping tasks count in full)",
            ("time_sliced", "observed"),
        ),
        Parameter(
            "payscale",
            "england-2025-26",
            "text",
            "pay-scale file (nation and pay year) giving annual salary by band and pay point, "
            "and the employer on-cost rates",
        ),
        Parameter(
            "default_pay_point",
            "top",
            "text",
            "pay point assumed for a participant whose pay point is not recorded",
            ("top", "entry", "middle"),
        ),
        Parameter(
            "employer_pension_rate",
            None,
            "proportion",
            "employer pension contribution paid by the employer (default: the pay-scale "
            "file's, 0.1438 for England 2025/26)",
        ),
        Parameter(
            "employer_ni_rate",
            None,
            "proportion",
            "employer National Insurance rate (default: the pay-scale file's, 0.15 from "
            "April 2025)",
        ),
        Parameter(
            "employer_ni_threshold",
            None,
            "£ a year",
            "earnings above which employer National Insurance is due (default: the pay-scale "
            "file's, £5,000 from April 2025)",
        ),
        Parameter(
            "with_dimensions",
            ("with_whom", "with whom", "con chi"),
            "text",
            "names of the 'With whom' dimension (case-insensitive) in the templates",
        ),
        Parameter(
            "how_dimensions",
            ("how", "come"),
            "text",
            "names of the 'How' dimension (case-insensitive) in the templates",
        ),
        Parameter(
            "where_dimensions",
            ("where", "dove"),
            "text",
            "names of the 'Where' dimension (case-insensitive) in the templates",
        ),
    )
}


@dataclass(frozen=True)
class Metric:
    """One metric: what it means, and its single implementation (SQL over the blocks)."""

    id: str
    section: str  # 'A' established measures, 'B' intertwining, 'C' cost
    label: str
    definition: str
    unit: str
    denominator: str
    reference: str
    kind: Kind
    sql: str  # ratio: numerator rows (session_id, key, v); quantile: items (session_id, v)
    den_sql: str | None = None  # ratio: denominator rows (session_id, v)
    scale: float | str = 1.0  # multiplies the ratio (or the items); a str names a parameter
    key: str | None = None  # what the key column holds, for parametrised families
    keys: tuple[str, ...] | None = None  # a fixed key set (else: the keys found in the data)
    quantile: float | None = None
    eligible: Eligible = "all"
    parameters: tuple[str, ...] = ()
    count_rate: bool = False  # a count per observed hour (an exact Poisson interval applies)
    notes: str = ""
    blocks: tuple[str, ...] = field(default=(), compare=False)

    @property
    def needs_domains(self) -> bool:
        """Whether the metric reads the categories' domains (every measure of sections B and
        C): undefined, not 0, when no category of the sessions' templates is mapped to a
        domain other than 'other'."""
        return self.section in ("B", "C")

    @property
    def family(self) -> bool:
        return self.key is not None

    def display_id(self) -> str:
        return f"{self.id}[{self.key}]" if self.key else self.id

    def sql_for(self, params: Mapping[str, Any]) -> tuple[str, str | None]:
        """The numerator (or items) SQL and the denominator SQL with parameters filled in."""
        values = {k: _sql_literal(v) for k, v in params.items()}
        values["managerial_weight"] = "sliced" if params.get("share_basis") != "observed" else "len"
        num = self.sql.format_map(values)
        den = self.den_sql.format_map(values) if self.den_sql else None
        return num, den

    def scale_for(self, params: Mapping[str, Any]) -> float:
        if isinstance(self.scale, str):
            return float(params[self.scale])
        return float(self.scale)


def _sql_literal(v: Any) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int | float):
        return repr(float(v))
    return "'" + str(v).replace("'", "''") + "'"


# -- shared SQL --------------------------------------------------------------------------------

OBSERVED = "SELECT session_id, obs_ms AS v FROM S"
ALL_ACTIVE = "SELECT session_id, sum(len) AS v FROM PC GROUP BY ALL"
TASK_COUNT = "SELECT session_id, count(*) AS v FROM T GROUP BY ALL"
MANAGERIAL_ACTIVE = (
    "SELECT session_id, sum(len) AS v FROM PC WHERE domain = 'managerial' GROUP BY ALL"
)
IN_OWN_PLAN = "(pc = 5 OR (pc = jp AND pc > 0))"  # management session, or the category's own

HOUR = 3_600_000.0
MINUTE = 60_000.0
O_TEXT = "observed time O (sum of session lengths)"


def _share_with(family: str, label: str, key: str) -> Metric:
    return Metric(
        id=f"share_{family}",
        section="A",
        label=f"Share of observed time by '{label}'",
        definition=(
            f"Σ active time of tasks carrying '{label}' value v ÷ O. A task with several values "
            "counts for each; overlapping tasks count in full, so values can sum past 100 %."
        ),
        unit="proportion",
        denominator=O_TEXT,
        reference=REF_WOMBAT,
        kind="ratio",
        sql=(
            "SELECT session_id, value AS key, sum(active_ms) AS v FROM TD "
            f"WHERE family = '{family}' GROUP BY ALL"
        ),
        den_sql=OBSERVED,
        key=key,
        parameters=(f"{family}_dimensions",),
        notes=(
            "Counted like share_observed: the sum of the active time of the tasks with value v, "
            "not the union of the instants in which one is active."
        ),
    )


METRICS: tuple[Metric, ...] = (
    # -- A. established time-and-motion measures ----------------------------------------------
    Metric(
        id="share_observed",
        section="A",
        label="Share of observed time, by category",
        definition=(
            "Σ active time of tasks in category c ÷ O. Overlapping tasks count in full, so the "
            "column can exceed 100 %. This is how the WOMBAT papers report '% of time'."
        ),
        unit="proportion",
        denominator=O_TEXT,
        reference=REF_WOMBAT,
        kind="ratio",
        sql="SELECT session_id, category AS key, sum(len) AS v FROM PC GROUP BY ALL",
        den_sql=OBSERVED,
        key="category",
    ),
    Metric(
        id="share_task_time",
        section="A",
        label="Share of task time, by category",
        definition="Σ active time in category c ÷ Σ active time of all tasks. Sums to 100 %.",
        unit="proportion",
        denominator="Σ active time of all tasks",
        reference=REF_WOMBAT,
        kind="ratio",
        sql="SELECT session_id, category AS key, sum(len) AS v FROM PC GROUP BY ALL",
        den_sql=ALL_ACTIVE,
        key="category",
    ),
    Metric(
        id="share_time_sliced",
        section="A",
        label="Time-sliced share of observed time, by category (workweave's third basis)",
        definition=(
            "Each instant with k active tasks gives 1/k to each of them; Σ for category c ÷ O. "
            "Summed over categories this is the share of observed time in which any task is "
            "active."
        ),
        unit="proportion",
        denominator=O_TEXT,
        reference="workweave's own third basis (alongside the WOMBAT bases)",
        kind="ratio",
        sql="SELECT session_id, category AS key, sum(sliced) AS v FROM PSC GROUP BY ALL",
        den_sql=OBSERVED,
        key="category",
    ),
    _share_with("with", "With whom", "value"),
    _share_with("how", "How", "value"),
    _share_with("where", "Where", "value"),
    Metric(
        id="tasks_per_hour",
        section="A",
        label="Tasks per hour",
        definition="Number of tasks ÷ observed hours.",
        unit="per hour",
        denominator="observed hours",
        reference=REF_WOMBAT,
        kind="ratio",
        sql="SELECT session_id, NULL AS key, count(*) AS v FROM T GROUP BY ALL",
        den_sql=OBSERVED,
        scale=HOUR,
        count_rate=True,
    ),
    Metric(
        id="task_duration_mean",
        section="A",
        label="Mean task duration (active time)",
        definition="Σ active time of tasks ÷ number of tasks.",
        unit="minutes",
        denominator="tasks",
        reference=REF_WOMBAT,
        kind="ratio",
        sql="SELECT session_id, NULL AS key, sum(active_ms) AS v FROM T GROUP BY ALL",
        den_sql=TASK_COUNT,
        scale=1 / MINUTE,
    ),
    Metric(
        id="task_duration_median",
        section="A",
        label="Median task duration (active time)",
        definition="Median of the active times of tasks (linear interpolation).",
        unit="minutes",
        denominator="tasks",
        reference=REF_WOMBAT,
        kind="quantile",
        sql="SELECT session_id, active_ms AS v FROM T",
        scale=1 / MINUTE,
        quantile=0.5,
    ),
    Metric(
        id="task_duration_p90",
        section="A",
        label="90th percentile of task duration (active time)",
        definition="90th percentile of the active times of tasks (linear interpolation).",
        unit="minutes",
        denominator="tasks",
        reference=REF_WOMBAT,
        kind="quantile",
        sql="SELECT session_id, active_ms AS v FROM T",
        scale=1 / MINUTE,
        quantile=0.9,
    ),
    Metric(
        id="interruptions_per_hour",
        section="A",
        label="Interruptions per hour",
        definition=(
            "Interruption events ÷ observed hours. An interruption is one event however many "
            "running tasks it suspends: the suspensions of one session that name the same "
            "interrupting task and start at the same instant are one event; a suspension that "
            "names no interrupting task is one event; each interruption point event is one "
            "event."
        ),
        unit="per hour",
        denominator="observed hours",
        reference=REF_WOMBAT,
        kind="ratio",
        sql=(
            "SELECT session_id, NULL AS key, count(*) AS v FROM ("
            "SELECT session_id FROM XE UNION ALL "
            "SELECT session_id FROM EV WHERE kind = 'interruption') GROUP BY ALL"
        ),
        den_sql=OBSERVED,
        scale=HOUR,
        count_rate=True,
        notes=(
            "Published interruption rates count events, not suspended tasks: an interrupting "
            "task that suspends two parallel tasks is one interruption. suspensions_per_hour "
            "counts the suspended tasks."
        ),
    ),
    Metric(
        id="suspensions_per_hour",
        section="A",
        label="Suspensions per hour",
        definition=(
            "Suspensions of tasks ÷ observed hours: each task an interruption suspends counts "
            "once, so one interruption of two parallel tasks gives two suspensions. "
            "Interruption point events suspend no task and do not count."
        ),
        unit="per hour",
        denominator="observed hours",
        reference=REF_WOMBAT,
        kind="ratio",
        sql="SELECT session_id, NULL AS key, sum(n_susp) AS v FROM T GROUP BY ALL",
        den_sql=OBSERVED,
        scale=HOUR,
        count_rate=True,
    ),
    Metric(
        id="tasks_interrupted_pct",
        section="A",
        label="Tasks interrupted",
        definition="Share of tasks suspended at least once.",
        unit="%",
        denominator="tasks",
        reference=REF_WOMBAT,
        kind="ratio",
        sql=(
            "SELECT session_id, NULL AS key, count(*) FILTER (WHERE n_susp >= 1) AS v "
            "FROM T GROUP BY ALL"
        ),
        den_sql=TASK_COUNT,
        scale=100.0,
    ),
    Metric(
        id="tasks_interrupted_repeat_pct",
        section="A",
        label="Tasks interrupted more than once",
        definition="Share of tasks suspended more than once.",
        unit="%",
        denominator="tasks",
        reference=REF_WOMBAT,
        kind="ratio",
        sql=(
            "SELECT session_id, NULL AS key, count(*) FILTER (WHERE n_susp > 1) AS v "
            "FROM T GROUP BY ALL"
        ),
        den_sql=TASK_COUNT,
        scale=100.0,
    ),
    Metric(
        id="interrupted_not_resumed_pct",
        section="A",
        label="Tasks interrupted and never resumed",
        definition=(
            "Share of tasks suspended and never resumed: a suspension that has no end, or "
            "that ends only when the task ends."
        ),
        unit="%",
        denominator="tasks",
        reference=REF_WOMBAT,
        kind="ratio",
        sql=(
            "SELECT session_id, NULL AS key, count(*) FILTER (WHERE not_resumed) AS v "
            "FROM T GROUP BY ALL"
        ),
        den_sql=TASK_COUNT,
        scale=100.0,
    ),
    Metric(
        id="multitasking_pct",
        section="A",
        label="Time multitasking",
        definition="Share of observed time with two or more active tasks.",
        unit="%",
        denominator=O_TEXT,
        reference=REF_WOMBAT,
        kind="ratio",
        sql="SELECT session_id, NULL AS key, sum(len) AS v FROM WC WHERE k >= 2 GROUP BY ALL",
        den_sql=OBSERVED,
        scale=100.0,
    ),
    Metric(
        id="task_switches_per_hour",
        section="A",
        label="Task switches per hour",
        definition=(
            "Switches to an incoming task that suspends the running work, per observed hour: "
            "one switch per interrupting task and instant, however many running tasks it "
            "suspends (the interruption events that name their interrupting task)."
        ),
        unit="per hour",
        denominator="observed hours",
        reference=REF_WALTER,
        kind="ratio",
        sql=(
            "SELECT session_id, NULL AS key, count(*) AS v FROM XE "
            "WHERE by_key IS NOT NULL GROUP BY ALL"
        ),
        den_sql=OBSERVED,
        scale=HOUR,
        count_rate=True,
        notes=(
            "A suspension counts when it names the task that caused it; suspensions that "
            "name no task and interruption point events are not switches."
        ),
    ),
    Metric(
        id="multitask_starts_per_hour",
        section="A",
        label="Multitask starts per hour",
        definition=(
            "Tasks started while another task stays active (is neither ended nor suspended "
            "at that instant), per observed hour."
        ),
        unit="per hour",
        denominator="observed hours",
        reference=REF_WALTER,
        kind="ratio",
        sql=(
            "SELECT session_id, NULL AS key, sum(n) AS v FROM ("
            # a task active from its start: k there counts it, so another task needs k >= 2
            "SELECT session_id, n FROM TSK WHERE k >= 2 "
            "UNION ALL "
            # a task not active at its start (zero length, or suspended at once)
            # (the timeline segment in which it starts: segments of a session do not overlap)
            "SELECT x.session_id, 1 FROM (SELECT * FROM T WHERE first_a IS DISTINCT FROM a0) x "
            "JOIN WPX w ON x.session_id = w.session_id AND x.a0 >= w.t "
            "WHERE w.nt > x.a0 AND w.k >= 1"
            ") GROUP BY ALL"
        ),
        den_sql=OBSERVED,
        scale=HOUR,
        count_rate=True,
    ),
    # -- B. how clinical and managerial work intertwine ---------------------------------------
    Metric(
        id="domain_share_observed",
        section="B",
        label="Share of observed time, by domain",
        definition="Σ active time of tasks in domain d ÷ O (overlapping tasks count in full).",
        unit="proportion",
        denominator=O_TEXT,
        reference=REF_OWN + "; basis as in " + REF_WOMBAT,
        kind="ratio",
        sql="SELECT session_id, domain AS key, sum(len) AS v FROM PC GROUP BY ALL",
        den_sql=OBSERVED,
        key="domain",
        keys=DOMAINS,
    ),
    Metric(
        id="domain_share_task_time",
        section="B",
        label="Share of task time, by domain",
        definition="Σ active time in domain d ÷ Σ active time of all tasks.",
        unit="proportion",
        denominator="Σ active time of all tasks",
        reference=REF_OWN + "; basis as in " + REF_WOMBAT,
        kind="ratio",
        sql="SELECT session_id, domain AS key, sum(len) AS v FROM PC GROUP BY ALL",
        den_sql=ALL_ACTIVE,
        key="domain",
        keys=DOMAINS,
    ),
    Metric(
        id="domain_switches_per_hour",
        section="B",
        label="Clinical-managerial switches per hour",
        definition=(
            "In the foreground timeline restricted to clinical and managerial segments (other "
            "domains and idle gaps skipped), the number of changes between clinical and "
            "managerial, per observed hour."
        ),
        unit="per hour",
        denominator="observed hours",
        reference=REF_OWN,
        kind="ratio",
        sql=(
            "SELECT session_id, NULL AS key, count(*) AS v FROM ("
            "SELECT session_id, dom, lag(dom) OVER (PARTITION BY session_id ORDER BY t) "
            f"AS prev FROM FG WHERE dom IN ({CLINICAL}, {MANAGERIAL})) "  # domain codes
            "WHERE prev <> dom GROUP BY ALL"
        ),
        den_sql=OBSERVED,
        scale=HOUR,
        count_rate=True,
        notes="Switches are counted within sessions, never across two sessions.",
    ),
    Metric(
        id="mixed_domain_pct",
        section="B",
        label="Time with clinical and managerial work at once",
        definition=(
            "Share of observed time in which a clinical and a managerial task are both active."
        ),
        unit="%",
        denominator=O_TEXT,
        reference=REF_OWN,
        kind="ratio",
        sql=(
            "SELECT session_id, NULL AS key, sum(len) AS v FROM WC "
            "WHERE kc >= 1 AND km >= 1 GROUP BY ALL"
        ),
        den_sql=OBSERVED,
        scale=100.0,
    ),
    Metric(
        id="undivided_clinical_pct",
        section="B",
        label="Undivided clinical time",
        definition=(
            "Share of clinical active time during which that task is the only active task."
        ),
        unit="%",
        denominator="clinical active time",
        reference=REF_OWN,
        kind="ratio",
        sql=(
            "SELECT session_id, NULL AS key, sum(len) AS v FROM WC "
            "WHERE k = 1 AND kc = 1 GROUP BY ALL"
        ),
        den_sql="SELECT session_id, sum(len) AS v FROM PC WHERE domain = 'clinical' GROUP BY ALL",
        scale=100.0,
    ),
    *(
        Metric(
            id=f"clinical_stretch_{name}",
            section="B",
            label=f"Undivided clinical stretch, {label}",
            definition=(
                f"{label.capitalize()} of the lengths of maximal intervals during which exactly "
                "one task is active and it is clinical."
            ),
            unit="minutes",
            denominator="clinical stretches",
            reference=REF_OWN,
            kind="quantile",
            sql="SELECT session_id, len AS v FROM CS",
            scale=1 / MINUTE,
            quantile=q,
            notes=(
                "A stretch runs on when one clinical task ends at the instant the next begins "
                "(the condition holds throughout); an idle gap or any other task ends it."
            ),
        )
        for name, label, q in (
            ("median", "median", 0.5),
            ("p10", "10th percentile", 0.1),
            ("p90", "90th percentile", 0.9),
        )
    ),
    Metric(
        id="management_episodes_per_hour",
        section="B",
        label="Management episodes per hour",
        definition=(
            "Episodes (maximal foreground stretches of managerial tasks) per observed hour."
        ),
        unit="per hour",
        denominator="observed hours",
        reference=REF_OWN,
        kind="ratio",
        sql="SELECT session_id, NULL AS key, count(*) AS v FROM EP GROUP BY ALL",
        den_sql=OBSERVED,
        scale=HOUR,
        count_rate=True,
        notes=(
            "An episode is broken by a foreground task of another domain or an idle gap, not "
            "by a change from one managerial task to another."
        ),
    ),
    Metric(
        id="management_episode_median",
        section="B",
        label="Median management episode",
        definition="Median length of management episodes.",
        unit="minutes",
        denominator="management episodes",
        reference=REF_OWN,
        kind="quantile",
        sql="SELECT session_id, len AS v FROM EP",
        scale=1 / MINUTE,
        quantile=0.5,
    ),
    Metric(
        id="management_in_fragments_pct",
        section="B",
        label="Management time in fragments",
        definition=(
            "Share of managerial (foreground) time spent in fragments: management episodes "
            "shorter than the fragment threshold."
        ),
        unit="%",
        denominator="managerial foreground time (Σ episode lengths)",
        reference=REF_OWN,
        kind="ratio",
        sql=(
            "SELECT session_id, NULL AS key, "
            "coalesce(sum(len) FILTER (WHERE len < {fragment_minutes} * 60000), 0) AS v "
            "FROM EP GROUP BY ALL"
        ),
        den_sql="SELECT session_id, sum(len) AS v FROM EP GROUP BY ALL",
        scale=100.0,
        parameters=("fragment_minutes",),
    ),
    Metric(
        id="compartmentalisation",
        section="B",
        label="Compartmentalisation of management",
        definition=(
            "Managerial active time inside planned management sessions ÷ all managerial "
            "active time (1 = the job plan holds; 0 = all management happens elsewhere). "
            "Needs a job plan."
        ),
        unit="proportion",
        denominator="managerial active time (participants with a job plan)",
        reference=REF_OWN,
        kind="ratio",
        sql=(
            "SELECT session_id, NULL AS key, sum(len) AS v FROM PSC "
            f"WHERE domain = 'managerial' AND {IN_OWN_PLAN} GROUP BY ALL"
        ),
        den_sql=MANAGERIAL_ACTIVE,
        eligible="job_plan",
        notes=(
            "A managerial task is inside its planned sessions when it runs in a 'management' "
            "job-plan session or in a session of the job-plan category its template category "
            "maps to (e.g. supervision in an SPA session). Undefined (not 0 or 1) when there "
            "is no managerial time."
        ),
    ),
    Metric(
        id="leakage",
        section="B",
        label="Leakage of management out of its planned sessions",
        definition=(
            "The managerial active time outside planned management sessions, ÷ all "
            "managerial active time, split into: inside planned clinical sessions "
            "('clinical'), inside other planned sessions ('other_planned'), outside "
            "contracted hours ('outside_contracted'). With compartmentalisation it sums to 1."
        ),
        unit="proportion",
        denominator="managerial active time (participants with a job plan)",
        reference=REF_OWN,
        kind="ratio",
        sql=(
            "SELECT session_id, CASE WHEN pc = 0 THEN 'outside_contracted' "
            "WHEN pc = 1 THEN 'clinical' ELSE 'other_planned' END AS key, sum(len) AS v "
            f"FROM PSC WHERE domain = 'managerial' AND NOT {IN_OWN_PLAN} GROUP BY ALL"
        ),
        den_sql=MANAGERIAL_ACTIVE,
        key="where",
        keys=LEAKAGE_KEYS,
        eligible="job_plan",
        notes="Contracted hours are the union of all planned job-plan sessions.",
    ),
    Metric(
        id="takeover_ratio",
        section="B",
        label="Management take-over ratio",
        definition=(
            "Managerial active time ÷ planned management time, both inside the observed windows."
        ),
        unit="ratio",
        denominator="planned management time inside the observed windows",
        reference=REF_OWN,
        kind="ratio",
        sql=(
            "SELECT session_id, NULL AS key, sum(len) AS v FROM PC "
            "WHERE domain = 'managerial' GROUP BY ALL"
        ),
        den_sql="SELECT session_id, sum(len) AS v FROM WC WHERE pc = 5 GROUP BY ALL",
        eligible="job_plan",
    ),
    Metric(
        id="clinical_displacement",
        section="B",
        label="Clinical time displaced by management",
        definition=(
            "Share of planned clinical time (inside the observed windows) spent on "
            "managerial tasks: the planned clinical time in which at least one managerial task "
            "is active (instants, not task time). Why this basis: the measure is a share of "
            "the clinical time the job plan gives, and an instant of clinical time is "
            "displaced once however many managerial tasks run in it; counting overlapping "
            "managerial tasks in full would let two phone calls during one minute displace "
            "two minutes and the share exceed 1. It is the instant basis of mixed_domain_pct "
            "and multitasking_pct (metrics.md, Notation: a task is active at instant τ); "
            "managerial task time counted in full inside clinical sessions is the numerator "
            "of leakage[clinical]."
        ),
        unit="proportion",
        denominator="planned clinical (DCC) time inside the observed windows",
        reference=(
            REF_OWN + "; basis: docs/metrics.md (B. clinical_displacement, Notation: active "
            "at instant τ)"
        ),
        kind="ratio",
        sql=(
            "SELECT session_id, NULL AS key, sum(len) AS v FROM WC "
            "WHERE pc = 1 AND km >= 1 GROUP BY ALL"
        ),
        den_sql="SELECT session_id, sum(len) AS v FROM WC WHERE pc = 1 GROUP BY ALL",
        eligible="job_plan",
        notes=(
            "Counts instants, not task time: planned clinical time with at least one "
            "managerial task active, so the share cannot exceed 1. The simulator plants "
            "mgmt_share_clinical on this basis (docs/simulator.md)."
        ),
    ),
    Metric(
        id="management_outside_hours_per_8h",
        section="B",
        label="Management outside contracted hours, per 8 contracted hours",
        definition=(
            "Managerial active time outside contracted hours per 8 contracted hours (the "
            "analogue of the EHR 'work outside of work' measure; all time outside the schedule "
            "counts, with no grace window)."
        ),
        unit="hours per 8 contracted hours",
        denominator="contracted (planned) time inside the observed windows, in units of 8 hours",
        reference=(
            "Sinsky et al. 2020 (EHR 'work outside of work'); no grace window as Arndt et al. "
            "recommend"
        ),
        kind="ratio",
        sql=(
            "SELECT session_id, NULL AS key, sum(len) AS v FROM PSC "
            "WHERE domain = 'managerial' AND pc = 0 GROUP BY ALL"
        ),
        den_sql="SELECT session_id, sum(len) AS v FROM WC WHERE pc > 0 GROUP BY ALL",
        scale=8.0,
        eligible="job_plan",
    ),
    Metric(
        id="demand_response",
        section="B",
        label="Demand events answered by management",
        definition=(
            "Where demand events are recorded (list cancellation, add-on, emergency...): the "
            "share of them followed by a management episode starting within the demand "
            "window."
        ),
        unit="proportion",
        denominator="demand events recorded inside sessions",
        reference=REF_OWN,
        kind="ratio",
        sql=(
            # an event is answered when an episode starts in [at, at + window]: the first
            # episode starting at or after it does
            "SELECT d.session_id, NULL AS key, sum(CASE WHEN a.n > 0 THEN d.m ELSE 0 END) AS v "
            "FROM (SELECT q.session_id, q.at, count(*) AS m FROM DM q GROUP BY ALL) d "
            "LEFT JOIN (SELECT d.session_id, d.at, count(*) AS n FROM "
            "(SELECT DISTINCT q.session_id, q.at FROM DM q) d JOIN EP e "
            "ON d.session_id = e.session_id AND e.start >= d.at "
            "AND e.start <= d.at + {demand_window_minutes} * 60000 GROUP BY ALL) a "
            "ON a.session_id = d.session_id AND a.at = d.at "
            "GROUP BY ALL"
        ),
        den_sql="SELECT session_id, count(*) AS v FROM DM GROUP BY ALL",
        eligible="demand",
        parameters=("demand_window_minutes",),
        notes=(
            "An episode already under way when the event is recorded does not count; the "
            "episode must start at or after the event, within the window, in the same session."
        ),
    ),
    # -- C. cost of the hidden management -----------------------------------------------------
    Metric(
        id="management_hours_per_fte_year",
        section="C",
        label="Management hours per full-time year",
        definition=(
            "Managerial share of observed working time × contracted annual hours of one "
            "full-time equivalent."
        ),
        unit="hours per FTE-year",
        denominator=O_TEXT,
        reference="Agenda for Change full-time hours (37.5 a week; 1,955.4 paid hours a year)",
        kind="ratio",
        sql=(
            "SELECT session_id, NULL AS key, sum({managerial_weight}) AS v FROM PSC "
            "WHERE domain = 'managerial' GROUP BY ALL"
        ),
        den_sql=OBSERVED,
        scale="paid_hours_per_year",
        parameters=("paid_hours_per_year", "share_basis"),
        notes=(
            "By default the managerial share is time-sliced (an instant shared with a clinical "
            "task counts half), so that no hour is costed twice."
        ),
    ),
    Metric(
        id="management_cost_per_fte_year",
        section="C",
        label="Cost of management time per full-time year",
        definition=(
            "Management hours per FTE-year × hourly cost, where hourly cost = annual salary at "
            "the participant's band and pay point ÷ paid hours per year × on-cost multiplier "
            "(employer pension and National Insurance). Each participant's time is costed at "
            "their own rate."
        ),
        unit="£ per FTE-year",
        denominator=O_TEXT + ", participants with a band in the pay scale",
        reference=REF_COST,
        kind="ratio",
        sql=(
            "SELECT PSC.session_id, NULL AS key, "
            "sum({managerial_weight}) * any_value(S.hourly_cost) AS v "
            "FROM PSC JOIN S USING (session_id) WHERE domain = 'managerial' GROUP BY ALL"
        ),
        den_sql=OBSERVED,
        scale="paid_hours_per_year",
        eligible="pay",
        parameters=(
            "paid_hours_per_year",
            "share_basis",
            "payscale",
            "default_pay_point",
            "employer_pension_rate",
            "employer_ni_rate",
            "employer_ni_threshold",
        ),
    ),
)

REGISTRY: dict[str, Metric] = {m.id: m for m in METRICS}

# the passive family (section P, audit logs): its own blocks and engine (passive.py), computed
# from a study's logs, not its sessions (services.metrics.compute sends passive ids there)
from workweave.analysis.metrics.passive import PASSIVE_METRICS  # noqa: E402

PASSIVE: dict[str, Metric] = {m.id: m for m in PASSIVE_METRICS}


def get(metric_id: str) -> Metric:
    """A metric by id; ``share_observed[CLIN-DIRECT]`` names the family ``share_observed``."""
    base = metric_id.split("[", 1)[0]
    try:
        return REGISTRY[base]
    except KeyError:
        if base in PASSIVE:
            raise ValidationError(
                f"'{base}' is a passive metric, computed from audit logs: run 'workweave logs "
                f"metrics --metric {base}' (docs/passive.md)"
            ) from None
        from workweave.analysis.metrics.choices import did_you_mean

        hint = did_you_mean(base, REGISTRY)
        raise ValidationError(
            f"no metric '{metric_id}'"
            + (f" (did you mean '{hint}'?)" if hint else "")
            + "; run 'workweave metrics --list' to see them all"
        ) from None


def resolve_parameters(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every parameter's value: its default unless overridden (unknown names are refused)."""
    values = {name: p.default for name, p in PARAMETERS.items()}
    for name, value in (overrides or {}).items():
        if name not in PARAMETERS:
            raise ValidationError(
                f"no metric parameter '{name}' (parameters: {', '.join(PARAMETERS)})"
            )
        values[name] = PARAMETERS[name].check(value)
    return values


__all__ = [
    "ELIGIBILITY",
    "LEAKAGE_KEYS",
    "METRICS",
    "PARAMETERS",
    "PASSIVE",
    "PASSIVE_METRICS",
    "REGISTRY",
    "Metric",
    "Parameter",
    "get",
    "resolve_parameters",
]
