"""Tables of the qualitative material: documents, codebooks (versioned), codes and codings.

They live on the same ``metadata`` as the canonical tables (migration ``0002``). A document
keeps the participant and site codes it was given as well as links (ids) to the study's
registered participants, sites and sessions, so a transcript can be added before its
participant is registered and a replaced session does not take its field notes with it.
Positions are code points, end excluded.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from workweave.store.schema import TEXT, metadata

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(64), nullable=False),  # GUID
    Column("kind", String(16), nullable=False),  # field-note | transcript
    Column("title", Text, nullable=False, default=""),
    Column("text", Text, nullable=False),
    Column("participant_code", String(64)),
    Column("participant_id", ForeignKey("participants.id", ondelete="SET NULL")),
    Column("site_code", String(64)),
    Column("site_id", ForeignKey("sites.id", ondelete="SET NULL")),
    Column("session_key", TEXT),
    Column("session_id", ForeignKey("sessions.id", ondelete="SET NULL")),
    Column("at_ms", BigInteger),  # when a field note was written (UTC ms)
    Column("cues", Text, nullable=False, default="[]"),  # JSON [[start_s, end_s, from, to], ...]
    Column("source", Text),  # file it was read from
    Column("fingerprint", String(64), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    UniqueConstraint("study_id", "key", name="uq_documents_study_key"),
    Index("ix_documents_participant", "participant_id"),
)

codebooks = Table(
    "codebooks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    Column("name", TEXT, nullable=False),
    Column("version", String(50), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("fingerprint", String(64), nullable=False),  # of the content, version excluded
    Column("created_ms", BigInteger, nullable=False),  # saved (again): the latest is current
    UniqueConstraint("study_id", "name", "version", name="uq_codebooks_study_name_version"),
)

codes = Table(
    "codes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("codebook_id", ForeignKey("codebooks.id", ondelete="CASCADE"), nullable=False),
    Column("guid", String(64), nullable=False),
    Column("parent_guid", String(64)),
    Column("position", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("definition", Text, nullable=False, default=""),
    Column("inclusion", Text, nullable=False, default=""),
    Column("exclusion", Text, nullable=False, default=""),
    Column("colour", String(7)),
    Column("codable", Boolean, nullable=False, default=True),
    UniqueConstraint("codebook_id", "guid", name="uq_codes_codebook_guid"),
)

codings = Table(
    "codings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    Column("document_id", ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(64), nullable=False),  # GUID
    Column("code_guid", String(64), nullable=False),
    Column("coder", String(100), nullable=False),
    Column("start_pos", Integer, nullable=False),
    Column("end_pos", Integer, nullable=False),
    Column("memo", Text, nullable=False, default=""),
    Column("created_ms", BigInteger),
    UniqueConstraint("study_id", "key", name="uq_codings_study_key"),
    Index("ix_codings_document", "document_id"),
    Index("ix_codings_code", "code_guid"),
)
