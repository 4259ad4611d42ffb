"""The ``workweave`` command: the root app, with every command group's module registered here.
Entry points only translate arguments into service calls."""

from __future__ import annotations

import typer

from workweave.cli import (
    calibration,
    demo,
    imports,
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
app.add_typer(imports.import_app, name="import")
app.add_typer(study.template_app, name="template")

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
logs.register(app)


def main() -> None:
    app()


__all__ = ["app", "main"]
