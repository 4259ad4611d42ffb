"""``workweave metrics``: the registry's metrics for a study, as a table, JSON, CSV or Parquet.

workweave metrics --list
workweave metrics --by site --metric compartmentalisation --seed 1
workweave metrics --filter site=A --by participant --format csv --out metrics.csv
workweave metrics --compare site=A --compare site=B --metric leakage
workweave metrics --time-budget --by site --overlap union
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd

from workweave.cli.common import (
    EngineOpt,
    MemoryLimitOpt,
    ObserversOpt,
    SparkRemoteOpt,
    Spinner,
    StoreOpt,
    StudyOpt,
    ThreadsOpt,
    apply_limits,
    err,
    open_study,
    reads,
)
from workweave.domain.errors import ValidationError
from workweave.domain.policy import INTERVAL_METHOD

FORMATS = ("table", "json", "csv", "parquet", "markdown")

ByOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--by",
        help="Group by: study, site, profession, band, participant, observer, session, mode, "
        "month (repeatable).",
        show_default=False,
    ),
]
FilterOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--filter",
        help="key=value (values may be comma-separated), on the --by keys; session also "
        "matches the source's session id (repeatable).",
        show_default=False,
    ),
]
MetricOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--metric",
        help="Metric id (repeatable; default: the headline metrics, or all with --all).",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    """Add the ``metrics`` command to the ``workweave`` app."""
    app.command("metrics")(metrics)


@reads
def metrics(
    by: ByOpt = None,
    filter: FilterOpt = None,
    metric: MetricOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", help="table, json, csv, parquet or markdown.")
    ] = "table",
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of the screen.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Random seed of the bootstrap (same seed, same intervals).")
    ] = None,
    boot: Annotated[
        int, typer.Option("--boot", help="Bootstrap replicates (0: no intervals).", min=0)
    ] = 2000,
    confidence: Annotated[float, typer.Option(help="Confidence level of intervals.")] = 0.95,
    interval: Annotated[
        str,
        typer.Option(
            "--interval",
            help="Interval method: t (cluster-robust t on participants - 1 degrees of "
            "freedom) or percentile (percentile cluster bootstrap).",
        ),
    ] = INTERVAL_METHOD,
    poisson: Annotated[
        bool, typer.Option("--poisson", help="Add exact Poisson intervals to rates per hour.")
    ] = False,
    compare: Annotated[
        list[str] | None,
        typer.Option(
            "--compare",
            help="Two groups or periods to compare, each as key=value[;key=value] "
            "(give it twice): prints the difference first minus second.",
            show_default=False,
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param", help="Metric parameter name=value (repeatable).", show_default=False
        ),
    ] = None,
    domain: Annotated[
        list[str] | None,
        typer.Option(
            "--domain",
            help="CATEGORY=domain: override a category's domain (repeatable).",
            show_default=False,
        ),
    ] = None,
    time_budget: Annotated[
        bool,
        typer.Option(
            "--time-budget",
            help="Per category: bouts, total, mean and SD duration and % of observed time.",
        ),
    ] = False,
    overlap: Annotated[
        str,
        typer.Option(
            "--overlap",
            help="Time budget: 'sum' (overlapping tasks of a category count in full) or "
            "'union' (each instant once per category).",
        ),
    ] = "sum",
    list_: Annotated[bool, typer.Option("--list", help="List the metric registry.")] = False,
    all_: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every metric of the registry (default in a table: the headline metrics; "
            "JSON, CSV and Parquet always hold every metric).",
        ),
    ] = False,
    engine_name: EngineOpt = "duckdb",
    spark_remote: SparkRemoteOpt = None,
    threads: ThreadsOpt = None,
    memory_limit: MemoryLimitOpt = None,
    observers: ObserversOpt = "primary",
    plan: Annotated[
        str,
        typer.Option(
            "--plan",
            help="The plan of the planned-versus-actual metrics: jobplan (weekly job plans) "
            "or calendar (imported calendars, `import calendar`).",
        ),
    ] = "jobplan",
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Compute metrics of the registry (ratio-of-sums estimates, 95 % CIs clustered on
    participants, n participants, n sessions and observed hours beside each). A table shows
    the headline metrics unless --all or --metric is given."""
    from workweave.analysis import metrics as M
    from workweave.analysis.coobservation import check_observers
    from workweave.services import metrics as metrics_service

    if fmt not in FORMATS:
        raise ValidationError(f"unknown format '{fmt}' (choose from: {', '.join(FORMATS)})")
    apply_limits(threads, memory_limit)
    if list_:
        _emit_list(fmt, out_file)
        return
    if fmt == "markdown":
        raise ValidationError("--format markdown is for --list (the metric documentation)")
    params = {k: ",".join(v) for k, v in M.parse_assignments(param or [], "param").items()}
    domains = {k: v[-1] for k, v in M.parse_assignments(domain or [], "domain").items() if v}
    filters = M.parse_assignments(filter or [])
    if time_budget and (compare or metric):
        raise ValidationError("--time-budget takes no --compare or --metric")
    if overlap not in M.OVERLAP:
        raise ValidationError(
            f"unknown --overlap '{overlap}' (choose from: {', '.join(M.OVERLAP)})"
        )
    check_observers(observers)
    for m in metric or []:
        for one in m.split(","):
            if one.strip():
                M.get(one.strip())  # an unknown id is an error naming the closest
    headline_only = fmt == "table" and not all_ and not metric and not compare
    if headline_only:
        from workweave.analysis.metrics.headline import HEADLINE_METRICS

        metric = list(HEADLINE_METRICS)
    st, sid, _ = open_study(store, study)
    spinner = Spinner("computing metrics" + (f" (bootstrap B={boot})" if boot else ""))
    try:
        engine = metrics_service.prepare(
            st,
            study_id=sid,
            filter=filters,
            params=params,
            domains=domains,
            observers=observers,
            plan=plan,
            engine=engine_name,
            spark_remote=spark_remote,
        )
        try:
            if time_budget:
                budget = engine.time_budget(by=by, overlap=overlap)
            elif compare:
                if len(compare) != 2:
                    raise ValidationError("--compare needs exactly two groups (give it twice)")
                a, b = (_spec(c) for c in compare)
                df = engine.compare(
                    a,
                    b,
                    metrics=metric,
                    seed=seed,
                    B=boot,
                    confidence=confidence,
                    interval=interval,
                )
            else:
                df = engine.compute(
                    by=by,
                    metrics=metric,
                    seed=seed,
                    B=boot,
                    confidence=confidence,
                    poisson=poisson,
                    interval=interval,
                )
        finally:
            engine.close()
        withdrawn = len(st.analytic.withdrawn(sid))
    finally:
        spinner.stop()
        st.close()
    if time_budget:
        _emit_budget(budget, fmt, out_file)
        return
    df.attrs["plan"] = plan
    df.attrs["excluded_withdrawn"] = withdrawn
    if headline_only:
        df = _headline_rows(df)
    _emit(df, fmt, out_file, compared=bool(compare))
    if headline_only and out_file is None:
        err.print(
            f"headline metrics shown; --all for all {len(M.METRICS)} metric families, "
            "--metric ID for one (workweave metrics --list)",
            highlight=False,
        )


