"""The same text gives the same outcome on SQLite and PostgreSQL: long imported values are
stored on both, NUL characters are refused on both before the database sees them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import WOMBAT_ROWS, wombat_edit, write_wombat
from workweave.domain import ValidationError
from workweave.services.studies import import_wombat
from workweave.store import Store


def _study(location: str) -> tuple[Store, int]:
    from workweave.domain import Study

    st = Store.create(location)
    return st, st.studies.create(Study(name="t"))


def test_a_wombat_value_over_200_characters_is_stored(store_location: str, tmp_path: Path) -> None:
    long_cat, long_place = "C" * 300, "Stanza " + "x" * 400
    rows = [
        wombat_edit(wombat_edit(WOMBAT_ROWS[0], "Cosa", long_cat), "Dove", long_place),
        *WOMBAT_ROWS[1:],
    ]
    st, sid = _study(store_location)
    import_wombat(st, sid, [write_wombat(tmp_path, rows)], timezone="Europe/Rome")
    (s,) = st.sessions.load(sid)
    assert s.tasks[0].category == long_cat
    assert s.tasks[0].dims["Dove"] == (long_place,)


def test_nul_in_a_wombat_file_is_refused_on_both(store_location: str, tmp_path: Path) -> None:
    rows = [wombat_edit(WOMBAT_ROWS[0], "Cosa", "Tera\x00pia"), *WOMBAT_ROWS[1:]]
    st, sid = _study(store_location)
    with pytest.raises(ValidationError, match="NUL"):
        import_wombat(st, sid, [write_wombat(tmp_path, rows)], timezone="Europe/Rome")
    assert st.sessions.load(sid) == []
