"""Benchmark: inter-observer reliability of a simulated 8-hour co-observed pair.

Builds two sessions of about 3,000 tasks each (multitasking and interruptions included):
observer 1 is simulated with a seeded NumPy generator, observer 2 is a perturbed copy (times
jittered, some categories renamed, some tasks missed, task ids of its own). Then times
``ior_pair`` (all ten measures) and reports peak memory.

    uv run python bench/ior.py [--tasks 3000] [--hours 8] [--seed 7] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import numpy as np

from workweave.analysis.reliability import ior_pair, needleman_wunsch, session_fragments
from workweave.domain.observation import Session, Suspension, Task

CATEGORIES = (
    "Terapia",
    "ComProfessionale",
    "Spostamenti",
    "Documentazione",
    "Assistenza diretta",
    "Handover",
    "Igiene",
    "Procedure",
    "Farmaci",
    "Telefono",
    "Pausa",
    "Altro",
)
T0 = datetime(2024, 3, 4, 7, 0, tzinfo=UTC)


def simulate_records(
    rng: np.random.Generator, n_tasks: int, length: int
) -> list[tuple[int, int, int, list[tuple[int, int]]]]:
    """(start, end, category, suspensions) in seconds, in recording order."""
    gaps = rng.exponential(1.0, n_tasks)
    starts = np.floor(np.cumsum(gaps) / gaps.sum() * (length - 120)).astype(int)
    out = []
    for k, s in enumerate(starts):
        nxt = int(starts[k + 1]) if k + 1 < n_tasks else length - 1
        base = max(1, nxt - int(s))
        # 20% multitasking: the task runs on past the next task's start.
        dur = base + int(rng.integers(5, 60)) if rng.random() < 0.2 else base
        e = min(int(s) + dur, length - 1)
        if e <= s:
            e = int(s) + 1
        susp: list[tuple[int, int]] = []
        if e - s > 8 and rng.random() < 0.1:  # an interruption inside the task
            a = int(s) + int(rng.integers(1, (e - s) // 2))
            b = a + int(rng.integers(1, max(2, (e - a) // 2)))
            if b < e:
                susp.append((a, b))
                e += b - a  # the suspended time is added to the task's elapsed time
        cat = int(rng.choice(len(CATEGORIES), p=_weights()))
        out.append((int(s), min(e, length - 1), cat, susp))
    return out


def _weights() -> np.ndarray:
    w = np.array([5, 4, 4, 3, 3, 1, 2, 2, 2, 1, 1, 1], dtype=float)
    return w / w.sum()


def perturb(
    rng: np.random.Generator, records: list[tuple[int, int, int, list[tuple[int, int]]]]
) -> list[tuple[int, int, int, list[tuple[int, int]]]]:
    """The second observer: jittered times, 12% relabelled, 3% missed."""
    out = []
    for s, e, c, susp in records:
        if rng.random() < 0.03:
            continue
        j = int(rng.integers(-3, 4))
        s2, e2 = max(0, s + j), max(0, e + int(rng.integers(-3, 4)))
        if e2 <= s2:
            e2 = s2 + 1
        c2 = int(rng.integers(len(CATEGORIES))) if rng.random() < 0.12 else c
        susp2 = [(a, b) for a, b in susp if s2 < a < b < e2]
        out.append((s2, e2, c2, susp2))
    return out


def make_session(
    records: list[tuple[int, int, int, list[tuple[int, int]]]],
    *,
    observer: str,
    session_id: str,
    length: int,
) -> Session:
    def at(sec: int) -> datetime:
        return T0 + timedelta(seconds=sec)

    tasks = []
    for n, (s, e, c, susp) in enumerate(records, start=1):
        tasks.append(
            Task(
                key=f"{observer}_{session_id}_{n + 900}",  # crosses 999 -> 1000 (string order)
                category=CATEGORIES[c],
                start=at(s),
                end=at(e),
                suspensions=tuple(Suspension(at(a), at(b)) for a, b in susp),
                seq=n,
            )
        )
    return Session(
        key=f"bench:{session_id}",
        participant="ward:nurse-1",
        site="ward",
        start=T0,
        end=at(length),
        observer=observer,
        source="simulated",
        source_id=session_id,
        tasks=tuple(tasks),
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=3000)
    ap.add_argument("--hours", type=float, default=8.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    length = int(args.hours * 3600)
    rng = np.random.default_rng(args.seed)
    rec_a = simulate_records(rng, args.tasks, length)
    rec_b = perturb(rng, rec_a)
    a = make_session(rec_a, observer="11", session_id="801", length=length)
    b = make_session(rec_b, observer="7", session_id="802", length=length)
    n_susp = sum(len(t.suspensions) for t in a.tasks)
    print(
        f"simulated pair: {args.hours:g} h, {len(a.tasks)} + {len(b.tasks)} tasks, "
        f"{n_susp} interruptions in the first record"
    )

    times = []
    result = None
    for _ in range(args.repeat):
        t = time.perf_counter()
        result = ior_pair(a, b)
        times.append(time.perf_counter() - t)
    assert result is not None

    # Needleman-Wunsch alone (the quadratic step).
    fa = session_fragments(a, horizon=length)
    fb = session_fragments(b, horizon=length)
    t = time.perf_counter()
    needleman_wunsch([f.category for f in fb], [f.category for f in fa])
    t_nw = time.perf_counter() - t

    tracemalloc.start()
    ior_pair(a, b)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_mb = rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024

    print(
        f"fragments: {result.n_fragments_a} + {result.n_fragments_b}, "
        f"{result.n_seconds} seconds, M = {result.M}"
    )
    for name, value in result.measures().items():
        print(f"  {name:9s} {'undefined' if value is None else f'{value:.6f}'}")
    print(f"all ten measures: best {min(times):.3f} s, mean {sum(times) / len(times):.3f} s")
    print(f"  of which Needleman-Wunsch: {t_nw:.3f} s")
    print(f"peak traced memory during ior_pair: {peak / 2**20:.1f} MiB")
    print(f"peak resident set size of the process: {rss_mb:.1f} MiB")
    if result.warnings:
        print(f"warnings: {len(result.warnings)} (first: {result.warnings[0]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
