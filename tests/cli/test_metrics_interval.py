"""`workweave metrics --interval t|percentile`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.analysis.metrics.paper import paper_participants, paper_sessions
from tests.factories import drawn_study as write_store
from workweave.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def paper(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli") / "paper.sqlite"
    store, _ = write_store(path, paper_sessions(), paper_participants())
    store.close()
    return str(path)


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def test_interval_option(paper: str) -> None:
    common = ["metrics", "--store", paper, "--metric", "tasks_per_hour", "--format", "json"]
    code, t_out = run(*common, "--seed", "1", "--interval", "t")
    assert code == 0
    code, p_out = run(*common, "--seed", "1", "--interval", "percentile")
    assert code == 0
    assert json.loads(t_out) != json.loads(p_out)
    code, out = run(*common, "--interval", "bca")
    assert code != 0 and "interval method" in out
