"""BORIS project files (Behavioral Observation Research Interactive Software, `.boris`).

A BORIS project is one JSON document (optionally gzip-compressed, `.boris.gz`):

- ``behaviors_conf``: the ethogram, ``{"0": {"type": "State event" | "Point event" (also
  "... with coding map"), "code", "description", "modifiers": {"0": {"name", "type" (0 single,
  1 multiple, 2 numeric, 3 external data), "values": [...]}}}}``;
- ``subjects_conf``: ``{"0": {"key", "name", "description"}}``;
- ``independent_variables``: their definitions (``label``, ``type``, ...);
- ``observations``: ``{obs id: {"type": "LIVE" | "MEDIA" | "IMAGES", "date", "description",
  "time offset", "file", "media_info", "independent_variables", "events": [...]}}``.

An event is a list ``[time, subject, behaviour code, modifiers, comment]`` (project format 7;
a MEDIA observation may add the frame index, an IMAGES observation the image index and path).
``time`` is seconds on the observation's timeline (for a media observation: the media position
plus the observation's time offset); ``subject`` is ``""`` for no focal subject; ``modifiers``
joins one value per modifier set of the behaviour with ``|`` (``None`` when none was chosen;
several values of a multiple-selection set are joined with ``,``). A state behaviour has no
START/STOP field: as in BORIS, its events alternate start, stop, start... per subject,
behaviour and modifiers, in time order.

Mapping to workweave (one session per observation and subject):

- observation -> session ``boris:<obs id>`` (``boris:<obs id>:<subject>`` when it has several
  subjects), mode ``imported``, source ``boris``, source id the observation id;
- subject -> participant (``No focal subject`` for events without one);
- state behaviour -> template category, and each start/stop pair -> one task;
- point behaviour -> point event of kind ``behaviour`` (its code, ``|modifiers`` if any, as
  subtype);
- modifier set -> template dimension (by set name), values -> the task's dimension values;
- independent variables -> session attributes; an ``observer``/``observer id`` variable names
  the observer, ``site`` and ``timezone`` variables the site and the time zone;
- event comments -> notes at the event's time.

Times: a LIVE observation's time 0 is its ``date`` (or ``session_start``); a MEDIA
observation's is the ``session_start`` given, else its ``date``. The session spans BORIS's own
observation length (a live observation: 0 to its last event; a media observation: 0 to the
media length, or to the last event if later; without media lengths: first to last event), so
that per-cent-of-observation figures are BORIS's.

Every problem names the observation, the event (1-based position in its ``events`` list) and
the reason. By default any problem refuses the whole file; ``skip_bad`` imports the
observations without problems and reports the others (an observation is never half-imported).
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from workweave.domain.errors import Problem, ValidationError
from workweave.domain.observation import Note, PointEvent, Session, Suspension, Task
from workweave.domain.study import Observer, Participant, Site, check_timezone
from workweave.domain.template import Category, Dimension, PointEventType, Template

SOURCE = "boris"
MAX_BYTES = 64 * 1024 * 1024
"""Largest project file read (also the decompressed size of a .boris.gz)."""
MAX_DEPTH = 32
"""Deepest JSON nesting accepted (a BORIS project nests 6 levels)."""
MAX_EVENTS = 2_000_000
MAX_TIME_S = 10 * 366 * 86400  # event times beyond ten years are refused (epoch times excepted)
NO_FOCAL_SUBJECT = "No focal subject"
POINT_KIND = "behaviour"
TASK_MARK = re.compile(r"^workweave task (?P<key>.{1,200})$")
"""The start-event comment our export writes on each bout of a task, so that the bouts of an
interrupted task come back as one task with its suspensions."""
OBSERVER_VARIABLES = ("observer", "observer id", "observer code")
LENGTH_VARIABLE = "workweave session length (s)"
_Q = Decimal("0.001")
_CODE_BAD = re.compile(r"[^A-Za-z0-9._:/@ -]")
_TEMPLATE_BAD = re.compile(r"[^A-Za-z0-9._ -]+")
STATE_TYPES = ("State event", "State event with coding map")
POINT_TYPES = ("Point event", "Point event with coding map")


# -- reading the file -----------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _depth_ok(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict | list):
            if d > limit:
                return False
            items = v.values() if isinstance(v, dict) else v
            stack.extend((x, d + 1) for x in items if isinstance(x, dict | list))
    return True


def load_json(path: str | Path, *, max_bytes: int = MAX_BYTES) -> Any:
    """The parsed JSON of a `.boris` (or gzip-compressed `.boris.gz`) file, bounded in size and
    depth; NaN and Infinity are refused."""
    p = Path(path)
    src = p.name
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise ValidationError(Problem(f"file is {size} bytes, over {max_bytes}", src))
        raw = p.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            with gzip.open(p, "rb") as fh:
                raw = fh.read(max_bytes + 1)
            if len(raw) > max_bytes:
                raise ValidationError(Problem(f"decompresses to over {max_bytes} bytes", src))
    except OSError as exc:
        raise ValidationError(Problem(f"cannot read: {exc.strerror or exc}", src)) from None
    except (gzip.BadGzipFile, EOFError) as exc:
        raise ValidationError(Problem(f"not a valid gzip file: {exc}", src)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(Problem(f"not UTF-8 text (byte {exc.start})", src)) from None
    if "\x00" in text:
        raise ValidationError(Problem("contains a NUL character", src))
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            Problem(f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", src)
        ) from None
    except ValueError as exc:
        raise ValidationError(Problem(str(exc), src)) from None
    except RecursionError:
        raise ValidationError(Problem(f"JSON nested deeper than {MAX_DEPTH} levels", src)) from None
    if not _depth_ok(data, MAX_DEPTH):
        raise ValidationError(Problem(f"JSON nested deeper than {MAX_DEPTH} levels", src))
    return data


# -- the result -----------------------------------------------------------------------------


@dataclass
class BorisImport:
    """Everything a BORIS project holds, as canonical domain objects."""

    path: str
    template: Template
    sites: list[Site]
    participants: list[Participant]
    observers: list[Observer]
    sessions: list[Session]
    observations: int = 0
    events: int = 0
    skipped: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def task_count(self) -> int:
        return sum(len(s.tasks) for s in self.sessions)


@dataclass
class _Modifiers:
    """The modifier sets of one behaviour: dimension keys, kinds and declared values."""

    keys: list[str]
    types: list[int]
    values: list[list[str]]


@dataclass
class _Ethogram:
    state: dict[str, str]  # code -> description
    point: dict[str, str]
    modifiers: dict[str, _Modifiers]


def _text(value: Any, limit: int = 10_000) -> str | None:
    if isinstance(value, str) and len(value) <= limit and "\x00" not in value:
        return value
    return None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        f = float(value)
    except ValueError:
        return None
    return f if math.isfinite(f) else None


def _ms(seconds: float) -> int:
    """BORIS's rounding: the exact value of the float, quantised to the millisecond."""
    return int(Decimal(seconds).quantize(_Q) * 1000)