def _headline_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Of keyed headline metrics, only the keys the dashboard shows."""
    from workweave.analysis.metrics.headline import SHOWN_KEYS

    keep = [
        r.metric not in SHOWN_KEYS or str(r.key) in SHOWN_KEYS[r.metric]
        for r in df[["metric", "key"]].itertuples(index=False)
    ]
    out = df[keep].reset_index(drop=True)
    out.attrs = df.attrs
    return out


def _spec(text: str) -> dict[str, list[str]]:
    from workweave.analysis import metrics as M

    return M.parse_assignments([p for p in text.split(";") if p.strip()], "compare")


# -- output ------------------------------------------------------------------------------------


def _clean(v: Any) -> Any:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "item"):  # numpy scalars
        return _clean(v.item())
    return v


def to_json(df: pd.DataFrame) -> dict[str, Any]:
    """Nested JSON of a result: groups, each with its metrics keyed by metric id (and key)."""
    by: list[str] = list(df.attrs.get("by") or [])
    fields = [c for c in df.columns if c not in (*by, "metric", "key", "label", "unit")]
    groups: list[dict[str, Any]] = []
    index: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in df.to_dict("records"):
        gkey = tuple(row[k] for k in by)
        if gkey not in index:
            index[gkey] = {"group": {k: _clean(row[k]) for k in by}, "metrics": {}}
            groups.append(index[gkey])
        value = {f: _clean(row[f]) for f in fields}
        value["unit"] = row["unit"]
        ms = index[gkey]["metrics"]
        if row["key"] is None or (isinstance(row["key"], float) and math.isnan(row["key"])):
            ms[row["metric"]] = value
        else:
            ms.setdefault(row["metric"], {})[str(row["key"])] = value
    return {
        "study": df.attrs.get("study"),
        "by": by,
        "filter": df.attrs.get("filter", {}),
        "observers": df.attrs.get("observers"),
        "excluded_withdrawn": df.attrs.get("excluded_withdrawn", 0),
        "plan": df.attrs.get("plan", "jobplan"),
        "parameters": df.attrs.get("parameters", {}),
        "payscale": df.attrs.get("payscale", {}),
        "bootstrap": df.attrs.get("bootstrap", {}),
        "groups": groups,
    }


def _compare_json(df: pd.DataFrame) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    for row in df.to_dict("records"):
        value = {f: _clean(v) for f, v in row.items() if f not in ("metric", "key", "label")}
        if row["key"] is None or (isinstance(row["key"], float) and math.isnan(row["key"])):
            metrics[row["metric"]] = value
        else:
            metrics.setdefault(row["metric"], {})[str(row["key"])] = value
    return {
        "study": df.attrs.get("study"),
        "a": df.attrs.get("a"),
        "b": df.attrs.get("b"),
        "observers": df.attrs.get("observers"),
        "excluded_withdrawn": df.attrs.get("excluded_withdrawn", 0),
        "parameters": df.attrs.get("parameters", {}),
        "bootstrap": df.attrs.get("bootstrap", {}),
        "metrics": metrics,
    }


def _fmt(v: Any, unit: str) -> str:
    """A value for a table: proportions as % (JSON, CSV and Parquet keep the number)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if unit == "proportion":
        return f"{v * 100:.1f} %"
    if unit == "%":
        return f"{v:.1f} %"
    if unit == "£ per FTE-year":
        return f"£{v:,.0f}"
    if unit in ("hours per FTE-year",):
        return f"{v:,.1f}"
    if abs(v) >= 100:
        return f"{v:,.1f}"
    return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"


