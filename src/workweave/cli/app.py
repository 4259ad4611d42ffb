"""The ``workweave`` command: the root app, with every command group's module registered here.
Entry points only translate arguments into service calls."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from workweave.cli import (
    audit,
    backup,
    boris,
    calibration,
    demo,
    event,
    export,
    imports,
    keys,
    logs,
    metrics,
    participants,
    qual,
    reliability,
    report,
    simulate,
    study,
    web,
)

app = typer.Typer(
    help="workweave: capture, measure, check and show clinician-managers' intertwined "
    "clinical and managerial work.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from workweave import __version__

        typer.echo(f"workweave {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """workweave: capture, measure, check and show clinician-managers' intertwined clinical and
    managerial work."""
    # what this process records in the audit trail is the command line's, as the OS user
    # (read by workweave.services.audit; set here without importing it, to start fast)
    os.environ["WORKWEAVE_AUDIT_ORIGIN"] = "cli"


app.add_typer(imports.import_app, name="import")
app.add_typer(study.template_app, name="template")
app.add_typer(export.export_app, name="export")

# in the order `workweave --help` lists them: these commands first, then the command groups
app.command()(study.init)
app.command()(demo.demo)
app.add_typer(simulate.simulate_app, name="simulate")
app.command()(study.summary)
app.command()(reliability.ior)
web.register(app)
qual.register(app)
report.register(app)
metrics.register(app)
participants.register(app)
calibration.register(app)
boris.register(app)
audit.register(app)
backup.register(app)
keys.register(app)
event.register(app)
logs.register(app)


def main() -> None:
    app()


__all__ = ["app", "main"]
