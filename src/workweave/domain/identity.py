"""Keeping identities apart: the rule that tells a pseudonymous participant code from a name
or an e-mail address, and the case-folding of ids that importers may apply.

The rule (docs/security.md, "Identities and the key store"): a participant code

- has no white space and no ``@`` (an e-mail address, or a name typed in full), always;
- is *name-like* when any of its parts (split at ``: . _ / -``) is a word of three or more
  letters containing a lower-case letter and no digit, such as ``Ilaria``, ``jane`` or
  ``Smith`` in ``C2:Ilaria``, ``jane.smith`` or ``Smith-01``. Codes such as ``P01``,
  ``RAD-03``, ``co01``, ``C2:7`` or ``ABC-2`` are not. A name-like code is refused in set-up
  unless explicitly allowed (``--allow-name-like``), and importers warn about it.
"""

from __future__ import annotations

import re

from workweave.domain.errors import ValidationError

_PARTS = re.compile(r"[:._/\-]+")
_WORD = re.compile(r"^[A-Za-z]*[a-z][A-Za-z]*$")


def name_like_reason(code: str) -> str | None:
    """Why `code` looks like a name or an e-mail address (None: it does not)."""
    if any(ch.isspace() for ch in code):
        return "it contains a space (a name typed in full?)"
    if "@" in code:
        return "it contains '@' (an e-mail address?)"
    for part in _PARTS.split(code):
        if len(part) >= 3 and _WORD.match(part):
            return f"'{part}' reads like a name"
    return None


def check_participant_code(code: str, *, allow_name_like: bool = False) -> str:
    """The code, or a ValidationError saying why it is refused. Spaces and '@' are always
    refused; other name-like codes only unless `allow_name_like`."""
    reason = name_like_reason(code)
    if reason is None:
        return code
    hard = reason.startswith(("it contains a space", "it contains '@'"))
    if hard or not allow_name_like:
        hint = "" if hard else " (use a pseudonymous code, or allow it explicitly)"
        raise ValidationError(
            f"participant code '{code[:64]}' is refused: {reason}; the study store holds "
            f"pseudonymous codes only, real identities go in the key store{hint}"
        )
    return code


def fold_id(value: str) -> str:
    """The case-folded form of an id, so ``C2:Ilaria`` and ``c2:ilaria`` are one person."""
    return value.casefold()


__all__ = ["check_participant_code", "fold_id", "name_like_reason"]
