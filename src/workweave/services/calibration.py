"""Co-observer calibration: two observers shadow the same person at the same time, and their
two records are compared (see docs/ior.md, "Co-observer calibration").

- ``partners``: the sessions co-observed with a session (same participant, different
  observer, overlapping times: ``analysis.reliability.detect_pairs`` with its tolerance);
- ``evaluate``: the IORapp-compatible measures (``ior_pair``) and the time-sliced Cohen's
  kappa (``time_sliced_kappa``) of a pair, whether the pair passes the study's threshold
  (the **time-sliced kappa** is the measure compared), and the data of a side-by-side
  timeline: each record's foreground category second by second, and the intervals where the
  two differ; with ``record=True`` a passed pair of ended sessions is recorded for both
  observers;
- ``settings`` / ``set_settings``: the study's threshold and whether a passed calibration
  is required before an observer records real sessions;
- ``start_refusal``: the rule the capture service applies when a session starts.

Everything here is computed from the canonical sessions, so imported (e.g. WOMBAT) pairs can
be calibrated from the command line as well as pairs captured with the app.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from workweave.analysis.reliability import (
    IorResult,
    TimeSlicedKappa,
    detect_pairs,
    ior_pair,
    session_fragments,
    session_length,
    time_sliced_kappa,
)
from workweave.domain.calibration import (
    MEASURE,
    CalibrationSettings,
    PassedCalibration,
    check_threshold,
)
from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.observation import Session
from workweave.domain.time import from_ms, now_ms
from workweave.services.reliability import find_session
from workweave.store import Store

if TYPE_CHECKING:
    from sqlalchemy import Connection

MAX_TOLERANCE_SECONDS = 24 * 3600


# -- settings ------------------------------------------------------------------------------------


def settings(store: Store, study_id: int) -> CalibrationSettings:
    """The study's calibration settings (threshold 0.80 and not required, unless set)."""
    return store.calibration.settings(study_id)


def set_settings(
    store: Store,
    study_id: int,
    *,
    threshold: object | None = None,
    required: bool | None = None,
    by: int | None = None,
) -> CalibrationSettings:
    """Change the threshold and/or the requirement (what is not given stays as it was)."""
    old = store.calibration.settings(study_id)
    if required is not None and not isinstance(required, bool):
        raise ValidationError("'required' must be true or false")
    new = CalibrationSettings(
        threshold=old.threshold if threshold is None else check_threshold(threshold),
        required=old.required if required is None else required,
    )
    store.calibration.put_settings(study_id, new, set_ms=now_ms(), set_by=by)
    return new


def passed_calibrations(
    store: Store, study_id: int, observer: str | None = None
) -> list[PassedCalibration]:
    """The passed calibrations recorded in the study (one observer's, when given)."""
    return store.calibration.passed(study_id, observer=observer)


def has_passed(
    store: Store,
    study_id: int,
    observer: str,
    current: CalibrationSettings | None = None,
    *,
    conn: Connection | None = None,
) -> bool:
    """Whether the observer has a recorded calibration whose kappa reaches the study's
    *current* threshold (raising the threshold asks observers to calibrate again)."""
    rule = current if current is not None else store.calibration.settings(study_id, conn=conn)
    return any(
        rule.passes(p.kappa)
        for p in store.calibration.passed(study_id, observer=observer, conn=conn)
    )


def start_refusal(
    store: Store,
    study_id: int,
    *,
    role: str,
    observer: str,
    calibration: bool,
    conn: Connection | None = None,
) -> str | None:
    """Why a shadowing session may not start (None if it may).

    When the study requires it, a user whose role in the study is ``observer`` starts a real
    session only after passing a calibration; a calibration session (``calibration: true`` in
    the session's start) is always allowed. Admins and researchers, who train observers and
    set the rule, are not held to it.
    """
    if calibration or role != "observer":
        return None
    rule = store.calibration.settings(study_id, conn=conn)
    if not rule.required or has_passed(store, study_id, observer, rule, conn=conn):
        return None
    return (
        f"observer {observer} has not passed a co-observer calibration yet (time-sliced "
        f"kappa at least {rule.threshold:.2f} with another observer): this study requires one "
        "before real sessions. Start the session as a calibration session instead."
    )


# -- partners ------------------------------------------------------------------------------------


def _tolerance(seconds: float) -> timedelta:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ValidationError("the tolerance must be a number of seconds")
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_TOLERANCE_SECONDS:
        raise ValidationError(f"the tolerance must be 0 to {MAX_TOLERANCE_SECONDS} seconds")
    return timedelta(seconds=seconds)


