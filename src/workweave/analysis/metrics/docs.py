"""The registry as a table and as the user documentation (docs/metrics.md is generated here)."""

from __future__ import annotations

from importlib.resources import files

import pandas as pd

from workweave.analysis.metrics.blocks import PLAN_CODES
from workweave.analysis.metrics.budget import DESCRIPTION
from workweave.analysis.metrics.registry import (
    ELIGIBILITY,
    METRICS,
    PARAMETERS,
    Metric,
    Parameter,
)
from workweave.domain import policy
from workweave.domain.payscale import PayScale

SECTIONS = {
    "A": "A. Established time-and-motion measures (WOMBAT family)",
    "B": "B. How clinical and managerial work intertwine",
    "C": "C. Cost of the hidden management",
}


def list_frame() -> pd.DataFrame:
    """One row per metric: id, label, definition, unit, denominator, reference, parameters."""
    return pd.DataFrame(
        [
            {
                "id": m.display_id(),
                "section": m.section,
                "label": m.label,
                "definition": m.definition,
                "unit": m.unit,
                "denominator": m.denominator,
                "reference": m.reference,
                "kind": m.kind if m.quantile is None else f"quantile {m.quantile:g}",
                "applies_to": ELIGIBILITY[m.eligible],
                "parameters": ", ".join(
                    f"{p}={format_value(PARAMETERS[p].default)}" for p in m.parameters
                ),
            }
            for m in METRICS
        ]
    )


TERMS: dict[str, str] = {
    "Session": "one continuous observation window of one participant; observed time O is the "
    "sum of session lengths (an incomplete session counts up to the last instant recorded in "
    "it).",
    "Active time": "a task's elapsed time minus the time it was suspended by "
    "interruptions. A task is active at an instant when it has started, not ended and is not "
    "suspended. Task time is counted inside the session window.",
    "Foreground task": "at each instant, the active task that started most recently (ties: the "
    "later recorded one).",
    "Domain": "each template category maps to clinical, managerial, professional, personal or "
    "other; job-plan sessions are DCC (clinical), SPA, ANR, ED or management. The measures of "
    "sections B and C read the domains: for a group whose sessions' templates map no category "
    "to a domain other than 'other' (WOMBAT templates carry no domains) they are undefined, "
    "flagged 'undefined: no category is mapped to a domain', never 0.",
    "Uncoded task": "a task recorded without a category; its key is `(uncoded)`.",
    "Interruption event": "one interruption, however many running tasks it suspends: the "
    "suspensions of one session that name the same interrupting task and start at the same "
    "instant are one event; a suspension that names no interrupting task is one event; an "
    "interruption point event is one event. A **suspension** is one task suspended by an "
    "interruption (WOMBAT's 'int task id N' groups): an interrupting task that suspends two "
    "parallel tasks is one interruption event and two suspensions.",
    "Groups and filters": "`study`, `site`, `profession`, `band`, `participant`, `observer` "
    "(`(self)` for self-report), `session` (its key; a filter also matches the source's own "
    "session id), `mode` (`shadowing`, `self-report` or `imported`: `--filter "
    "mode=shadowing,imported` keeps observed sessions only, as the reports do), `month` (of "
    "the session's start, in the site's time zone).",
    "Job-plan intervals": "each participant's weekly sessions laid over the observed dates in "
    "the site's time zone, so a 09:00 session stays at 09:00 local time across daylight-saving "
    "changes; contracted hours are their union. (When clocks go back, an ambiguous local time "
    "is read as the later instant.)",
}
"""The terms the metric definitions use, defined once (docs/metrics.md, the report's Methods)."""


def format_value(v: object) -> str:
    """A parameter's value (or default) as documented: tuples joined by '/', whole floats
    without a decimal point."""
    if v is None:
        return "from the pay scale"
    if isinstance(v, tuple):
        return "/".join(str(x) for x in v)
    if isinstance(v, float) and v.is_integer():
        return f"{v:g}"
    return str(v)


def parameter_meaning(p: Parameter) -> str:
    """A parameter's description, with its choices when it has a fixed set."""
    return p.description + (f" (one of {', '.join(map(str, p.choices))})" if p.choices else "")


def metric_facts(m: Metric) -> list[tuple[str, str]]:
    """(name, text) facts of a metric beyond its definition: key, unit, denominator, how its
    estimate is made, what it applies to, reference, parameters."""
    facts = [
        ("Unit", m.unit),
        ("Denominator", m.denominator),
        (
            "Estimate",
            "ratio of sums over the group"
            if m.kind == "ratio"
            else f"quantile {m.quantile:g} of the group's items (linear interpolation)",
        ),
        ("Applies to", ELIGIBILITY[m.eligible]),
        ("Reference", m.reference),
    ]
    if m.key:
        keys = ", ".join(f"`{k}`" for k in m.keys) if m.keys else "the values found in the data"
        facts.insert(0, ("Key", f"{m.key} ({keys})"))
    if m.parameters:
        facts.append(("Parameters", ", ".join(f"`{p}`" for p in m.parameters)))
    if m.count_rate:
        facts.append(("Exact Poisson interval", "on request"))
    return facts


