"""The canonical tables (SQLAlchemy Core). Alembic migrations in ``migrations/`` create them.

Instants are stored as integer milliseconds since the Unix epoch, UTC (``*_ms`` columns), with
the site's time zone beside them; durations are derived, never stored, except ``known_end_ms``,
which the domain model derives once at write time (the end, or for a task left running in an
incomplete session the last instant it was seen).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

TEXT = Text().with_variant(String(200), "sqlite")
"""Imported and typed text (keys, categories, dimension values, names): unbounded text.
SQLite does not enforce a VARCHAR's length, so there the declared type stays VARCHAR(200),
as the first migrations made it (no table rebuild); PostgreSQL stores TEXT (migration
0007_secinput). What a column may hold is checked at the edge (``workweave.domain.text``)."""

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

studies = Table(
    "studies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("title", Text, nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
    Column("synthetic", Boolean, nullable=False, default=False),
    Column("created_ms", BigInteger, nullable=False),
)

templates = Table(
    "templates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", TEXT, nullable=False),
    Column("version", String(50), nullable=False),
    Column("spec", Text, nullable=False),  # JSON of Template.to_dict()
    Column("created_ms", BigInteger, nullable=False),
    UniqueConstraint("name", "version", name="uq_templates_name_version"),
)

sites = Table(
    "sites",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", Text, nullable=False, default=""),
    Column("timezone", String(64), nullable=False),
    Column("description", Text, nullable=False, default=""),
    UniqueConstraint("study_id", "code", name="uq_sites_study_code"),
)

participants = Table(
    "participants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    Column("site_id", ForeignKey("sites.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("profession", String(64), nullable=False),
    Column("band", String(4)),
    Column("pay_point", Integer),
    Column("contracted_hours", Float),
    Column("attributes", Text, nullable=False, default="{}"),  # JSON
    UniqueConstraint("study_id", "code", name="uq_participants_study_code"),
)

job_plan_sessions = Table(
    "job_plan_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("participant_id", ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("weekday", Integer, nullable=False),  # 0 = Monday
    Column("start_time", String(8), nullable=False),  # HH:MM[:SS], site local time
    Column("end_time", String(8), nullable=False),
    Column("category", String(16), nullable=False),
    Index("ix_job_plan_sessions_participant", "participant_id"),
)

participant_merges = Table(
    "participant_merges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    Column("into_id", ForeignKey("participants.id"), nullable=False),
    Column("merged_id", ForeignKey("participants.id"), nullable=False),
    # JSON [[session id, its participant id, its site id], ...] as they were before the merge
    Column("moved", Text, nullable=False),
    Column("merged_by", String(64), nullable=False),
    Column("merged_ms", BigInteger, nullable=False),
    Column("note", Text, nullable=False, default=""),
    UniqueConstraint("merged_id", name="uq_participant_merges_merged_id"),
    Index("ix_participant_merges_study", "study_id"),
)

observers = Table(
    "observers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", Text, nullable=False, default=""),
    UniqueConstraint("study_id", "code", name="uq_observers_study_code"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    Column("key", TEXT, nullable=False),
    Column("participant_id", ForeignKey("participants.id"), nullable=False),
    Column("site_id", ForeignKey("sites.id"), nullable=False),
    Column("observer_id", ForeignKey("observers.id")),
    Column("template_id", ForeignKey("templates.id")),
    Column("mode", String(16), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger),
    Column("known_end_ms", BigInteger, nullable=False),
    Column("complete", Boolean, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("source", String(64)),
    Column("source_id", TEXT),
    Column("clock_skew_s", Float),
    Column("attributes", Text, nullable=False, default="{}"),  # JSON
    Column("fingerprint", String(64), nullable=False),  # sha256 of the session's content
    # primary | second | NULL (not recorded): an annotation, not part of the fingerprint
    Column("observer_role", String(16)),
    UniqueConstraint("study_id", "key", name="uq_sessions_study_key"),
    Index("ix_sessions_participant", "participant_id"),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("key", TEXT, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("category", TEXT, nullable=False),
    Column("subcategory", TEXT),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger),
    Column("known_end_ms", BigInteger, nullable=False),
    Column("ended_by", TEXT),
    UniqueConstraint("session_id", "key", name="uq_tasks_session_key"),
)

task_dimensions = Table(
    "task_dimensions",
    metadata,
    Column("task_id", ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("dimension", TEXT, primary_key=True),
    Column("value", TEXT, primary_key=True),
)

suspensions = Table(
    "suspensions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("task_id", ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger),  # NULL: never resumed before the session stopped
    Column("by_key", TEXT),  # the interrupting task's key, in the same session
    Index("ix_suspensions_task", "task_id"),
)

parallel_links = Table(
    "parallel_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("task_id", ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("other_key", TEXT, nullable=False),
    Column("start_ms", BigInteger),
    Column("end_ms", BigInteger),
    Index("ix_parallel_links_task", "task_id"),
)

point_events = Table(
    "point_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("key", TEXT),
    Column("kind", String(32), nullable=False),
    Column("subtype", TEXT),
    Column("at_ms", BigInteger, nullable=False),
    Index("ix_point_events_session", "session_id"),
)

notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("key", TEXT),
    Column("at_ms", BigInteger, nullable=False),
    Column("text", Text, nullable=False),
    Index("ix_notes_session", "session_id"),
)

# Planned activity from a participant's calendar (iCalendar import): dated blocks, each an
# expanded event instance in UTC milliseconds, and the periods a calendar import covers.
planned_activity = Table(
    "planned_activity",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("participant_id", ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=False),
    Column("category", String(16), nullable=False),  # a job-plan category (DCC ... management)
    Column("title", Text, nullable=False, default=""),
    Column("uid", Text, nullable=False, default=""),  # the event's UID
    Column("recurrence_id", String(64), nullable=False, default=""),  # the instance's own start
    Column("source", Text, nullable=False, default=""),  # the calendar file's name
    Index("ix_planned_activity_participant", "participant_id", "start_ms"),
)

plan_periods = Table(
    "plan_periods",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("participant_id", ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("from_ms", BigInteger, nullable=False),
    Column("to_ms", BigInteger, nullable=False),
    Index("ix_plan_periods_participant", "participant_id"),
)
