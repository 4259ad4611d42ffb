"""The tables of every registry metric, for the whole study and each breakdown, and the CSV
files behind them (small-number rule applied to both)."""

from __future__ import annotations

import pandas as pd

from workweave.analysis.metrics import METRICS
from workweave.analysis.metrics.engine import NO_DOMAINS, RESULT_COLUMNS
from workweave.domain.policy import FLAG_BELOW
from workweave.report.document import Cell, Note, Para, Subhead, Table, md
from workweave.report.estimates import BREAKDOWN_LABELS, OVERALL, fmt, key_label
from workweave.report.study.context import StudyContext

CATEGORY_METRICS = ("share_observed", "share_task_time", "share_time_sliced")
GROUPS_PER_TABLE = 4
"""Group columns per printed table: wider tables are split so nothing is clipped on A4."""
CSV_COLUMNS = ("breakdown", "group", *RESULT_COLUMNS)


def section(ctx: StudyContext) -> None:
    s = ctx.doc.section("tables", "Tables of every metric")
    s.add(
        Para(
            md(
                "Every registry metric for the whole study and for each group, with its 95 % "
                "confidence interval underneath. † marks an interval from fewer than "
                f"{FLAG_BELOW} participants; — an estimate that is undefined (e.g. no "
                "managerial time to divide by); *undefined* a measure by domain when "
                f"{NO_DOMAINS} (never shown as 0). Each table is also a CSV file beside this "
                "report, with the numbers of participants, sessions and observed hours behind "
                "every estimate."
            )
        )
    )
    if ctx.by:
        s.add(
            Note(
                "The printed report (PDF) shows the table for the whole study; the tables by "
                + " and by ".join(BREAKDOWN_LABELS.get(b, b) for b in ctx.by)
                + " are in the HTML report and in the CSV files beside it.",
                "info",
            )
        )
    noted = False
    for b, df in ctx.breakdowns():
        if not noted and df["flag"].astype(str).str.contains(NO_DOMAINS, regex=False).any():
            s.add(
                Note(
                    f"The measures by domain (sections B and C) are undefined: {NO_DOMAINS}. "
                    "The study's template gives every category the domain 'other'; map its "
                    "categories to clinical, managerial... in the template (or with --domain "
                    "CATEGORY=domain) to compute them.",
                    "missing",
                )
            )
            noted = True
        label = breakdown_label(b)
        n_part = participants_per_group(df)
        visible, hidden = split_small_groups(n_part, ctx.suppress_below)
        shown = df[df["group"].isin(visible)].copy()
        # a single estimate resting on fewer participants than the rule allows is blanked too
        few = shown["n_participants"] < ctx.suppress_below
        blank = few & (shown["n_participants"] > 0)
        for c in ("estimate", "ci_low", "ci_high"):
            shown.loc[blank, c] = float("nan")
        shown.loc[blank, "flag"] = f"not shown: fewer than {ctx.suppress_below} participants"
        csv_name = f"{ctx.report.stem}-metrics-{b}.csv"
        out = shown.assign(breakdown=b)
        ctx.report.csv[csv_name] = out[[c for c in CSV_COLUMNS if c in out.columns]]
        if hidden:
            s.add(small_groups_note(f"Tables {label}", b, hidden, ctx.suppress_below))
        if not visible:
            continue
        for i in range(0, len(visible), GROUPS_PER_TABLE):
            chunk = visible[i : i + GROUPS_PER_TABLE]
            part = (
                ""
                if len(visible) <= GROUPS_PER_TABLE
                else f" (part {i // GROUPS_PER_TABLE + 1} of "
                f"{-(-len(visible) // GROUPS_PER_TABLE)})"
            )
            table = _metric_table(
                f"table-{b}-{i // GROUPS_PER_TABLE + 1}",
                shown,
                chunk,
                f"Every metric, {label}{part}",
                ctx.href(csv_name),
                n_part,
                _category_labels(ctx),
            )
            table.in_print = b == "study"
            s.add(table)


def _category_labels(ctx: StudyContext) -> dict[str, str]:
    """Category code → 'label (code)' from the study's templates, for table rows."""
    out: dict[str, str] = {}
    for t in ctx.templates.values():
        for c in t.categories:
            if c.label and c.label != c.code:
                out.setdefault(c.code, f"{c.label} ({c.code})")
    return out


