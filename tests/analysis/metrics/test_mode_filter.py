"""`mode` as a filter: observed sessions (shadowing, imported) apart from self-reports, in the
engine, the Python service and `workweave metrics --filter mode=...`; a mode that does not
exist is a clear error, not an empty table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.analysis.metrics.paper import P1, P2, paper_sessions
from tests.factories import at, session, task
from tests.factories import drawn_study as write_store
from workweave.cli import app
from workweave.domain.errors import ValidationError
from workweave.services import metrics

runner = CliRunner()


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The paper study plus one self-reported hour of P1's (no observer)."""
    day = "2025-01-08"
    own = session(
        "self:1",
        "P1",
        at(day, "09:00"),
        at(day, "10:00"),
        [task("s1", "ADMIN", at(day, "09:00"), at(day, "10:00"), seq=1)],
        observer=None,
    )
    assert own.mode == "self-report"
    path = tmp_path_factory.mktemp("modes") / "store.sqlite"
    store, _ = write_store(path, [*paper_sessions(), own], [P1, P2])
    store.close()
    return str(path)


def sessions_counted(location: str, **kw: object) -> int:
    from workweave.store import Store

    store = Store.open(location)
    try:
        df = metrics.compute(store, study="paper", metrics="tasks_per_hour", B=0, **kw)
    finally:
        store.close()
    return int(df["n_sessions"].iloc[0]) if len(df) else 0


def test_mode_filters_sessions(mixed: str) -> None:
    assert sessions_counted(mixed) == 4
    assert sessions_counted(mixed, filter={"mode": "self-report"}) == 1
    assert sessions_counted(mixed, filter={"mode": ["shadowing", "imported"]}) == 3
    assert sessions_counted(mixed, filter={"mode": "imported"}) == 0


def test_an_unknown_mode_is_a_clear_error(mixed: str) -> None:
    with pytest.raises(ValidationError, match=r"no session mode 'selfreport'.*self-report"):
        sessions_counted(mixed, filter={"mode": "selfreport"})


def test_cli_filters_by_mode(mixed: str) -> None:
    args = ["metrics", "--store", mixed, "--metric", "tasks_per_hour", "--boot", "0"]
    result = runner.invoke(app, [*args, "--filter", "mode=shadowing,imported", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["filter"] == {"mode": ["shadowing", "imported"]}
    assert data["groups"][0]["metrics"]["tasks_per_hour"]["n_sessions"] == 3
    result = runner.invoke(app, [*args, "--filter", "mode=observed"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "no session mode 'observed'" in result.output


def test_docs_name_the_modes() -> None:
    text = (Path(__file__).resolve().parents[3] / "docs" / "metrics.md").read_text()
    assert "`--filter mode=shadowing,imported`" in text
