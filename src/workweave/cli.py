"""The ``workweave`` command. Entry points only translate arguments into service calls."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from workweave.cli_common import StoreOpt, StudyOpt, err, friendly, open_study, out
from workweave.domain.errors import NotFoundError, ValidationError
from workweave.io.templates import builtin_template, builtin_template_names, read_template
from workweave.services import studies as svc
from workweave.store.repository import Store
from workweave.workspace import resolve_store

app = typer.Typer(
    help="workweave: capture, measure, check and show clinician-managers' intertwined "
    "clinical and managerial work.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
import_app = typer.Typer(help="Import data from other tools.", no_args_is_help=True)
template_app = typer.Typer(help="Observation templates.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(template_app, name="template")

__all__ = ["StoreOpt", "StudyOpt", "app", "err", "friendly", "main", "open_study", "out"]


# -- init / demo ---------------------------------------------------------------------------------


@app.command()
@friendly
def init(
    study: Annotated[
        str | None, typer.Option(help="Study name (default: the folder's name).")
    ] = None,
    title: Annotated[str, typer.Option(help="Study title.")] = "",
    store: Annotated[
        str | None,
        typer.Option(help="Store: a SQLite file in this folder (default) or a PostgreSQL URL."),
    ] = None,
    timezone: Annotated[
        str, typer.Option(help="Default time zone of sites (IANA name).")
    ] = "Europe/London",
) -> None:
    """Make a workspace in the current folder: settings, the store and a study."""
    st, sid = svc.init_workspace(
        Path.cwd(), study=study, title=title, store=store, timezone=timezone
    )
    name = st.study(sid).name
    out.print(f"workspace ready: study [bold]{name}[/] in {st.location}")
    out.print(
        "next: 'workweave import wombat FILE.csv' or 'workweave simulate', then 'workweave summary'"
    )


@app.command()
@friendly
def demo(
    folder: Annotated[Path, typer.Option("--dir", help="Folder for the demo workspace.")] = Path(
        "demo"
    ),
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic study.")] = 7,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Also build the study report (HTML).")
    ] = True,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the demo in the browser afterwards.")
    ] = False,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
) -> None:
    """Build the SYNTHETIC four-site demo study (with sign-ins and report) and serve it."""
    from workweave.cli_web import print_demo_users
    from workweave.web import prepare_demo_users
    from workweave.workspace import write_settings

    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("workweave.sqlite", "workweave.sqlite-wal", "workweave.sqlite-shm"):
        (folder / name).unlink(missing_ok=True)
    st = Store.create(folder / "workweave.sqlite")
    with _progress("simulating the demo study") as bar:
        sid, counts, _ = svc.simulate_into(st, seed=seed, study="demo", progress=bar)
    write_settings(folder, study="demo", store="workweave.sqlite", timezone="Europe/London")
    out.print(
        f"demo study: {counts.sessions_added} sessions, {counts.tasks_added} tasks "
        f"(SYNTHETIC data) in {st.location}"
    )
    _print_summary(svc.summary(st, sid), ("site",))
    if report:
        from workweave.report import build_study_report

        with err.status("building the study report"):
            path = build_study_report(st, sid, folder / "report", B=500)
        out.print(f"study report: {path}")
    users = prepare_demo_users(st)
    print_demo_users(users)
    out.print(f"\nexplore it: cd {folder} && workweave summary --by participant")
    if serve:
        from workweave.web import serve as run_server

        out.print(
            f"\nserving the demo at [bold]http://{host}:{port}/[/] "
            f"(sign in as {users['users'][0]['name']}; Ctrl+C to stop)"
        )
        st.close()
        run_server(str(folder / "workweave.sqlite"), host, port, study="demo")


# -- imports -----------------------------------------------------------------------------------


@import_app.command("wombat")
@friendly
def import_wombat(
    files: Annotated[
        list[Path], typer.Argument(help="WOMBAT 2 CSV export(s).", show_default=False)
    ],
    timezone: Annotated[
        str | None,
        typer.Option(
            help="Time zone the export's clock times were recorded in (IANA name; "
            "default: the workspace's)."
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option(help="Overwrite sessions already imported with different content.")
    ] = False,
    profession: Annotated[
        str | None, typer.Option(help="Profession of the observed participants (e.g. nurse).")
    ] = None,
    template_name: Annotated[
        str | None, typer.Option(help="Name for the template built from the header.")
    ] = None,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Import WOMBAT 2 CSV exports (all files or none). Re-importing changes nothing."""
    st, sid, default_tz = open_study(store, study)
    res = svc.import_wombat(
        st,
        sid,
        files,
        timezone=timezone or default_tz,
        replace=replace,
        profession=profession,
        template_name=template_name,
    )
    c = res.counts
    out.print(
        f"read {res.files} file(s): {res.sessions_in_files} sessions, {res.tasks_in_files} tasks; "
        f"stored {c.sessions_added} new sessions ({c.tasks_added} tasks), "
        f"{c.sessions_unchanged} unchanged, {c.sessions_replaced} replaced"
    )
    out.print(f"template(s): {', '.join(res.templates)}")
    if res.time_mismatches:
        err.print(
            f"[yellow]warning:[/] {len(res.time_mismatches)} task(s) whose elapsed/active time "
            "differs from the export's own columns:"
        )
        for m in res.time_mismatches[:20]:
            err.print(f"  {m}", markup=False)
    else:
        out.print("check: every task's elapsed and active time equals the export's columns")
    for w in res.warnings[:20]:
        err.print(f"[yellow]warning:[/] {w}", highlight=False)