_UNITS = {
    "proportion": "%",
    "per hour": "/h",
    "minutes": "min",
    "hours per FTE-year": "h/FTE-yr",
    "hours per 8 contracted hours": "h/8 h",
    "£ per FTE-year": "£/FTE-yr",
}


def _unit(unit: str) -> str:
    """A unit, short enough for a table column (JSON/CSV keep the full name)."""
    return _UNITS.get(unit, unit)


def _short_flag(flag: str) -> str:
    return flag.replace("fewer than ", "n < ").replace(" participants", "")


def _ci(lo: Any, hi: Any, unit: str) -> str:
    if lo is None or (isinstance(lo, float) and math.isnan(lo)):
        return "—"
    if unit in ("proportion", "%"):
        return f"{_fmt(lo, unit).removesuffix(' %')} to {_fmt(hi, unit)}"
    return f"{_fmt(lo, unit)} to {_fmt(hi, unit)}"


def _name(row: dict[str, Any]) -> str:
    key = row["key"]
    if key is None or (isinstance(key, float) and math.isnan(key)):
        return str(row["metric"])
    return escape(f"{row['metric']} [{key}]")


_NUMERIC = {"estimate", "people", "sessions", "hours", "a", "b", "a − b", "n a/b"}


def _grid(headers: list[str], rows: list[list[str]], title: str | None = None) -> Table:
    """A table that wraps to the terminal only at spaces: each column is at least as wide as
    its longest word (so ids, codes and numbers are never broken), and a keyed metric id
    wraps before its key."""
    t = Table(title=title, title_justify="left")
    for i, h in enumerate(headers):
        words = [w for row in rows for w in row[i].split(" ")] + h.split(" ")
        t.add_column(
            h,
            min_width=max((len(w) for w in words), default=1),
            overflow="fold",
            justify="right" if h in _NUMERIC else "left",
        )
    for row in rows:
        t.add_row(*row)
    return t


