"""``workweave calibration``: a pair as a table and as JSON (the same service as the web page),
recording a pass, and the study settings."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.factories import seed_users_study as seed
from tests.services.test_calibration import DAY, key_of, record
from workweave.cli import app
from workweave.store import Store

runner = CliRunner()
RECODED = [("ADMIN", 0, 600), ("MEET", 600, 1500), ("MEET", 1500, 2100), ("ADMIN", 2100, 2400)]


def test_calibration_cli(tmp_path: Path) -> None:
    location = str(tmp_path / "w.sqlite")
    st = Store.create(location)
    seed(st)
    a = key_of(record(st, "obs1", DAY))
    b = key_of(record(st, "obs2", DAY, offset=10))
    c = key_of(record(st, "obs1", DAY, participant="P2"))
    d = key_of(record(st, "obs2", RECODED, participant="P2"))
    opts = ["--store", location, "--study", "s1"]

    r = runner.invoke(app, ["calibration", "pair", a, b, *opts])
    assert r.exit_code == 0, r.output
    assert "PASSED: time-sliced kappa 1.000, threshold 0.80" in r.output
    assert "time_sliced_kappa (compared)" in r.output and "NW_score" in r.output
    assert "recorded" not in r.output

    r = runner.invoke(app, ["calibration", "pair", c, d, "--json", *opts])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["passed"] is False and data["measure"] == "time_sliced_kappa"
    assert data["disagreements"] == [{"start": 600, "end": 1500, "a": "DCC", "b": "MEET"}]
    assert data["kappa"] is not None and data["kappa"] < 0.8

    r = runner.invoke(app, ["calibration", "pair", a, b, "--record", *opts])
    assert r.exit_code == 0 and "recorded as passed for OBS-1, OBS-2" in r.output

    r = runner.invoke(app, ["calibration", "pair", a, c, *opts])
    assert r.exit_code == 2 and "not co-observed" in r.output
    r = runner.invoke(app, ["calibration", "pair", a, "nope", *opts])
    assert r.exit_code == 2 and "Traceback" not in r.output

    r = runner.invoke(app, ["calibration", "settings", *opts])
    assert r.exit_code == 0 and "threshold 0.80" in r.output and "not required" in r.output
    r = runner.invoke(app, ["calibration", "settings", "--threshold", "0.9", "--require", *opts])
    assert r.exit_code == 0 and "threshold 0.90" in r.output and "is required" in r.output
    r = runner.invoke(app, ["calibration", "settings", "--json", *opts])
    data = json.loads(r.output)
    assert data["threshold"] == 0.9 and data["required"] is True
    assert {p["observer"] for p in data["passed"]} == {"OBS-1", "OBS-2"}
    r = runner.invoke(app, ["calibration", "settings", "--threshold", "nan", *opts])
    assert r.exit_code == 2 and "threshold" in r.output
    r = runner.invoke(app, ["calibration", "settings", "--no-require", *opts])
    assert r.exit_code == 0 and "not required" in r.output and "0.90" in r.output
