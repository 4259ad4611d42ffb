"""Governance on both backends: the audit chain under concurrent appends and its tamper
check, consent withdrawal that acts, erasure leaving no row naming the person, subject access,
backup and restore, retention and purge, and the key store."""

from __future__ import annotations

import json
import re
import shutil
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from workweave.domain.errors import NotFoundError, ValidationError
from workweave.io.keystore import KeyStoreError, write_key_file
from workweave.services import accounts, audit, governance
from workweave.services import metrics as metrics_service
from workweave.services.studies import simulate_into, summary
from workweave.store import Store


def _study(location: str) -> Iterator[tuple[Store, int]]:
    store = Store.create(location)
    sid, _, _ = simulate_into(store, seed=3, target_tasks=1500, study="gov")
    accounts.prepare_demo_users(store, "gov")
    yield store, sid
    store.close()


@pytest.fixture
def study(store_location: str) -> Iterator[tuple[Store, int]]:
    """The study on each backend (for what the backends do differently)."""
    yield from _study(store_location)


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[tuple[Store, int]]:
    """The study on SQLite only (for what does not depend on the backend)."""
    yield from _study(str(tmp_path / "lite.sqlite"))


def mentions(store: Store, code: str) -> list[str]:
    """Every (table.column) outside the audit trail whose text names the code as a token."""
    pattern = re.compile(r"(?<![A-Za-z0-9])" + re.escape(code) + r"(?![A-Za-z0-9])")
    found = []
    names = inspect(store.engine).get_table_names()
    with store.engine.connect() as conn:
        for table in names:
            if table == "audit_log":
                continue
            result = conn.execute(text(f'SELECT * FROM "{table}"'))
            cols = list(result.keys())
            for row in result:
                for col, value in zip(cols, row, strict=True):
                    if isinstance(value, str) and pattern.search(value):
                        found.append(f"{table}.{col}")
    return sorted(set(found))


