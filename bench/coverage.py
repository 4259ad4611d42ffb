"""Coverage study of the metric intervals: how often a 95 % interval holds the planted truth.

    .venv/bin/python bench/coverage.py                      # 20 seeds × 3 designs, B = 500
    .venv/bin/python bench/coverage.py --seeds 40 --boot 1000
    .venv/bin/python bench/coverage.py --write               # also regenerate the table in
                                                             # analysis/metrics/coverage.md

Each run simulates a small study (`workweave.simulate`, one observer per day:
``co_observed_share = 0``) with a number of participants per site drawn uniformly from the
design's range (3-5, 6-11 or 10-16), computes the metrics below by site with every interval
method (`workweave.analysis.metrics.stats.INTERVAL_METHODS`), and counts the site estimates
whose interval holds the value the simulator planted at that site:

- ``interruptions_per_hour``: the planted ``interruptions_per_hour`` (every interruption, a
  suspension or an interruption point event; the simulator's interrupting task suspends only
  the foreground task, so its interruption events and suspensions are the same count);
- ``clinical_displacement``: the planted ``mgmt_share_clinical`` (share of planned clinical
  time with a managerial task active).

Four sites per study, so a design gives 4 × seeds intervals per metric and method. Printed:
the coverage table (and, with --write, the file docs/metrics.md includes), coverage by the
number of participants behind the estimate (the basis of ``FLAG_BELOW``), and the run time.
The same seeds always give the same table.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from workweave.analysis import metrics as M
from workweave.analysis.metrics.stats import INTERVAL_METHODS
from workweave.io.templates import builtin_template
from workweave.services.metrics import prepare
from workweave.simulate import SimulationConfig, simulate

DESIGNS: dict[str, tuple[int, int]] = {"3-5": (3, 5), "6-11": (6, 11), "10-16": (10, 16)}
TARGETS: dict[str, str] = {
    "interruptions_per_hour": "interruptions_per_hour",
    "clinical_displacement": "mgmt_share_clinical",
}
TABLE_FILE = Path(__file__).resolve().parents[1] / "src/workweave/analysis/metrics/coverage.md"


def one_study(
    seed: int, design: tuple[int, int], sessions_each: int, B: int
) -> list[dict[str, object]]:
    """Interval rows (site, metric, method, n, covered, width) of one simulated study."""
    rng = np.random.default_rng([seed, design[0], design[1]])
    counts = tuple(int(n) for n in rng.integers(design[0], design[1] + 1, size=4))
    cfg = SimulationConfig(
        seed=seed,
        participants_per_site=counts,
        sessions_per_participant=sessions_each,
        co_observed_share=0.0,
    )
    sim = simulate(cfg)
    template = builtin_template(cfg.template)
    tables = M.from_sessions(list(sim.iter_sessions()), sim.participants, templates=[template])
    rows: list[dict[str, object]] = []
    with prepare(tables, threads=1) as engine:
        for method in INTERVAL_METHODS:
            df = engine.compute(by="site", metrics=list(TARGETS), seed=seed, B=B, interval=method)
            for r in df.itertuples(index=False):
                truth = getattr(sim.planted[str(r.site)], TARGETS[str(r.metric)])
                lo, hi = float(r.ci_low), float(r.ci_high)
                rows.append(
                    {
                        "site": r.site,
                        "metric": r.metric,
                        "method": method,
                        "n": int(r.n_participants),
                        "covered": bool(lo <= truth <= hi),
                        "width": hi - lo,
                    }
                )
    return rows


def table(results: dict[str, list[dict[str, object]]], seeds: int, B: int) -> str:
    """The coverage table as Markdown."""
    head = "| metric | participants per site | " + " | ".join(
        f"{m} coverage | {m} median width" for m in INTERVAL_METHODS
    )
    lines = [
        head + " |",
        "|---|---|" + "---:|---:|" * len(INTERVAL_METHODS),
    ]
    for metric in TARGETS:
        for design, rows in results.items():
            cells = []
            for method in INTERVAL_METHODS:
                mine = [r for r in rows if r["metric"] == metric and r["method"] == method]
                cov = np.mean([r["covered"] for r in mine])
                width = float(np.median([r["width"] for r in mine]))
                cells += [f"{cov:.0%} ({sum(bool(r['covered']) for r in mine)}/{len(mine)})"]
                cells += [f"{width:.3g}"]
            lines.append(f"| `{metric}` | {design} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def by_clusters(results: dict[str, list[dict[str, object]]]) -> str:
    """Coverage (both metrics together) by the number of participants behind the estimate."""
    pooled: dict[tuple[str, int], list[bool]] = defaultdict(list)
    for rows in results.values():
        for r in rows:
            pooled[str(r["method"]), int(r["n"])].append(bool(r["covered"]))  # type: ignore[call-overload]
    ns = sorted({n for _, n in pooled})
    lines = [
        "| participants | " + " | ".join(ns_ := [str(n) for n in ns]) + " |",
        "|---|" + "---:|" * len(ns_),
    ]
    for method in INTERVAL_METHODS:
        cells = []
        for n in ns:
            got = pooled.get((method, n), [])
            cells.append(f"{np.mean(got):.0%} ({len(got)})" if got else "")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20, help="simulated studies per design")
    ap.add_argument("--boot", type=int, default=500, help="bootstrap replicates (B)")
    ap.add_argument("--sessions", type=int, default=4, help="sessions per participant")
    ap.add_argument("--write", action="store_true", help=f"write the table to {TABLE_FILE}")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    results: dict[str, list[dict[str, object]]] = {}
    for design, bounds in DESIGNS.items():
        rows: list[dict[str, object]] = []
        for seed in range(1, args.seeds + 1):
            rows += one_study(seed, bounds, args.sessions, args.boot)
        results[design] = rows
        print(f"design {design}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    elapsed = time.perf_counter() - started
    text = (
        f"Coverage of nominal 95 % intervals of the planted site values: {args.seeds} "
        f"simulated studies per design × 4 sites, {args.sessions} sessions per participant, "
        f"one observer per day, B = {args.boot} (bench/coverage.py).\n\n"
        + table(results, args.seeds, args.boot)
        + "\nBy the number of participants behind the estimate (both metrics, all designs; "
        "runs in brackets):\n\n" + by_clusters(results)
    )
    print(text)
    print(f"run time: {elapsed:.0f} s", file=sys.stderr)
    if args.write:
        TABLE_FILE.write_text(text, encoding="utf-8")
        print(f"wrote {TABLE_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
