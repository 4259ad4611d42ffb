"""Co-observer calibration: a study's settings (threshold, requirement) and the calibrations
its observers have passed (`store.calibration`).

The rule (what passes, who must have passed) lives in ``workweave.services.calibration``;
this repository only keeps the values. Reads a use case makes inside its own transaction
(the capture service checking an observer at a session's start) take the caller's `conn`.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select
from sqlalchemy.exc import IntegrityError

from workweave.domain.calibration import (
    DEFAULT_THRESHOLD,
    CalibrationSettings,
    PassedCalibration,
)
from workweave.store import schema_web as W
from workweave.store.base import Repository

_THRESHOLD = "calibration_threshold"
_REQUIRED = "calibration_required"


class CalibrationRepository(Repository):
    """Study settings for calibration and passed calibrations (`store.calibration`)."""

    # -- settings ----------------------------------------------------------------------------
    def settings(self, study_id: int, *, conn: Connection | None = None) -> CalibrationSettings:
        """The study's calibration settings (the defaults where none were set)."""
        T = W.study_settings
        with self._connection(conn) as c:
            rows = c.execute(
                select(T.c.key, T.c.value).where(
                    T.c.study_id == study_id, T.c.key.in_([_THRESHOLD, _REQUIRED])
                )
            ).all()
        values = {r.key: json.loads(r.value) for r in rows}
        threshold = values.get(_THRESHOLD, DEFAULT_THRESHOLD)
        return CalibrationSettings(
            threshold=float(threshold) if threshold is not None else DEFAULT_THRESHOLD,
            required=bool(values.get(_REQUIRED, False)),
        )

    def put_settings(
        self,
        study_id: int,
        settings: CalibrationSettings,
        *,
        set_ms: int,
        set_by: int | None = None,
        conn: Connection | None = None,
    ) -> None:
        """Store both settings (replacing what was there) in one transaction."""
        T = W.study_settings
        with self._transaction(conn) as c:
            c.execute(
                delete(T).where(T.c.study_id == study_id, T.c.key.in_([_THRESHOLD, _REQUIRED]))
            )
            c.execute(
                insert(T),
                [
                    {
                        "study_id": study_id,
                        "key": _THRESHOLD,
                        "value": json.dumps(settings.threshold),
                        "set_ms": set_ms,
                        "set_by": set_by,
                    },
                    {
                        "study_id": study_id,
                        "key": _REQUIRED,
                        "value": json.dumps(settings.required),
                        "set_ms": set_ms,
                        "set_by": set_by,
                    },
                ],
            )

    # -- passed calibrations -----------------------------------------------------------------
    def record(
        self, study_id: int, passed: PassedCalibration, *, conn: Connection | None = None
    ) -> bool:
        """Record a passed calibration once (per observer and pair of sessions); True if it
        is new, False if it was already recorded (it is then left as it was)."""
        if conn is not None:
            return self._record(study_id, passed, conn)
        try:
            with self._transaction() as c:
                return self._record(study_id, passed, c)
        except IntegrityError:  # recorded at the same moment by another request
            return False

    def _record(self, study_id: int, passed: PassedCalibration, c: Connection) -> bool:
        T = W.calibrations
        found = c.execute(
            select(T.c.id).where(
                and_(
                    T.c.study_id == study_id,
                    T.c.observer_code == passed.observer,
                    T.c.session_key == passed.session_key,
                    T.c.partner_session_key == passed.partner_session_key,
                )
            )
        ).first()
        if found is not None:
            return False
        c.execute(
            insert(T).values(
                study_id=study_id,
                observer_code=passed.observer,
                partner_code=passed.partner,
                session_key=passed.session_key,
                partner_session_key=passed.partner_session_key,
                measure=passed.measure,
                kappa=passed.kappa,
                threshold=passed.threshold,
                recorded_ms=passed.recorded_ms,
                recorded_by=passed.recorded_by,
            )
        )
        return True

    def passed(
        self,
        study_id: int,
        *,
        observer: str | None = None,
        conn: Connection | None = None,
    ) -> list[PassedCalibration]:
        """The study's passed calibrations (one observer's, when given), oldest first."""
        T = W.calibrations
        q = select(T).where(T.c.study_id == study_id)
        if observer is not None:
            q = q.where(T.c.observer_code == observer)
        with self._connection(conn) as c:
            rows = c.execute(q.order_by(T.c.recorded_ms, T.c.id)).all()
        return [_passed(r) for r in rows]


def _passed(r: Any) -> PassedCalibration:
    return PassedCalibration(
        observer=r.observer_code,
        partner=r.partner_code,
        session_key=r.session_key,
        partner_session_key=r.partner_session_key,
        measure=r.measure,
        kappa=float(r.kappa),
        threshold=float(r.threshold),
        recorded_ms=int(r.recorded_ms),
        recorded_by=r.recorded_by,
    )


__all__ = ["CalibrationRepository"]
