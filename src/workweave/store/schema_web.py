"""Tables of the web app: accounts, study membership, consent, the capture action log and the
audit trail of corrections, and the study settings and passed co-observer calibrations. They
live on the canonical tables' ``metadata`` (one schema, one migration history); migration
``0003`` creates them, ``0004`` adds the study settings and calibrations, ``0008_secweb`` the
server-side web sessions and the sign-in failure counts (and removes the cookie-signing key
that earlier versions kept in ``web_settings``: it now lives outside the database).

The capture action log (``capture_actions``) is the raw record of what observers and
participants did on their devices. The canonical tables (sessions, tasks, ...) hold its
projection, which can be rebuilt from the log at any time.
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
    String,
    Table,
    Text,
    UniqueConstraint,
)

from workweave.store.schema import metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),  # admin | researcher | observer | participant
    Column("password_hash", Text, nullable=False),  # argon2id
    Column("session_version", Integer, nullable=False, default=0),  # bump: sign-outs everywhere
    Column("active", Boolean, nullable=False, default=True),
    Column("created_ms", BigInteger, nullable=False),
)

study_members = Table(
    "study_members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(16), nullable=False),  # researcher | observer | participant
    Column("observer_code", String(64)),  # the observer this user records as
    Column("participant_code", String(64)),  # a participant user's own pseudonymous code
    Column("created_ms", BigInteger, nullable=False),
    UniqueConstraint("study_id", "user_id", name="uq_study_members_study_user"),
)

consents = Table(
    "consents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    Column("participant_code", String(64), nullable=False),
    Column("given", Boolean, nullable=False),  # False: consent withdrawn
    Column("form_version", String(64), nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
    Column("recorded_ms", BigInteger, nullable=False),
    Column("recorded_by", ForeignKey("users.id", ondelete="SET NULL")),
    Index("ix_consents_study_participant", "study_id", "participant_code"),
)

study_templates = Table(
    "study_templates",
    metadata,
    Column("study_id", ForeignKey("studies.id", ondelete="CASCADE"), primary_key=True),
    Column("template_id", ForeignKey("templates.id"), nullable=False),
    Column("set_ms", BigInteger, nullable=False),
    Column("set_by", ForeignKey("users.id", ondelete="SET NULL")),
)

capture_sessions = Table(
    "capture_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uuid", String(36), nullable=False, unique=True),  # made by the device
    Column("study_id", ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    Column("session_key", String(200), nullable=False),  # key of the projected session
    Column("mode", String(16), nullable=False),  # shadowing | self-report
    Column("source", String(64), nullable=False),  # capture | diary
    Column("participant_code", String(64), nullable=False),
    Column("site_code", String(64), nullable=False),
    Column("observer_code", String(64)),
    Column("template_key", String(260)),
    Column("timezone", String(64), nullable=False),
    Column("user_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("state", String(16), nullable=False),  # open | refused
    Column("refusal", Text),
    # clock skew: min over sync batches of (server receive time - device clock), in ms
    Column("clock_skew_ms", BigInteger),
    Column("clock_samples", Integer, nullable=False, default=0),
    Column("created_ms", BigInteger, nullable=False),
    Column("projected_ms", BigInteger),
    UniqueConstraint("study_id", "session_key", name="uq_capture_sessions_study_key"),
)

capture_actions = Table(
    "capture_actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uuid", String(36), nullable=False, unique=True),  # made by the device: the sync key
    Column("study_id", ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    Column("session_uuid", String(36), nullable=False),
    Column("seq", Integer, nullable=False),  # the device's order within the session
    Column("type", String(32), nullable=False),
    Column("payload", Text, nullable=False),  # JSON
    Column("device_ms", BigInteger, nullable=False),  # the device's clock when it happened
    Column("received_ms", BigInteger, nullable=False),
    Column("batch_clock_ms", BigInteger),  # the device's clock when it sent the batch
    Column("user_id", ForeignKey("users.id", ondelete="SET NULL")),
    Index("ix_capture_actions_session", "session_uuid", "seq"),
)

edits = Table(
    "edits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("action_uuid", String(36), nullable=False, unique=True),
    Column("study_id", ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    Column("session_key", String(200), nullable=False),
    Column("target", String(200), nullable=False),  # task, event or note key; or an action
    Column("field", String(64), nullable=False),
    Column("old_value", Text),
    Column("new_value", Text),
    Column("applied", Boolean, nullable=False),  # False: undone or not applicable
    Column("user_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("device_ms", BigInteger, nullable=False),
    Column("received_ms", BigInteger, nullable=False),
    Index("ix_edits_session", "study_id", "session_key"),
)

web_settings = Table(
    "web_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# -- co-observer calibration (migration 0004) ------------------------------------------------

study_settings = Table(
    "study_settings",
    metadata,
    Column("study_id", ForeignKey("studies.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(64), primary_key=True),  # e.g. calibration_threshold
    Column("value", Text, nullable=False),  # JSON
    Column("set_ms", BigInteger, nullable=False),
    Column("set_by", ForeignKey("users.id", ondelete="SET NULL")),
)

calibrations = Table(
    "calibrations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    Column("observer_code", String(64), nullable=False),  # who passed
    Column("partner_code", String(64), nullable=False),  # with whom
    Column("session_key", String(200), nullable=False),  # the observer's session
    Column("partner_session_key", String(200), nullable=False),
    Column("measure", String(64), nullable=False),  # the measure compared: time_sliced_kappa
    Column("kappa", Float, nullable=False),
    Column("threshold", Float, nullable=False),  # the study's threshold when it was recorded
    Column("recorded_ms", BigInteger, nullable=False),
    Column("recorded_by", ForeignKey("users.id", ondelete="SET NULL")),
    UniqueConstraint(
        "study_id",
        "observer_code",
        "session_key",
        "partner_session_key",
        name="uq_calibrations_pair",
    ),
    Index("ix_calibrations_study_observer", "study_id", "observer_code"),
)

# -- server-side web sessions and sign-in throttling (migration 0006) ------------------------

web_sessions = Table(
    "web_sessions",
    metadata,
    # SHA-256 (hex) of the random session id the cookie carries: a dump cannot replay it
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("last_seen_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),  # absolute expiry
    Column("address", String(64), nullable=False, default=""),  # the client at sign-in
    Index("ix_web_sessions_user", "user_id"),
)

sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    # "account:<name, lower case>" or "address:<client address>"
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_ms", BigInteger, nullable=False),
    Column("locked_until_ms", BigInteger, nullable=False, default=0),
    Index("ix_sign_in_failures_last", "last_failure_ms"),
)

__all__ = [
    "calibrations",
    "capture_actions",
    "capture_sessions",
    "consents",
    "edits",
    "sign_in_failures",
    "study_members",
    "study_settings",
    "study_templates",
    "users",
    "web_sessions",
    "web_settings",
]
