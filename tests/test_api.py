from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import workweave
from tests.factories import WOMBAT_ROWS, wombat_edit, write_wombat
from workweave.domain import ValidationError
from workweave.services.studies import import_wombat


def test_open_returns_study_tables_as_dataframes(workspace: Path) -> None:
    with workweave.open(workspace) as study:
        import_wombat(
            study.store, study.study_id, [write_wombat(workspace, WOMBAT_ROWS)], timezone="UTC"
        )
        tasks = study.tasks()
        assert list(tasks["task_key"]) == ["2_52_1", "2_52_2", "2_52_3"]
        assert study.sessions().loc[0, "source_id"] == "52"
        assert study.summary()["total"]["tasks"] == 3
        (s,) = study.load_sessions(source_ids=["52"])
        assert s.tasks[0].active_seconds == 180
        assert "test" in repr(study)
    with workweave.open(workspace / "workweave.sqlite", backend="polars") as study:
        df = study.suspensions()
        assert isinstance(df, pl.DataFrame) and df.height == 1
    with pytest.raises(ValidationError, match="backend"):
        workweave.open(workspace, backend="spark")


def test_ior_from_python(workspace: Path) -> None:
    other = [
        wombat_edit(r, "observer id", "3").replace(",52,", ",58,").replace("2_52_", "3_58_")
        for r in WOMBAT_ROWS
    ]
    with workweave.open(workspace) as study:
        import_wombat(
            study.store,
            study.study_id,
            [write_wombat(workspace, WOMBAT_ROWS), write_wombat(workspace, other, "b.csv")],
            timezone="UTC",
        )
        res = study.ior("52", "58")
        assert res["pK1"] == 1.0 and res["NAg"] == 100.0 and res["warnings"] == []
        table = study.ior_table()
        assert list(table["session_a"]) == ["52"] and table.loc[0, "NW_score"] == 1.0
