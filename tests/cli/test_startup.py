"""The command answers at once: ``--help`` and ``--version`` import no heavy library.

(No timing threshold here: the import list is what makes start-up fast or slow, and it does
not depend on how busy the machine is. ``bench/cli_startup.py`` prints the times.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "sqlalchemy",
    "alembic",
    "duckdb",
    "pandas",
    "numpy",
    "scipy",
    "pyarrow",
    "matplotlib",
    "fastapi",
    "starlette",
    "uvicorn",
    "jinja2",
    "argon2",
    "pyspark",
    "sklearn",
    "workweave.store",
    "workweave.services",
    "workweave.analysis",
    "workweave.report",
    "workweave.io",
    "workweave.web",
    "workweave.simulate",
)

PROBE = """
import json, sys
from workweave.cli.app import app
try:
    app(args=sys.argv[1:], prog_name="workweave")
except SystemExit:
    pass
heavy = %r
loaded = [m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy)]
print(json.dumps(sorted(loaded)), file=sys.stderr)
"""


def imported_by(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE % (HEAVY,), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("--version",),
        ("metrics", "--help"),
        ("import", "--help"),
        ("report", "--help"),
        ("serve", "--help"),
        ("participants", "--help"),
    ],
    ids=lambda a: " ".join(a),
)
def test_help_and_version_import_no_heavy_module(args: tuple[str, ...]) -> None:
    assert imported_by(*args) == []


def test_the_probe_would_see_a_heavy_import() -> None:
    # the same probe on a command that does real work lists what it loaded
    loaded = imported_by("metrics", "--list", "--format", "json")
    assert "workweave.analysis" in loaded


def test_version_prints_the_package_version() -> None:
    from workweave import __version__

    done = subprocess.run(
        [sys.executable, "-m", "workweave.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == f"workweave {__version__}"
