"""Count internal errors of every importer under fuzzing, without stopping at the first.

`tests/io/test_fuzz_importers.py` fails at an importer's first internal error; this runs the
same mutations (its seeds and its `mutated` strategy: bytes flipped, inserted or cut, rows
repeated, NUL, NaN/Infinity, huge numbers, long strings; and for .docx/.qdpx a valid archive
whose main member is mutated) and counts, per importer, the files read, the files refused
cleanly (`WorkweaveError`: what the CLI turns into exit 2) and the internal errors (any other
exception: what the CLI would end with exit 3), with the exception types.

    .venv/bin/python bench/importer_fuzz_count.py [--examples 200]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.io.test_fuzz_importers import READERS, mutated  # noqa: E402

from workweave.domain.errors import WorkweaveError  # noqa: E402


def count(read: Any, name: str, blobs: Any, examples: int) -> Counter[str]:
    outcome: Counter[str] = Counter()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(blobs)
    def run(blob: bytes) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_bytes(blob)
            try:
                read(path)
                outcome["read"] += 1
            except WorkweaveError:
                outcome["refused"] += 1
            except Exception as exc:  # an internal error: what the CLI ends with exit 3
                outcome["internal"] += 1
                outcome[f"internal:{type(exc).__name__}"] += 1

    run()
    return outcome


def rezip(members: dict[str, bytes], target: str) -> Any:
    def build(blob: bytes) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for n, d in members.items():
                z.writestr(n, blob if n == target else d)
        return buf.getvalue()

    return mutated(members[target]).map(build)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=200, help="fuzzed files per importer")
    args = ap.parse_args()
    cases: list[tuple[str, Any, str, Any]] = []
    for kind, (read, seed, name) in sorted(READERS.items()):
        cases.append((kind, read, name, mutated(seed())))
    for kind, target in (("docx", "word/document.xml"), ("qdpx", "project.qde")):
        read, seed, name = READERS[kind]
        with zipfile.ZipFile(io.BytesIO(seed())) as z:
            members = {n: z.read(n) for n in z.namelist()}
        cases.append((f"{kind} (member mutated)", read, name, rezip(members, target)))
    total: Counter[str] = Counter()
    t0 = time.monotonic()
    for kind, read, name, blobs in cases:
        c = count(read, name, blobs, args.examples)
        total += c
        types = ", ".join(f"{k[9:]} {v}" for k, v in sorted(c.items()) if k.startswith("internal:"))
        print(
            f"{kind:28s} files {c['read'] + c['refused'] + c['internal']:5d}: read {c['read']:4d},"
            f" refused {c['refused']:4d}, internal errors {c['internal']}"
            + (f" ({types})" if types else "")
        )
    files = total["read"] + total["refused"] + total["internal"]
    print(
        f"all {len(cases)} importer cases: {files} fuzzed files, {total['read']} read, "
        f"{total['refused']} refused cleanly (exit 2), {total['internal']} internal errors "
        f"(exit 3); {time.monotonic() - t0:.0f} s"
    )
    return 1 if total["internal"] else 0


if __name__ == "__main__":
    sys.exit(main())