def _table(df: pd.DataFrame, compared: bool) -> Table:
    by: list[str] = list(df.attrs.get("by") or [])
    conf = df.attrs.get("bootstrap", {}).get("confidence", 0.95)
    ci = f"{conf:.0%} CI"
    rows: list[list[str]] = []
    if compared:
        for r in df.to_dict("records"):
            u = r["unit"]
            rows.append(
                [
                    _name(r),
                    _unit(u),
                    _fmt(r["estimate_a"], u),
                    _fmt(r["estimate_b"], u),
                    _fmt(r["difference"], u),
                    _ci(r["ci_low"], r["ci_high"], u),
                    f"{r['n_participants_a']}/{r['n_participants_b']}",
                    _short_flag(r["flag"]),
                ]
            )
        return _grid(["metric", "unit", "a", "b", "a − b", ci, "n a/b", "flag"], rows)
    poisson = "poisson_low" in df.columns
    title = None
    if by == ["study"]:  # one group: the study, named above the table rather than on each row
        title = escape(str(df.attrs.get("study") or (df["study"].iloc[0] if len(df) else "")))
        by = []
    headers = [*by, "metric", "unit", "estimate", ci]
    if poisson:
        headers.append("Poisson CI")
    headers += ["people", "sessions", "hours", "flag"]
    for r in df.to_dict("records"):
        u = r["unit"]
        cells = [escape(str(r[k])) for k in by]
        cells += [_name(r), _unit(u), _fmt(r["estimate"], u), _ci(r["ci_low"], r["ci_high"], u)]
        if poisson:
            cells.append(_ci(r["poisson_low"], r["poisson_high"], u))
        cells += [
            str(r["n_participants"]),
            str(r["n_sessions"]),
            f"{r['observed_hours']:.1f}",
            _short_flag(r["flag"]),
        ]
        rows.append(cells)
    return _grid(headers, rows, title)


def _fits(table: Table, width: int) -> bool:
    """Whether the table fits the width without cropping (every line keeps its right border)."""
    import io

    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None).print(table)
    lines = [line for line in buffer.getvalue().splitlines() if line.strip()]
    title = 1 if table.title else 0
    return all(line.rstrip()[-1:] in "┓┃┩│┘" for line in lines[title:])


def _records(table: Table) -> list[str]:
    """The rows of a table too wide for the terminal, one block per row: `header: value`."""
    heads = [str(c.header) for c in table.columns]
    cells = [list(map(str, c.cells)) for c in table.columns]
    lines = []
    for i in range(table.row_count):
        values = [(h, col[i]) for h, col in zip(heads, cells, strict=True) if col[i]]
        lines.append("  ".join(f"[dim]{h}:[/] {v}" for h, v in values))
    return lines


def _show(table: Table) -> None:
    console = Console()
    if _fits(table, console.width):
        console.print(table)
        return
    if table.title:
        console.print(table.title, highlight=False)
    for line in _records(table):
        console.print(line, highlight=False)


def _emit(df: pd.DataFrame, fmt: str, out_file: Path | None, *, compared: bool) -> None:
    if fmt == "parquet":
        if out_file is None:
            raise ValidationError("--format parquet needs --out FILE")
        flat = df.copy()
        flat["key"] = flat["key"].astype(object).where(flat["key"].notna(), None)
        flat.attrs = {}
        flat.to_parquet(out_file, index=False)
        err.print(f"wrote {len(df)} rows to {out_file}")
        return
    if fmt == "csv":
        text = df.to_csv(index=False)
    elif fmt == "json":
        data = _compare_json(df) if compared else to_json(df)
        text = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    else:
        if out_file is None:
            _show(_table(df, compared))
            _footer(df)
            return
        with out_file.open("w", encoding="utf-8") as fh:
            Console(file=fh, width=200).print(_table(df, compared))
        return
    if out_file is None:
        sys.stdout.write(text)
    else:
        out_file.write_text(text, encoding="utf-8")
        err.print(f"wrote {len(df)} rows to {out_file}")


def budget_json(df: pd.DataFrame) -> dict[str, Any]:
    """Nested JSON of a time budget: groups, each with its categories."""
    by: list[str] = list(df.attrs.get("by") or [])
    groups: list[dict[str, Any]] = []
    index: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in df.to_dict("records"):
        gkey = tuple(row[k] for k in by)
        if gkey not in index:
            index[gkey] = {
                "group": {k: _clean(row[k]) for k in by},
                "n_participants": _clean(row["n_participants"]),
                "n_sessions": _clean(row["n_sessions"]),
                "observed_hours": _clean(row["observed_hours"]),
                "categories": {},
            }
            groups.append(index[gkey])
        index[gkey]["categories"][str(row["category"])] = {
            f: _clean(row[f]) for f in ("bouts", "total_min", "mean_min", "sd_min", "pct_observed")
        }
    return {
        "study": df.attrs.get("study"),
        "by": by,
        "filter": df.attrs.get("filter", {}),
        "overlap": df.attrs.get("overlap"),
        "groups": groups,
    }