def _code(name: str) -> str:
    code = _CODE_BAD.sub("_", name.strip())[:64]
    if not code or not code[0].isalnum():
        code = ("s" + code)[:64]
    return code


def _strip_shortcut(value: str) -> str:
    return re.sub(r" \(.*\)", "", value)


def _ethogram(data: Mapping[str, Any], src: str, problems: list[Problem]) -> _Ethogram:
    eth = _Ethogram({}, {}, {})
    conf = data.get("behaviors_conf")
    if not isinstance(conf, Mapping):
        problems.append(Problem("'behaviors_conf' (the ethogram) must be an object", src))
        return eth
    dim_names: dict[str, str] = {}
    for idx in sorted(conf, key=lambda k: (len(str(k)), str(k))):
        b = conf[idx]
        where = f"ethogram entry {idx}"
        if not isinstance(b, Mapping):
            problems.append(Problem(f"{where}: must be an object", src))
            continue
        code, kind = _text(b.get("code"), 200), b.get("type")
        if not code or not code.strip():
            problems.append(Problem(f"{where}: 'code' must be non-empty text", src))
            continue
        if "," in code or code != code.strip():
            problems.append(
                Problem(f"{where}: behaviour code '{code[:60]}' has a comma or edge spaces", src)
            )
            continue
        if code in eth.state or code in eth.point:
            problems.append(Problem(f"{where}: behaviour code '{code}' appears twice", src))
            continue
        desc = _text(b.get("description")) or ""
        if kind in STATE_TYPES:
            eth.state[code] = desc
        elif kind in POINT_TYPES:
            eth.point[code] = desc
        else:
            problems.append(
                Problem(f"{where}: type {str(kind)[:40]!r} is not a state or point event", src)
            )
            continue
        mods = b.get("modifiers") or {}
        m = _Modifiers([], [], [])
        if isinstance(mods, str):  # project format < 4: sets as text, "|" between sets
            mods = {
                str(i): {"name": "", "type": 0, "values": s.split(",")}
                for i, s in enumerate(mods.split("|"))
            }
        if not isinstance(mods, Mapping):
            problems.append(Problem(f"{where}: 'modifiers' must be an object", src))
            continue
        for n, k in enumerate(sorted(mods, key=lambda k: (len(str(k)), str(k))), start=1):
            ms = mods[k]
            if not isinstance(ms, Mapping):
                problems.append(Problem(f"{where}: modifier set {k} must be an object", src))
                continue
            name = _text(ms.get("name"), 200)
            if name is None:
                problems.append(Problem(f"{where}: modifier set {k} needs a text 'name'", src))
                continue
            key = name.strip() or f"{code} modifier {n}"
            mtype = ms.get("type", 0)
            if isinstance(mtype, bool) or not isinstance(mtype, int) or mtype not in (0, 1, 2, 3):
                problems.append(Problem(f"{where}: modifier set '{key}' has type {mtype!r}", src))
                continue
            values = ms.get("values") or []
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                problems.append(Problem(f"{where}: modifier set '{key}' values must be text", src))
                continue
            dim_names.setdefault(key, code)
            m.keys.append(key)
            m.types.append(mtype)
            m.values.append([_strip_shortcut(v) for v in values if v.strip()])
        eth.modifiers[code] = m
    return eth


