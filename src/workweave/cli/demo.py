"""``workweave demo``: the SYNTHETIC demo study, its sign-ins and report, optionally served."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workweave.cli.common import TaskProgress, err, friendly, out
from workweave.cli.study import print_summary
from workweave.cli.web import demo_users, run_server
from workweave.domain.policy import DASHBOARD_BOOTSTRAP_REPLICATES


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
    from workweave.services import studies as svc

    folder = folder.resolve()
    with TaskProgress("simulating the demo study") as bar:
        st, sid, counts = svc.create_demo_workspace(folder, seed=seed, progress=bar)
    out.print(
        f"demo study: {counts.sessions_added} sessions, {counts.tasks_added} tasks "
        f"(SYNTHETIC data) in {st.location}"
    )
    print_summary(svc.summary(st, sid), ("site",))
    if report:
        from workweave.report import ReportOptions, study_report

        with err.status("building the study report"):
            options = ReportOptions(B=DASHBOARD_BOOTSTRAP_REPLICATES)
            path = study_report(st, sid, options).write(folder / "report").html
        out.print(f"study report: {path}")
    users = demo_users(st)
    out.print(f"\nexplore it: cd {folder} && workweave summary --by participant")
    if serve:
        out.print(
            f"\nserving the demo at [bold]http://{host}:{port}/[/] "
            f"(sign in as {users['users'][0]['name']}; Ctrl+C to stop)"
        )
        st.close()
        run_server(str(folder / "workweave.sqlite"), host, port, study="demo")


__all__ = ["demo"]
