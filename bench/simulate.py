"""Benchmark: simulate a study of N tasks and stream it into a fresh SQLite store.

Runs `workweave simulate --tasks N` in a child process (as a user would) and reports wall time,
tasks per second, peak resident memory of the child and the size of the store. Not a test.

    .venv/bin/python bench/simulate.py --tasks 1000000
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", action="store_true", help="keep the store and print its path")
    args = ap.parse_args()
    exe = Path(sys.executable).with_name("workweave")
    folder = Path(tempfile.mkdtemp(prefix="ww-bench-"))
    try:
        subprocess.run(
            [str(exe), "init", "--study", "bench"], cwd=folder, check=True, capture_output=True
        )
        t0 = time.perf_counter()
        subprocess.run(
            [str(exe), "simulate", "--tasks", str(args.tasks), "--seed", str(args.seed)],
            cwd=folder,
            check=True,
        )
        seconds = time.perf_counter() - t0
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        size_mib = sum(p.stat().st_size for p in folder.glob("workweave.sqlite*")) / 2**20
        print(f"tasks requested      {args.tasks:>12,}")
        print(f"wall time            {seconds:>12.1f} s")
        print(f"tasks per second     {args.tasks / seconds:>12,.0f}")
        print(f"peak memory (RSS)    {peak_mib:>12,.0f} MiB")
        print(f"store size           {size_mib:>12,.0f} MiB")
        if args.keep:
            print(f"store kept in        {folder}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