def _metric_md(m: Metric) -> list[str]:
    lines = [f"### `{m.display_id()}`: {m.label}", "", m.definition, ""]
    lines.extend(f"- **{k}:** {v}" for k, v in metric_facts(m))
    if m.notes:
        lines.extend(["", f"Note: {m.notes}"])
    lines.append("")
    return lines


def time_budget_markdown() -> list[str]:
    """The "Time budget" section: what each column counts, and sum against union."""
    return [
        "## Time budget",
        "",
        "```",
        "workweave metrics --time-budget [--by site] [--overlap sum|union] [--format json]",
        "```",
        "",
        "```python",
        "import workweave",
        "study = workweave.open('demo')",
        "study.time_budget(by=['site'], overlap='union')",
        "```",
        "",
        "Per group and category, as BORIS reports it: "
        + "; ".join(f"`{c}` {t}" for c, t in DESCRIPTION.items())
        + "; beside them n participants, n sessions and observed hours of the group. "
        "Durations are active time (a suspension is not part of a bout). Categories found in "
        "the sessions in scope are listed for every group (0 bouts where absent).",
        "",
        "Two tasks of one category may run at once (a nurse giving two patients their "
        "medication in parallel). `--overlap` says how they count:",
        "",
        "- **`sum`** (default): every task is one bout lasting its active time, and "
        "overlapping tasks count in full. The percentage is `share_observed[c]` × 100, the "
        "WOMBAT basis; the column can add up to more than 100 %.",
        "- **`union`**: a bout is a maximal stretch of time during which at least one task of "
        "the category is active; tasks of the category that overlap, or follow each other "
        "without a gap, merge into one bout, and each instant counts once per category. "
        "The percentage is the share of observed time with the category under way. A task "
        "suspended by an interruption of another category splits into two bouts; a task "
        "with no active time makes none.",
        "",
        "Worked example (one 60-minute session): task 1, `Terapia`, 10:00-10:20; task 2, "
        "`Terapia`, 10:10-10:30 (in parallel with task 1 for 10 minutes); task 3, `Terapia`, "
        "10:40-10:45.",
        "",
        "| overlap | bouts | total | mean | SD | % observed |",
        "|---|---|---|---|---|---|",
        "| `sum` | 3 (one per task) | 20 + 20 + 5 = 45 min | 15 min | 8.66 min | 75 % |",
        "| `union` | 2 (10:00-10:30, 10:40-10:45) | 30 + 5 = 35 min | 17.5 min | 17.68 min "
        "| 58.3 % |",
        "",
        "Use `sum` to compare with published WOMBAT figures and with `share_observed`; use "
        "`union` for how much of the time a kind of work was going on, and for the length of "
        "uninterrupted stretches of it.",
        "",
    ]


def coobservation_markdown() -> list[str]:
    """The "Co-observed sessions" section: which record of a co-observed session the metrics
    count (``workweave.analysis.coobservation``)."""
    return [
        "## Co-observed sessions",
        "",
        "When two or three observers shadow the same participant at once (to measure "
        "inter-observer reliability, docs/ior.md), the study holds several records of the same "
        "working time. Summed, they would count that time, and every task and interruption in "
        "it, two or three times, and narrow the intervals with copies of the same data.",
        "",
        "- Sessions are **co-observed** when `workweave ior --auto` pairs them: the same "
        "participant code, different observers, overlapping times (no tolerance). A "
        "**co-observation group** is a connected component of those pairs (A with B and B "
        "with C put A, B and C in one group). Self-reports are never paired.",
        "- By default (`--observers primary`; `observers=` in the Python API and "
        "`ReportOptions`) rates and shares count **one record per group**: the session whose "
        "observer role is `primary`; else, or among several, the earliest-created session "
        "(the lowest store id: the order sessions were stored, which for an import is the "
        "order of the export), then the smaller session key. Sessions outside any group are "
        "always counted. The choice is made among the sessions a `--filter` keeps, so "
        "`--filter observer=X` shows every session of X.",
        "- `--observers all` counts every record (the behaviour before groups were counted "
        "once; use it for agreement between observers, or with `--by observer`).",
        "- Observer roles (`primary`, `second`) are recorded on each session: by the "
        "simulator, by `workweave import wombat --primary-observer CODE` or `--roles FILE` "
        "(CSV: `role` with `observer` or `session`), and on the session's page in the web app.",
        "- `workweave summary` reports distinct observed hours (the counted records) and the "
        "hours more recorded by second observers separately. Observed time is the counted "
        "record's own length: where the records of a group do not cover the same span, time "
        "seen only by a record that is not counted is left out.",
        "",
    ]


