"""Reading WOMBAT 2 CSV exports (Work Observation Method By Activity Timing).

One export row is one task. Each row repeats its session's fields (date, observer, participant,
location, session start/end, complete flag). Column groups for multitasking
(``multi task id N``, ``multi start N``, ``multi end N``) and interruptions
(``int task id N``, ``int start N``, ``int end N``) repeat a file-dependent number of times and
are found by prefix. Dimension columns look like ``[Con Chi] Paziente`` (multi-choice dimension
"Con Chi", option "Paziente", value 0/1); other columns between ``total time`` and ``ended by``
are single-choice dimensions where ``0`` means none. The first column after the task id is the
main category ("What"), followed by its ``(subcategories)`` column.

The template is built from the header (dimensions and their options) and the values seen
(categories, sub-categories, single-choice options). Times are wall-clock times at the site,
read in the time zone given (never the machine's own).

Every problem in a file is reported with file, row and column; a file with any problem yields
nothing (the caller imports all files or none).
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from workweave.domain.errors import Problem, ValidationError
from workweave.domain.observation import ParallelLink, Session, Suspension, Task
from workweave.domain.policy import DEFAULT_TIMEZONE
from workweave.domain.study import PROFESSIONS, Observer, Participant, Site, check_timezone
from workweave.domain.template import Category, Dimension, Template
from workweave.domain.text import MAX_LINE, text_problem

SOURCE = "wombat"

SESSION_COLUMNS = (
    "session date",
    "observer id",
    "session id",
    "location id",
    "participant id",
    "session start",
    "session end",
    "observer/session/task id",
)
"""The columns that open every row of an export: the session and the task's id."""
TIME_COLUMNS = ("start time", "end time", "elapsed time", "total time")
"""The task's times, after its category columns."""
REQUIRED = (*SESSION_COLUMNS, *TIME_COLUMNS, "ended by", "is session complete?")
# Columns WOMBAT derives from the others; we recompute what they say and do not store them.
DERIVED = re.compile(
    r"^(multi with|num of multitask fragments|num of tasks in multi \d+|total overlapping time|"
    r"is interrupting task\?|interrupted by|num of interrupts|active \d+|inactive \d+)$"
)
ALIASES = {
    "date": "session date",
    "observer": "observer id",
    "session": "session id",
    "location": "location id",
    "participant": "participant id",
    "task id": "observer/session/task id",
    "observer session task id": "observer/session/task id",
    "session complete": "is session complete?",
    "is session complete": "is session complete?",
    "session complete?": "is session complete?",
    "interrupting task?": "is interrupting task?",
    "is interrupting task": "is interrupting task?",
}
"""Other spellings of WOMBAT's column names (compared in lower case, spaces collapsed)."""
SUBCATEGORIES = " (subcategories)"
MULTI = re.compile(r"^multi (task id|start|end) (\d+)$")
INTERRUPT = re.compile(r"^int (task id|start|end) (\d+)$")
BRACKETED = re.compile(r"^\[(.+?)\]\s*(.+)$")
_GROUPISH = re.compile(r"^(multi|int|num of|active|inactive)\b")
KNOWN = (*REQUIRED, "num of interrupts")
FILENAME = re.compile(r"^(?P<name>.+?)_v\.?(?P<version>\d+(?:\.\d+)*)_from_", re.IGNORECASE)
SESSION_FIELDS = (
    "session date",
    "observer id",
    "location id",
    "participant id",
    "session start",
    "session end",
    "is session complete?",
)


@dataclass(frozen=True)
class ReportedTimes:
    """What the export itself says of a task's durations, to check our derived times against."""

    elapsed_seconds: int | None
    active_seconds: int | None


