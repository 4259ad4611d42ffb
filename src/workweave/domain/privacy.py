"""Least privilege: the object-level rules of who may see and change what, beside the roles.

Pure rules over values; the services apply them and the web app maps a refusal to 403.

- **Small numbers.** A count or figure resting on fewer participants than the study's
  ``suppress_below`` (default ``policy.SUPPRESS_BELOW``) is never shown to anyone without the
  researcher role (admins count as researchers). A page may be asked for a *higher*
  threshold, never a lower one: :func:`effective_threshold` clamps and says so.
- **Codings.** A coder changes (deletes, writes the memo of) only their own codings, unless
  the study allows coders to edit each other's (``coders_edit_others``, off by default; set by
  the study's researchers).
- **Sessions.** Observers see the sessions they recorded; participants their own.
- **Members.** A researcher sees, and may enrol by exact user name, only users who are members
  of a study the researcher belongs to, or users in no study yet; making a member of another
  study a member of one's own is for an admin.
"""

from __future__ import annotations

from dataclasses import dataclass

from workweave.domain.errors import ValidationError
from workweave.domain.policy import SUPPRESS_BELOW

RESEARCH_ROLES: tuple[str, ...] = ("admin", "researcher")
"""Roles that see every figure of their studies, small numbers included."""

MAX_SUPPRESS_BELOW = 100


@dataclass(frozen=True)
class PrivacySettings:
    """A study's least-privilege settings."""

    suppress_below: int = SUPPRESS_BELOW
    coders_edit_others: bool = False


def check_suppress_below(value: object) -> int:
    """A study's small-number threshold: a whole number from the policy default up."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError("suppress_below must be a whole number")
    try:
        n = int(value)
    except ValueError:
        raise ValidationError(f"suppress_below must be a whole number, not '{value}'") from None
    if not SUPPRESS_BELOW <= n <= MAX_SUPPRESS_BELOW:
        raise ValidationError(
            f"suppress_below must be from {SUPPRESS_BELOW} to {MAX_SUPPRESS_BELOW}, not {n}"
        )
    return n


def effective_threshold(requested: int | None, settings: PrivacySettings) -> tuple[int, str | None]:
    """The small-number threshold to apply when a page asks for `requested`: never below the
    study's own; a note says when the request was raised to it."""
    floor = settings.suppress_below
    if requested is None:
        return floor, None
    if requested < floor:
        return floor, (
            f"groups of fewer than {floor} participants are always hidden in this study "
            f"(asked for {requested}; {floor} used)"
        )
    return min(requested, MAX_SUPPRESS_BELOW), None


def sees_small_numbers(role: str) -> bool:
    return role in RESEARCH_ROLES


def may_edit_coding(coder: str, user_name: str, settings: PrivacySettings) -> bool:
    """Whether `user_name` may change a coding made by `coder`."""
    return coder == user_name or settings.coders_edit_others


def may_see_session(
    role: str,
    *,
    session_observer: str | None,
    session_participant: str,
    observer_code: str | None,
    participant_code: str | None,
) -> bool:
    """Researchers and admins see every session of their studies, observers the sessions
    they recorded, participants their own."""
    if role in RESEARCH_ROLES:
        return True
    if role == "observer":
        return observer_code is not None and session_observer == observer_code
    if role == "participant":
        return participant_code is not None and session_participant == participant_code
    return False


__all__ = [
    "MAX_SUPPRESS_BELOW",
    "RESEARCH_ROLES",
    "PrivacySettings",
    "check_suppress_below",
    "effective_threshold",
    "may_edit_coding",
    "may_see_session",
    "sees_small_numbers",
]