def coverage_markdown() -> list[str]:
    """The coverage table written by bench/coverage.py (analysis/metrics/coverage.md)."""
    text = files("workweave.analysis.metrics").joinpath("coverage.md").read_text("utf-8")
    return text.rstrip("\n").split("\n")


def policy_markdown() -> list[str]:
    """The "Policy" section: the study-wide defaults and small-number rules
    (``workweave.domain.policy``) and what each one does."""
    return [
        "## Policy",
        "",
        "Study-wide defaults and the two small-number rules are defined once, in "
        "`workweave.domain.policy`; the command line, the web app, the Python API and the "
        "reports all read them from there.",
        "",
        "| name | value | what it does |",
        "|---|---|---|",
        f"| `DEFAULT_TIMEZONE` | {policy.DEFAULT_TIMEZONE} | time zone of a study, site or "
        "session when none is given (job plans, months and days are read in it) |",
        f"| `BOOTSTRAP_REPLICATES` | {policy.BOOTSTRAP_REPLICATES} | cluster-bootstrap "
        "replicates (B) for the intervals of the command line, the Python API and the reports |",
        f"| `DASHBOARD_BOOTSTRAP_REPLICATES` | {policy.DASHBOARD_BOOTSTRAP_REPLICATES} | "
        "replicates for the web pages that compute intervals on request (fewer, for speed) |",
        f"| `SUPPRESS_BELOW` | {policy.SUPPRESS_BELOW} | reports and their tables hide a group "
        f"of fewer than {policy.SUPPRESS_BELOW} participants (disclosure: a figure about one "
        "or two people could identify them) |",
        f"| `INTERVAL_METHOD` | {policy.INTERVAL_METHOD} | the interval method of every "
        "surface (`t`: cluster-robust t interval; `percentile`: percentile cluster "
        "bootstrap); see Statistics |",
        f"| `FLAG_BELOW` | {policy.FLAG_BELOW} | the engine flags an estimate resting on fewer "
        f"than {policy.FLAG_BELOW} participants: it is shown, but marked as imprecise (with "
        "so few clusters even the t interval covers the truth less often than it says; see "
        "the coverage study) |",
        "",
    ]