@dataclass
class WombatExport:
    """Everything one WOMBAT export holds, as canonical domain objects."""

    path: str
    template: Template
    sites: list[Site]
    participants: list[Participant]
    observers: list[Observer]
    sessions: list[Session]
    reported: dict[tuple[str, str], ReportedTimes] = field(default_factory=dict)
    """(session key, task key) -> the export's own elapsed and total (active) times."""
    warnings: list[str] = field(default_factory=list)

    @property
    def task_count(self) -> int:
        return sum(len(s.tasks) for s in self.sessions)

    @property
    def interruption_count(self) -> int:
        """Interruption events: an export row lists, per task, the tasks that suspended it
        (``int task id N``); the rows of parallel tasks suspended by one interrupting task at
        one instant are one interruption (`Session.interruption_events`)."""
        return sum(s.interruption_count() for s in self.sessions)

    @property
    def suspension_count(self) -> int:
        """Suspensions: the filled ``int task id N`` groups of all rows."""
        return sum(s.suspension_count() for s in self.sessions)

    def time_mismatches(self) -> list[str]:
        """Tasks whose derived elapsed or active time differs from the export's columns."""
        out = []
        for s in self.sessions:
            for t in s.tasks:
                rep = self.reported.get((s.key, t.key))
                if rep is None:
                    continue
                if rep.elapsed_seconds is not None and t.elapsed_seconds != rep.elapsed_seconds:
                    out.append(
                        f"task {t.key}: elapsed {t.elapsed_seconds} s, export says "
                        f"{rep.elapsed_seconds} s"
                    )
                if rep.active_seconds is not None and t.active_seconds != rep.active_seconds:
                    out.append(
                        f"task {t.key}: active {t.active_seconds} s, export says "
                        f"{rep.active_seconds} s"
                    )
        return out


def read_wombat(
    path: str | Path,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    template_name: str | None = None,
    profession: str | None = None,
) -> WombatExport:
    """Read one WOMBAT 2 CSV export; raise ValidationError listing every problem found."""
    path = Path(path)
    src = path.name
    zone = check_timezone(timezone)
    if profession is not None and profession not in PROFESSIONS:
        raise ValidationError(f"profession '{profession}' is not one of {', '.join(PROFESSIONS)}")
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise ValidationError(Problem("no such file", str(path))) from None
    except UnicodeDecodeError as exc:
        raise ValidationError(Problem(f"not a UTF-8 text file (byte {exc.start})", src)) from None
    except csv.Error as exc:
        raise ValidationError(Problem(f"not a readable CSV file: {exc}", src)) from None
    if not rows:
        raise ValidationError(Problem("the file is empty", src))
    header = canonical_header(rows[0])
    layout = _Layout.from_header(header, src)
    name, version = _template_id(path, template_name)
    parser = _Parser(src, layout, zone, timezone, name, version, profession, header)
    for n, row in enumerate(rows[1:], start=1):
        if not any(cell.strip() for cell in row):
            continue
        parser.row(n, row)
    return parser.finish(str(path))


def _norm(h: str) -> str:
    return " ".join(h.strip().lower().split())


def canonical_header(header: Sequence[str]) -> list[str]:
    """Each column's canonical name: WOMBAT's own columns in its spelling (whatever the case,
    spacing or a known alias), others (category, dimensions, attributes) as written."""
    out = []
    for h in header:
        n = _norm(h)
        n = ALIASES.get(n, n)
        if n in KNOWN or DERIVED.match(n) or MULTI.match(n) or INTERRUPT.match(n):
            out.append(n)
        elif n.startswith("participant:"):
            out.append("Participant:" + h.strip()[len("participant:") :])
        elif n.endswith(SUBCATEGORIES):
            out.append(h.strip()[: -len(SUBCATEGORIES)].strip() + SUBCATEGORIES)
        else:
            out.append(" ".join(h.split()))
    return out


def _template_id(path: Path, override: str | None) -> tuple[str, str]:
    m = FILENAME.match(path.stem)
    if override:
        return override, (m.group("version") if m else "1")
    if m:
        return m.group("name").replace("_", " ").strip(" -"), m.group("version")
    return path.stem.replace("_", " ").strip(), "1"