def _emit_budget(df: pd.DataFrame, fmt: str, out_file: Path | None) -> None:
    if fmt == "parquet":
        if out_file is None:
            raise ValidationError("--format parquet needs --out FILE")
        flat = df.copy()
        flat.attrs = {}
        flat.to_parquet(out_file, index=False)
        err.print(f"wrote {len(df)} rows to {out_file}")
        return
    if fmt == "csv":
        text = df.to_csv(index=False)
    elif fmt == "json":
        text = json.dumps(budget_json(df), indent=2, ensure_ascii=False, default=str) + "\n"
    else:
        by: list[str] = list(df.attrs.get("by") or [])
        t = Table(title=f"time budget (overlapping tasks of a category: {df.attrs['overlap']})")
        for c in (*by, "category", "bouts", "total min", "mean min", "SD min", "% observed"):
            t.add_column(c, overflow="fold")
        for r in df.to_dict("records"):
            t.add_row(
                *(escape(str(r[k])) for k in by),
                escape(str(r["category"])),
                str(r["bouts"]),
                _fmt(r["total_min"], "minutes"),
                _fmt(r["mean_min"], "minutes"),
                _fmt(r["sd_min"], "minutes"),
                _fmt(r["pct_observed"], "%"),
            )
        if out_file is None:
            console = Console()
            console.width = max(console.width, 120)
            console.print(t)
            return
        with out_file.open("w", encoding="utf-8") as fh:
            Console(file=fh, width=200).print(t)
        return
    if out_file is None:
        sys.stdout.write(text)
    else:
        out_file.write_text(text, encoding="utf-8")
        err.print(f"wrote {len(df)} rows to {out_file}")


def _footer(df: pd.DataFrame) -> None:
    boot = df.attrs.get("bootstrap", {})
    pay = df.attrs.get("payscale", {})
    seed = boot.get("seed")
    method = (
        "cluster-robust t over participants"
        if boot.get("interval") == "t"
        else "percentile cluster bootstrap over participants"
    )
    err.print(
        f"intervals: {method}, B={boot.get('B')}"
        + (f", seed {seed}" if seed is not None else " (no --seed: intervals vary run to run)")
        + f"; pay scale: {pay.get('title', '')}"
        + (
            "; co-observed sessions counted once (--observers all: every record)"
            if df.attrs.get("observers") == "primary"
            else "; every record of co-observed sessions counted"
        )
        + (
            "; plan: calendars (planned activity)"
            if df.attrs.get("plan") == "calendar"
            else "; plan: job plans"
        )
        + (
            f"; {n} participant(s) excluded after withdrawing consent"
            if (n := df.attrs.get("excluded_withdrawn"))
            else ""
        ),
        highlight=False,
    )


def _emit_list(fmt: str, out_file: Path | None) -> None:
    from workweave.analysis import metrics as M
    from workweave.services import metrics as metrics_service

    if fmt == "markdown":
        text = metrics_service.registry_markdown()
    elif fmt == "json":
        data = {
            "metrics": {
                m.id: {
                    "label": m.label,
                    "section": m.section,
                    "definition": m.definition,
                    "unit": m.unit,
                    "denominator": m.denominator,
                    "reference": m.reference,
                    "key": m.key,
                    "kind": m.kind,
                    "quantile": m.quantile,
                    "applies_to": m.eligible,
                    "parameters": list(m.parameters),
                    "notes": m.notes,
                }
                for m in M.METRICS
            },
            "parameters": {
                p.name: {
                    "default": list(p.default) if isinstance(p.default, tuple) else p.default,
                    "unit": p.unit,
                    "description": p.description,
                    **({"choices": list(p.choices)} if p.choices else {}),
                }
                for p in M.PARAMETERS.values()
            },
        }
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    elif fmt in ("csv", "parquet"):
        frame = M.list_frame()
        if fmt == "parquet":
            if out_file is None:
                raise ValidationError("--format parquet needs --out FILE")
            frame.to_parquet(out_file, index=False)
            return
        text = frame.to_csv(index=False)
    else:
        t = Table("id", "label", "unit", "denominator")
        for m in M.METRICS:
            t.add_row(escape(m.display_id()), escape(m.label), m.unit, escape(m.denominator))
        if out_file is None:
            Console().print(t)
            return
        with out_file.open("w", encoding="utf-8") as fh:
            Console(file=fh, width=200).print(t)
        return
    if out_file is None:
        sys.stdout.write(text)
    else:
        out_file.write_text(text, encoding="utf-8")


__all__ = ["budget_json", "register", "to_json"]
