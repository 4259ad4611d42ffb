"""``workweave logs ...`` (passive metrics, shadowing-log agreement, imported files),
``workweave import logs`` and ``workweave simulate logs`` (docs/passive.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from workweave.cli.common import (
    EngineOpt,
    MemoryLimitOpt,
    SparkRemoteOpt,
    StoreOpt,
    StudyOpt,
    ThreadsOpt,
    apply_limits,
    err,
    friendly,
    open_study,
    out,
)

logs_app = typer.Typer(
    help="Passive audit logs: metrics, agreement with shadowing, imported files.",
    no_args_is_help=True,
)

LogsDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--logs-dir",
        help="Log folder (default: logs/ beside a SQLite store; also WORKWEAVE_LOGS).",
        show_default=False,
    ),
]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        help="timeout_minutes=5, shift_gap_hours=4, core_start_hour=8, core_end_hour=18.",
        show_default=False,
    ),
]


def _params(items: list[str] | None) -> dict[str, str]:
    from workweave.domain.errors import ValidationError

    outp: dict[str, str] = {}
    for item in items or []:
        k, sep, v = item.partition("=")
        if not sep or not k.strip():
            raise ValidationError(f"parameter '{item}' is not name=value")
        outp[k.strip()] = v.strip()
    return outp


@friendly
def import_logs(
    files: Annotated[
        list[Path], typer.Argument(help="Audit-log files (CSV or Parquet).", show_default=False)
    ],
    mapping: Annotated[
        Path,
        typer.Option("--mapping", help="Mapping file (YAML): columns, users, events."),
    ],
    max_bad: Annotated[
        int,
        typer.Option(
            "--max-bad",
            min=0,
            help="Skip (and report) up to this many bad rows a file instead of failing.",
        ),
    ] = 0,
    logs_dir: LogsDirOpt = None,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Import audit logs into the study's log folder (all files or none; re-importing
    changes nothing). Raw user ids are pseudonymised with the study secret."""
    from workweave.services import logs as svc

    st, sid, tz = open_study(store, study)
    res = svc.import_logs(st, sid, files, mapping, timezone=tz, logs_dir=logs_dir, max_bad=max_bad)
    out.print(
        f"read {len(res.files)} file(s): stored {res.rows_added} new events, "
        f"{res.rows_duplicate} already stored, {res.rows_unmapped} of unmapped users, "
        f"{res.rows_bad} bad rows skipped; log folder {res.folder}",
        highlight=False,
    )
    for name in res.skipped:
        out.print(f"{name}: already imported (same SHA-256), skipped", highlight=False)
    for p in res.bad[:20]:
        err.print(f"[yellow]skipped:[/] {p}", highlight=False)
    if res.unknown_events:
        err.print(
            f"[yellow]note:[/] {len(res.unknown_events)} event type(s) not in the mapping "
            f"counted as the default class: {', '.join(res.unknown_events[:10])}",
            highlight=False,
        )


