"""workweave: capture, measure, check and show the intertwined clinical and managerial work of
clinician-managers.

``workweave.open(path_or_url)`` opens a study for analysis in Python (see ``workweave.api``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from workweave.api import StudyData


def open(path_or_url: Any, study: str | None = None, *, backend: str = "pandas") -> StudyData:
    """Open a study in a workspace folder, a SQLite store file or a PostgreSQL URL."""
    from workweave.api import open_study

    return open_study(path_or_url, study, backend=backend)  # type: ignore[arg-type]


__all__ = ["__version__", "open"]
