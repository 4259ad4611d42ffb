"""The registry as a table and as the user documentation (docs/metrics.md is generated here)."""

from __future__ import annotations

import pandas as pd

from workweave.analysis.metrics.blocks import PLAN_CODES
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
    "other; job-plan sessions are DCC (clinical), SPA, ANR, ED or management.",
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
        f"| `FLAG_BELOW` | {policy.FLAG_BELOW} | the engine flags an estimate resting on fewer "
        f"than {policy.FLAG_BELOW} participants: it is shown, but marked as imprecise (few "
        "clusters make the bootstrap interval too narrow) |",
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
        "- 95 % confidence intervals by cluster bootstrap over participants: participants "
        "are resampled with replacement within each group "
        f"(B = {policy.BOOTSTRAP_REPLICATES} by default; `--boot`, `B=`), with a fixed seed "
        "on request (`--seed`), and the percentile interval is "
        "reported. Groups with one participant get no interval. Bootstrap quantiles use at "
        "most 512 value bins.",
        "- Rates per hour also get an exact (Garwood) Poisson interval on request (`--poisson`).",
        "- Every estimate comes with n participants, n sessions and observed hours (of the "
        "sessions the metric applies to); estimates from fewer than "
        f"{policy.FLAG_BELOW} participants are flagged, and undefined ones (zero "
        "denominator) are flagged, never shown as 0.",
        "- Comparisons of two groups or periods (`--compare key=value --compare key=value`) "
        "give the difference with a bootstrap interval (participants in both groups are "
        "resampled together); no p-values.",
        "",
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
    "format_value",
    "list_frame",
    "metric_facts",
    "parameter_meaning",
    "policy_markdown",
    "registry_markdown",
]