def partners(store: Store, study_id: int, key: str, *, tolerance_seconds: float = 0) -> list[str]:
    """The keys of the sessions co-observed with session `key` (same participant, another
    observer, overlapping times widened by the tolerance), earliest first. Reads only the
    list of that participant's sessions, not their tasks."""
    tolerance = _tolerance(tolerance_seconds)
    found = store.sessions.load(study_id, keys=[key])
    if not found:
        raise NotFoundError(f"no session '{key}' in this study")
    own = found[0]
    if own.observer is None:
        return []
    rows = store.listings.session_rows(study_id, participant_code=own.participant, limit=1_000_000)
    shells = []
    for r in rows:
        if r.participant != own.participant or r.observer is None:
            continue
        start, end = from_ms(r.start_ms), from_ms(max(r.known_end_ms, r.start_ms))
        assert start is not None and end is not None
        shells.append(
            Session(
                key=r.key,
                participant=r.participant,
                site=r.site,
                start=start,
                end=end,
                mode="shadowing",
                observer=r.observer,
            )
        )
    out = []
    for x, y in detect_pairs(shells, tolerance=tolerance):
        if x.key == key:
            out.append(y)
        elif y.key == key:
            out.append(x)
    return [s.key for s in sorted(out, key=lambda s: (s.start, s.key))]


# -- a pair ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """A run of seconds [start, end) (from the session's start) with one foreground category
    (None: nothing recorded)."""

    start: int
    end: int
    category: str | None


@dataclass(frozen=True)
class Disagreement:
    """Seconds [start, end) in which the two records' foreground categories differ."""

    start: int
    end: int
    a: str | None
    b: str | None

    @property
    def seconds(self) -> int:
        return self.end - self.start


@dataclass
class Calibration:
    """A co-observed pair compared: measures, pass or fail, and the side-by-side timeline."""

    study_id: int
    session_a: Session
    session_b: Session
    ior: IorResult
    kappa: TimeSlicedKappa
    settings: CalibrationSettings
    horizon: int
    track_a: list[Piece]
    track_b: list[Piece]
    disagreements: list[Disagreement]
    calibration_a: bool = False  # started as a calibration session
    calibration_b: bool = False
    recorded: list[str] = field(default_factory=list)  # observers recorded as passed now

    measure: str = MEASURE

    @property
    def passed(self) -> bool:
        return self.settings.passes(self.kappa.kappa)

    @property
    def complete(self) -> bool:
        """Both sessions have ended (a pass is recorded only then)."""
        return all(s.end is not None and s.complete for s in (self.session_a, self.session_b))

    @property
    def disagreement_seconds(self) -> int:
        return sum(d.seconds for d in self.disagreements)

    @property
    def warnings(self) -> list[str]:
        seen: dict[str, None] = {}
        for w in [*self.ior.warnings, *self.kappa.warnings]:
            seen.setdefault(w, None)
        return list(seen)

    def measures(self) -> dict[str, float | None]:
        """The ten IORapp measures, then the time-sliced kappa and its percent agreement."""
        out = dict(self.ior.measures())
        out[MEASURE] = self.kappa.kappa
        out["time_sliced_agreement"] = self.kappa.agreement
        return out

    def as_dict(self) -> dict[str, Any]:
        a, b = self.session_a, self.session_b
        return {
            "session_a": a.key,
            "session_b": b.key,
            "observer_a": a.observer,
            "observer_b": b.observer,
            "participant": a.participant,
            "start_a": a.start.isoformat(),
            "start_b": b.start.isoformat(),
            "calibration_a": self.calibration_a,
            "calibration_b": self.calibration_b,
            "complete": self.complete,
            "measure": self.measure,
            "kappa": _finite(self.kappa.kappa),
            "threshold": self.settings.threshold,
            "passed": self.passed,
            "required": self.settings.required,
            "measures": {k: _finite(v) for k, v in self.measures().items()},
            "n_seconds": self.kappa.n_seconds,
            "horizon": self.horizon,
            "disagreement_seconds": self.disagreement_seconds,
            "disagreements": [
                {"start": d.start, "end": d.end, "a": d.a, "b": d.b} for d in self.disagreements
            ],
            "track_a": [
                {"start": p.start, "end": p.end, "category": p.category} for p in self.track_a
            ],
            "track_b": [
                {"start": p.start, "end": p.end, "category": p.category} for p in self.track_b
            ],
            "recorded": list(self.recorded),
            "warnings": self.warnings,
        }


def _piece(p: Piece) -> dict[str, Any]:
    return {"start": p.start, "end": p.end, "category": p.category}


