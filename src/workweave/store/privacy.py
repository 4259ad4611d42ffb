"""A study's least-privilege settings (`store.privacy`): the small-number threshold and
whether coders may edit each other's codings. Kept in ``study_settings`` beside the
calibration settings; the rules live in ``workweave.domain.privacy``."""

from __future__ import annotations

import json

from sqlalchemy import delete, insert, select

from workweave.domain.privacy import PrivacySettings
from workweave.store import schema_web as W
from workweave.store.base import Repository

_SUPPRESS = "suppress_below"
_CODERS = "coders_edit_others"
_KEYS = (_SUPPRESS, _CODERS)


class PrivacyRepository(Repository):
    """Least-privilege settings of a study (`store.privacy`)."""

    def settings(self, study_id: int) -> PrivacySettings:
        """The study's settings (the defaults where none were set)."""
        T = W.study_settings
        with self._connection() as c:
            rows = c.execute(
                select(T.c.key, T.c.value).where(T.c.study_id == study_id, T.c.key.in_(_KEYS))
            ).all()
        values = {r.key: json.loads(r.value) for r in rows}
        default = PrivacySettings()
        return PrivacySettings(
            suppress_below=int(values.get(_SUPPRESS, default.suppress_below)),
            coders_edit_others=bool(values.get(_CODERS, default.coders_edit_others)),
        )

    def put_settings(
        self, study_id: int, settings: PrivacySettings, *, set_ms: int, set_by: int | None = None
    ) -> None:
        """Store both settings (replacing what was there) in one transaction."""
        T = W.study_settings
        values = {_SUPPRESS: settings.suppress_below, _CODERS: settings.coders_edit_others}
        with self._transaction() as c:
            c.execute(delete(T).where(T.c.study_id == study_id, T.c.key.in_(_KEYS)))
            c.execute(
                insert(T),
                [
                    {
                        "study_id": study_id,
                        "key": key,
                        "value": json.dumps(value),
                        "set_ms": set_ms,
                        "set_by": set_by,
                    }
                    for key, value in values.items()
                ],
            )