@dataclass
class _Bout:
    subject: str
    code: str
    modifiers: str
    start_ms: int
    end_ms: int
    start_index: int  # 1-based position of its start event
    comment: str


@dataclass
class _Obs:
    obs_id: str
    problems: list[Problem] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    participants: dict[str, Participant] = field(default_factory=dict)
    observer: str | None = None
    site: str = ""
    events: int = 0


def read_project(
    path: str | Path,
    *,
    timezone: str,
    site: str = "boris",
    session_start: datetime | None = None,
    observer_variable: str | None = None,
    skip_bad: bool = False,
) -> BorisImport:
    """Read a BORIS project file (see the module docstring for the mapping)."""
    data = load_json(path)
    return parse_project(
        data,
        Path(path).name,
        timezone=timezone,
        site=site,
        session_start=session_start,
        observer_variable=observer_variable,
        skip_bad=skip_bad,
    )


def parse_project(
    data: Any,
    src: str,
    *,
    timezone: str,
    site: str = "boris",
    session_start: datetime | None = None,
    observer_variable: str | None = None,
    skip_bad: bool = False,
) -> BorisImport:
    check_timezone(timezone)
    Site(code=site, timezone=timezone)  # validates the default site code
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        raise ValidationError(Problem("a BORIS project must be a JSON object", src))
    eth = _ethogram(data, src, problems)
    obs_all = data.get("observations")
    if not isinstance(obs_all, Mapping):
        problems.append(Problem("'observations' must be an object", src))
        obs_all = {}
    if problems:
        raise ValidationError(problems)
    if not eth.state and not eth.point:
        raise ValidationError(Problem("the ethogram defines no behaviour", src))
    total_events = sum(
        len(o.get("events") or []) for o in obs_all.values() if isinstance(o, Mapping)
    )
    if total_events > MAX_EVENTS:
        raise ValidationError(Problem(f"{total_events} events, over {MAX_EVENTS}", src))
    template = _template(data, eth, src)
    template_key = template.key
    parsed: list[_Obs] = []
    for obs_id, obs in obs_all.items():
        parsed.append(
            _observation(
                str(obs_id),
                obs,
                eth,
                src,
                timezone=timezone,
                site=site,
                session_start=session_start,
                observer_variable=observer_variable,
                template_key=template_key,
            )
        )
    bad = [p for o in parsed for p in o.problems]
    if bad and not skip_bad:
        raise ValidationError(bad)
    good = [o for o in parsed if not o.problems]
    # extra dimension values seen in the events (numeric and external-data modifiers)
    seen: dict[str, list[str]] = {}
    for o in good:
        for s in o.sessions:
            for t in s.tasks:
                for k, vals in t.dimensions:
                    seen.setdefault(k, [])
                    seen[k].extend(v for v in vals if v not in seen[k])
    dims = []
    for d in template.dimensions:
        extra = [v for v in seen.get(d.key, []) if v not in d.options]
        dims.append(Dimension(d.key, d.label, d.multi, d.options + tuple(extra)))
    for k in seen:
        if template.dimension(k) is None:
            dims.append(Dimension(k, k, False, tuple(seen[k])))
    points = [PointEventType(POINT_KIND, "BORIS point behaviour", tuple(eth.point))]
    template = Template(
        name=template.name,
        version=template.version,
        title=template.title,
        categories=template.categories,
        dimensions=tuple(d for d in dims if d.options),
        point_events=tuple(points) if eth.point else (),
        description=template.description,
    )
    participants: dict[str, Participant] = {}
    for o in good:
        for code, p in o.participants.items():
            if code in participants and participants[code].site != p.site:
                msg = f"subject '{code}' is at site '{p.site}' and '{participants[code].site}'"
                if not skip_bad:
                    raise ValidationError(Problem(f"observation '{o.obs_id}': {msg}", src))
                o.problems.append(Problem(f"observation '{o.obs_id}': {msg}", src))
                continue
            participants.setdefault(code, p)
    good = [o for o in good if not o.problems]
    sessions = [s for o in good for s in o.sessions]
    keys = [s.key for s in sessions]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ValidationError(Problem(f"two observations make the session key '{dup}'", src))
    used_sites = {s.site: s.timezone for s in sessions}
    warnings = [
        f"observation '{o.obs_id}': no events, nothing imported"
        for o in good
        if not o.sessions and o.events == 0
    ]
    return BorisImport(
        path=src,
        template=template,
        sites=[Site(code=c, timezone=tz) for c, tz in used_sites.items()],
        participants=[
            p for p in participants.values() if p.code in {s.participant for s in sessions}
        ],
        observers=[Observer(code=c) for c in sorted({s.observer for s in sessions if s.observer})],
        sessions=sessions,
        observations=len(parsed),
        events=sum(o.events for o in parsed),
        skipped=[p for o in parsed for p in o.problems],
        warnings=warnings,
    )


