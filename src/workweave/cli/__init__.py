"""The ``workweave`` command: the root app in ``app``, one module per command group."""

from workweave.cli.app import app, main

__all__ = ["app", "main"]
