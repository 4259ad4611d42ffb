"""Hypothesis fuzzing of every importer: a valid file, mutated (bytes flipped, inserted or
cut, rows repeated, NUL, NaN/Infinity, huge numbers, very long strings), is either read or
refused with the documented error (``WorkweaveError``: ``ValidationError`` or
``NotFoundError``). Anything else is an internal error and fails the test.

The default run is quick (``WORKWEAVE_FUZZ_EXAMPLES``, 40 examples per importer); set the
variable higher for a longer search, e.g. ``WORKWEAVE_FUZZ_EXAMPLES=2000``.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import WOMBAT_HEADER, WOMBAT_ROWS
from workweave.domain.errors import WorkweaveError

EXAMPLES = int(os.environ.get("WORKWEAVE_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=EXAMPLES <= 40,  # the quick run is the same on every machine
)

TOKENS = [
    b"\x00",
    b"NaN",
    b"Infinity",
    b"-inf",
    b"1e309",
    b"99999999999999999999999",
    b"-1",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b'"',
    b",",
    b"\n",
    b"\r\n",
    b"x" * 5000,
    b"<",
    b"&amp;",
    b"]]>",
    b": [",
    b"{",
    b"0",
    b"00:00:00",
    b"25:61:61",
    b"2018-02-30",
    "\u00e9\u202e\U0001f600".encode(),
]


@st.composite
def mutated(draw: Any, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "cut", "delete", "repeat", "token"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "cut":
            del data[pos:]
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(1, 40))]
        elif kind == "repeat":
            line_end = data.find(b"\n", pos)
            if line_end >= 0:
                start = data.rfind(b"\n", 0, pos) + 1
                data[line_end + 1 : line_end + 1] = data[start : line_end + 1]
        else:
            data[pos:pos] = draw(st.sampled_from(TOKENS))
    return bytes(data)


def _check(read: Callable[[Path], Any], data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        with contextlib.suppress(WorkweaveError):
            read(path)


# -- the seeds: one valid file per importer ------------------------------------------------------


def _wombat() -> bytes:
    return ("\ufeff" + WOMBAT_HEADER + "\n" + "\n".join(WOMBAT_ROWS) + "\n").encode()


PLAN = b"participant,weekday,start,end,category\nP1,Mon,09:00,12:00,DCC\nP1,Tue,13:00,17:00,SPA\n"
ROLES = b"observer,session,role\n2,,primary\n,52,second\n"
VTT = (
    b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Ann>Hello there\n\n"
    b"00:00:05.000 --> 00:00:09.500\nAnd the budget?\n"
)
SRT = (
    b"1\n00:00:01,000 --> 00:00:04,000\nHello\n\n"
    b"2\n00:00:05,000 --> 00:00:09,500\n<i>The budget</i>\n"
)


def _template() -> bytes:
    from workweave.io.templates import builtin_template, write_template

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "t.yaml"
        write_template(builtin_template(), p)
        return p.read_bytes()


def _codebook() -> bytes:
    from workweave.io.codebooks import builtin_codebook, codebook_yaml

    return codebook_yaml(builtin_codebook()).encode()


def _payscale() -> bytes:
    from importlib import resources

    return (resources.files("workweave") / "payscales" / "england-2025-26.yaml").read_bytes()


def _docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("Interview with P01")
    d.add_paragraph("I fit management in between patients.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _qdpx() -> bytes:
    from workweave.io.codebooks import builtin_codebook
    from workweave.io.refiqda import QdaProject, write_qdpx

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "p.qdpx"
        write_qdpx(QdaProject(name="p", codebook=builtin_codebook()), p)
        return p.read_bytes()


def _qde() -> bytes:
    with zipfile.ZipFile(io.BytesIO(_qdpx())) as z:
        return z.read("project.qde")


def _readers() -> dict[str, tuple[Callable[[Path], Any], Callable[[], bytes], str]]:
    from workweave.io.codebooks import read_codebook
    from workweave.io.jobplan import read_job_plans
    from workweave.io.payscales import load_payscale
    from workweave.io.refiqda import read_codebook_file, read_qdc, read_qdpx
    from workweave.io.roles import read_roles
    from workweave.io.templates import read_template
    from workweave.io.transcripts import read_document
    from workweave.io.wombat import read_wombat

    def document(p: Path) -> Any:
        return read_document(p, participant="P1")

    return {
        "wombat": (read_wombat, _wombat, "export.csv"),
        "jobplan": (read_job_plans, lambda: PLAN, "plan.csv"),
        "roles": (read_roles, lambda: ROLES, "roles.csv"),
        "template": (read_template, _template, "t.yaml"),
        "codebook": (read_codebook, _codebook, "c.yaml"),
        "payscale": (load_payscale, _payscale, "pay.yaml"),
        "text": (document, lambda: "Interview\n\nwith P01 \u00e9\n".encode(), "i.txt"),
        "vtt": (document, lambda: VTT, "i.vtt"),
        "srt": (document, lambda: SRT, "i.srt"),
        "docx": (document, _docx, "i.docx"),
        "qdpx": (read_qdpx, _qdpx, "p.qdpx"),
        "qde": (read_qdpx, _qde, "p.qde"),
        "qdc": (read_qdc, _qde, "p.qdc"),
        "codebook-from-qdpx": (read_codebook_file, _qdpx, "c.qdpx"),
    }


READERS = _readers()


@pytest.mark.parametrize("kind", sorted(READERS))
def test_the_valid_seed_is_read(kind: str) -> None:
    read, seed, name = READERS[kind]
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / name
        p.write_bytes(seed())
        read(p)


@pytest.mark.parametrize("kind", sorted(READERS))
def test_mutated_files_are_read_or_refused_cleanly(kind: str) -> None:
    read, seed, name = READERS[kind]
    data = seed()

    @FUZZ
    @given(mutated(data))
    def run(blob: bytes) -> None:
        _check(read, blob, name)

    run()


@pytest.mark.parametrize("kind", ["docx", "qdpx"])
def test_mutated_zip_members_are_read_or_refused_cleanly(kind: str) -> None:
    """The archive stays a valid zip; one member's content is mutated."""
    read, seed, name = READERS[kind]
    with zipfile.ZipFile(io.BytesIO(seed())) as z:
        members = {n: z.read(n) for n in z.namelist()}
    target = "word/document.xml" if kind == "docx" else "project.qde"

    @FUZZ
    @given(mutated(members[target]))
    def run(blob: bytes) -> None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for n, d in members.items():
                z.writestr(n, blob if n == target else d)
        _check(read, buf.getvalue(), name)

    run()
