"""``workweave logs metrics --engine/--spark-remote``: refusals in one line, and the same
output from both engines (the latter needs Java; marked ``spark``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from workweave.cli import app
from workweave.services import setup

runner = CliRunner()

MAPPING = """
columns: {user: user, time: time, event: event}
users: {u1: P1, u2: P2}
events: {Note: documentation, Inbox: inbox}
"""


def ww(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture
def logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace with two participants, a job plan and imported logs."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKWEAVE_STORE", raising=False)
    monkeypatch.delenv("WORKWEAVE_LOGS", raising=False)
    assert ww("init", "--study", "pilot", "--timezone", "Europe/London")[0] == 0
    store = setup.open_store(str(tmp_path / "workweave.sqlite"))
    sid = store.studies.id("pilot")
    setup.add_site(store, sid, "S1")
    for code in ("P1", "P2"):
        setup.save_participant(store, sid, code, site="S1", new=True)
    store.close()
    (tmp_path / "plans.csv").write_text(
        "participant,weekday,start,end,category\nP1,Mon,09:00,17:00,DCC\nP2,Mon,08:00,12:00,DCC\n"
    )
    assert ww("import", "jobplan", "plans.csv")[0] == 0
    (tmp_path / "map.yaml").write_text(MAPPING)
    rows = [
        f"{u},2025-01-06T{h:02d}:{m:02d}:00+00:00,{'Note' if m % 3 else 'Inbox'}"
        for u, h in (("u1", 9), ("u1", 19), ("u2", 7))
        for m in range(0, 40, 2)
    ]
    (tmp_path / "log.csv").write_text("user,time,event\n" + "\n".join(rows) + "\n")
    code, out = ww("import", "logs", "log.csv", "--mapping", "map.yaml")
    assert code == 0, out
    return tmp_path


def test_an_unknown_engine_is_refused_in_one_line(logged):
    code, out = ww("logs", "metrics", "--engine", "presto")
    assert code == 2 and "unknown engine 'presto'" in out


def test_a_spark_address_needs_the_spark_engine(logged):
    code, out = ww("logs", "metrics", "--spark-remote", "sc://127.0.0.1:15002")
    assert code == 2 and "--spark-remote goes with the spark engine" in out


def test_an_unreachable_spark_connect_server_is_refused_at_once(logged):
    code, out = ww("logs", "metrics", "--engine", "spark", "--spark-remote", "sc://127.0.0.1:1")
    assert code == 2 and "no Spark Connect server answers at 127.0.0.1:1" in out, out
    code, out = ww("logs", "metrics", "--engine", "spark", "--spark-remote", "http://x:15002")
    assert code == 2 and "sc://" in out, out


@pytest.mark.spark
@pytest.mark.slow
def test_both_engines_print_the_same_metrics(spark_ready, logged):
    outputs = []
    for engine in ("duckdb", "spark"):
        code, out = ww(
            "logs", "metrics", "--engine", engine, "--by", "participant", "--format", "csv"
        )
        assert code == 0, out
        outputs.append(out)
    assert "ehr_time8" in outputs[0]
    assert outputs[0] == outputs[1]


def test_limits_give_the_same_passive_metrics_and_bad_ones_are_refused(logged):
    code, plain = ww("logs", "metrics", "--format", "csv")
    assert code == 0, plain
    code, limited = ww(
        "logs", "metrics", "--format", "csv", "--threads", "1", "--memory-limit", "256MiB"
    )
    assert code == 0 and limited == plain
    code, out = ww("logs", "agreement", "--memory-limit", "0.5 apples")
    assert code == 2 and "not a size" in out
