"""The store handle: opening a store, its transactions, and its repositories."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.engine import Engine, make_url

from workweave.store.accounts import AccountRepository
from workweave.store.analytic import AnalyticTables
from workweave.store.audit import AuditRepository
from workweave.store.calibration import CalibrationRepository
from workweave.store.capture import CaptureRepository
from workweave.store.engine import (
    StoreError,
    current_revision,
    head_revision,
    make_engine,
    migrate,
    store_url,
)
from workweave.store.events import EventRepository
from workweave.store.governance import GovernanceRepository
from workweave.store.listings import ListingRepository
from workweave.store.logs import LogImportRepository
from workweave.store.merges import MergeRepository
from workweave.store.planned import PlannedActivityRepository
from workweave.store.privacy import PrivacyRepository
from workweave.store.qualitative import QualitativeRepository
from workweave.store.sessions import SessionRepository
from workweave.store.studies import StudyRepository


class Store:
    """A workweave store: one SQLite file or one PostgreSQL database, holding studies.

    The handle owns the engine; each aggregate's reads and writes go through its repository:
    `studies` (set-up), `sessions` (observation sessions), `analytic` (tables for analysis),
    `qual` (documents, codebooks and codings), `accounts` (users, memberships, consent, web
    settings), `capture` (action logs, capture sessions, corrections), `listings` (read
    models for lists and dashboards), `merges` (participants merged and unmerged),
    `calibration` (study calibration settings, passed co-observer calibrations) `audit`
    (the hash-chained audit trail) and `governance` (subject access, erasure, retention).
    """

    def __init__(self, engine: Engine, location: str) -> None:
        self.engine = engine
        self.location = location
        self.studies = StudyRepository(self)
        self.sessions = SessionRepository(self)
        self.analytic = AnalyticTables(self)
        self.qual = QualitativeRepository(self)
        self.accounts = AccountRepository(self)
        self.capture = CaptureRepository(self)
        self.listings = ListingRepository(self)
        self.merges = MergeRepository(self)
        self.calibration = CalibrationRepository(self)
        self.planned = PlannedActivityRepository(self)  # calendar plans
        self.audit = AuditRepository(self)
        self.governance = GovernanceRepository(self)
        self.events = EventRepository(self)  # dated site events (reorganisations...)
        self.logs = LogImportRepository(self)  # audit-log imports (events live in Parquet)
        self.privacy = PrivacyRepository(self)  # least-privilege settings of a study

    @classmethod
    def create(cls, path_or_url: str | Path) -> Store:
        """Make (or bring up to date) a store at a file path or database URL."""
        if "://" not in str(path_or_url):
            Path(path_or_url).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(path_or_url)
        migrate(engine)
        return cls(engine, _describe(path_or_url))

    @classmethod
    def open(cls, path_or_url: str | Path) -> Store:
        """Open an existing store, upgrading its schema if it is older than this version."""
        engine = make_engine(path_or_url, must_exist=True)
        rev = current_revision(engine)
        if rev is None:
            if "://" in str(path_or_url):  # an empty server database: set it up
                migrate(engine)
            else:
                raise StoreError(f"{path_or_url} is not a workweave store")
        elif rev != head_revision():
            migrate(engine)
        return cls(engine, _describe(path_or_url))

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self.engine.begin() as conn:
            yield conn


def _describe(path_or_url: str | Path) -> str:
    url = store_url(path_or_url)
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    return make_url(url).render_as_string(hide_password=True)


__all__ = ["Store"]