def _template(data: Mapping[str, Any], eth: _Ethogram, src: str) -> Template:
    raw_name = _TEMPLATE_BAD.sub(" ", str(data.get("project_name") or ""))
    name = " ".join(raw_name.split())[:80].strip(" -.")
    if not name or not name[0].isalnum():
        name = "boris-project"
    version = str(data.get("project_date") or "1").strip()[:40] or "1"
    if "\x00" in version:
        version = "1"
    dims: dict[str, Dimension] = {}
    for m in eth.modifiers.values():
        for key, mtype, values in zip(m.keys, m.types, m.values, strict=True):
            if key in dims:
                d = dims[key]
                opts = d.options + tuple(v for v in values if v not in d.options)
                dims[key] = Dimension(key, key, d.multi or mtype == 1, opts)
            else:
                dims[key] = Dimension(key, key, mtype == 1, tuple(dict.fromkeys(values)))
    cats = tuple(
        Category(code=c, label=(d.strip()[:200] or c), domain="other") for c, d in eth.state.items()
    )
    if not cats:
        cats = (Category(code="(no state behaviour)", label="(no state behaviour)"),)
    return Template(
        name=name,
        version=version,
        title=f"{name} (BORIS ethogram)",
        categories=cats,
        dimensions=tuple(dims.values()),
        description=f"Built from the ethogram of the BORIS project {src}: state behaviours "
        "are categories, point behaviours point events of kind 'behaviour', modifier sets "
        "dimensions. Categories are mapped to the domain 'other' until a mapping is loaded.",
    )


def _local(dt: datetime, tz: ZoneInfo) -> datetime:
    return dt.replace(tzinfo=tz) if dt.tzinfo is None else dt


