"""Writing sessions as a WOMBAT 2 CSV export: the columns `workweave.io.wombat` reads, so that
IORapp and other WOMBAT tooling run on workweave data and importing the file again gives the
same tasks (docs/wombat.md, "Exporting").

One row per task. Clock times are written in one time zone (the one to import with), rounded
down to whole seconds (WOMBAT keeps seconds). A session's times must be expressible as
WOMBAT reads them: on the session's date, or on the next day when the session's end clock
time is before its start clock time; anything else (a session over 24 hours, an incomplete
session running past midnight, an instant in the repeated hour of a daylight-saving change)
is refused with the session and task named. Multi-choice dimensions become ``[Dim] Option``
0/1 columns; single-choice ones a column of their own (``0`` = none). Interruptions become
``int task id/start/end N`` groups, parallel links ``multi task id/start/end N`` groups (one
link a group), session attributes ``Participant: ...`` columns. The file is data for WOMBAT
tools and is written verbatim: unlike the analyst exports, text that looks like a formula is
not prefixed (it would change the data read back); do not open it in a spreadsheet to edit.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from workweave.domain.errors import Problem, ValidationError
from workweave.domain.observation import Session, Task
from workweave.domain.study import check_timezone
from workweave.domain.template import Template
from workweave.io.wombat import SESSION_COLUMNS, TIME_COLUMNS

CATEGORY_COLUMN = "What"
SELF_OBSERVER = "self"
"""Observer id written for self-report sessions (WOMBAT requires an observer)."""
_RESERVED = re.compile(
    r"^(session date|observer id|session id|location id|participant id|session start|"
    r"session end|observer/session/task id|start time|end time|elapsed time|total time|"
    r"ended by|is session complete\?|multi with|num of multitask fragments|"
    r"num of tasks in multi \d+|total overlapping time|is interrupting task\?|interrupted by|"
    r"num of interrupts|active \d+|inactive \d+|(multi|int) (task id|start|end) \d+|"
    r"What|What \(subcategories\))$"
)


@dataclass
class WombatWrite:
    """What was written, and what WOMBAT cannot hold."""

    path: Path
    sessions: int = 0
    tasks: int = 0
    timezone: str = ""
    subsecond: int = 0  # tasks whose instants had fractions of a second (rounded down)
    notes_left_out: int = 0
    events_left_out: int = 0
    warnings: list[str] = field(default_factory=list)


def _clock(t: datetime, zone: ZoneInfo) -> str:
    return t.astimezone(zone).strftime("%H:%M:%S")


def _dur(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _floor(t: datetime | None) -> datetime | None:
    return None if t is None else t.replace(microsecond=0)


def _session_participant(s: Session) -> str:
    prefix = f"{s.site}:"
    return s.participant[len(prefix) :] if s.participant.startswith(prefix) else s.participant


def write_wombat_export(
    sessions: Sequence[Session],
    templates: Mapping[str, Template],
    path: str | Path,
    *,
    timezone: str,
) -> WombatWrite:
    """Write `sessions` (their templates by ``name@version`` in `templates`) to `path` with
    clock times in `timezone`. Every session that WOMBAT cannot express is reported and
    nothing is written."""
    zone = check_timezone(timezone)
    path = Path(path)
    res = WombatWrite(path=path, timezone=timezone)
    problems: list[Problem] = []
    src = path.name

    # task ids: WOMBAT's own form, "<observer>_<session>_<task>": the task's key when it has
    # that form already (a WOMBAT import), else the key (or the task's number, when the key is
    # not usable in WOMBAT's lists) after that prefix; unique in the file
    counts: dict[str, int] = {}
    for s in sessions:
        for t in s.tasks:
            counts[t.key] = counts.get(t.key, 0) + 1
    ids: dict[tuple[str, str], str] = {}
    taken: set[str] = set()
    for s in sessions:
        sid = s.source_id if s.source == "wombat" and s.source_id else s.key
        prefix = f"{s.observer or SELF_OBSERVER}_{sid}_"
        for t in s.tasks:
            k = t.key
            usable = counts[k] == 1 and "," not in k and k.strip() == k and k not in ("", "0")
            if not (usable and k.startswith(prefix)):
                k = f"{prefix}{t.key if usable else t.seq}"
                n = 1
                while k in taken:
                    n += 1
                    k = f"{prefix}{t.seq}_{n}"
            taken.add(k)
            ids[(s.key, t.key)] = k

    # dimensions: multi-choice (with their options) and single-choice, over all templates
    multi: dict[str, list[str]] = {}
    single: list[str] = []
    for s in sessions:
        tpl = templates.get(s.template or "")
        declared = {d.key: d for d in tpl.dimensions} if tpl else {}
        for t in s.tasks:
            for dim, values in t.dimensions:
                d = declared.get(dim)
                is_multi = (d.multi if d else False) or len(values) > 1 or dim in multi
                if is_multi:
                    opts = multi.setdefault(dim, list(d.options) if d else [])
                    opts.extend(v for v in values if v not in opts)
                    if dim in single:
                        single.remove(dim)
                elif dim not in single:
                    single.append(dim)
    for dim in list(multi) + single:
        bad = (
            _RESERVED.match(dim)
            or dim.startswith(("[", "Participant:"))
            or "]" in dim
            or dim != dim.strip()
            or not dim
        )
        if bad:
            problems.append(
                Problem(f"dimension '{dim}' cannot be a WOMBAT column name", src, column=dim)
            )
    attrs: list[str] = []
    for s in sessions:
        attrs.extend(k for k, _ in s.attributes if k not in attrs)
    n_multi = max((len(t.parallel) for s in sessions for t in s.tasks), default=0)
    n_int = max((len(t.suspensions) for s in sessions for t in s.tasks), default=0)

    header = [
        *SESSION_COLUMNS,
        CATEGORY_COLUMN,
        f"{CATEGORY_COLUMN} (subcategories)",
        *TIME_COLUMNS,
    ]
    header += [f"[{d}] {o}" for d, opts in multi.items() for o in opts]
    header += single
    header += ["ended by", "multi with", "num of multitask fragments"]
    for g in range(1, n_multi + 1):
        header += [
            f"num of tasks in multi {g}",
            f"multi task id {g}",
            f"multi start {g}",
            f"multi end {g}",
        ]
    header += ["is interrupting task?", "interrupted by", "num of interrupts"]
    for g in range(1, n_int + 1):
        header += [f"int task id {g}", f"int start {g}", f"int end {g}"]
    header += [f"Participant: {a}" for a in attrs]
    header += ["is session complete?"]

    rows: list[list[str]] = []
    for s in sessions:
        sid = s.source_id if s.source == "wombat" and s.source_id else s.key
        where = f"session {s.key}"
        start = _floor(s.start)
        assert start is not None
        local0 = start.astimezone(zone)
        day: date = local0.date()
        end = _floor(s.end)
        crosses = end is not None and end.astimezone(zone).time() < local0.time()

        clock = _Clock(zone, day, crosses, local0.time(), where, src, problems)

        sess_cells = [
            day.isoformat(),
            s.observer or SELF_OBSERVER,
            sid,
            s.site,
            _session_participant(s),
            clock(start, "session start"),
            clock(end, "session end"),
        ]
        res.notes_left_out += len(s.notes)
        res.events_left_out += len(s.events)
        interrupters: dict[str, list[str]] = {}
        for t in s.tasks:
            for x in t.suspensions:
                if x.by:
                    interrupters.setdefault(x.by, []).append(t.key)
        attr = dict(s.attributes)
        for t in sorted(s.tasks, key=lambda t: t.seq):
            res.tasks += 1
            if any(
                v is not None and v.microsecond
                for v in (
                    t.start,
                    t.end,
                    *(x.start for x in t.suspensions),
                    *(x.end for x in t.suspensions),
                )
            ):
                res.subsecond += 1
            tid = ids[(s.key, t.key)]
            ft = _floored(t)
            dims = dict(t.dimensions)
            row = [
                *sess_cells,
                tid,
                t.category,
                t.subcategory or "0",
                clock(ft.start, f"task {t.key} start"),
                clock(ft.end, f"task {t.key} end"),
                _dur(ft.elapsed_seconds),
                _dur(ft.active_seconds),
            ]
            for dim_name, opts in multi.items():
                row += ["1" if o in dims.get(dim_name, ()) else "0" for o in opts]
            for dim_name in single:
                vals = dims.get(dim_name, ())
                if vals and vals[0] == "0":
                    res.warnings.append(
                        f"{where}: task {t.key}: {dim_name} value '0' reads as none"
                    )
                row.append(vals[0] if vals else "0")
            ended = t.ended_by or ""
            row.append(ids.get((s.key, ended), ended))
            links = list(t.parallel)
            row.append(",".join(ids.get((s.key, x.other), x.other) for x in links))
            row.append(str(len(links)))
            for g in range(n_multi):
                if g < len(links):
                    link = links[g]
                    row += [
                        "2",
                        ids.get((s.key, link.other), link.other),
                        clock(_floor(link.start), f"task {t.key} multi start {g + 1}"),
                        clock(_floor(link.end), f"task {t.key} multi end {g + 1}"),
                    ]
                else:
                    row += ["", "", "", ""]
            by_me = interrupters.get(t.key, [])
            row += [
                "true" if by_me else "false",
                ",".join(ids.get((s.key, x.by), x.by) for x in t.suspensions if x.by is not None),
                str(len(t.suspensions)),
            ]
            for g in range(n_int):
                if g < len(t.suspensions):
                    x = t.suspensions[g]
                    row += [
                        ids.get((s.key, x.by), x.by) if x.by is not None else "",
                        clock(_floor(x.start), f"task {t.key} interruption {g + 1} start"),
                        clock(_floor(x.end), f"task {t.key} interruption {g + 1} end"),
                    ]
                else:
                    row += ["", "", ""]
            row += [attr.get(a, "") for a in attrs]
            row.append("TRUE" if s.complete else "FALSE")
            rows.append(row)
        res.sessions += 1
    if problems:
        raise ValidationError(problems[:200])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for row in rows:
            w.writerow(row)
    tmp.replace(path)
    return res


@dataclass
class _Clock:
    """Clock times of one session as WOMBAT reads them back, checked to give the instant."""

    zone: ZoneInfo
    day: date
    crosses: bool
    t0: time
    where: str
    src: str
    problems: list[Problem]

    def __call__(self, t: datetime | None, what: str) -> str:
        if t is None:
            return ""
        t = t.replace(microsecond=0)
        text = _clock(t, self.zone)
        c = time.fromisoformat(text)
        d = self.day + timedelta(days=1) if self.crosses and c < self.t0 else self.day
        back = datetime.combine(d, c, tzinfo=self.zone).astimezone(UTC)
        if back != t.astimezone(UTC):
            self.problems.append(
                Problem(
                    f"{self.where}: {what} ({t.astimezone(self.zone):%Y-%m-%d %H:%M:%S %Z}) "
                    "cannot be written as a WOMBAT clock time on the session's date (or the "
                    "next day for a session ending after midnight)",
                    self.src,
                )
            )
        return text


def _floored(t: Task) -> Task:
    """The task with its instants rounded down to whole seconds, as the file holds them."""
    from dataclasses import replace

    return replace(
        t,
        start=t.start.replace(microsecond=0),
        end=_floor(t.end),
        suspensions=tuple(
            replace(x, start=x.start.replace(microsecond=0), end=_floor(x.end))
            for x in t.suspensions
        ),
    )


__all__ = ["CATEGORY_COLUMN", "SELF_OBSERVER", "WombatWrite", "write_wombat_export"]
