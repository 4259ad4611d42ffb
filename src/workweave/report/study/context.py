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

Passive = tuple[list[tuple[str, pd.DataFrame]], dict[str, Any] | None, dict[str, Any]]
"""The audit-log measures of a study (see `StudyContext.passive`)."""


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
    _cache: dict[str, Any] | None = None

    def _memo(self, key: str, make: Any) -> Any:
        if self._cache is None:
            self._cache = {}
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def styles(self) -> Any:
        """The styles of clinician-management (`workweave.analysis.styles`) of the observed
        participants, from the registry's per-participant table."""
        from workweave.analysis.styles import find_styles

        return self._memo(
            "styles",
            lambda: find_styles(
                self.est.per_participant(),
                seed=self.options.seed,
                suppress_below=self.suppress_below,
            ),
        )

    def events(self) -> list[Any]:
        """The study's site events in date order."""
        return self._memo("events", lambda: self.store.events.list(self.study_id))

    def trends(self) -> pd.DataFrame:
        """Registry estimates by site and the report's period (`ReportOptions.period`)."""
        from workweave.analysis.trends import by_period

        return self._memo(
            "trends",
            lambda: by_period(
                self.est.engine, self.options.period, seed=self.options.seed, B=self.options.B
            ),
        )

    def event_effects(self) -> pd.DataFrame:
        """Each site event's change in the followed metrics (after minus before)."""
        from workweave.analysis.trends import Event, event_effects

        evs = [Event(e.site, e.day, e.label, e.kind) for e in self.events()]
        return self._memo(
            "effects",
            lambda: event_effects(
                self.est.engine,
                evs,
                self.options.period,
                seed=self.options.seed,
                B=self.options.B,
            ),
        )

    def passive(self) -> Passive | None:
        """The study's audit-log measures (`workweave.services.logs`), or None without logs:
        ([(breakdown, estimates with a ``group`` column)], the Bland-Altman agreement of
        observation and logs as a dict or None, {events, participants, parameters})."""
        return self._memo("passive", self._passive)

    def _passive(self) -> Any:
        from workweave.analysis.metrics.passive_engine import GROUP_KEYS
        from workweave.domain.errors import NotFoundError
        from workweave.report.estimates import OVERALL
        from workweave.services import logs

        try:
            folder = logs.logs_folder(self.store)
        except NotFoundError:  # a server store with no log folder configured: no logs
            return None
        files = logs.event_files(folder, self.store.studies.get(self.study_id).name)
        if not files:
            return None
        tables: list[tuple[str, pd.DataFrame]] = []
        with logs.prepare(self.store, self.study_id) as pm:
            for b in ("study", *(b for b in self.by if b in GROUP_KEYS and b != "study")):
                df = pm.compute(
                    by=None if b == "study" else [b], seed=self.options.seed, B=self.options.B
                )
                group = OVERALL if b == "study" else df[b].astype(str)
                tables.append((b, df.assign(breakdown=b, group=group)))
            meta = {
                "events": int(pm.n_events),
                "participants": int(
                    tables[0][1]["n_participants"].max() if len(tables[0][1]) else 0
                ),
                "parameters": dict(pm.params),
            }
        _, agr = logs.agreement(self.store, self.study_id)
        agreement = agr.as_dict() if agr.n >= 2 else None
        return tables, agreement, meta

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
