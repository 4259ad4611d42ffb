"""Observer roles from CSV: which record of a co-observed session is the primary one.

Columns (header required, case-insensitive): ``role`` (``primary`` or ``second``) and either
``observer`` (an observer's code: every session they recorded takes the role) or ``session``
(the source's own session id, e.g. WOMBAT's ``52``: that session takes the role), or both
columns with one of them filled on each row. A session's own row wins over its observer's.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from workweave.domain.errors import Problem, ValidationError
from workweave.domain.observation import OBSERVER_ROLES

MAX_BYTES = 5_000_000
MAX_CODE = 200


@dataclass(frozen=True)
class RoleMap:
    """Roles by observer code and by the source's session id."""

    by_observer: dict[str, str] = field(default_factory=dict)
    by_session: dict[str, str] = field(default_factory=dict)

    def role(self, observer: str | None, source_id: str | None) -> str | None:
        if source_id is not None and source_id in self.by_session:
            return self.by_session[source_id]
        if observer is not None:
            return self.by_observer.get(observer)
        return None


def read_roles(path: str | Path) -> RoleMap:
    """A role mapping file (see the module's description), checked whole: any bad row and
    nothing is read."""
    path = Path(path)
    src = path.name
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValidationError(Problem(f"larger than {MAX_BYTES:,} bytes", src))
        with path.open(encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise ValidationError(Problem("no such file", str(path))) from None
    except IsADirectoryError:
        raise ValidationError(Problem("is a folder, not a file", str(path))) from None
    except UnicodeDecodeError:
        raise ValidationError(Problem("not a UTF-8 text file", src)) from None
    if "\x00" in text:
        raise ValidationError(Problem("contains NUL characters: not a text file", src))
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise ValidationError(Problem("the file is empty", src))
    header = [h.strip().lower() for h in rows[0]]
    if "role" not in header or not ({"observer", "session"} & set(header)):
        raise ValidationError(
            Problem("needs a 'role' column and an 'observer' or 'session' column", src, 0)
        )
    col = {c: header.index(c) for c in ("role", "observer", "session") if c in header}
    problems: list[Problem] = []
    by_observer: dict[str, str] = {}
    by_session: dict[str, str] = {}
    for n, row in enumerate(rows[1:], start=1):
        if not any(c.strip() for c in row):
            continue
        cells = {c: (row[i].strip() if i < len(row) else "") for c, i in col.items()}
        role = cells["role"].lower()
        if role not in OBSERVER_ROLES:
            problems.append(
                Problem(
                    f"role '{cells['role'][:40]}' is not one of {', '.join(OBSERVER_ROLES)}",
                    src,
                    n,
                    "role",
                )
            )
            continue
        observer, session = cells.get("observer", ""), cells.get("session", "")
        if bool(observer) == bool(session):
            problems.append(Problem("give an observer or a session (one of them)", src, n))
            continue
        code = observer or session
        if len(code) > MAX_CODE:
            problems.append(Problem(f"longer than {MAX_CODE} characters", src, n))
            continue
        target, what = (by_observer, "observer") if observer else (by_session, "session")
        if target.get(code, role) != role:
            problems.append(Problem(f"{what} '{code}' is given two roles", src, n))
            continue
        target[code] = role
    if problems:
        raise ValidationError(problems)
    return RoleMap(by_observer, by_session)


__all__ = ["RoleMap", "read_roles"]