@import_app.command("jobplan")
@friendly
def import_jobplan(
    file: Annotated[Path, typer.Argument(help="CSV: participant, weekday, start, end, category.")],
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Import job plans (weekly sessions); each participant's rows replace their plan."""
    st, sid, _ = open_study(store, study)
    hours = svc.import_job_plans(st, sid, file)
    t = Table("participant", "contracted hours / week")
    for code, h in sorted(hours.items()):
        t.add_row(code, f"{h:.2f}")
    out.print(t)


# -- simulate ----------------------------------------------------------------------------------


@app.command()
@friendly
def simulate(
    tasks: Annotated[
        int | None,
        typer.Option("--tasks", help="Scale the study to about this many tasks.", min=1),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same study).")] = 7,
    name: Annotated[str | None, typer.Option("--name", help="Name of the new study.")] = None,
    store: StoreOpt = None,
) -> None:
    """Simulate a realistic SYNTHETIC four-site study into the store, as a new study."""
    location, _, _ = resolve_store(store)
    st = Store.open(location)
    with _progress("simulating", total=tasks) as bar:
        sid, counts, _ = svc.simulate_into(
            st, seed=seed, target_tasks=tasks, study=name, progress=bar
        )
    out.print(
        f"simulated study [bold]{st.study(sid).name}[/] (SYNTHETIC): {counts.sessions_added} "
        f"sessions, {counts.tasks_added} tasks in {st.location}"
    )


# -- templates ---------------------------------------------------------------------------------


@template_app.command("list")
@friendly
def template_list(store: StoreOpt = None) -> None:
    """List built-in templates and the templates stored in the workspace."""
    t = Table("name", "version", "where", "categories", "dimensions")
    for name in builtin_template_names():
        tp = builtin_template(name)
        t.add_row(tp.name, tp.version, "built-in", str(len(tp.categories)), str(len(tp.dimensions)))
    try:
        location, _, _ = resolve_store(store)
        for tp in Store.open(location).templates():
            t.add_row(
                tp.name, tp.version, "store", str(len(tp.categories)), str(len(tp.dimensions))
            )
    except NotFoundError:
        pass
    out.print(t)


@template_app.command("show")
@friendly
def template_show(
    name: Annotated[str, typer.Argument(help="Template name, e.g. ahp-clinician-manager.")],
    version: Annotated[str | None, typer.Option(help="Version (default: latest).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="yaml or json.")] = "yaml",
    store: StoreOpt = None,
) -> None:
    """Print a template (from the store, else built-in) as YAML or JSON."""
    import yaml

    try:
        location, _, _ = resolve_store(store)
        tp = Store.open(location).template(name, version)
    except NotFoundError:
        tp = builtin_template(name)
    data = tp.to_dict()
    if fmt == "json":
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "yaml":
        sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    else:
        raise ValidationError(f"unknown format '{fmt}' (yaml or json)")


@template_app.command("load")
@friendly
def template_load(
    file: Annotated[Path, typer.Argument(help="Template as YAML or JSON.")],
    store: StoreOpt = None,
) -> None:
    """Validate a template file and store it (a changed template needs a new version)."""
    tp = read_template(file)
    location, _, _ = resolve_store(store)
    Store.open(location).save_template(tp)
    out.print(
        f"stored template {tp.key}: {len(tp.categories)} categories, "
        f"{len(tp.dimensions)} dimensions"
    )


# -- summary -----------------------------------------------------------------------------------


@app.command()
@friendly
def summary(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    by: Annotated[
        list[str] | None,
        typer.Option(help="Breakdowns to show: site, participant, observer (repeatable)."),
    ] = None,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Sessions, tasks, observed hours and interruptions, overall and by group."""
    st, sid, _ = open_study(store, study)
    data = svc.summary(st, sid)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    groups = tuple(by or ("site", "participant", "observer"))
    for g in groups:
        if g not in ("site", "participant", "observer"):
            raise ValidationError(f"cannot break down by '{g}' (site, participant or observer)")
    _print_summary(data, groups)


MEASURE_HEADERS = ("pK1", "pAg1", "pK2", "pAg2", "pKm", "NK", "NAg", "DCCCr", "DCCCcb", "NW")


@app.command()
@friendly
def ior(
    pair: Annotated[
        tuple[str, str] | None,
        typer.Option(
            help="Two sessions (the source's session ids, e.g. 52 58, or keys).", show_default=False
        ),
    ] = None,
    auto: Annotated[bool, typer.Option("--auto", help="Every co-observed pair.")] = False,
    tolerance: Annotated[
        float,
        typer.Option(help="With --auto: seconds of clock difference allowed between devices."),
    ] = 0,
    match: Annotated[
        str,
        typer.Option(
            help="With --auto: match participants by 'code' or by 'id' (ignores the "
            "location, case-insensitive)."
        ),
    ] = "code",
    kappa: Annotated[
        bool, typer.Option("--kappa", help="Also the plain time-sliced Cohen's kappa (--pair).")
    ] = False,
    order: Annotated[
        str, typer.Option(help="Fragment order: 'iorapp' (reference) or 'chronological'.")
    ] = "iorapp",
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Inter-observer reliability of co-observed sessions (IORapp-compatible composite)."""
    from workweave.analysis.reliability import MEASURES
    from workweave.services import reliability as rel

    if fmt not in ("table", "json", "csv"):
        raise ValidationError(f"unknown format '{fmt}' (table, json or csv)")
    if order not in ("iorapp", "chronological"):
        raise ValidationError(f"unknown fragment order '{order}' (iorapp or chronological)")
    if (pair is None) == (not auto):
        raise ValidationError("give either --pair A B or --auto")
    st, sid, _ = open_study(store, study)
    if pair is not None:
        res = rel.ior_for_pair(st, sid, pair[0], pair[1], fragment_order=order)
        data = res.as_dict()
        if kappa:
            k = rel.kappa_for_pair(st, sid, pair[0], pair[1])
            data["time_sliced_kappa"] = k.kappa
            data["time_sliced_agreement"] = k.agreement
            data["warnings"] = [*data["warnings"], *k.warnings]
        if fmt == "json":
            sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
            return
        if fmt == "csv":
            import pandas as pd

            row = {k: ("; ".join(v) if isinstance(v, list) else v) for k, v in data.items()}
            sys.stdout.write(pd.DataFrame([row]).to_csv(index=False))
            return
        t = Table("measure", "value", title=f"IOR: sessions {pair[0]} and {pair[1]}")
        for k, v in data.items():
            if k == "warnings":
                continue
            t.add_row(k, "—" if v is None else (f"{v:.6g}" if isinstance(v, float) else str(v)))
        out.print(t)
        for w in data["warnings"]:
            err.print(f"[yellow]warning:[/] {w}", highlight=False)
        return
    table = rel.ior_study_table(
        st, sid, tolerance_seconds=tolerance, participant=match, fragment_order=order
    )
    if fmt == "json":
        sys.stdout.write(table.to_json(orient="records", indent=2) + "\n")
    elif fmt == "csv":
        sys.stdout.write(table.to_csv(index=False))
    elif table.empty:
        out.print("no co-observed pairs found (try --tolerance or --match id)")
    else:
        t = Table(
            "pair", "observers", *MEASURE_HEADERS, title=f"IOR of {len(table)} co-observed pairs"
        )
        for r in table.to_dict("records"):
            t.add_row(
                f"{r['session_a']}–{r['session_b']}",
                f"{r['observer_a']}–{r['observer_b']}",
                *[_measure(r[m], m) for m in MEASURES],
            )
        # complete rows rather than truncated cells, even on a narrow terminal or in a pipe
        Console(width=max(out.width, 120)).print(t)
        out.print("pAg and NAg are percentages; '—' is undefined (see docs/ior.md)")


def _measure(value: Any, name: str) -> str:
    if value is None or value != value:  # None or NaN: undefined
        return "—"
    return f"{value:.0f}" if name in ("pAg1", "pAg2", "NAg") else f"{value:.2f}"


def _print_summary(data: dict[str, Any], groups: tuple[str, ...]) -> None:
    tot = data["total"]
    label = " (SYNTHETIC)" if data.get("synthetic") else ""
    out.print(
        f"[bold]{data['study']}[/]{label}: {tot['sessions']} sessions "
        f"({tot['incomplete_sessions']} incomplete), {tot['tasks']} tasks, "
        f"{tot['observed_hours']:.1f} observed hours, {tot['interruptions']} interruptions"
    )
    for g in groups:
        t = Table(g, "sessions", "tasks", "observed h", "interruptions", title=f"by {g}")
        for r in data[f"by_{g}"]:
            t.add_row(
                str(r["group"]),
                str(r["sessions"]),
                str(r["tasks"]),
                f"{r['observed_hours']:.1f}",
                str(r["interruptions"]),
            )
        out.print(t)
    out.print("rates, shares and every other measure, with CIs: workweave metrics --by site")


class _progress:
    """A rich progress bar counting tasks, usable as a callback."""

    def __init__(self, label: str, total: int | None = None) -> None:
        self.p = Progress(
            TextColumn(f"{label}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("tasks"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        self.total = total
        self.task = None

    def __enter__(self) -> _progress:
        self.p.start()
        self.task = self.p.add_task("", total=self.total)
        return self

    def __call__(self, n: int) -> None:
        self.p.advance(self.task, n)  # type: ignore[arg-type]

    def __exit__(self, *exc: object) -> None:
        self.p.stop()


__import__("workweave.cli_web", fromlist=["register"]).register(app)
__import__("workweave.cli_qual", fromlist=["register"]).register(app)
__import__("workweave.cli_report", fromlist=["register"]).register(app)
__import__("workweave.cli_metrics", fromlist=["register"]).register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
