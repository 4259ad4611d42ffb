"""``workweave simulate``: a SYNTHETIC study into the store."""

from __future__ import annotations

from typing import Annotated

import typer

from workweave.cli.common import StoreOpt, TaskProgress, friendly, out
from workweave.cli.logs import simulate_logs

simulate_app = typer.Typer(
    invoke_without_command=True,
    help="Simulate a SYNTHETIC study into the store; 'simulate logs' writes SYNTHETIC audit logs.",
)


@friendly
def simulate(
    ctx: typer.Context,
    tasks: Annotated[
        int | None,
        typer.Option("--tasks", help="Scale the study to about this many tasks.", min=1),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same study).")] = 7,
    name: Annotated[str | None, typer.Option("--name", help="Name of the new study.")] = None,
    store: StoreOpt = None,
) -> None:
    """Simulate a realistic SYNTHETIC four-site study into the store, as a new study."""
    if ctx.invoked_subcommand is not None:
        return
    from workweave.services import studies as svc
    from workweave.store import Store
    from workweave.workspace import resolve_store

    location, _, _ = resolve_store(store)
    st = Store.open(location)
    with TaskProgress("simulating", total=tasks) as bar:
        sid, counts, _ = svc.simulate_into(
            st, seed=seed, target_tasks=tasks, study=name, progress=bar
        )
    out.print(
        f"simulated study [bold]{st.studies.get(sid).name}[/] (SYNTHETIC): {counts.sessions_added} "
        f"sessions, {counts.tasks_added} tasks in {st.location}"
    )


simulate_app.callback()(simulate)
simulate_app.command("logs")(simulate_logs)

__all__ = ["simulate", "simulate_app"]
