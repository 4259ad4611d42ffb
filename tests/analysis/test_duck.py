"""DuckDB limits: sizes and thread counts are checked before any work starts, set on every
connection, and running out of memory is reported as a message, not a traceback."""

from __future__ import annotations

import duckdb
import pytest
import typer

from workweave.analysis import duck
from workweave.cli.common import friendly
from workweave.domain.errors import ValidationError


@pytest.mark.parametrize(
    ("given", "bytes_"),
    [
        ("4GB", 4_000_000_000),
        ("4gb", 4_000_000_000),
        (" 1.5 GiB ", int(1.5 * 1024**3)),
        ("512MiB", 512 * 1024**2),
        ("64MiB", 64 * 1024**2),
        ("2TB", 2 * 1000**4),
    ],
)
def test_a_size_is_read_in_decimal_or_binary_units(given, bytes_):
    assert duck.check_memory_limit(given) == f"{bytes_}B"


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("lots", "not a size"),
        ("4", "not a size"),
        ("-1GB", "not a size"),
        ("NaN GB", "not a size"),
        ("inf GB", "not a size"),
        ("4 GB; DROP TABLE x", "not a size"),
        ("1KB", "too small"),
        ("63MiB", "too small"),
        ("99999999999999TB", "larger than any machine"),
        ("4\x00GB", "not a size"),
    ],
)
def test_a_bad_size_is_refused_with_the_reason(given, says):
    with pytest.raises(ValidationError, match=says):
        duck.check_memory_limit(given)


@pytest.mark.parametrize("given", ["0", "-2", "two", "1.5", str(duck.MAX_THREADS + 1)])
def test_a_bad_thread_count_is_refused(given):
    with pytest.raises(ValidationError, match="--threads"):
        duck.check_threads(given)


def test_nothing_given_leaves_duckdb_its_defaults():
    assert duck.check_threads(None) is None and duck.check_memory_limit("") is None
    default = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()
    con = duck.connect()
    assert con.execute("SELECT current_setting('threads')").fetchone() == default


def test_the_environment_sets_every_connection(monkeypatch):
    monkeypatch.setenv(duck.THREADS_ENV, "1")
    monkeypatch.setenv(duck.MEMORY_ENV, "512MiB")
    con = duck.connect()
    assert con.execute("SELECT current_setting('threads')").fetchone()[0] == 1
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "512.0 MiB"
    # an argument wins over the environment
    con = duck.connect(threads=2, memory_limit="1GiB")
    assert con.execute("SELECT current_setting('threads')").fetchone()[0] == 2
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "1.0 GiB"


def test_a_malformed_environment_value_names_the_variable(monkeypatch):
    monkeypatch.setenv(duck.MEMORY_ENV, "plenty")
    with pytest.raises(ValidationError, match=duck.MEMORY_ENV):
        duck.connect()


def test_running_out_of_memory_is_a_message_and_exit_2(monkeypatch, capsys):
    monkeypatch.setenv(duck.MEMORY_ENV, "1GB")

    @friendly(changes=False)
    def command() -> None:
        raise duckdb.OutOfMemoryException("could not allocate block of size 256 KiB")

    with pytest.raises(typer.Exit) as exc:
        command()
    assert exc.value.exit_code == 2
    said = capsys.readouterr()
    text = said.err + said.out
    assert "ran out of memory (the memory limit is 1GB)" in text
    assert "--memory-limit" in text and "Traceback" not in text


def test_other_errors_are_not_taken_for_memory():
    assert duck.out_of_memory_message(ValueError("x")) is None
