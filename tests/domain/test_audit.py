"""The audit trail's hash chain and the identity rule for participant codes."""

from __future__ import annotations

import dataclasses

import pytest

from workweave.domain.audit import GENESIS, AuditEntry, hashed_code, seal, verify
from workweave.domain.errors import ValidationError
from workweave.domain.identity import check_participant_code, fold_id, name_like_reason


def chain(n: int) -> list[AuditEntry]:
    out: list[AuditEntry] = []
    prev = GENESIS
    for i in range(1, n + 1):
        e = seal(
            AuditEntry(
                i, 1000 * i, "res", "cli", "x.view", "s1", f"participant:P{i}", {"i": i}, prev
            )
        )
        out.append(e)
        prev = e.hash
    return out


def test_an_intact_chain_verifies() -> None:
    result = verify(chain(5), head_seq=5)
    assert result.ok and result.checked == 5


def test_an_altered_entry_is_named() -> None:
    entries = chain(5)
    entries[2] = dataclasses.replace(entries[2], actor="someone else")
    result = verify(entries)
    assert not result.ok and result.first_bad == 3 and "altered" in result.problem


def test_an_altered_and_resealed_entry_breaks_the_next_link() -> None:
    entries = chain(5)
    entries[2] = seal(dataclasses.replace(entries[2], details={"i": 99}))
    result = verify(entries)
    assert not result.ok and result.first_bad == 4


def test_a_deleted_entry_is_named() -> None:
    entries = chain(5)
    del entries[1]
    result = verify(entries)
    assert not result.ok and result.first_bad == 2 and "deleted" in result.problem


def test_entries_deleted_from_the_end_are_caught_by_the_head() -> None:
    result = verify(chain(3), head_seq=5)
    assert not result.ok and result.first_bad == 4


def test_hashed_code_is_stable_and_hides_the_code() -> None:
    h = hashed_code("demo", "ART-01")
    assert h == hashed_code("demo", "ART-01") and "ART" not in h
    assert h != hashed_code("other", "ART-01")


@pytest.mark.parametrize("code", ["P01", "RAD-03", "co01", "C2:7", "ABC-2", "01:co01", "OT-01"])
def test_pseudonymous_codes_pass(code: str) -> None:
    assert name_like_reason(code) is None
    assert check_participant_code(code) == code


@pytest.mark.parametrize("code", ["Ilaria", "C2:Ilaria", "jane.smith", "Smith-01", "c2:ilaria"])
def test_name_like_codes_need_the_override(code: str) -> None:
    with pytest.raises(ValidationError, match="reads like a name"):
        check_participant_code(code)
    assert check_participant_code(code, allow_name_like=True) == code


@pytest.mark.parametrize("code", ["Jane Smith", "jane@nhs.net"])
def test_spaces_and_at_signs_are_always_refused(code: str) -> None:
    with pytest.raises(ValidationError):
        check_participant_code(code, allow_name_like=True)


def test_fold_id_makes_case_variants_one() -> None:
    assert fold_id("C2:Ilaria") == fold_id("c2:ilaria") == fold_id("c2:Ilaria")
