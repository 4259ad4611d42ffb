"""The Python examples in README.md and docs/*.md run as written.

Each ```python block runs in a fresh namespace with the current folder holding a `demo`
workspace (the synthetic demo study) and, when ../shared is here, `exports/study.csv` (a real
WOMBAT export). A block whose first line is `# not run: <reason>` is shown to readers but not
run (for example one that serves forever); the reason is reported as the skip reason.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, WOMBAT_DIR

FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
NOT_RUN = re.compile(r"^# not run: (.+)$")


def _blocks() -> list[tuple[str, str]]:
    found = []
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            found.append((f"{doc.relative_to(REPO)}:{line}", m.group(1)))
    return found


BLOCKS = _blocks()


@pytest.fixture(scope="module")
def docs_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from workweave.services.studies import create_demo_workspace

    folder = tmp_path_factory.mktemp("docs")
    store, _, _ = create_demo_workspace(folder / "demo")
    store.close()
    concordance = WOMBAT_DIR / "dati_prove_concordanza_5_28.csv"
    if concordance.exists():
        (folder / "exports").mkdir()
        shutil.copy(concordance, folder / "exports" / "study.csv")
    return folder


def test_the_docs_have_python_examples() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.slow
@pytest.mark.parametrize(("where", "code"), BLOCKS, ids=[w for w, _ in BLOCKS])
def test_example_runs(
    where: str, code: str, docs_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = code.splitlines()[0] if code.strip() else ""
    if m := NOT_RUN.match(first):
        pytest.skip(m.group(1))
    if "exports/" in code and not (docs_folder / "exports").exists():
        pytest.skip("the WOMBAT exports in ../shared/data are not here")
    monkeypatch.chdir(docs_folder)
    exec(compile(code, where, "exec"), {"__name__": "__docs__"})
