"""Observer role mapping files: checked whole, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from workweave.domain import ValidationError
from workweave.io.roles import read_roles


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "roles.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_roles_by_observer_and_by_session(tmp_path: Path) -> None:
    m = read_roles(write(tmp_path, "Observer,Session,Role\n27,,primary\n,58,second\n\n"))
    assert m.by_observer == {"27": "primary"} and m.by_session == {"58": "second"}
    assert m.role("27", "58") == "second"  # the session's own row wins
    assert m.role("27", "1") == "primary" and m.role("3", "1") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("who,role\n1,primary\n", "'observer' or 'session' column"),
        ("observer,role\n27,boss\n", "not one of primary, second"),
        ("observer,session,role\n27,58,primary\n", "one of them"),
        ("observer,role\n27,primary\n27,second\n", "two roles"),
        ("observer,role\n" + "x" * 300 + ",primary\n", "longer than"),
        ("observer,role\n27\x00,primary\n", "NUL"),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        read_roles(write(tmp_path, text))


def test_missing_or_binary(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no such file"):
        read_roles(tmp_path / "nope.csv")
    p = tmp_path / "bin.csv"
    p.write_bytes(b"\xff\xfe\x00observer")
    with pytest.raises(ValidationError, match=r"UTF-8|NUL"):
        read_roles(p)