def _observation(
    obs_id: str,
    obs: Any,
    eth: _Ethogram,
    src: str,
    *,
    timezone: str,
    site: str,
    session_start: datetime | None,
    observer_variable: str | None,
    template_key: str,
) -> _Obs:
    o = _Obs(obs_id)
    label = f"observation '{obs_id[:80]}'"

    def bad(reason: str, event: int | None = None) -> None:
        where = f"{label}, event {event}" if event is not None else label
        o.problems.append(Problem(f"{where}: {reason}", src))

    if len(obs_id) > 150 or "\x00" in obs_id or not obs_id.strip():
        bad("the observation id must be 1-150 characters")
        return o
    if not isinstance(obs, Mapping):
        bad("must be an object")
        return o
    otype = obs.get("type")
    if otype not in ("LIVE", "MEDIA", "IMAGES"):
        bad(f"type {str(otype)[:40]!r} is not LIVE, MEDIA or IMAGES")
        return o
    events = obs.get("events", [])
    if not isinstance(events, list):
        bad("'events' must be a list")
        return o
    o.events = len(events)
    # independent variables -> attributes
    ivs = obs.get("independent_variables") or {}
    attrs: dict[str, str] = {}
    if not isinstance(ivs, Mapping):
        bad("'independent_variables' must be an object")
        return o
    for k, v in ivs.items():
        if isinstance(v, bool) or not isinstance(v, str | int | float) or v is None:
            if v is None:
                continue
            bad(f"independent variable '{str(k)[:60]}' must be text or a number")
            continue
        if isinstance(v, float) and not math.isfinite(v):
            bad(f"independent variable '{str(k)[:60]}' is not a finite number")
            continue
        sv = str(v)
        if len(str(k)) > 200 or len(sv) > 10_000 or "\x00" in sv + str(k):
            bad(f"independent variable '{str(k)[:60]}' is too long or has a NUL")
            continue
        attrs[str(k)] = sv
    lower = {k.lower(): k for k in attrs}
    observer: str | None = None
    names = (observer_variable.lower(),) if observer_variable else OBSERVER_VARIABLES
    for n in names:
        if n in lower and attrs[lower[n]].strip():
            observer = _code(attrs[lower[n]])
            break
    tz_name = attrs.get(lower.get("timezone", ""), "") or timezone
    try:
        tz = check_timezone(tz_name)
    except ValidationError:
        bad(f"independent variable 'timezone' is not a time zone: {tz_name[:60]!r}")
        return o
    site_code = attrs.get(lower.get("site", ""), "").strip() or site
    try:
        Site(code=site_code, timezone=tz_name)
    except ValidationError as exc:
        bad(str(exc.problems[0].reason))
        return o
    # time base
    offset = _num(obs.get("time offset", 0) or 0)
    if offset is None:
        bad("'time offset' must be a finite number")
        return o
    date_raw = obs.get("date")
    base: datetime | None = None
    if session_start is not None:
        base = _local(session_start, tz)
    elif isinstance(date_raw, str):
        try:
            base = _local(datetime.fromisoformat(date_raw.strip()), tz)
        except ValueError:
            bad(f"'date' {date_raw[:40]!r} is not an ISO date and time; give a session start")
            return o
    else:
        bad("no 'date' and no session start given")
        return o
    epoch = bool(obs.get("start_from_current_epoch_time"))
    if epoch:
        base = datetime(1970, 1, 1, tzinfo=UTC)
    elif obs.get("start_from_current_time"):
        base = base.replace(hour=0, minute=0, second=0, microsecond=0)
    limit = 4e9 if epoch else MAX_TIME_S
    # events
    rows: list[tuple[int, int, str, str, str, str]] = []  # (ms, index, subject, code, mods, cmt)
    for i, ev in enumerate(events, start=1):
        if not isinstance(ev, list) or not 3 <= len(ev) <= 8:
            bad("must be a list [time, subject, behaviour, modifiers, comment, ...]", i)
            continue
        t = ev[0]
        if isinstance(t, bool) or not isinstance(t, int | float):
            if otype == "IMAGES":
                bad("has no time stamp (an image observation without times)", i)
            else:
                bad(f"time {str(t)[:30]!r} is not a number", i)
            continue
        if not math.isfinite(t) or abs(t) > limit:
            bad(f"time {t!r} is not a finite number of seconds within range", i)
            continue
        subj, code = ev[1], ev[2]
        mods = ev[3] if len(ev) > 3 else ""
        cmt = ev[4] if len(ev) > 4 else ""
        if _text(subj, 200) is None:
            bad("subject must be text (up to 200 characters)", i)
            continue
        if _text(code, 200) is None:
            bad("behaviour must be text", i)
            continue
        if mods is None:
            mods = ""
        if _text(mods, 2000) is None or _text(cmt, 10_000) is None:
            bad("modifiers and comment must be text", i)
            continue
        if code not in eth.state and code not in eth.point:
            bad(f"behaviour '{code[:60]}' is not in the ethogram", i)
            continue
        try:
            ms = _ms(float(t))
        except (InvalidOperation, OverflowError):
            bad(f"time {t!r} cannot be read", i)
            continue
        rows.append((ms, i, subj or NO_FOCAL_SUBJECT, code, mods, cmt))
    if o.problems:
        return o
    rows.sort(key=lambda r: (r[0], r[1]))
    # pair the state events: they alternate per subject, behaviour and modifiers
    open_: dict[tuple[str, str, str], tuple[int, int, str]] = {}
    bouts: list[_Bout] = []
    points: list[tuple[int, int, str, str, str]] = []
    for ms, i, subj, code, mods, cmt in rows:
        if code in eth.point:
            points.append((ms, i, subj, code, mods))
            continue
        k = (subj, code, mods)
        if k in open_:
            s_ms, s_i, s_cmt = open_.pop(k)
            bouts.append(_Bout(subj, code, mods, s_ms, ms, s_i, s_cmt))
        else:
            open_[k] = (ms, i, cmt)
    for (subj, code, mods), (s_ms, s_i, _) in sorted(open_.items(), key=lambda kv: kv[1][1]):
        m = f" (modifiers {mods})" if mods else ""
        bad(
            f"state behaviour '{code}'{m} of subject '{subj}' starts at {s_ms / 1000:.3f} s "
            "and is never stopped (unpaired)",
            s_i,
        )
    if o.problems:
        return o
    # the observation window on its own timeline (BORIS's observation length)
    times = [r[0] for r in rows]
    lo_ms, hi_ms = (min(times), max(times)) if times else (0, 0)
    if otype == "LIVE" and not epoch and not obs.get("start_from_current_time"):
        lo, hi = min(0, lo_ms), hi_ms
    elif otype == "MEDIA":
        length = _media_length(obs)
        if length is None:
            lo, hi = lo_ms, hi_ms
        else:
            lo, hi = min(0, lo_ms), max(_ms(length), hi_ms)
    else:
        lo, hi = lo_ms, hi_ms
    stated = _num(attrs.get(LENGTH_VARIABLE)) if LENGTH_VARIABLE in attrs else None
    if stated is not None and lo == 0 and _ms(stated) >= hi:
        hi = _ms(stated)
    attrs_out = dict(attrs)
    attrs_out["boris observation"] = obs_id
    attrs_out["boris type"] = str(otype)
    if offset:
        attrs_out["boris time offset (s)"] = f"{offset:g}"
    media = _media_files(obs)
    if media:
        attrs_out["boris media"] = "; ".join(media)[:2000]
    description = _text(obs.get("description"), 100_000)
    if description and description.strip():
        attrs_out["boris description"] = description.strip()[:10_000]
    subjects = sorted({r[2] for r in rows})
    for subj in subjects:
        code = _code(subj)
        try:
            o.participants[code] = Participant(
                code=code, site=site_code, attributes=(("boris subject", subj),)
            )
        except ValidationError as exc:
            bad(exc.problems[0].reason)
            return o
    o.observer = observer
    o.site = site_code
    if observer is not None:
        try:
            Observer(code=observer)
        except ValidationError as exc:
            bad(exc.problems[0].reason)
            return o

    def at(ms: int) -> datetime:
        return base + timedelta(milliseconds=ms)

    for subj in subjects:
        tasks = _tasks([b for b in bouts if b.subject == subj], eth, at, lambda r, i: bad(r, i))
        evs = tuple(
            PointEvent(
                kind=POINT_KIND,
                at=at(ms),
                subtype=f"{code}|{mods}" if mods and mods != "None" else code,
                key=f"e{i}",
            )
            for ms, i, s, code, mods in points
            if s == subj
        )
        notes = tuple(
            Note(at=at(ms), text=cmt, key=f"e{i}")
            for ms, i, s, _c, _m, cmt in rows
            if s == subj and cmt.strip() and not TASK_MARK.match(cmt)
        )
        if o.problems:
            return o
        key = f"{SOURCE}:{obs_id}" if len(subjects) == 1 else f"{SOURCE}:{obs_id}:{subj}"
        if len(key) > 200:
            bad("observation id and subject make a session key over 200 characters")
            return o
        try:
            o.sessions.append(
                Session(
                    key=key,
                    participant=_code(subj),
                    site=site_code,
                    start=at(lo),
                    end=at(hi),
                    mode="imported",
                    observer=observer,
                    complete=True,
                    timezone=tz_name,
                    template=template_key,
                    source=SOURCE,
                    source_id=obs_id,
                    tasks=tuple(tasks),
                    events=evs,
                    notes=notes,
                    attributes=tuple(attrs_out.items()),
                )
            )
        except ValidationError as exc:
            for p in exc.problems:
                bad(p.reason)
            return o
    return o


