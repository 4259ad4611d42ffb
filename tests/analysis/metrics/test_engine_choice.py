"""Choosing the engine: unknown names and misplaced options are refused with one line; block
dependencies are found in the blocks' SQL, so a computation builds only what it reads."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.analysis.metrics.paper import paper_participants, paper_sessions
from tests.factories import drawn_study
from workweave.analysis.metrics import blocks
from workweave.analysis.metrics.engines import to_spark
from workweave.cli import app
from workweave.domain.errors import ValidationError
from workweave.services import metrics as svc


@pytest.fixture(scope="module")
def paper(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("engine") / "paper.sqlite"
    store, _ = drawn_study(path, paper_sessions(), paper_participants())
    store.close()
    return str(path)


def test_an_unknown_engine_is_refused_in_one_line(paper):
    result = CliRunner().invoke(app, ["metrics", "--store", paper, "--engine", "presto"])
    assert result.exit_code == 2
    assert "unknown engine 'presto'" in result.output
    assert "Traceback" not in result.output


def test_a_spark_address_needs_the_spark_engine(paper):
    result = CliRunner().invoke(
        app, ["metrics", "--store", paper, "--spark-remote", "sc://localhost:15002"]
    )
    assert result.exit_code == 2
    assert "--spark-remote goes with the spark engine" in result.output


def test_a_spark_address_is_an_sc_url():
    with pytest.raises(ValidationError, match="sc://"):
        from workweave.analysis.metrics.engines import spark_session

        spark_session("http://localhost:15002")


def test_the_time_budget_builds_only_the_blocks_it_reads(paper):
    from workweave.store import Store

    store = Store.open(paper)
    try:
        with svc.prepare(store, study_id=1) as engine:
            engine.time_budget(overlap="sum")
            built = set(engine.timings)  # every block built (intermediates may be dropped)
    finally:
        store.close()
    # the sum of active times reads T's parts (T0 and the suspended time XU), not T, and
    # no active pieces (PX, P)
    assert {"S", "T0", "XU"} <= built
    assert not built & {"T", "TX", "PX", "P", "W", "PS", "FG", "RUNS", "CB", "PSC", "WC"}


def test_the_light_time_budget_equals_the_one_read_from_t(paper):
    import pandas as pd

    from workweave.store import Store

    store = Store.open(paper)
    try:
        with svc.prepare(store, study_id=1) as engine:
            light = engine.time_budget(by="participant", overlap="sum")
            assert "T" not in engine.timings
        with svc.prepare(store, study_id=1) as engine:
            engine.compute(metrics=["tasks_per_hour"], B=0)
            assert "T" in engine.timings
            from_t = engine.time_budget(by="participant", overlap="sum")
    finally:
        store.close()
    assert len(light) > 0
    pd.testing.assert_frame_equal(light, from_t, check_exact=False, rtol=1e-12)


def test_blocks_are_built_after_what_they_read():
    order = blocks.needed({"PSC", "EP"})
    assert order.index("P") < order.index("W") < order.index("PS") < order.index("PSC")
    assert order.index("FG") < order.index("RUNS") < order.index("EP")
    assert "TD" not in order


def test_every_block_transpiles_to_spark_sql():
    for block in blocks.BLOCKS.values():
        if block.where == "engine":
            assert to_spark(block.sql).startswith(("SELECT", "WITH"))
    # DuckDB's exclusive range() would turn into Spark's inclusive sequence(): the blocks use
    # generate_series, inclusive on both
    assert "range(" not in blocks.BLOCKS["PS"].sql.lower().replace("generate_series", "")