def test_concurrent_appends_keep_one_linear_chain(store_location: str) -> None:
    store = Store.create(store_location)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(15):
                audit.record(store, "test.append", target=f"t{n}-{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    result = audit.verify(store)
    assert result.ok and result.checked == 60
    store.close()


def test_verify_fails_after_an_entry_is_altered_or_deleted(study: tuple[Store, int]) -> None:
    store, _ = study
    assert audit.verify(store).ok
    n = audit.verify(store).checked
    assert n >= 3
    with store.transaction() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE seq = 2"))
    result = audit.verify(store)
    assert not result.ok and result.first_bad == 2
    with store.transaction() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    result = audit.verify(store)
    assert not result.ok and result.first_bad == 2 and "deleted" in result.problem


def test_the_last_entry_deleted_is_noticed(lite: tuple[Store, int]) -> None:
    store, _ = lite
    last = audit.verify(store).checked
    with store.transaction() as conn:
        conn.execute(text(f"DELETE FROM audit_log WHERE seq = {last}"))
    result = audit.verify(store)
    assert not result.ok and result.first_bad == last


def test_withdrawal_excludes_the_person_from_every_figure(lite: tuple[Store, int]) -> None:
    store, sid = lite
    code = store.studies.participants(sid)[0].code
    before = summary(store, sid)
    governance.withdraw(store, sid, code, note="asked by phone")
    after = summary(store, sid)
    assert after["excluded_withdrawn"] == 1
    assert code not in {r["group"] for r in after["by_participant"]}
    assert after["total"]["sessions"] < before["total"]["sessions"]
    frame = metrics_service.compute(
        store, study_id=sid, by="participant", metrics="interruptions_per_hour", B=0
    )
    assert code not in set(frame["participant"].astype(str))
    assert store.analytic.frame("participants", sid)["participant"].ne(code).all()
    actions = [e.action for e in audit.entries(store)]
    assert "consent.record" in actions
    # consent given again: included again
    accounts.record_consent(store, sid, code, given=True, by=None)
    assert summary(store, sid)["excluded_withdrawn"] == 0


def test_withdrawn_participant_report_is_refused(lite: tuple[Store, int]) -> None:
    from workweave.report import participant_report

    store, sid = lite
    code = store.studies.participants(sid)[0].code
    governance.withdraw(store, sid, code)
    with pytest.raises(ValidationError, match="withdrawn consent"):
        participant_report(store, sid, code)


def test_erasure_leaves_no_row_naming_the_person(study: tuple[Store, int], tmp_path: Path) -> None:
    store, sid = study
    code = store.studies.participants(sid)[0].code
    assert mentions(store, code)  # the scan finds them before
    export = governance.subject_access(store, sid, code, tmp_path)
    (tmp_path / "gov-other-report.html").write_text(f"<td>{code}</td>", encoding="utf-8")
    done = governance.erase(store, sid, code, folders=[tmp_path])
    assert mentions(store, code) == []
    assert done.rows["sessions"] > 0 and done.rows["participants"] == 1
    assert not export.exists() and str(export) in done.files_deleted
    assert done.files_mentioning == [str(tmp_path / "gov-other-report.html")]
    last = audit.entries(store, action="participant.erase")[-1]
    assert last.target == f"participant:{done.code_hash}" and code not in json.dumps(last.as_dict())
    assert audit.verify(store).ok
    with pytest.raises(NotFoundError):
        governance.erase(store, sid, code)


def test_subject_access_holds_everything_about_the_person(
    lite: tuple[Store, int], tmp_path: Path
) -> None:
    store, sid = lite
    code = store.studies.participants(sid)[0].code
    path = governance.subject_access(store, sid, code, tmp_path)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        data = json.loads(z.read(next(n for n in names if n.endswith("everything.json"))))
    assert data["participant"] == code
    assert data["tables"]["participants"][0]["code"] == code
    assert data["tables"]["sessions"] and data["tables"]["tasks"]
    assert any(n.endswith("sessions.csv") for n in names)
    assert audit.entries(store, action="participant.export")[-1].target == f"participant:{code}"


def test_backup_and_restore_round_trip(study: tuple[Store, int], tmp_path: Path) -> None:
    store, sid = study
    if store.engine.dialect.name != "sqlite" and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    n_sessions = store.analytic.counts(sid)["sessions"]
    file = governance.backup(store, tmp_path / "backup.bin")
    check = governance.check_backup(file)
    assert check.kind in ("sqlite", "postgresql")
    if store.engine.dialect.name == "sqlite":
        target = str(tmp_path / "restored.sqlite")
        governance.restore(file, target)
        with pytest.raises(governance.BackupError, match="--force"):
            governance.restore(file, target)
        restored = Store.open(target)
    else:
        # restore over the same database: refused without force, then done with it
        with pytest.raises(governance.BackupError, match="--force"):
            governance.restore(file, store.engine.url.render_as_string(hide_password=False))
        url = store.engine.url.render_as_string(hide_password=False)
        store.engine.dispose()
        governance.restore(file, url, force=True)
        restored = Store.open(url)
    try:
        assert restored.analytic.counts(sid)["sessions"] == n_sessions
        assert audit.verify(restored).ok
        assert audit.entries(restored)[-1].action == "backup.restore"
    finally:
        restored.close()


def test_a_damaged_or_tampered_backup_is_refused(tmp_path: Path) -> None:
    store = Store.create(tmp_path / "s.sqlite")
    audit.record(store, "test.x")
    audit.record(store, "test.y")
    file = governance.backup(store, tmp_path / "b.sqlite")
    store.close()
    tampered = Store.open(file)
    with tampered.transaction() as conn:
        conn.execute(text("UPDATE audit_log SET action = 'test.z' WHERE seq = 1"))
    tampered.close()
    with pytest.raises(governance.BackupError, match="broken at entry 1"):
        governance.check_backup(file)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all")
    with pytest.raises(governance.BackupError):
        governance.check_backup(junk)


def test_purge_is_a_dry_run_until_told(lite: tuple[Store, int]) -> None:
    store, sid = lite
    governance.set_retention(store, sid, "2020-01-31")
    items = governance.purge(store)
    assert [i.study for i in items] == ["gov"] and items[0].rows["sessions"] > 0
    assert store.analytic.counts(sid)["sessions"] > 0
    governance.purge(store, apply=True)
    assert [s.name for s in store.studies.all()] == []
    assert audit.entries(store, action="study.purge")[-1].study == "gov"
    assert audit.verify(store).ok
    with pytest.raises(ValidationError):
        governance.set_retention(store, sid, "next year")


def test_key_store_needs_the_key_and_a_custodian(
    lite: tuple[Store, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, sid = lite
    code = store.studies.participants(sid)[0].code
    monkeypatch.delenv("WORKWEAVE_KEYSTORE_KEY", raising=False)
    monkeypatch.delenv("WORKWEAVE_KEYSTORE_KEY_FILE", raising=False)
    key = tmp_path / "key"
    write_key_file(key)
    assert key.stat().st_mode & 0o077 == 0
    file = tmp_path / "keys.fernet"
    with pytest.raises(ValidationError, match="custodian"):
        governance.open_keystore(store, "admin", file, key)
    accounts.add_user(store, "keeper", "custodian", "a-long-password-1")
    ks = governance.open_keystore(store, "keeper", file, key)
    governance.keys_add(store, sid, ks, code, name="Jane Smith", email="jane@nhs.net", notes="")
    assert b"Jane" not in file.read_bytes()
    again = governance.open_keystore(store, "keeper", file, key)
    assert governance.keys_show(store, sid, again, code).name == "Jane Smith"
    assert governance.keys_list(store, sid, again) == [code]
    other = tmp_path / "other"
    write_key_file(other)
    with pytest.raises(KeyStoreError, match="wrong key"):
        governance.open_keystore(store, "keeper", file, other)
    with pytest.raises(KeyStoreError, match="needs its key"):
        governance.open_keystore(store, "keeper", file, None)
    assert "Jane" not in json.dumps([e.as_dict() for e in audit.entries(store)])
    assert [e.action for e in audit.entries(store, action="keys.")][:3] == [
        "keys.refused",
        "keys.add",
        "keys.show",
    ]
