"""Reading the shared fold cases (``fold_cases/*.json``) and putting the Python fold's result in
the normalised form that ``fold_normal.js`` gives for the browser's fold (see
``fold_cases/README.md`` for the form)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from workweave.domain.capture import Action, Header, Projection
from workweave.domain.observation import Session
from workweave.domain.time import from_ms, to_ms

CASES = Path(__file__).parent / "fold_cases"
FOLD_NORMAL_JS = Path(__file__).parent / "fold_normal.js"  # the same normal form for fold.js


def load_cases() -> list[dict[str, Any]]:
    """Every case, sorted by file name; each gets its file's stem as ``id``."""
    out = []
    for path in sorted(CASES.glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        case["id"] = path.stem
        out.append(case)
    return out


def ms(text: str) -> int:
    """An ISO 8601 instant with a zone ('Z' or an offset) as UTC milliseconds."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        raise ValueError(f"{text}: a case's times need a zone ('Z' or an offset)")
    value = to_ms(dt)
    assert value is not None
    return value


def iso(value: datetime | None) -> str | None:
    """UTC, to the millisecond, with 'Z'; whole seconds without '.000' (as fold_normal.js)."""
    n = to_ms(value)
    if n is None:
        return None
    dt = from_ms(n)
    assert dt is not None
    text = dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{n % 1000:03d}Z"
    return text.replace(".000Z", "Z")


def lines(normal: dict[str, Any]) -> list[str]:
    """A normalised session as lines of JSON, so that a failed comparison shows a short diff."""
    return json.dumps(normal, indent=1, sort_keys=True, ensure_ascii=False).splitlines()


def header(case: dict[str, Any]) -> Header:
    return Header(**case["header"])


def actions(case: dict[str, Any]) -> list[Action]:
    """The case's action log in delivery order (duplicates kept)."""
    session = case["header"]["uuid"]
    return [
        Action(
            a["uuid"],
            a.get("session", session),
            a["seq"],
            a["type"],
            ms(a["t"]),
            a.get("payload") or {},
            None,
            ms(a["received"]) if "received" in a else 0,
            ms(a["batch_clock"]) if "batch_clock" in a else None,
        )
        for a in case["actions"]
    ]


def normalise(session: Session) -> dict[str, Any]:
    """The fields both folds produce, in one canonical form."""
    return {
        "complete": session.complete,
        "tasks": [
            {
                "key": t.key,
                "category": t.category,
                "subcategory": t.subcategory,
                "start": iso(t.start),
                "end": iso(t.end),
                "ended_by": t.ended_by,
                "dims": {d: sorted(v) for d, v in t.dimensions},
                "suspensions": [[iso(s.start), iso(s.end), s.by] for s in t.suspensions],
                "parallel": sorted({p.other for p in t.parallel}),
            }
            for t in sorted(session.tasks, key=lambda t: t.seq)
        ],
        "events": [
            {"key": e.key, "kind": e.kind, "subtype": e.subtype, "at": iso(e.at)}
            for e in sorted(session.events, key=lambda e: (e.at, e.key))
        ],
        "notes": [
            {"key": n.key, "at": iso(n.at), "text": n.text}
            for n in sorted(session.notes, key=lambda n: (n.at, n.key))
        ],
    }


def server_only(projection: Projection) -> dict[str, Any]:
    """What only the server's fold computes: the session's bounds (widened to cover every task
    and point), in UTC and in the session's own zone, the clock skew and the list of edits."""
    s = projection.session
    zone = ZoneInfo(s.timezone)
    return {
        "start": iso(s.start),
        "end": iso(s.end),
        "local_start": s.start.astimezone(zone).isoformat(),
        "local_end": None if s.end is None else s.end.astimezone(zone).isoformat(),
        "clock_skew_ms": projection.clock_skew_ms,
        "edits": [[e.target, e.field, e.old, e.new, e.applied] for e in projection.edits],
    }
