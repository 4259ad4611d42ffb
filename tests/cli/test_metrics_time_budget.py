"""`workweave metrics --time-budget`, and undefined domain measures on the command line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.analysis.metrics.paper import paper_participants, paper_sessions
from tests.conftest import wombat_files
from tests.factories import drawn_study as write_store
from workweave.cli import app
from workweave.domain import Study
from workweave.store import Store

runner = CliRunner()


def ww(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def paper(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("budget") / "paper.sqlite"
    store, _ = write_store(path, paper_sessions(), paper_participants())
    store.close()
    return str(path)


def test_time_budget_json_and_table(paper: str):
    code, out = ww("metrics", "--store", paper, "--time-budget", "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    assert data["overlap"] == "sum"
    cats = data["groups"][0]["categories"]
    assert set(cats["ADMIN"]) == {"bouts", "total_min", "mean_min", "sd_min", "pct_observed"}
    code, out = ww(
        "metrics", "--store", paper, "--time-budget", "--overlap", "union", "--by", "session"
    )
    assert code == 0, out
    assert "union" in out and "ADMIN" in out and "% observed" in out
    code, out = ww("metrics", "--store", paper, "--time-budget", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("study,category,bouts,total_min")


def test_time_budget_refuses_bad_options(paper: str):
    code, out = ww("metrics", "--store", paper, "--time-budget", "--overlap", "both")
    assert code != 0 and "overlap" in out
    code, out = ww("metrics", "--store", paper, "--time-budget", "--metric", "tasks_per_hour")
    assert code != 0 and "--time-budget" in out


@pytest.fixture(scope="module")
def nurse(tmp_path_factory: pytest.TempPathFactory) -> str:
    files = wombat_files()
    if not files:
        pytest.skip("the WOMBAT exports in ../shared/data are not here")
    path = str(tmp_path_factory.mktemp("nurse") / "nurse.sqlite")
    store = Store.create(path)
    store.studies.create(Study(name="nurse"))
    store.close()
    code, out = ww(
        "import", "wombat", "--store", path, "--timezone", "Europe/Rome", *map(str, files)
    )
    assert code == 0, out
    assert "282 events (308 suspended tasks" in out
    return path


@pytest.mark.shared
def test_domain_measures_are_undefined_on_the_nurse_study(nurse: str):
    code, out = ww(
        "metrics",
        "--store",
        nurse,
        "--format",
        "json",
        "--boot",
        "0",
        "--metric",
        "mixed_domain_pct",
        "--metric",
        "management_hours_per_fte_year",
        "--metric",
        "domain_share_observed",
        "--metric",
        "share_observed",
    )
    assert code == 0, out
    ms = json.loads(out)["groups"][0]["metrics"]
    for v in (
        ms["mixed_domain_pct"],
        ms["management_hours_per_fte_year"],
        *ms["domain_share_observed"].values(),
    ):
        assert v["estimate"] is None
        assert v["flag"] == "undefined: no category is mapped to a domain"
    assert "" not in ms["share_observed"] and ms["share_observed"]["(uncoded)"]["estimate"] > 0
    code, out = ww("metrics", "--store", nurse, "--boot", "0", "--metric", "mixed_domain_pct")
    assert code == 0 and "no category is" in out and "mapped to a domain" in out
