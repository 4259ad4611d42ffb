"""``workweave export boris``: a study as a BORIS project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workweave.cli.common import StoreOpt, StudyOpt, err, friendly, open_study, out


@friendly
def export_boris(
    out_file: Annotated[
        Path, typer.Option("--out", help="The BORIS project to write (.boris).", show_default=False)
    ],
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Write every session of the study as a BORIS project (one live observation per
    session; importing it again gives the same tasks)."""
    from rich.markup import escape

    from workweave.services import boris as boris_svc

    st, sid, _ = open_study(store, study)
    res = boris_svc.export_boris(st, sid, out_file)
    out.print(
        f"wrote {res.path}: {res.observations} observation(s), {res.events} events",
        highlight=False,
        markup=False,
    )
    for w in res.warnings[:20]:
        err.print(f"[yellow]warning:[/] {escape(w)}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``boris`` to the ``export`` command group."""
    app.command("boris")(export_boris)


__all__ = ["export_boris", "register"]