@dataclass
class _Layout:
    index: dict[str, int]
    category: str
    subcategory: str | None
    multi_dims: dict[str, list[tuple[str, int]]]  # dimension -> [(option, column index)]
    single_dims: list[str]
    participant_attrs: list[str]
    multi_groups: list[tuple[int, int, int, int]]  # (n, id col, start col, end col)
    int_groups: list[tuple[int, int, int, int]]

    @classmethod
    def from_header(cls, header: list[str], src: str) -> _Layout:
        problems: list[Problem] = []
        index: dict[str, int] = {}
        for i, h in enumerate(header):
            if h in index:
                problems.append(Problem(f"column '{h}' appears twice", src, 0, h))
            index[h] = i
        missing = [c for c in REQUIRED if c not in index]
        if missing:
            near = [
                f"'{h}' (did you mean '{close[0]}'?)"
                for h in header
                if (close := difflib.get_close_matches(_norm(h), missing, n=1, cutoff=0.8))
            ]
            problems.append(
                Problem(
                    "not a WOMBAT 2 export: missing column(s) "
                    + ", ".join(f"'{c}'" for c in missing)
                    + ("; unknown column(s) " + ", ".join(near) if near else ""),
                    src,
                    0,
                )
            )
            raise ValidationError(problems)
        # the main category is the column WOMBAT exports with its '(subcategories)' beside it
        bases = {h[: -len(SUBCATEGORIES)] for h in header if h.endswith(SUBCATEGORIES)}
        by_norm = {_norm(h): h for h in header if not h.endswith(SUBCATEGORIES)}
        found_cats = [by_norm[_norm(b)] for b in bases if _norm(b) in by_norm]
        orphan_subs = [b + SUBCATEGORIES for b in bases if _norm(b) not in by_norm]
        if orphan_subs:
            problems.append(
                Problem(
                    "unknown column(s) "
                    + ", ".join(f"'{c}'" for c in sorted(orphan_subs))
                    + ": no main category column of that name",
                    src,
                    0,
                )
            )
        if len(found_cats) != 1:
            problems.append(
                Problem(
                    "not a known WOMBAT 2 layout: expected one main category column 'NAME' "
                    "with its 'NAME (subcategories)' column"
                    + (f"; found {', '.join(sorted(found_cats))}" if found_cats else ""),
                    src,
                    0,
                )
            )
            raise ValidationError(problems)
        category = found_cats[0]
        sub = f"{category}{SUBCATEGORIES}"
        subcategory = next((h for h in header if _norm(h) == _norm(sub)), None)
        unknown = []
        for h in header:
            if h in index and (h in KNOWN or DERIVED.match(h) or MULTI.match(h)):
                continue
            if INTERRUPT.match(h) or h in (category, subcategory) or h.startswith("Participant:"):
                continue
            if BRACKETED.match(h):
                continue
            low = _norm(h)
            near = difflib.get_close_matches(low, KNOWN, n=1, cutoff=0.8)
            if near or _GROUPISH.match(low) or not h:
                unknown.append(
                    f"'{h}'" + (f" (did you mean '{near[0]}'?)" if near else "")
                    if h
                    else "an unnamed column"
                )
        if unknown:
            problems.append(
                Problem(
                    "not a known WOMBAT 2 layout: unknown column(s) " + ", ".join(unknown),
                    src,
                    0,
                )
            )
        multi_dims: dict[str, list[tuple[str, int]]] = {}
        single_dims: list[str] = []
        attrs: list[str] = []
        groups: dict[str, dict[int, dict[str, int]]] = {"multi": {}, "int": {}}
        for i, h in enumerate(header):
            if h in REQUIRED or h in (category, subcategory) or DERIVED.match(h):
                continue
            if m := MULTI.match(h):
                groups["multi"].setdefault(int(m.group(2)), {})[m.group(1)] = i
            elif m := INTERRUPT.match(h):
                groups["int"].setdefault(int(m.group(2)), {})[m.group(1)] = i
            elif m := BRACKETED.match(h):
                multi_dims.setdefault(m.group(1).strip(), []).append((m.group(2).strip(), i))
            elif h.startswith("Participant:"):
                attrs.append(h)
            elif h:
                single_dims.append(h)
        found: dict[str, list[tuple[int, int, int, int]]] = {}
        for kind, by_n in groups.items():
            found[kind] = []
            for n in sorted(by_n):
                cols = by_n[n]
                lacking = [p for p in ("task id", "start", "end") if p not in cols]
                if lacking:
                    problems.append(
                        Problem(
                            f"column group {kind} {n} lacks "
                            + ", ".join(f"'{kind} {p} {n}'" for p in lacking),
                            src,
                            0,
                        )
                    )
                    continue
                found[kind].append((n, cols["task id"], cols["start"], cols["end"]))
        if problems:
            raise ValidationError(problems)
        return cls(
            index=index,
            category=category,
            subcategory=subcategory,
            multi_dims=multi_dims,
            single_dims=single_dims,
            participant_attrs=attrs,
            multi_groups=found["multi"],
            int_groups=found["int"],
        )