def _media_length(obs: Mapping[str, Any]) -> float | None:
    """BORIS's media length: per player the sum of its files' lengths, the longest player."""
    files, info = obs.get("file"), obs.get("media_info")
    if not isinstance(files, Mapping) or not isinstance(info, Mapping):
        return None
    lengths = info.get("length")
    if not isinstance(lengths, Mapping):
        return None
    totals = []
    for player in files.values():
        if not isinstance(player, list) or not player:
            continue
        total = 0.0
        for f in player:
            n = _num(lengths.get(f)) if isinstance(f, str) else None
            if n is None or n < 0:
                return None
            total += n
        totals.append(total)
    return max(totals) if totals else None


def _media_files(obs: Mapping[str, Any]) -> list[str]:
    files = obs.get("file")
    if isinstance(files, Mapping):
        return [f for p in files.values() if isinstance(p, list) for f in p if isinstance(f, str)]
    if isinstance(files, list):
        return [f for f in files if isinstance(f, str)]
    return []


def _dimensions(
    code: str, mods: str, eth: _Ethogram
) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], str | None]:
    """A behaviour's modifier text as dimension values; an error message when it does not fit
    the behaviour's modifier sets."""
    if not mods or mods == "None":
        return (), None
    sets = eth.modifiers.get(code) or _Modifiers([], [], [])
    parts = mods.split("|")
    if not sets.keys:
        return ((f"{code} modifiers", (mods,)),), None
    if len(parts) != len(sets.keys):
        return (), (
            f"modifiers '{mods[:80]}' have {len(parts)} value(s) for the "
            f"{len(sets.keys)} modifier set(s) of '{code}'"
        )
    out = []
    for key, mtype, part in zip(sets.keys, sets.types, parts, strict=True):
        part = part.strip()
        if not part or part == "None":
            continue
        values = [v.strip() for v in part.split(",")] if mtype == 1 else [part]
        out.append((key, tuple(v for v in values if v and v != "None")))
    return tuple(out), None


