"""``workweave import boris``, ``export boris`` and ``boris budget|kappa``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from workweave.cli.app import app

runner = CliRunner()


def project(tmp: Path, *, unpaired: bool = False) -> Path:
    events = [[1.0, "A", "walk", "", ""], [4.0, "A", "walk", "", ""], [5.0, "A", "talk", "", ""]]
    if not unpaired:
        events.append([9.0, "A", "talk", "", ""])
    data = {
        "project_name": "cli",
        "project_date": "2024-01-01T00:00:00",
        "behaviors_conf": {
            "0": {"type": "State event", "code": "walk", "modifiers": {}},
            "1": {"type": "State event", "code": "talk", "modifiers": {}},
        },
        "observations": {
            name: {
                "type": "LIVE",
                "date": "2024-01-01T09:00:00",
                "independent_variables": {"observer": obs},
                "events": events,
            }
            for name, obs in (("o1", "X"), ("o2", "Y"))
        },
    }
    p = tmp / ("bad.boris" if unpaired else "p.boris")
    p.write_text(json.dumps(data))
    return p


def test_import_export_budget_kappa(workspace: Path) -> None:
    r = runner.invoke(app, ["import", "boris", str(project(workspace))])
    assert r.exit_code == 0, r.output
    assert "stored 2 new sessions (4 tasks)" in r.output
    r = runner.invoke(app, ["import", "boris", str(project(workspace))])
    assert "2 unchanged" in r.output
    r = runner.invoke(app, ["boris", "budget", "o1", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert [(x["behaviour"], x["total_s"], x["percent_of_observation"]) for x in rows] == [
        ("talk", 4.0, 44.4),
        ("walk", 3.0, 33.3),
    ]
    r = runner.invoke(app, ["boris", "kappa", "o1", "o2", "--interval", "1", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["kappa"] == 1.0
    out = workspace / "out.boris"
    r = runner.invoke(app, ["export", "boris", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert len(json.loads(out.read_text())["observations"]) == 2


def test_bad_project_is_a_message_and_changes_nothing(workspace: Path) -> None:
    r = runner.invoke(app, ["import", "boris", str(project(workspace, unpaired=True))])
    assert r.exit_code == 2
    assert "observation 'o1', event 3" in r.output and "never stopped" in r.output
    r = runner.invoke(app, ["boris", "budget", "--format", "json"])
    assert json.loads(r.output) == []
    r = runner.invoke(app, ["import", "boris", str(workspace / "missing.boris")])
    assert r.exit_code == 2
