"""A built report: its page, the tables behind its CSV files, and one atomic write of them.

`Report.write` makes every file (HTML, CSV tables, the PDF when asked) in a temporary folder
and only then moves them into place (a new folder is renamed into place whole), so a write or
print that fails leaves the previous report as it was and no half-written files or folders.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from workweave.io.cells import neutralise_frame
from workweave.report.document import Document, render_html
from workweave.report.estimates import Progress
from workweave.report.options import ReportOptions
from workweave.report.pdf import html_to_pdf, require_chromium


@dataclass(frozen=True)
class ReportFiles:
    """The files one write produced, at their final place."""

    html: Path
    pdf: Path | None = None
    csv: tuple[Path, ...] = ()


@dataclass
class Report:
    """A built report (the study report or a personal report); nothing is written until
    `write` is called."""

    document: Document
    stem: str  # file names: <stem>.html, <stem>.pdf, <stem>-<table>.csv
    options: ReportOptions = field(default_factory=ReportOptions)
    csv: dict[str, pd.DataFrame] = field(default_factory=dict)  # file name -> table

    def html(self) -> str:
        """The report as one self-contained HTML page (for serving it)."""
        return render_html(self.document)

    def write(
        self, folder: str | Path, *, pdf: bool | None = None, progress: Progress | None = None
    ) -> ReportFiles:
        """Write ``<stem>.html``, its CSV tables beside it and, when asked (default: as the
        options say), ``<stem>.pdf`` into `folder` (made if missing). Other files in the folder
        are left alone; this report's files are replaced only once every one of them is
        ready."""
        pdf = self.options.pdf if pdf is None else pdf
        if pdf:
            require_chromium()  # fail before any work, not after it
        say = progress or (lambda _s: None)
        target = Path(folder)
        if target.exists() and not target.is_dir():
            raise NotADirectoryError(f"{target} is a file, not a folder to write the report into")
        work = _workspace(target)
        try:
            say("writing files")
            for name, df in self.csv.items():
                (work / name).write_text(neutralise_frame(df).to_csv(index=False), encoding="utf-8")
            html_path = work / f"{self.stem}.html"
            html_path.write_text(self.html(), encoding="utf-8")
            if pdf:
                say("printing to PDF")
                html_to_pdf(
                    html_path,
                    html_path.with_suffix(".pdf"),
                    title=self.document.title,
                    synthetic=self.document.synthetic,
                )
            names = sorted(p.name for p in work.iterdir())
            _move_in(work, target, names)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return ReportFiles(
            html=target / f"{self.stem}.html",
            pdf=target / f"{self.stem}.pdf" if pdf else None,
            csv=tuple(target / name for name in self.csv),
        )


def _workspace(target: Path) -> Path:
    """A new hidden folder to build in, on the same file system as the files it will become:
    beside a target folder that does not exist yet (it is then renamed into place whole),
    inside one that does (each file then replaces its namesake)."""
    spot = target.resolve()
    if spot.is_dir():
        return Path(tempfile.mkdtemp(prefix=".report.", suffix=".part", dir=spot))
    spot.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{spot.name}.", suffix=".part", dir=spot.parent))


def _move_in(work: Path, target: Path, names: list[str]) -> None:
    """Put the finished files in place: a new folder is renamed into place whole; in an
    existing one each file replaces its namesake."""
    if work.parent != target.resolve():
        try:
            work.rename(target)
            return
        except OSError:  # the folder was made meanwhile: fall back to file by file
            target.mkdir(parents=True, exist_ok=True)
    for name in names:
        os.replace(work / name, target / name)


__all__ = ["Report", "ReportFiles"]