def _finite(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def _foreground(session: Session, horizon: int) -> list[str | None]:
    """Each second's foreground category, as the metrics define the foreground task: of the
    active task pieces covering the second (the fragments of the IOR measures), the task that
    started most recently (ties: the later recorded); None where nothing is recorded."""
    frs = session_fragments(session, horizon=horizon, warnings=[])
    prio = {t.key: (t.start, t.seq) for t in session.tasks}
    cats: list[str] = []
    codes: dict[str, int] = {}
    label = np.full(horizon, -1, dtype=np.int64)
    for f in sorted(frs, key=lambda f: (prio[f.task], f.row)):
        code = codes.setdefault(f.category, len(cats))
        if code == len(cats):
            cats.append(f.category)
        label[max(f.start, 0) : max(min(f.end, horizon), 0)] = code
    return [None if c < 0 else cats[c] for c in label.tolist()]


def _runs(labels: list[Any]) -> list[tuple[int, int, Any]]:
    out: list[tuple[int, int, Any]] = []
    for i, v in enumerate(labels):
        if out and out[-1][2] == v and out[-1][1] == i:
            out[-1] = (out[-1][0], i + 1, v)
        else:
            out.append((i, i + 1, v))
    return out


def compare(
    a: Session,
    b: Session,
    current: CalibrationSettings | None = None,
    *,
    study_id: int = 0,
) -> Calibration:
    """Compare two sessions (no store needed): measures, pass/fail, side-by-side timeline."""
    rule = current if current is not None else CalibrationSettings()
    ior = ior_pair(a, b)
    tsk = time_sliced_kappa(a, b)
    horizon = max(min(session_length(a), session_length(b)), 0)
    fa, fb = _foreground(a, horizon), _foreground(b, horizon)
    track_a = [Piece(s, e, c) for s, e, c in _runs(fa) if c is not None]
    track_b = [Piece(s, e, c) for s, e, c in _runs(fb) if c is not None]
    pairs = [(x, y) if x != y else None for x, y in zip(fa, fb, strict=True)]
    disagreements = [Disagreement(s, e, v[0], v[1]) for s, e, v in _runs(pairs) if v is not None]
    return Calibration(
        study_id=study_id,
        session_a=a,
        session_b=b,
        ior=ior,
        kappa=tsk,
        settings=rule,
        horizon=horizon,
        track_a=track_a,
        track_b=track_b,
        disagreements=disagreements,
    )


def evaluate(
    store: Store,
    study_id: int,
    a: str,
    b: str,
    *,
    tolerance_seconds: float = 0,
    record: bool = False,
    by: int | None = None,
) -> Calibration:
    """Compare a co-observed pair of the study (sessions by key or by the source's session
    id). With ``record=True``, a pair that passes and whose two sessions have ended is
    recorded as a passed calibration for both observers (once; again changes nothing)."""
    sa, sb = find_session(store, study_id, a), find_session(store, study_id, b)
    if sa.key == sb.key:
        raise ValidationError("a session cannot be compared with itself")
    if not detect_pairs([sa, sb], tolerance=_tolerance(tolerance_seconds)):
        raise ValidationError(
            f"sessions {sa.key} and {sb.key} were not co-observed: a calibration pair is two "
            "observers shadowing the same participant at the same time"
        )
    result = compare(sa, sb, store.calibration.settings(study_id), study_id=study_id)
    result.calibration_a = started_as_calibration(store, study_id, sa.key)
    result.calibration_b = started_as_calibration(store, study_id, sb.key)
    if record and result.passed and result.complete:
        kappa = result.kappa.kappa
        assert kappa is not None and sa.observer is not None and sb.observer is not None
        when = now_ms()
        for x, y in ((sa, sb), (sb, sa)):
            assert x.observer is not None and y.observer is not None
            passed = PassedCalibration(
                observer=x.observer,
                partner=y.observer,
                session_key=x.key,
                partner_session_key=y.key,
                measure=MEASURE,
                kappa=kappa,
                threshold=result.settings.threshold,
                recorded_ms=when,
                recorded_by=by,
            )
            if store.calibration.record(study_id, passed):  # once per observer and pair
                result.recorded.append(x.observer)
    return result


def started_as_calibration(store: Store, study_id: int, key: str) -> bool:
    """Whether a captured session was started as a calibration session (its start action
    says ``calibration: true``); False for sessions not captured with the app."""
    row = store.capture.session(study_id, key)
    if row is None:
        return False
    return any(
        a.type == "session_start" and a.payload.get("calibration") is True
        for a in store.capture.actions(row.uuid)
    )


__all__ = [
    "Calibration",
    "Disagreement",
    "Piece",
    "compare",
    "evaluate",
    "has_passed",
    "partners",
    "passed_calibrations",
    "set_settings",
    "settings",
    "start_refusal",
    "started_as_calibration",
]