@dataclass
class _SessionDraft:
    first_row: int
    fields: tuple[str, ...]
    observer: str
    participant: str
    location: str
    day: date
    start: datetime
    end: datetime | None
    complete: bool
    attributes: tuple[tuple[str, str], ...]
    crosses_midnight: bool = False  # the session's end clock time is before its start
    tasks: list[Task] = field(default_factory=list)


class _Parser:
    def __init__(
        self,
        src: str,
        layout: _Layout,
        zone: ZoneInfo,
        tz_name: str,
        name: str,
        version: str,
        profession: str | None,
        header: list[str],
    ) -> None:
        self.src = src
        self.L = layout
        self.zone = zone
        self.tz_name = tz_name
        self.name = name
        self.version = version
        self.profession = profession
        self.problems: list[Problem] = []
        self.header = header
        self.sessions: dict[str, _SessionDraft] = {}
        self.task_rows: dict[str, int] = {}
        self.reported: dict[tuple[str, str], ReportedTimes] = {}
        self.categories: dict[str, list[str]] = {}
        self.single_options: dict[str, list[str]] = {d: [] for d in layout.single_dims}

    # -- helpers ---------------------------------------------------------------------------
    def bad(self, n: int, column: str | None, reason: str) -> None:
        self.problems.append(Problem(reason, self.src, n, column))

    def cell(self, row: Sequence[str], column: str) -> str:
        i = self.L.index[column]
        return row[i].strip() if i < len(row) else ""

    def at(self, row: Sequence[str], i: int) -> str:
        return row[i].strip() if i < len(row) else ""

    def clock(self, n: int, column: str, text: str, sess: _SessionDraft | None) -> datetime | None:
        """A wall-clock time of the session's day (or the next, past midnight) in the zone."""
        try:
            t = time.fromisoformat(text)
        except ValueError:
            self.bad(n, column, f"'{text}' is not a time of day HH:MM:SS")
            return None
        if sess is None:
            return None
        day = sess.day
        if sess.crosses_midnight and t < sess.start.astimezone(self.zone).time():
            day = day + timedelta(days=1)
        return datetime.combine(day, t, tzinfo=self.zone)

    def duration(self, n: int, column: str, text: str) -> int | None:
        if not text:
            return None
        m = re.fullmatch(r"(\d+):([0-5]\d):([0-5]\d)", text)
        if not m:
            self.bad(n, column, f"'{text}' is not a duration HH:MM:SS")
            return None
        h, mi, s = map(int, m.groups())
        return h * 3600 + mi * 60 + s

    # -- rows ------------------------------------------------------------------------------
    def row(self, n: int, row: Sequence[str]) -> None:
        L = self.L
        if len(row) != len(L.index):
            self.bad(n, None, f"has {len(row)} fields, the header has {len(L.index)}")
            return
        header = self.header
        for i, cell in enumerate(row):
            reason = text_problem(cell, MAX_LINE)
            if reason is not None:
                self.bad(n, header[i], reason)
                return
        sid = self.cell(row, "session id")
        if not sid:
            self.bad(n, "session id", "is empty")
            return
        sess = self.session(n, row, sid)
        if sess is None:
            return
        key = self.cell(row, "observer/session/task id")
        if not key:
            self.bad(n, "observer/session/task id", "is empty")
            return
        if key in self.task_rows:
            self.bad(
                n,
                "observer/session/task id",
                f"task id '{key}' is duplicated (first on row {self.task_rows[key]})",
            )
            return
        self.task_rows[key] = n
        observer = self.cell(row, "observer id")
        if not key.startswith(f"{observer}_{sid}_"):
            self.bad(
                n,
                "observer/session/task id",
                f"task id '{key}' does not begin with the row's observer and session ids "
                f"'{observer}_{sid}_' (are columns swapped?)",
            )
            return
        start_txt, end_txt = self.cell(row, "start time"), self.cell(row, "end time")
        if not start_txt:
            self.bad(n, "start time", "is empty")
            return
        start = self.clock(n, "start time", start_txt, sess)
        end = self.clock(n, "end time", end_txt, sess) if end_txt else None
        if (end_txt and end is None) or start is None:
            return
        if end is None and sess.complete:
            self.bad(n, "end time", "is empty, but the session is marked complete")
            return
        if end is not None and end < start:
            self.bad(n, "end time", f"{end_txt} is before the start time {start_txt}")
            return
        category = self.cell(row, L.category)
        raw_sub = self.cell(row, L.subcategory) if L.subcategory else ""
        sub = None if raw_sub in ("", "0") else raw_sub
        if category:
            subs = self.categories.setdefault(category, [])
            if sub and sub not in subs:
                subs.append(sub)
        dims: list[tuple[str, tuple[str, ...]]] = []
        for dim, options in L.multi_dims.items():
            chosen = []
            for option, i in options:
                v = self.at(row, i)
                if v not in ("", "0", "1"):
                    self.bad(n, f"[{dim}] {option}", f"'{v}' is not 0 or 1")
                elif v == "1":
                    chosen.append(option)
            if chosen:
                dims.append((dim, tuple(chosen)))
        for dim in L.single_dims:
            v = self.cell(row, dim)
            if v not in ("", "0"):
                dims.append((dim, (v,)))
                if v not in self.single_options[dim]:
                    self.single_options[dim].append(v)
        suspensions = []
        for g, id_col, s_col, e_col in L.int_groups:
            by = self.at(row, id_col)
            s_txt, e_txt = self.at(row, s_col), self.at(row, e_col)
            if by in ("", "0") and not s_txt:
                continue
            a = self.clock(n, f"int start {g}", s_txt, sess) if s_txt else None
            if a is None:
                if not s_txt:
                    self.bad(n, f"int start {g}", "is empty but the interruption is recorded")
                continue
            b = self.clock(n, f"int end {g}", e_txt, sess) if e_txt else None
            if e_txt and b is None:
                continue
            if b is not None and b < a:
                self.bad(n, f"int end {g}", f"{e_txt} is before the interruption start {s_txt}")
                continue
            suspensions.append(Suspension(start=a, end=b, by=by or None))
        declared = self.cell(row, "num of interrupts") if "num of interrupts" in L.index else ""
        if declared.isdigit() and int(declared) != len(suspensions):
            self.bad(
                n,
                "num of interrupts",
                f"says {declared} but {len(suspensions)} interruption groups are filled",
            )
        parallel = []
        for g, id_col, s_col, e_col in L.multi_groups:
            ids = self.at(row, id_col)
            if ids in ("", "0"):
                continue
            s_txt, e_txt = self.at(row, s_col), self.at(row, e_col)
            a = self.clock(n, f"multi start {g}", s_txt, sess) if s_txt else None
            b = self.clock(n, f"multi end {g}", e_txt, sess) if e_txt else None
            if a is not None and b is not None and b < a:
                self.bad(n, f"multi end {g}", f"{e_txt} is before the multitasking start {s_txt}")
                continue
            for other in (x.strip() for x in ids.split(",")):
                if other:
                    parallel.append(ParallelLink(other=other, start=a, end=b))
        ended_by = self.cell(row, "ended by") or None
        elapsed = self.duration(n, "elapsed time", self.cell(row, "elapsed time"))
        active = self.duration(n, "total time", self.cell(row, "total time"))
        if elapsed is not None and active is not None and active > elapsed:
            self.bad(
                n,
                "total time",
                f"{self.cell(row, 'total time')} is longer than the elapsed time "
                f"{self.cell(row, 'elapsed time')} (are columns swapped?)",
            )
            return
        try:
            task = Task(
                key=key,
                category=category,
                subcategory=sub,
                start=start,
                end=end,
                dimensions=tuple(dims),
                parallel=tuple(parallel),
                suspensions=tuple(suspensions),
                ended_by=ended_by,
                seq=n,
            )
        except ValidationError as exc:
            for p in exc.problems:
                self.bad(n, None, p.reason)
            return
        sess.tasks.append(task)
        self.reported[(f"{SOURCE}:{sid}", key)] = ReportedTimes(elapsed, active)

    def session(self, n: int, row: Sequence[str], sid: str) -> _SessionDraft | None:
        fields = tuple(self.cell(row, c) for c in SESSION_FIELDS)
        if sid in self.sessions:
            s = self.sessions[sid]
            if fields != s.fields:
                for col, mine, first in zip(SESSION_FIELDS, fields, s.fields, strict=True):
                    if mine != first:
                        self.bad(
                            n,
                            col,
                            f"'{mine}' differs from '{first}' on row {s.first_row} "
                            f"of the same session {sid}",
                        )
                        return None
            return s
        day_txt, observer, location, participant, start_txt, end_txt, complete_txt = fields
        problems_before = len(self.problems)
        try:
            day = date.fromisoformat(day_txt)
        except ValueError:
            self.bad(n, "session date", f"'{day_txt}' is not a date YYYY-MM-DD")
            day = None
        for col, v in (
            ("observer id", observer),
            ("location id", location),
            ("participant id", participant),
        ):
            if not v:
                self.bad(n, col, "is empty")
        complete = complete_txt.upper()
        if complete not in ("TRUE", "FALSE"):
            self.bad(n, "is session complete?", f"'{complete_txt}' is not TRUE or FALSE")
        try:
            t0 = time.fromisoformat(start_txt)
        except ValueError:
            self.bad(n, "session start", f"'{start_txt}' is not a time of day HH:MM:SS")
            t0 = None
        if len(self.problems) > problems_before or day is None or t0 is None:
            return None
        start = datetime.combine(day, t0, tzinfo=self.zone)
        draft = _SessionDraft(
            first_row=n,
            fields=fields,
            observer=observer,
            participant=participant,
            location=location,
            day=day,
            start=start,
            end=None,
            complete=complete == "TRUE",
            attributes=tuple(
                (a.removeprefix("Participant:").strip(), self.cell(row, a))
                for a in self.L.participant_attrs
                if self.cell(row, a)
            ),
        )
        if end_txt:
            with contextlib.suppress(ValueError):  # a bad time is reported by clock() below
                draft.crosses_midnight = time.fromisoformat(end_txt) < t0
            draft.end = self.clock(n, "session end", end_txt, draft)
            if draft.end is None:
                return None
        elif draft.complete:
            self.bad(n, "session end", "is empty, but the session is marked complete")
            return None
        self.sessions[sid] = draft
        return draft

    # -- result ----------------------------------------------------------------------------
    def finish(self, path: str) -> WombatExport:
        warnings: list[str] = []
        sessions: list[Session] = []
        template_key = f"{self.name}@{self.version}"
        for sid, d in self.sessions.items():
            keys = {t.key for t in d.tasks}
            for t in d.tasks:
                n = self.task_rows[t.key]
                if d.end is not None and (t.start < d.start or t.known_end > d.end):
                    self.bad(
                        n,
                        "start time",
                        f"task {t.key} lies partly outside its session "
                        f"(are the session or task times swapped?)",
                    )
                for s in t.suspensions:
                    if s.by and s.by not in keys:
                        self.bad(
                            n,
                            "int task id",
                            f"names interrupting task '{s.by}', which is not in session {sid}",
                        )
                for link in t.parallel:
                    if link.other not in keys:
                        self.bad(
                            n,
                            "multi task id",
                            f"names parallel task '{link.other}', which is not in session {sid}",
                        )
            try:
                sessions.append(
                    Session(
                        key=f"{SOURCE}:{sid}",
                        participant=participant_code(d.location, d.participant),
                        site=d.location,
                        start=d.start,
                        end=d.end,
                        mode="imported",
                        observer=d.observer,
                        complete=d.complete,
                        timezone=self.tz_name,
                        template=template_key,
                        source=SOURCE,
                        source_id=sid,
                        tasks=tuple(d.tasks),
                        attributes=d.attributes,
                    )
                )
            except ValidationError as exc:
                for p in exc.problems:
                    self.bad(d.first_row, None, p.reason)
        if self.problems:
            raise ValidationError(self.problems)
        sites = {
            d.location: Site(code=d.location, timezone=self.tz_name) for d in self.sessions.values()
        }
        participants: dict[str, Participant] = {}
        for d in self.sessions.values():
            code = participant_code(d.location, d.participant)
            if code not in participants:
                occupation = dict(d.attributes).get("Occupation", "").lower()
                prof = self.profession or (occupation if occupation in PROFESSIONS else "other")
                participants[code] = Participant(
                    code=code, site=d.location, profession=prof, attributes=d.attributes
                )
        observers = {d.observer: Observer(code=d.observer) for d in self.sessions.values()}
        return WombatExport(
            path=path,
            template=self.template(),
            sites=list(sites.values()),
            participants=list(participants.values()),
            observers=list(observers.values()),
            sessions=sessions,
            reported=self.reported,
            warnings=warnings,
        )

    def template(self) -> Template:
        L = self.L
        dims = [
            Dimension(key=k, label=k, multi=True, options=tuple(o for o, _ in opts))
            for k, opts in L.multi_dims.items()
        ]
        dims += [
            Dimension(key=k, label=k, multi=False, options=tuple(self.single_options[k]))
            for k in L.single_dims
        ]
        return Template(
            name=self.name,
            version=self.version,
            title=f"{self.name} (WOMBAT v{self.version})",
            categories=tuple(
                Category(code=c, label=c, domain="other", job_plan=None, subcategories=tuple(s))
                for c, s in self.categories.items()
            ),
            dimensions=tuple(dims),
            description=f"Built from the header and values of the WOMBAT export {self.src}. "
            f"Main category column: '{L.category}'. Categories are mapped to the domain "
            "'other' until a mapping is loaded.",
        )


def participant_code(location: str, participant: str) -> str:
    """WOMBAT participant ids are only unique within a location: the code joins both."""
    return f"{location}:{participant}"


def read_many(paths: Iterable[str | Path], **options: object) -> list[WombatExport]:
    """Read several exports; collect every file's problems before failing."""
    out: list[WombatExport] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for p in paths:
        try:
            exp = read_wombat(p, **options)  # type: ignore[arg-type]
        except ValidationError as exc:
            problems.extend(exc.problems)
            continue
        for s in exp.sessions:
            if s.key in seen:
                problems.append(
                    Problem(
                        f"session {s.source_id} is also in {seen[s.key]}",
                        Path(p).name,
                        column="session id",
                    )
                )
            seen[s.key] = Path(p).name
        out.append(exp)
    if problems:
        raise ValidationError(problems)
    return out
