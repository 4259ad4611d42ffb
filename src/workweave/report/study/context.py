"""What every section of the study report reads: the study's frames and templates, the
registry's estimates, the options, and the report being built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from workweave.domain.template import Template
from workweave.report.common import observed, observed_frame, self_reported
from workweave.report.document import Document
from workweave.report.estimates import Estimates
from workweave.report.options import ReportOptions
from workweave.report.output import Report
from workweave.store import Store


@dataclass
class StudyContext:
    store: Store
    study_id: int
    options: ReportOptions
    frames: dict[str, pd.DataFrame]  # sessions, participants, job_plans
    summary: dict[str, Any]
    templates: dict[str, Template]
    report: Report
    est: Estimates
    _sessions: list[Any] | None = None

    @property
    def doc(self) -> Document:
        return self.report.document

    @property
    def by(self) -> tuple[str, ...]:
        return tuple(self.options.by)

    @property
    def suppress_below(self) -> int:
        """The small-number rule: groups of fewer participants are not shown."""
        return self.options.suppress_below

    def href(self, csv_name: str) -> str | None:
        return self.options.link(csv_name)

    def sessions(self) -> list[Any]:
        """Every session of the study, whatever its mode."""
        if self._sessions is None:
            gone = set(self.store.analytic.withdrawn(self.study_id))  # consent withdrawn
            self._sessions = [
                s for s in self.store.sessions.load(self.study_id) if s.participant not in gone
            ]
        return self._sessions

    def observed_sessions(self) -> list[Any]:
        """The sessions that are observation (shadowing, imported): what the figures show."""
        return observed(self.sessions())

    def self_reported_sessions(self) -> list[Any]:
        """The sessions participants logged themselves: shown apart, in their own section."""
        return self_reported(self.sessions())

    @property
    def observed_frame(self) -> pd.DataFrame:
        return observed_frame(self.frames["sessions"])

    def breakdowns(self) -> list[tuple[str, pd.DataFrame]]:
        """(label, computed table) for the whole study and each chosen breakdown."""
        return [("study", self.est.table(None))] + [(b, self.est.table(b)) for b in self.by]

    @property
    def has_job_plans(self) -> bool:
        return len(self.frames["job_plans"]) > 0

    @property
    def n_participants(self) -> int:
        """Participants with at least one observed session."""
        frame = self.observed_frame
        return int(frame["participant"].nunique()) if len(frame) else 0


__all__ = ["StudyContext"]