def _tasks(bouts: list[_Bout], eth: _Ethogram, at: Any, bad: Any) -> list[Task]:
    """Bouts as tasks; the bouts our export marked with one task key become one task, with the
    gaps between them as suspensions."""
    groups: dict[tuple[str, str], list[_Bout]] = {}
    singles: list[tuple[str, list[_Bout]]] = []
    for b in sorted(bouts, key=lambda b: (b.start_ms, b.start_index)):
        m = TASK_MARK.match(b.comment)
        if m:
            k = (b.code, m["key"])
            if k not in groups:
                groups[k] = []
                singles.append((m["key"], groups[k]))
            groups[k].append(b)
        else:
            singles.append((f"e{b.start_index}", [b]))
    tasks: list[Task] = []
    used: set[str] = set()
    for seq, (key, group) in enumerate(singles):
        first = group[0]
        if key in used:
            key = f"{key}#e{first.start_index}"
        used.add(key)
        dims, problem = _dimensions(first.code, first.modifiers, eth)
        if problem:
            bad(problem, first.start_index)
            continue
        susp = tuple(
            Suspension(start=at(a.end_ms), end=at(b.start_ms))
            for a, b in itertools.pairwise(group)
            if b.start_ms > a.end_ms
        )
        tasks.append(
            Task(
                key=key,
                category=first.code,
                start=at(first.start_ms),
                end=at(group[-1].end_ms),
                dimensions=dims,
                suspensions=susp,
                seq=seq,
            )
        )
    return tasks


# -- writing --------------------------------------------------------------------------------


@dataclass
class BorisExport:
    project: dict[str, Any]
    observations: int
    events: int
    warnings: list[str]


def _mod_text(values: tuple[str, ...], what: str) -> str:
    for v in values:
        if "|" in v or "," in v:
            raise ValidationError(
                f"{what}: value '{v[:60]}' has '|' or ',', which BORIS uses between modifiers"
            )
    return ",".join(values) if values else "None"


def _iso_local(dt: datetime, tz: str) -> str:
    return dt.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _secs(ms: int) -> float:
    return round(ms / 1000, 3)


