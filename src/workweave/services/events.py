"""Site events: dated changes in the organisation of a site (reorganisations, mergers,
re-application for posts, budget cuts), kept beside the observations so a trend chart can
show change in the work next to change in the organisation (docs/trends.md).

Every surface (``workweave event``, the web admin page, the demo study) goes through here:
the values are checked once, at this edge.
"""

from __future__ import annotations

from datetime import date

from workweave.domain.errors import NotFoundError, Problem, ValidationError
from workweave.domain.time import now_ms
from workweave.services.audit import audited
from workweave.store import Store
from workweave.store.events import SiteEvent

KINDS: tuple[str, ...] = (
    "reorganisation",
    "merger",
    "re-application",
    "budget cut",
    "staffing",
    "other",
)
"""What kind of event it is (free text goes in the label)."""
MAX_LABEL = 300
EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)


def parse_day(text: str | date) -> date:
    """A date given as YYYY-MM-DD (or a `date`), within 1990-2100."""
    if isinstance(text, date):
        day = text
    else:
        raw = str(text).strip()
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise ValidationError(
                Problem(f"'{raw[:40]}' is not a date: write it as YYYY-MM-DD", column="date")
            ) from None
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(
            Problem(f"{day} is outside {EARLIEST.year}-{LATEST.year}", column="date")
        )
    return day


def check_label(label: str) -> str:
    text = " ".join(str(label).split())
    problems = []
    if "\x00" in str(label):
        problems.append(Problem("must not contain NUL characters", column="label"))
    if not text:
        problems.append(Problem("must not be empty: say what happened", column="label"))
    if len(text) > MAX_LABEL:
        problems.append(
            Problem(f"is {len(text)} characters long (at most {MAX_LABEL})", column="label")
        )
    if problems:
        raise ValidationError(problems)
    return text


def check_kind(kind: str) -> str:
    k = str(kind).strip().lower()
    if k not in KINDS:
        raise ValidationError(
            Problem(
                f"'{k[:40]}' is not a kind of event (choose from: {', '.join(KINDS)})",
                column="kind",
            )
        )
    return k


@audited("site_event.add")
def add(
    store: Store, study_id: int, site: str, day: str | date, label: str, kind: str = "other"
) -> SiteEvent:
    """Record an event at one of the study's sites; returns it with its id."""
    code = str(site).strip()
    problems: list[Problem] = []
    parsed: date | None = None
    text = ""
    try:
        parsed = parse_day(day)
    except ValidationError as exc:
        problems += exc.problems
    try:
        text = check_label(label)
    except ValidationError as exc:
        problems += exc.problems
    try:
        kind = check_kind(kind)
    except ValidationError as exc:
        problems += exc.problems
    sites = [s.code for s in store.studies.sites(study_id)]
    if code not in sites:
        shown = ", ".join(sites) if sites else "none yet"
        problems.append(
            Problem(f"the study has no site '{code[:64]}' (sites: {shown})", column="site")
        )
    if problems or parsed is None:
        raise ValidationError(problems)
    new_id = store.events.add(study_id, code, parsed, text, kind, created_ms=now_ms())
    return SiteEvent(new_id, code, parsed, text, kind)


def list_events(store: Store, study_id: int, site: str | None = None) -> list[SiteEvent]:
    """The study's site events in date order (one site's when `site` is given)."""
    return store.events.list(study_id, site=site)


@audited("site_event.remove", lambda *a, **k: f"site_event:{a[2]}")
def remove(store: Store, study_id: int, event_id: int) -> None:
    """Remove one event by its id (as `list_events` shows it)."""
    if not store.events.remove(study_id, int(event_id)):
        raise NotFoundError(f"the study has no site event with id {event_id}")


__all__ = [
    "KINDS",
    "MAX_LABEL",
    "SiteEvent",
    "add",
    "check_label",
    "list_events",
    "parse_day",
    "remove",
]
