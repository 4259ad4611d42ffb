"""Benchmark: decompression bombs are refused quickly and with little memory.

Builds a .docx whose document part expands to 300 MB and a .qdpx whose one source expands to
800 MB (both under a megabyte on disk), then reads each in a fresh process and prints the
time to refusal and the process's peak memory (as the import would run it).

    .venv/bin/python bench/zip_bombs.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.factories import docx_bomb, qdpx_bomb  # noqa: E402

PROBE = """
import resource, sys, time
from workweave.domain.errors import ValidationError
t0 = time.perf_counter()
try:
    if sys.argv[1].endswith(".docx"):
        from workweave.io.transcripts import read_transcript_file
        read_transcript_file(sys.argv[1])
    else:
        from workweave.io.refiqda import read_qdpx
        read_qdpx(sys.argv[1])
    outcome = "ACCEPTED"
except ValidationError as exc:
    outcome = "refused: " + str(exc)[:110]
dt = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{dt*1000:.0f} ms, peak RSS {rss:.0f} MiB, {outcome}")
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for path, size in (
            (docx_bomb(Path(tmp) / "bomb.docx", 300 * 10**6), 300),
            (qdpx_bomb(Path(tmp) / "bomb.qdpx", 800 * 10**6), 800),
        ):
            kb = path.stat().st_size / 1000
            out = subprocess.run(
                [sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True
            )
            print(f"{path.name}: {kb:.0f} KB on disk, expands to {size} MB -> {out.stdout.strip()}")
            if out.returncode:
                print(out.stderr)
    base = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource, workweave.io.refiqda, workweave.io.transcripts;"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)",
        ],
        capture_output=True,
        text=True,
    )
    print(f"(peak RSS of a process that only imports the readers: {base.stdout.strip()} MiB)")


if __name__ == "__main__":
    main()
