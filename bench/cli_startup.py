"""Start-up time of the ``workweave`` command: ``--help`` and ``--version``, best and median of
several runs, and the slowest imports of ``--help`` (python -X importtime).

    .venv/bin/python bench/cli_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

WORKWEAVE = Path(sys.executable).with_name("workweave")


def timed(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([str(WORKWEAVE), *args], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return times


def slowest_imports(n: int = 12) -> list[tuple[int, str]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "workweave.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=7)
    runs = ap.parse_args().runs
    for args in (["--version"], ["--help"], ["metrics", "--help"]):
        t = timed(args, runs)
        print(
            f"workweave {' '.join(args):<16} best {min(t):.3f} s  median "
            f"{statistics.median(t):.3f} s  ({runs} runs)"
        )
    print("largest cumulative imports of --help (microseconds):")
    for us, name in slowest_imports():
        print(f"  {us:>9}  {name}")


if __name__ == "__main__":
    main()