def participants_per_group(df: pd.DataFrame) -> dict[str, int]:
    """Participants per group: the most of any metric (those computed on all sessions)."""
    return {
        str(g): int(n) for g, n in df.groupby("group", sort=False)["n_participants"].max().items()
    }


def breakdown_label(b: str) -> str:
    """How a breakdown is named in notes: 'the whole study', 'by site'..."""
    return "the whole study" if b == "study" else f"by {BREAKDOWN_LABELS.get(b, b)}"


def split_small_groups(n_part: dict[str, int], threshold: int) -> tuple[list[str], list[str]]:
    """The groups the small-number rule shows (at least `threshold` participants) and hides,
    each in the order of `n_part` (participants per group)."""
    return (
        [g for g, n in n_part.items() if n >= threshold],
        [g for g, n in n_part.items() if n < threshold],
    )


def small_groups_note(what: str, b: str, hidden: list[str], threshold: int) -> Note:
    """The note saying which groups the small-number rule hid from `what`."""
    return Note(
        f"{what}: {len(hidden)} group(s) with fewer than {threshold} participants are not "
        "shown (small-number rule)" + (f": {', '.join(hidden)}." if b != "study" else "."),
        "suppressed",
    )


def _metric_table(
    table_id: str,
    df: pd.DataFrame,
    groups: list[str],
    caption: str,
    csv_href: str | None,
    n_part: dict[str, int],
    categories: dict[str, str] | None = None,
) -> Table:
    """Metrics as rows (a metric with keys gets a heading row and one row per key), groups as
    columns; for the whole study alone, the interval and the counts behind it as columns."""
    order = {m.id: i for i, m in enumerate(METRICS)}
    sub = df[df["group"].isin(groups)]
    index = {
        (str(r.group), r.metric, None if pd.isna(r.key) else str(r.key)): r
        for r in sub.itertuples(index=False)
    }
    keys = (
        sub[["metric", "key", "label", "unit"]]
        .drop_duplicates(subset=["metric", "key"])
        .assign(o=lambda d: d["metric"].map(order))
        .sort_values(["o"], kind="stable")
    )
    single = groups == [OVERALL]
    rows: list[list[Cell | str] | Subhead] = []
    current = None
    for r in keys.itertuples(index=False):
        k = None if pd.isna(r.key) else str(r.key)
        unit = str(r.unit)
        heading = f"{r.label} ({_unit_short(unit)})"
        if k is not None:
            if current != r.metric:
                rows.append(Subhead(heading))
                current = r.metric
            label = "  " + (
                (categories or {}).get(k, k)
                if r.metric in CATEGORY_METRICS
                else key_label(r.metric, k)
            )
        else:
            current = None
            label = heading
        row: list[Cell | str] = [label]
        for g in groups:
            x = index.get((g, r.metric, k))
            if x is None:
                row.append(Cell("—"))
                if single:
                    row.extend([Cell(""), Cell(""), Cell(""), Cell("")])
                continue
            est = None if pd.isna(x.estimate) else float(x.estimate)
            lo = None if pd.isna(x.ci_low) else float(x.ci_low)
            hi = None if pd.isna(x.ci_high) else float(x.ci_high)
            ci = f"{fmt(lo, unit)} to {fmt(hi, unit)}" if lo is not None and hi is not None else ""
            flagged = est is not None and 0 < int(x.n_participants) < FLAG_BELOW
            text = fmt(est, unit)
            if est is None and NO_DOMAINS in str(x.flag):
                text = "undefined"
            if single:
                row.extend(
                    [
                        Cell(text, flag=flagged),
                        Cell(ci),
                        Cell(f"{int(x.n_participants)}"),
                        Cell(f"{int(x.n_sessions)}"),
                        Cell(f"{float(x.observed_hours):,.1f}"),
                    ]
                )
            else:
                row.append(Cell(text, ci, flagged))
        rows.append(row)
    if single:
        return Table(
            table_id,
            caption,
            ["Metric (unit)", "Estimate", "95 % CI", "Participants", "Sessions", "Hours"],
            rows,
            csv_href=csv_href,
        )
    return Table(
        table_id,
        caption,
        ["Metric (unit)", *groups],
        rows,
        csv_href=csv_href,
        column_notes=["", *[f"{n_part.get(g, 0)} participants" for g in groups]],
    )


def _unit_short(unit: str) -> str:
    u = unit.strip().lower()
    return "%" if u in ("proportion", "%") else unit


__all__ = ["CSV_COLUMNS", "section"]
