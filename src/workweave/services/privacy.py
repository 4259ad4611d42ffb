"""Least privilege, applied: a study's privacy settings, the small-number rule on the
figures a role may see, who may change a coding, and whom a researcher sees and may enrol.
The rules themselves are in ``workweave.domain.privacy``; docs/security.md (Least privilege) says
why."""

from __future__ import annotations

import copy
from typing import Any

from workweave.domain.accounts import Membership, User
from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.privacy import (
    PrivacySettings,
    check_suppress_below,
    effective_threshold,
    may_edit_coding,
    sees_small_numbers,
)
from workweave.domain.qualitative import normalise_guid
from workweave.domain.time import now_ms
from workweave.services import accounts
from workweave.store import Store

GROUPS = ("site", "participant", "observer")


# -- settings ------------------------------------------------------------------------------------


def settings(store: Store, study_id: int) -> PrivacySettings:
    """The study's settings (suppress below 3 participants, coders edit only their own)."""
    return store.privacy.settings(study_id)


def set_settings(
    store: Store,
    study_id: int,
    *,
    suppress_below: object | None = None,
    coders_edit_others: object | None = None,
    by: int | None = None,
) -> PrivacySettings:
    """Change either setting (what is not given stays as it was)."""
    old = store.privacy.settings(study_id)
    if coders_edit_others is not None and not isinstance(coders_edit_others, bool):
        raise ValidationError("coders_edit_others must be true or false")
    new = PrivacySettings(
        suppress_below=(
            old.suppress_below if suppress_below is None else check_suppress_below(suppress_below)
        ),
        coders_edit_others=(
            old.coders_edit_others if coders_edit_others is None else coders_edit_others
        ),
    )
    store.privacy.put_settings(study_id, new, set_ms=now_ms(), set_by=by)
    return new


def threshold(store: Store, study_id: int, requested: int | None) -> tuple[int, str | None]:
    """The small-number threshold to use when `requested` is asked for (never below the
    study's), and a note when it was raised."""
    return effective_threshold(requested, settings(store, study_id))


# -- codings -------------------------------------------------------------------------------------


def coding_coder(store: Store, study_id: int, document: str, coding: str) -> str:
    """Who made a coding of a document (NotFoundError when there is no such coding)."""
    key = normalise_guid(coding, "coding key")
    doc = store.qual.find_document(study_id, document)
    for c in store.qual.codings(study_id, documents=[doc.key]):
        if c.key == key:
            return c.coder
    raise NotFoundError(f"no coding {coding} in document '{document}'")


def may_change_coding(
    store: Store, study_id: int, document: str, coding: str, user_name: str
) -> bool:
    """Whether `user_name` may delete the coding or write its memo."""
    coder = coding_coder(store, study_id, document, coding)
    return may_edit_coding(coder, user_name, settings(store, study_id))


# -- members -------------------------------------------------------------------------------------


def _shared_users(store: Store, user: User) -> dict[str, User]:
    """Users who are members of a study `user` belongs to (by name)."""
    mine = {m.study_id for m in accounts.memberships(store, user.id)}
    names: set[str] = set()
    for sid in mine:
        names.update(name for name, _ in accounts.members(store, sid))
    return {u.name: u for u in accounts.users(store) if u.name in names}


def visible_users(store: Store, user: User) -> list[User]:
    """The users `user` may see in lists and pickers: every user for an admin; for anyone
    else the members of the studies they belong to."""
    if user.role == "admin":
        return accounts.users(store)
    return sorted(_shared_users(store, user).values(), key=lambda u: u.name)


def may_enrol(store: Store, by: User, name: str) -> bool:
    """An admin may enrol anyone; a researcher only a user who is a member of one of the
    researcher's studies or a member of no study yet (asked for by exact name)."""
    if by.role == "admin":
        return True
    target = accounts.user_by_name(store, name)
    if target is None or target.role == "admin":
        return False
    if name in _shared_users(store, by):
        return True
    return not accounts.memberships(store, target.id)


def enrol(
    store: Store, by: User, name: str, study: str, role: str, *, code: str | None = None
) -> Membership:
    """Make user `name` a member of `study` if `by` may (see `may_enrol`). A user one may not
    enrol is answered as a user that does not exist, so that names are not revealed."""
    if not may_enrol(store, by, name):
        raise NotFoundError(
            f"no user '{name}' you can add: give the exact name of an account in none of the "
            "studies yet or in one of yours (an admin adds members of other studies)"
        )
    return accounts.grant(store, name, study, role, code=code)


# -- small numbers -------------------------------------------------------------------------------


def _participants_by_group(store: Store, study_id: int) -> dict[str, dict[Any, int]]:
    sessions = store.analytic.arrow(("sessions",), study_id)["sessions"].to_pandas()
    out: dict[str, dict[Any, int]] = {}
    for g in GROUPS:
        if len(sessions) and g in sessions.columns:
            counts = sessions.groupby(g, dropna=True)["participant"].nunique()
            out[g] = {k: int(v) for k, v in counts.items()}
        else:
            out[g] = {}
    out["total"] = {"all": int(sessions["participant"].nunique()) if len(sessions) else 0}
    return out


def _withheld_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if k == "group" else None) for k, v in row.items()}


def summary_for(store: Store, study_id: int, data: dict[str, Any], role: str) -> dict[str, Any]:
    """The study summary as `role` may see it: unchanged for admins and researchers; for
    anyone else, the rows of groups with fewer participants than the study's threshold are
    left out (``suppressed_groups`` counts them) and a total resting on too few has its
    figures withheld (null)."""
    floor = settings(store, study_id).suppress_below
    if sees_small_numbers(role):
        return {**data, "suppress_below": floor, "suppressed_groups": 0}
    n = _participants_by_group(store, study_id)
    out = copy.deepcopy(data)
    hidden = 0
    for g in GROUPS:
        rows = out.get(f"by_{g}", [])
        kept = [r for r in rows if n[g].get(r["group"], 0) >= floor]
        hidden += len(rows) - len(kept)
        out[f"by_{g}"] = kept
    if n["total"]["all"] < floor and n["total"]["all"] > 0:
        out["total"] = _withheld_row(out["total"])
        hidden += 1
    out["suppress_below"] = floor
    out["suppressed_groups"] = hidden
    return out


def headline_for(store: Store, study_id: int, head: dict[str, Any], role: str) -> dict[str, Any]:
    """Dashboard headline figures as `role` may see them: items resting on fewer participants
    than the study's threshold say 'suppressed' instead of a value for anyone without the
    researcher role."""
    out = {**head, "summary": summary_for(store, study_id, head["summary"], role)}
    if sees_small_numbers(role):
        return out
    floor = settings(store, study_id).suppress_below
    total = _participants_by_group(store, study_id)["total"]["all"]

    def hide(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        shown = []
        for item in items:
            n = item.get("n_participants")
            n = total if n is None else n
            if 0 < n < floor:
                item = {
                    **item,
                    "value": "suppressed",
                    "unit": "",
                    "detail": f"fewer than {floor} participants",
                }
            shown.append(item)
        return shown

    out["items"] = hide(head["items"])
    out["totals"] = hide(head["totals"])
    return out


__all__ = [
    "coding_coder",
    "enrol",
    "headline_for",
    "may_change_coding",
    "may_enrol",
    "set_settings",
    "settings",
    "summary_for",
    "threshold",
    "visible_users",
]
