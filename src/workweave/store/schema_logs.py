"""Tables of passive audit-log imports. The events themselves live in Parquet files beside the
store (``logs/``); the store keeps only what was imported: one row per file, with its SHA-256,
row counts and time range (migration ``0011_logs``)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from workweave.store.schema import metadata

log_imports = Table(
    "log_imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("rows_read", BigInteger, nullable=False),
    Column("rows_added", BigInteger, nullable=False),
    Column("rows_duplicate", BigInteger, nullable=False),
    Column("rows_bad", BigInteger, nullable=False),
    Column("rows_unmapped", BigInteger, nullable=False),
    Column("first_ms", BigInteger),
    Column("last_ms", BigInteger),
    Column("imported_ms", BigInteger, nullable=False),
    UniqueConstraint("study_id", "file_sha256", name="uq_log_imports_study_file"),
)