@friendly
def simulate_logs(
    events: Annotated[int, typer.Option("--events", min=1, help="Number of events.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the Parquet files to.")],
    participants: Annotated[
        int | None, typer.Option("--participants", min=2, help="Number of participants.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    study_name: Annotated[str, typer.Option("--study", help="Study name in the layout.")] = (
        "synthetic-logs"
    ),
) -> None:
    """Write SYNTHETIC audit-log events with planted rates (streamed, bounded memory)."""
    from workweave.simulate.logs import simulate_logs as sim

    res = sim(out_dir, events=events, participants=participants, seed=seed, study=study_name)
    out.print(
        f"simulated {res.events} SYNTHETIC events of {len(res.participants)} participants in "
        f"{res.files} file(s) under {res.folder} (participants.csv, jobplans.csv beside them)",
        highlight=False,
    )


@logs_app.command("metrics")
@friendly
def logs_metrics(
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="study, site, profession, band, participant, month."),
    ] = None,
    filter_: Annotated[
        list[str] | None, typer.Option("--filter", help="key=value on the same keys.")
    ] = None,
    metric: Annotated[
        list[str] | None, typer.Option("--metric", help="Passive metric id(s).")
    ] = None,
    param: ParamOpt = None,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 1,
    interval: Annotated[str, typer.Option(help="t or percentile.")] = "t",
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    engine: EngineOpt = "duckdb",
    spark_remote: SparkRemoteOpt = None,
    threads: ThreadsOpt = None,
    memory_limit: MemoryLimitOpt = None,
    logs_dir: LogsDirOpt = None,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Passive metrics (EHR-Time8, WOW8, after-hours, by activity class, by planned session,
    shifts) with 95 % intervals over participants."""
    from workweave.analysis.metrics import parse_assignments
    from workweave.services import logs as svc

    apply_limits(threads, memory_limit)
    st, sid, _ = open_study(store, study)
    res = svc.compute(
        st,
        sid,
        logs_dir=logs_dir,
        by=by,
        filter=parse_assignments(filter_ or []),
        metrics=metric,
        params=_params(param),
        seed=seed,
        interval=interval,
        engine=engine,
        spark_remote=spark_remote,
    )
    _print(res, fmt)


@logs_app.command("agreement")
@friendly
def logs_agreement(
    param: ParamOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    threads: ThreadsOpt = None,
    memory_limit: MemoryLimitOpt = None,
    logs_dir: LogsDirOpt = None,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Observed clinical-system time (shadowing, 'How: clinical system') against log-derived
    active time in the same sessions: Bland-Altman bias and limits of agreement."""
    from workweave.services import logs as svc

    apply_limits(threads, memory_limit)
    st, sid, _ = open_study(store, study)
    table, ag = svc.agreement(st, sid, logs_dir=logs_dir, params=_params(param))
    if fmt == "json":
        out.print_json(json.dumps({"agreement": ag.as_dict(), "sessions": _records(table)}))
        return
    if fmt == "csv":
        out.print(table.to_csv(index=False), end="", highlight=False)
        return
    out.print(
        f"{ag.n} session(s) with both shadowing and logs; log − observed (minutes): "
        f"bias {ag.bias:.1f} (95 % CI {ag.bias_ci[0]:.1f} to {ag.bias_ci[1]:.1f}), "
        f"SD {ag.sd:.1f}, limits of agreement {ag.loa_low:.1f} to {ag.loa_high:.1f}",
        highlight=False,
    )


@logs_app.command("imports")
@friendly
def logs_imports(store: StoreOpt = None, study: StudyOpt = None) -> None:
    """The audit-log files imported into the study."""
    from workweave.services import logs as svc

    st, sid, _ = open_study(store, study)
    for r in svc.imports(st, sid):
        out.print(
            f"{r['file_name']}  sha256 {r['file_sha256'][:12]}  read {r['rows_read']}  "
            f"added {r['rows_added']}  duplicate {r['rows_duplicate']}  bad {r['rows_bad']}  "
            f"unmapped {r['rows_unmapped']}",
            highlight=False,
        )


def _records(frame: Any) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records"))


def _print(res: Any, fmt: str) -> None:
    from workweave.domain.errors import ValidationError

    if fmt == "json":
        out.print_json(json.dumps(_records(res)))
    elif fmt == "csv":
        out.print(res.to_csv(index=False), end="", highlight=False)
    elif fmt == "table":
        from rich.table import Table

        by = res.attrs.get("by", ["study"])
        t = Table(*by, "metric", "key", "estimate", "95 % CI", "n", "unit")
        for r in res.itertuples(index=False):
            d = r._asdict()
            ci = f"{d['ci_low']:.3g} to {d['ci_high']:.3g}" if d["ci_low"] == d["ci_low"] else ""
            t.add_row(
                *(str(d[k]) for k in by),
                d["metric"],
                "" if d["key"] is None else str(d["key"]),
                f"{d['estimate']:.4g}",
                ci,
                str(d["n_participants"]),
                d["unit"],
            )
        out.print(t)
    else:
        raise ValidationError(f"unknown format '{fmt}' (table, json or csv)")


def register(app: typer.Typer) -> None:
    app.add_typer(logs_app, name="logs")


__all__ = ["import_logs", "logs_app", "register", "simulate_logs"]
