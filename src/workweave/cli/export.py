"""``workweave export ...``: a study in other tools' formats."""

from __future__ import annotations

import typer

from workweave.cli import export_boris

export_app = typer.Typer(help="Export a study to other tools' formats.", no_args_is_help=True)
export_boris.register(export_app)

__all__ = ["export_app"]
