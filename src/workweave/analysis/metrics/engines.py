"""The engines that run the registry's blocks: DuckDB in process, or Spark.

Both run the same SQL: each block (`workweave.analysis.metrics.blocks`) and each metric's
per-session query is written once in DuckDB's dialect; `SparkEngine` transpiles it to Spark
SQL with SQLGlot when it runs it. The driver (the process asking for metrics) keeps a DuckDB
connection for the small tables (sessions, job-plan intervals, groups) and for the statistics;
an engine receives the input tables it needs, builds blocks, and returns per-session results
to the driver (`to_driver`), where the estimates and the bootstrap are computed with numpy
whatever the engine, so the same seed gives the same intervals.

- `DuckDBEngine` shares the driver's connection: inputs are registered Arrow or pandas tables
  (scanned in place, no copy), blocks are temporary tables, results are views.
- `SparkEngine` runs on a local Spark (``local[*]``) or, given ``remote``, on a cluster through
  Spark Connect (``sc://host:15002``; Databricks: ``sc://<workspace>:443/;token=...;
  x-databricks-cluster-id=...``). Inputs go over as Arrow-backed DataFrames, blocks are
  checkpointed temporary views, results come back as Arrow.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
from collections.abc import Sequence
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import sqlglot

from workweave.domain.errors import ValidationError

ENGINES: tuple[str, ...] = ("duckdb", "spark")


class Engine(Protocol):
    """What the metric engine needs of a place that runs SQL."""

    name: str
    shares_driver: bool
    batch: bool  # whether many metric queries go as one UNION ALL

    def put(self, name: str, table: pa.Table) -> None:
        """Make `table` readable as `name`."""

    def create(self, name: str, sql: str) -> None:
        """Materialise a SELECT (DuckDB dialect) as the table `name`."""

    def to_driver(self, name: str, sql: str) -> None:
        """Make the result of a SELECT (DuckDB dialect) readable as `name` on the driver."""

    def drop(self, name: str) -> None:
        """Forget the table `name` (an intermediate block no longer read)."""

    def close(self) -> None: ...


class DuckDBEngine:
    """Blocks in the driver's own DuckDB connection."""

    name = "duckdb"
    shares_driver = True
    batch = True

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def put(self, name: str, table: pa.Table) -> None:  # the driver's tables are here already
        return None

    def create(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def to_driver(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")

    def drop(self, name: str) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {name}")

    def close(self) -> None:
        return None


@functools.lru_cache(maxsize=512)
def to_spark(sql: str) -> str:
    """A SELECT in DuckDB's dialect as Spark SQL (SQLGlot)."""
    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


def java_available() -> bool:
    """Whether a Java runtime is on this machine (local Spark needs one)."""
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return True
    return shutil.which("java") is not None


def spark_error(exc: BaseException) -> str:
    """The first meaningful line of what Spark (or Py4J, or Spark Connect) raised."""
    java = getattr(exc, "java_exception", None)
    text = ""
    if java is not None:
        with contextlib.suppress(Exception):
            text = str(java.toString())
            cause = java.getCause()
            while cause is not None:  # the root cause names the file or the refusal
                text = str(cause.toString())
                cause = cause.getCause()
    if not text:
        text = str(exc)
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


_SESSIONS: dict[str, Any] = {}


def spark_session(remote: str | None = None) -> Any:
    """A SparkSession: Spark Connect to `remote` (``sc://...``), else a local one (``local[*]``,
    or the master in ``WORKWEAVE_SPARK_MASTER``). One per process and remote, reused."""
    key = remote or ""
    if key in _SESSIONS:
        return _SESSIONS[key]
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - pyspark is a dependency
        raise ValidationError(f"the spark engine needs pyspark ({exc})") from None
    if remote:
        if not remote.startswith("sc://"):
            raise ValidationError(f"a Spark Connect address starts with sc:// (not '{remote}')")
        _reachable(remote)
        spark = SparkSession.builder.remote(remote).getOrCreate()
    else:
        if not java_available():
            raise ValidationError(
                "the spark engine needs a Java runtime (17 or later) for local Spark: install "
                "one (e.g. apt-get install default-jre-headless) or give --spark-remote"
            )
        master = os.environ.get("WORKWEAVE_SPARK_MASTER", "local[*]")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        spark = (
            SparkSession.builder.master(master)
            .appName("workweave-metrics")
            .config("spark.sql.session.timeZone", "UTC")
            .config(
                "spark.sql.shuffle.partitions", os.environ.get("WORKWEAVE_SPARK_PARTITIONS", "8")
            )
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.driver.memory", os.environ.get("WORKWEAVE_SPARK_MEMORY", "2g"))
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
    _SESSIONS[key] = spark
    return spark


def _reachable(remote: str, timeout: float = 10.0) -> None:
    """Refuse at once a Spark Connect address that is malformed or where nothing answers
    (the client would otherwise retry for minutes before its first query fails)."""
    import socket
    from urllib.parse import urlsplit

    try:
        parts = urlsplit("http://" + remote[len("sc://") :].split(";", 1)[0])
        host, port = parts.hostname, parts.port or 15002
    except ValueError:
        host, port = None, None
    if not host:
        raise ValidationError(f"'{remote}' is not a Spark Connect address (sc://HOST:PORT)")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ValidationError(
            f"no Spark Connect server answers at {host}:{port} ({reason})"
        ) from None


def _plain(table: pa.Table) -> pa.Table:
    """Dictionary columns decoded, all-null columns typed as strings (Spark takes neither)."""
    fields = []
    for f in table.schema:
        t = f.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if pa.types.is_null(t) or pa.types.is_large_string(t):
            t = pa.string()
        fields.append(pa.field(f.name, t))
    schema = pa.schema(fields)
    return table if schema == table.schema else table.cast(schema)


class SparkEngine:
    """Blocks as Spark SQL (transpiled), on local Spark or a cluster (Spark Connect)."""

    name = "spark"
    shares_driver = False
    batch = False

    def __init__(self, driver: duckdb.DuckDBPyConnection, remote: str | None = None) -> None:
        self.driver = driver
        try:
            self.spark = spark_session(remote)
        except ValidationError:
            raise
        except Exception as exc:  # Java or the cluster refused: one line, not a traceback
            raise ValidationError(
                f"cannot start Spark ({remote or 'local'}): {spark_error(exc)}"
            ) from None
        self.prefix = f"ww{id(self):x}_"
        self._views: list[str] = []

    def _view(self, name: str) -> str:
        return self.prefix + name

    def _sql(self, sql: str) -> str:
        """The Spark SQL of a DuckDB SELECT, with this computation's view names."""
        tree = sqlglot.parse_one(to_spark(sql), read="spark")
        ctes = {c.alias_or_name for c in tree.find_all(sqlglot.exp.CTE)}
        for t in tree.find_all(sqlglot.exp.Table):
            if t.name and t.name not in ctes:
                alias = t.alias or t.name
                t.set("this", sqlglot.exp.to_identifier(self._view(t.name)))
                if not t.alias:
                    t.set("alias", sqlglot.exp.TableAlias(this=sqlglot.exp.to_identifier(alias)))
        return tree.sql(dialect="spark")

    def put(self, name: str, table: pa.Table) -> None:
        table = _plain(table)
        if table.num_rows:
            df = self.spark.createDataFrame(table)
        else:
            df = self.spark.createDataFrame(table.to_pandas(), schema=_spark_schema(table))
        df.createOrReplaceTempView(self._view(name))
        self._views.append(self._view(name))

    def create(self, name: str, sql: str) -> None:
        # computed now and kept without its lineage (later plans stay small)
        df = self.spark.sql(self._sql(sql)).localCheckpoint()
        df.createOrReplaceTempView(self._view(name))
        self._views.append(self._view(name))

    def view(self, name: str, sql: str) -> None:
        """A SELECT (DuckDB dialect) as the view `name`, computed where it is read."""
        self.spark.sql(self._sql(sql)).createOrReplaceTempView(self._view(name))
        self._views.append(self._view(name))

    def parquet(self, name: str, paths: Sequence[str], columns: Sequence[str]) -> None:
        """Parquet files as the view `name` (these columns). Spark reads the files itself: on
        a cluster (Spark Connect) the paths must name storage the cluster sees."""
        df = self.spark.read.parquet(*paths).select(*columns)
        df.createOrReplaceTempView(self._view(name))
        self._views.append(self._view(name))

    def fetch(self, sql: str) -> pa.Table:
        """The result of a SELECT (DuckDB dialect), brought to the driver as Arrow."""
        return self.spark.sql(self._sql(sql)).toArrow()

    def to_driver(self, name: str, sql: str) -> None:
        table = self.spark.sql(self._sql(sql)).toArrow()
        self.driver.register(name + "_arrow", table)
        self.driver.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
        self.driver.unregister(name + "_arrow")

    def drop(self, name: str) -> None:
        with contextlib.suppress(Exception):
            self.spark.catalog.dropTempView(self._view(name))

    def close(self) -> None:
        for v in self._views:
            with contextlib.suppress(Exception):  # the session may be gone already
                self.spark.catalog.dropTempView(v)
        self._views = []


def _spark_schema(table: pa.Table) -> Any:
    from pyspark.sql import types as T

    def of(t: pa.DataType) -> Any:
        if pa.types.is_integer(t):
            return T.LongType()
        if pa.types.is_floating(t):
            return T.DoubleType()
        if pa.types.is_boolean(t):
            return T.BooleanType()
        return T.StringType()

    return T.StructType([T.StructField(f.name, of(f.type), True) for f in table.schema])


def make_engine(
    name: str, driver: duckdb.DuckDBPyConnection, *, spark_remote: str | None = None
) -> Engine:
    """The engine called `name` ('duckdb' or 'spark')."""
    if name == "duckdb":
        if spark_remote:
            raise ValidationError("--spark-remote goes with the spark engine")
        return DuckDBEngine(driver)
    if name == "spark":
        return SparkEngine(driver, spark_remote)
    raise ValidationError(f"unknown engine '{name}' (choose from: {', '.join(ENGINES)})")


__all__ = [
    "ENGINES",
    "DuckDBEngine",
    "Engine",
    "SparkEngine",
    "java_available",
    "make_engine",
    "spark_error",
    "spark_session",
    "to_spark",
]
