"""`workweave metrics` and the Python API, driven on the study drawn on paper."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import workweave
from tests.analysis.metrics.paper import paper_participants, paper_sessions
from tests.conftest import REPO
from tests.factories import drawn_study
from workweave.analysis import metrics as M
from workweave.cli import app

runner = CliRunner()


def ww(*args: str, columns: int = 160) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": str(columns)})
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def paper(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli") / "paper.sqlite"
    store, _ = drawn_study(path, paper_sessions(), paper_participants())
    store.close()
    return str(path)


def test_list_shows_the_registry():
    code, out = ww("metrics", "--list", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert list(data["metrics"]) == [m.id for m in M.METRICS]
    assert data["parameters"]["paid_hours_per_year"]["default"] == 1955.4
    assert data["parameters"]["fragment_minutes"]["default"] == 2.0
    assert data["parameters"]["demand_window_minutes"]["default"] == 15.0
    code, out = ww("metrics", "--list", "--format", "csv")
    assert code == 0 and "share_observed[category]" in out and "compartmentalisation" in out


def test_docs_are_generated_from_the_registry():
    code, out = ww("metrics", "--list", "--format", "markdown")
    assert code == 0
    docs = (REPO / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert out == docs, "docs/metrics.md is stale: workweave metrics --list --format markdown"
    for m in M.METRICS:
        assert f"`{m.display_id()}`" in docs


def test_json_keys_are_metric_ids(paper: str):
    code, out = ww(
        "metrics", "--store", paper, "--by", "session", "--format", "json", "--boot", "0"
    )
    assert code == 0
    data = json.loads(out)
    assert data["by"] == ["session"]
    groups = {g["group"]["session"]: g["metrics"] for g in data["groups"]}
    assert set(groups) == {"paper:1", "paper:2", "paper:3"}
    s1 = groups["paper:1"]
    assert set(s1) == set(M.REGISTRY)
    assert s1["tasks_per_hour"]["estimate"] == pytest.approx(2.6)
    assert s1["share_observed"]["ADMIN"]["estimate"] == pytest.approx(36 / 300)
    assert s1["leakage"]["outside_contracted"]["estimate"] == pytest.approx(5 / 121)
    assert s1["compartmentalisation"]["n_participants"] == 1
    assert groups["paper:3"]["task_duration_mean"]["estimate"] is None
    assert data["payscale"]["name"] == "england-2025-26"


def test_table_csv_parquet_and_filters(paper: str, tmp_path: Path):
    code, out = ww(
        "metrics", "--store", paper, "--metric", "tasks_per_hour", "--metric", "leakage",
        "--filter", "session=paper:1,paper:2", "--boot", "0",
    )  # fmt: skip
    assert code == 0 and "tasks_per_hour" in out and "leakage [outside_contracted]" in out
    code, out = ww(
        "metrics", "--store", paper, "--metric", "tasks_per_hour", "--by", "participant",
        "--format", "csv", "--boot", "0",
    )  # fmt: skip
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("participant,metric,key,label,unit,estimate,ci_low,ci_high")
    assert len(lines) == 3
    target = tmp_path / "m.parquet"
    code, out = ww(
        "metrics", "--store", paper, "--format", "parquet", "--out", str(target), "--boot", "0"
    )
    assert code == 0
    df = pd.read_parquet(target)
    assert {"metric", "key", "estimate", "ci_low", "ci_high", "flag"} <= set(df.columns)
    code, out = ww("metrics", "--store", paper, "--format", "parquet", "--boot", "0")
    assert code == 2 and "--out" in out


def test_compare_and_parameters(paper: str):
    code, out = ww(
        "metrics", "--store", paper, "--metric", "tasks_per_hour",
        "--compare", "session=paper:1", "--compare", "session=paper:2",
        "--format", "json", "--boot", "50", "--seed", "1",
    )  # fmt: skip
    assert code == 0
    data = json.loads(out)
    m = data["metrics"]["tasks_per_hour"]
    assert m["estimate_a"] == pytest.approx(2.6) and m["estimate_b"] == pytest.approx(3.0)
    assert m["difference"] == pytest.approx(-0.4)
    code, out = ww(
        "metrics", "--store", paper, "--metric", "management_in_fragments_pct",
        "--param", "fragment_minutes=6", "--filter", "session=paper:1", "--format", "json",
        "--boot", "0",
    )  # fmt: skip
    assert code == 0
    got = json.loads(out)["groups"][0]["metrics"]["management_in_fragments_pct"]["estimate"]
    assert got == pytest.approx(100 * 6 / 121)


def test_mistakes_are_messages(paper: str):
    code, out = ww("metrics", "--store", paper, "--metric", "happiness")
    assert code == 2 and "no metric 'happiness'" in out
    code, out = ww("metrics", "--store", paper, "--by", "weather")
    assert code == 2 and "cannot be grouped by 'weather'" in out
    code, out = ww("metrics", "--store", paper, "--filter", "site")
    assert code == 2 and "key=value" in out
    code, out = ww("metrics", "--store", paper, "--format", "yaml")
    assert code == 2 and "unknown format" in out
    code, out = ww("metrics", "--store", paper, "--compare", "site=S1")
    assert code == 2 and "exactly two" in out


def test_python_api(paper: str):
    with workweave.open(paper) as study:
        df = study.metrics(by=["session"], metric=["tasks_per_hour"], B=0)
        assert list(df.columns[:3]) == ["session", "metric", "key"]
        assert df.loc[df["session"] == "paper:1", "estimate"].item() == pytest.approx(2.6)
        one = study.metrics(filter={"session": "1"}, metric="multitasking_pct", seed=2, B=100)
        assert one["estimate"].item() == pytest.approx(5.0)
        assert set(one.columns) >= {
            "estimate", "ci_low", "ci_high", "n_participants", "n_sessions",
            "observed_hours", "flag",
        }  # fmt: skip
    with workweave.open(paper, backend="polars") as study:
        pl_df = study.metrics(metric="tasks_per_hour", B=0)
        assert pl_df.height == 1


def test_table_shows_headline_metrics_as_percent_and_json_stays_numeric(paper: str):
    from workweave.analysis.metrics.headline import HEADLINE_METRICS

    code, out = ww("metrics", "--store", paper, "--boot", "0")
    assert code == 0
    shown = {m for m in M.REGISTRY if f"│ {m} " in out}
    assert shown == set(HEADLINE_METRICS)
    assert "headline metrics shown; --all for all" in out
    # domain shares as % in the table (the dashboard's form), numbers in JSON
    assert (
        "domain_share_observed [managerial]" in out and "domain_share_observed [other]" not in out
    )
    code, full = ww("metrics", "--store", paper, "--boot", "0", "--all")
    assert code == 0 and "│ leakage " in full and "headline metrics shown" not in full
    code, js = ww("metrics", "--store", paper, "--boot", "0", "--format", "json")
    share = json.loads(js)["groups"][0]["metrics"]["share_observed"]["ADMIN"]
    assert 0 < share["estimate"] < 1 and share["unit"] == "proportion"
    assert (
        f"{share['estimate'] * 100:.1f} %"
        in ww("metrics", "--store", paper, "--boot", "0", "--metric", "share_observed")[1]
    )


def test_a_narrow_terminal_never_breaks_an_id(paper: str):
    code, out = ww("metrics", "--store", paper, "--boot", "0", "--all", columns=60)
    assert code == 0
    for m in M.METRICS:
        assert m.id in out  # whole, on one line
    code, out = ww("metrics", "--store", paper, "--boot", "0", "--by", "session", columns=100)
    assert code == 0 and "management_in_fragments_pct" in out


def test_values_and_ids_that_match_nothing_are_errors_that_say_what_exists(paper: str):
    code, out = ww("metrics", "--store", paper, "--filter", "participant=NOPE", "--boot", "0")
    assert code == 2 and "no participant 'NOPE'; the study has: P1" in out
    assert "nothing was changed" not in out  # metrics changes nothing
    code, out = ww("metrics", "--store", paper, "--filter", "session=PAPER:2", "--boot", "0")
    assert code == 2 and "did you mean 'paper:2'?" in out
    code, out = ww("metrics", "--store", paper, "--metric", "leakag", "--boot", "0")
    assert code == 2 and "no metric 'leakag' (did you mean 'leakage'?)" in out
    code, out = ww("metrics", "--store", paper, "--by", "sight", "--boot", "0")
    assert code == 2 and "did you mean 'site'?" in out
    code, out = ww(
        "metrics", "--store", paper, "--compare", "session=paper:1", "--compare",
        "session=paper:9", "--boot", "0",
    )  # fmt: skip
    assert code == 2 and "no session 'paper:9'" in out


def test_threads_and_a_memory_limit_change_nothing_but_the_machine(paper: str):
    args = ("metrics", "--store", paper, "--all", "--format", "csv", "--boot", "200", "--seed", "3")
    code, plain = ww(*args)
    assert code == 0, plain
    code, limited = ww(*args, "--threads", "1", "--memory-limit", "256MB")
    assert code == 0, limited
    assert limited == plain


def test_bad_limits_are_refused_before_any_work(paper: str):
    code, out = ww("metrics", "--store", paper, "--memory-limit", "lots")
    assert code == 2 and "--memory-limit: 'lots' is not a size" in out
    code, out = ww("metrics", "--store", paper, "--threads", "0")
    assert code == 2 and "--threads: 0 threads; give 1 to 1024" in out
    code, out = ww("metrics", "--store", paper, "--memory-limit", "1KB")
    assert code == 2 and "too small" in out