def registry_markdown(payscale: PayScale) -> str:
    """docs/metrics.md: every metric, its definition, parameters and the statistics used;
    ``payscale`` is the default pay scale, described under "Cost basis"."""
    pay = payscale
    out = [
        "# Metrics",
        "",
        "<!-- Generated from the metric registry (workweave/analysis/metrics/registry.py) by",
        "     `workweave metrics --list --format markdown`; do not edit by hand. -->",
        "",
        "Every number workweave reports comes from one registry of metrics, each defined once "
        "and computed by the same engine for the command line, the Python API, the web app "
        "and the report.",
        "",
        "## Usage",
        "",
        "```",
        "workweave metrics --list",
        "workweave metrics --by site --metric compartmentalisation --metric leakage --seed 1",
        "workweave metrics --by participant --filter site=A --format csv --out metrics.csv",
        "```",
        "",
        "```python",
        "import workweave",
        "study = workweave.open('demo')",
        "study.metrics(by=['site'], metric=['multitasking_pct'], seed=1)",
        "```",
        "",
        "## Terms",
        "",
        *(f"- **{term}:** {text}" for term, text in TERMS.items()),
        "",
        "## How the intervals are computed",
        "",
        "All interval logic is set-based SQL run in process by DuckDB over the canonical "
        "tables: active pieces of each task come from a per-task sweep over task and "
        "suspension boundaries; a per-session sweep over piece, job-plan and session "
        "boundaries gives, by running sums, the number of active tasks (and of clinical and "
        "managerial ones) and the planned session in force on every segment of the timeline; "
        "each piece is crossed with the segments it spans to weight time by 1/k and by plan; "
        "the foreground task of each segment is the arg-max of start time over the pieces "
        "covering it; episodes and stretches are runs of contiguous segments.",
        "",
        "## Statistics",
        "",
        "- Group estimates (study, site, profession, band, participant, observer, session, "
        "mode, month) are ratios of sums over the group (or, for medians and percentiles, "
        "quantiles of the group's pooled items).",
        "- 95 % confidence intervals are clustered on participants (a participant's "
        "sessions resemble each other, so the participant, not the session or the task, is "
        f"the unit of resampling). Two methods (`--interval`, `interval=`); the default is "
        f"`{policy.INTERVAL_METHOD}`:",
        "  - `t`: estimate ± t(G − 1) × SE, with G the participants the estimate rests on "
        "(for a ratio, those with a non-zero denominator). For a ratio of sums R = ΣY/ΣX over "
        "participants i the SE is the linearisation (delta-method, cluster-robust) SE "
        "√(G/(G − 1) · Σ(Y_i − R·X_i)²) / ΣX, computed exactly (no resampling, so no seed "
        "needed). Quantiles (medians, percentiles) and comparisons use the standard deviation "
        "of the cluster-bootstrap replicates as SE, times √(G/(G − 1)) (comparisons: G − k "
        "degrees of freedom for G participants in k resampling strata). Bounds stay inside "
        "the estimate's possible range (not below 0, and not above 1 for a share whose "
        "numerator never exceeds its denominator). The t quantile on G − 1 degrees of freedom "
        "and the G/(G − 1) factor are the standard small-number corrections for few clusters "
        "(Cameron & Miller 2015, J Hum Resour 50:317).",
        "  - `percentile`: the percentile interval of the cluster bootstrap: participants "
        "resampled with replacement within each group. It is too narrow with few "
        "participants (see the coverage study below).",
        f"- The bootstrap uses B = {policy.BOOTSTRAP_REPLICATES} replicates by default "
        "(`--boot`, `B=`; 0: no intervals), with a fixed seed on request (`--seed`); it is "
        "vectorised (one multinomial weight matrix per group). Groups with one participant "
        "get no interval. Bootstrap quantiles use at most 512 value bins.",
        "- Rates per hour also get an exact (Garwood) Poisson interval on request (`--poisson`).",
        "- Every estimate comes with n participants, n sessions and observed hours (of the "
        "sessions the metric applies to); estimates from fewer than "
        f"{policy.FLAG_BELOW} participants are flagged (`FLAG_BELOW`, see the coverage "
        "study), and undefined ones (zero denominator; measures by domain without a domain "
        "mapping, with that reason) are flagged, never shown as 0.",
        "- Comparisons of two groups or periods (`--compare key=value --compare key=value`) "
        "give the difference with an interval (participants in both groups are resampled "
        "together); no p-values.",
        "",
        "### Coverage study",
        "",
        "How often the 95 % intervals hold the value the simulator planted "
        "(`bench/coverage.py`; regenerate this table with "
        "`python bench/coverage.py --write`). Median widths are in the metric's unit.",
        "",
        *coverage_markdown(),
        "",
        "With the t interval coverage is near its nominal level from 4 participants on, "
        "and falls to 87 % with 3; the percentile bootstrap covers 63-81 % below 5 "
        "participants and stays under 90 % in most designs. `FLAG_BELOW` stays at "
        f"{policy.FLAG_BELOW}: an estimate from 3 participants covers too rarely even with "
        "t, one from 4 rests on a t quantile of 3.18 (intervals about twice as wide as "
        "with 10 participants) and, with `--interval percentile`, covers about 4 times in "
        "5; from 5 participants on the default interval holds 91-96 % (one sparse cell, 16 "
        "participants in 28 runs, reads 86 %). The figures in this paragraph are from the "
        "run shown.",
        "",
        *time_budget_markdown(),
        *coobservation_markdown(),
        *policy_markdown(),
        "## Cost basis",
        "",
        f"The default pay scale is **{pay.title}** (`{pay.name}`): {pay.source}",
        "",
        "| band | pay points (annual, £) |",
        "|---|---|",
        *(
            f"| {band} | {', '.join(f'{p:,.0f}' for p in points)} |"
            for band, points in pay.bands.items()
        ),
        "",
        f"On-costs: employer pension {pay.employer_pension_rate:.2%}, employer National "
        f"Insurance {pay.employer_ni_rate:.0%} above £{pay.employer_ni_threshold:,.0f} a year. "
        f"{pay.on_cost_source}",
        "",
        "## Parameters",
        "",
        "| parameter | default | unit | meaning |",
        "|---|---|---|---|",
        *(
            f"| `{p.name}` | {format_value(p.default)} | {p.unit} | {parameter_meaning(p)} |"
            for p in PARAMETERS.values()
        ),
        "",
        "Job-plan category codes used internally: "
        + ", ".join(f"{k} = {v}" for k, v in PLAN_CODES.items())
        + ".",
        "",
    ]
    for section, title in SECTIONS.items():
        out.extend([f"## {title}", ""])
        for m in METRICS:
            if m.section == section:
                out.extend(_metric_md(m))
    return "\n".join(out).rstrip() + "\n"


__all__ = [
    "SECTIONS",
    "TERMS",
    "coverage_markdown",
    "format_value",
    "list_frame",
    "metric_facts",
    "parameter_meaning",
    "policy_markdown",
    "registry_markdown",
    "time_budget_markdown",
]