def to_project(
    sessions: Sequence[Session],
    templates: Iterable[Template],
    *,
    name: str,
    description: str = "",
) -> BorisExport:
    """A BORIS project (format 7) holding `sessions`: one LIVE observation per session (time 0
    = the session start), the participant as subject, one state behaviour per category, each
    active interval of a task a start/stop pair (its start comment ``workweave task <key>``),
    dimensions as modifier sets, point events as point behaviours."""
    warnings: list[str] = []
    cats: dict[str, str] = {}
    dims: dict[str, Dimension] = {}
    point_codes: dict[str, str] = {}
    for t in templates:
        for c in t.categories:
            cats.setdefault(c.code, c.label)
        for d in t.dimensions:
            if d.key not in dims:
                dims[d.key] = d
            else:
                kept = dims[d.key]
                opts = kept.options + tuple(o for o in d.options if o not in kept.options)
                dims[d.key] = Dimension(kept.key, kept.label, kept.multi or d.multi, opts)
        for p in t.point_events:
            if p.key == POINT_KIND:
                for sub in p.subtypes:
                    point_codes.setdefault(sub, "BORIS point behaviour")
            else:
                point_codes.setdefault(p.key, p.label)
    for s in sessions:
        for task in s.tasks:
            cats.setdefault(task.category, task.category)
            for k, vals in task.dimensions:
                cur = dims.get(k)
                if cur is None:
                    dims[k] = Dimension(k, k, len(vals) > 1, tuple(vals))
                else:
                    extra = tuple(v for v in vals if v not in cur.options)
                    if extra or (len(vals) > 1 and not cur.multi):
                        dims[k] = Dimension(
                            k, cur.label, cur.multi or len(vals) > 1, cur.options + extra
                        )
        for e in s.events:
            code = _point_code(e, point_codes)
            point_codes.setdefault(code, code)
    overlap = set(cats) & set(point_codes)
    if overlap:
        raise ValidationError(
            f"'{sorted(overlap)[0]}' is both a category and a point event kind; BORIS needs "
            "distinct behaviour codes"
        )
    dim_list = list(dims.values())
    modifiers = {
        str(i): {
            "name": d.key,
            "type": 1 if d.multi else 0,
            "values": list(d.options),
            "description": "",
        }
        for i, d in enumerate(dim_list)
    }
    behaviours: dict[str, Any] = {}
    letters = "abcdefghijklmnopqrstuvwxyz"
    for code, label in list(cats.items()) + list(point_codes.items()):
        n = len(behaviours)
        state = code in cats
        behaviours[str(n)] = {
            "type": "State event" if state else "Point event",
            "key": letters[n] if n < len(letters) else "",
            "code": code,
            "description": label if label != code else "",
            "color": "",
            "category": "",
            "modifiers": modifiers if state else {},
            "excluded": "",
            "coding map": "",
        }
    subjects: dict[str, str] = {}
    observations: dict[str, Any] = {}
    iv_labels: list[str] = []
    n_events = 0
    for s in sessions:
        subjects.setdefault(s.participant, s.participant)
        t0 = s.start
        events: list[tuple[float, int, list[Any]]] = []

        def rel(dt: datetime, t0: datetime = t0) -> int:
            return round((dt - t0).total_seconds() * 1000)

        by_cat: dict[str, list[tuple[int, int, Task]]] = {}
        for task in s.tasks:
            for lo, hi in task.active_intervals():
                by_cat.setdefault(task.category, []).append((rel(lo), rel(hi), task))
        for cat, spans in by_cat.items():
            spans.sort(key=lambda x: (x[0], x[1]))
            merged: list[list[Any]] = []
            for a, b, task in spans:
                if merged and a < merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], b)
                    merged[-1][3] = True
                    merged[-1][4].append(task.key)
                else:
                    merged.append([a, b, task, False, [task.key]])
            tainted = {k for m in merged if m[3] for k in m[4]}
            if tainted:
                warnings.append(
                    f"session {s.key}: {len(tainted)} tasks of category '{cat}' overlap each "
                    "other; BORIS cannot show a behaviour overlapping itself, so their "
                    "overlapping parts are one bout"
                )
            for a, b, task, _m, _keys in merged:
                mods = "|".join(
                    _mod_text(task.dims.get(d.key, ()), f"session {s.key}, task {task.key}")
                    for d in dim_list
                )
                cmt = "" if task.key in tainted else f"workweave task {task.key}"
                events.append((a, 1, [_secs(a), s.participant, cat, mods, cmt]))
                events.append((b, 0, [_secs(b), s.participant, cat, mods, ""]))
        for e in s.events:
            code = _point_code(e, point_codes)
            mods = ""
            if e.kind == POINT_KIND and e.subtype and "|" in e.subtype:
                mods = e.subtype.split("|", 1)[1]
            elif e.kind != POINT_KIND and e.subtype:
                mods = e.subtype
            events.append((rel(e.at), 2, [_secs(rel(e.at)), s.participant, code, mods, ""]))
        events.sort(key=lambda x: (x[0], x[1]))
        n_events += len(events)
        ivs: dict[str, str] = {}
        if s.observer:
            ivs["observer id"] = s.observer
        ivs["site"] = s.site
        ivs["timezone"] = s.timezone
        if s.end is not None:
            ivs[LENGTH_VARIABLE] = f"{(s.end - s.start).total_seconds():.3f}"
        for k, v in s.attributes:
            if not k.startswith("boris ") and k not in ivs:
                ivs[k] = v
        for k in ivs:
            if k not in iv_labels:
                iv_labels.append(k)
        obs_id = s.key
        observations[obs_id] = {
            "file": {},
            "type": "LIVE",
            "date": _iso_local(t0, s.timezone),
            "description": dict(s.attributes).get("boris description", ""),
            "time offset": 0.0,
            "events": [e[2] for e in events],
            "observation time interval": [0, 0],
            "independent_variables": ivs,
            "visualize_spectrogram": False,
            "visualize_waveform": False,
            "close_behaviors_between_videos": False,
            "scan_sampling_time": 0,
            "start_from_current_time": False,
            "start_from_current_epoch_time": False,
        }
    first = min((s.start for s in sessions), default=datetime(1970, 1, 1, tzinfo=UTC))
    project = {
        "time_format": "hh:mm:ss",
        "project_date": first.strftime("%Y-%m-%dT%H:%M:%S"),
        "project_name": name,
        "project_description": description,
        "project_format_version": "7.0",
        "subjects_conf": {
            str(i): {"key": "", "name": c, "description": ""} for i, c in enumerate(subjects)
        },
        "behaviors_conf": behaviours,
        "behavioral_categories": [],
        "behavioral_categories_config": {},
        "independent_variables": {
            str(i): {
                "label": k,
                "description": "",
                "type": "text",
                "default value": "",
                "possible values": "",
            }
            for i, k in enumerate(iv_labels)
        },
        "coding_map": {},
        "behaviors_coding_map": [],
        "converters": {},
        "observations": observations,
    }
    return BorisExport(project, len(observations), n_events, warnings)


def _point_code(e: PointEvent, known: Mapping[str, str]) -> str:
    if e.kind == POINT_KIND and e.subtype:
        code = e.subtype.split("|", 1)[0]
        return code
    return e.kind


def write_project(export: BorisExport, path: str | Path) -> None:
    """Write the project as JSON (atomic: a temporary file renamed into place)."""
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(json.dumps(export.project, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(p)


__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "NO_FOCAL_SUBJECT",
    "POINT_KIND",
    "SOURCE",
    "BorisExport",
    "BorisImport",
    "load_json",
    "parse_project",
    "read_project",
    "to_project",
    "write_project",
]
