"""Pieces both reports share: the study's templates and colour keys, days to draw, charts of
registry estimates by group (with the small-number rule), and plain-text descriptions of
figures for readers who cannot see them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from workweave.domain.errors import NotFoundError
from workweave.domain.observation import MODES, Session
from workweave.domain.study import WEEKDAYS, JobPlan
from workweave.domain.template import Template
from workweave.report import charts
from workweave.report.days import DayLayout, domain_lookup, group_by_day, layout_day
from workweave.report.document import Figure, Note, md
from workweave.report.estimates import (
    OVERALL,
    Value,
    axis_label,
    display_scale,
    fmt,
    fmt_ci,
    value,
)
from workweave.report.palette import DOMAIN_STYLES, Style, series_style
from workweave.store import Store

MAX_CATEGORY_KEYS = 7

SELF_REPORT = "self-report"
OBSERVED_MODES: tuple[str, ...] = tuple(m for m in MODES if m != SELF_REPORT)
"""The modes of sessions that are observation (someone shadowing, or an imported observation
record). A participant's own log (self-report) is not: the reports show it apart, and their
figures and charts leave it out."""
MODES_STATEMENT = (
    f"Includes observed sessions ({', '.join(OBSERVED_MODES)}); self-reported days are shown "
    "separately."
)


def observed(sessions: Iterable[Session]) -> list[Session]:
    """The sessions that are observation (shadowing, imported)."""
    return [s for s in sessions if s.mode in OBSERVED_MODES]


def self_reported(sessions: Iterable[Session]) -> list[Session]:
    """The sessions a participant logged themselves."""
    return [s for s in sessions if s.mode == SELF_REPORT]


def observed_frame(sessions: pd.DataFrame) -> pd.DataFrame:
    """The rows of a sessions frame that are observation."""
    if not len(sessions):
        return sessions
    return sessions[sessions["mode"].isin(OBSERVED_MODES)]


def day_counts(sessions: Iterable[Session]) -> tuple[int, int]:
    """(participant-days observed, participant-days self-reported): a day with both counts
    once in each."""
    items = list(sessions)
    return len(days_of(observed(items))), len(days_of(self_reported(items)))


def days_phrase(n_observed: int, n_self: int) -> str:
    """ "9 days observed, 1 day self-reported"."""

    def days(n: int) -> str:
        return f"{n} day{'' if n == 1 else 's'}"

    return f"{days(n_observed)} observed, {days(n_self)} self-reported"


# -- templates and colour keys ------------------------------------------------------------------


@dataclass
class ColourKey:
    """How timeline bars are coloured: by domain, or by category when no template used in the
    study maps its categories to domains (e.g. an imported template)."""

    by_domain: bool
    styles: dict[str, Style]
    templates: dict[str, Template]

    def key_of(self, session: Session, category: str) -> str:
        if self.by_domain:
            return domain_lookup(self.templates)(session.template, category)
        return category if category in self.styles else "other"


def study_templates(store: Store, sessions: pd.DataFrame) -> dict[str, Template]:
    """The templates (name@version → Template) the study's sessions were recorded with."""
    out: dict[str, Template] = {}
    if not len(sessions):
        return out
    pairs = sessions[["template", "template_version"]].dropna().drop_duplicates()
    for name, version in pairs.itertuples(index=False):
        try:
            t = store.studies.template(str(name), str(version))
        except NotFoundError:
            continue
        out[t.key] = t
    return out


def maps_domains(templates: Iterable[Template]) -> bool:
    """True when some template maps a category to the clinical or managerial domain."""
    return any(c.domain in ("clinical", "managerial") for t in templates for c in t.categories)


def colour_key(templates: dict[str, Template], sessions: Iterable[Session]) -> ColourKey:
    if maps_domains(templates.values()):
        return ColourKey(True, dict(DOMAIN_STYLES), templates)
    counts: Counter[str] = Counter()
    for s in sessions:
        for t in s.tasks:
            counts[t.category] += 1
    styles: dict[str, Style] = {}
    for i, (cat, _) in enumerate(counts.most_common(MAX_CATEGORY_KEYS)):
        styles[cat] = series_style(i, cat)
    if len(counts) > len(styles):
        o = DOMAIN_STYLES["other"]
        styles["other"] = Style(o.colour, o.hatch, o.marker, "other categories")
    styles.setdefault("other", DOMAIN_STYLES["other"])
    return ColourKey(False, styles, templates)


# -- days -------------------------------------------------------------------------------------


def one_observer(sessions: Sequence[Session]) -> tuple[list[Session], int]:
    """The sessions of a day as one record: when several observers shadowed the participant at
    once, the record of the observer who saw most of the day. Returns (sessions, number of
    other observers' sessions left out)."""
    observers: dict[str | None, float] = {}
    for s in sessions:
        observers[s.observer] = observers.get(s.observer, 0.0) + s.observed_seconds
    if len(observers) <= 1:
        return list(sessions), 0
    keep = max(observers, key=lambda o: (observers[o], str(o)))
    kept = [s for s in sessions if s.observer == keep]
    # sessions of other observers that do not overlap the kept ones are another part of the day
    for s in sessions:
        if s.observer != keep and not any(
            s.start < k.known_end and k.start < s.known_end for k in kept
        ):
            kept.append(s)
    kept.sort(key=lambda s: (s.start, s.key))
    return kept, len(sessions) - len(kept)


def days_of(sessions: Iterable[Session]) -> dict[tuple[str, date], list[Session]]:
    return group_by_day(sessions)


def illustrative_day(
    sessions: Iterable[Session],
) -> tuple[tuple[str, date], list[Session], int] | None:
    """The day shown in the study report: the participant-day with the most observed time
    (ties: the earliest), as one observer's record."""
    days = days_of(sessions)
    if not days:
        return None

    def observed(k: tuple[str, date]) -> float:
        kept, _ = one_observer(days[k])
        return sum(s.observed_seconds for s in kept)

    best = max(days, key=lambda k: (observed(k), -k[1].toordinal(), k[0]))
    kept, dropped = one_observer(days[best])
    return best, kept, dropped


def day_figure(
    fig_id: str,
    sessions: Sequence[Session],
    key: ColourKey,
    *,
    job_plan: JobPlan | None,
    title: str,
    caption: str,
    who: str,
) -> Figure:
    layout = layout_day(sessions, key.key_of, job_plan=job_plan)
    image = charts.timeline(layout, key.styles)
    return Figure(fig_id, title, image, day_alt(layout, key, who), md(caption))


def day_alt(day: DayLayout, key: ColourKey, who: str) -> str:
    zone = day.zone
    t0 = day.start.astimezone(zone)
    t1 = day.end.astimezone(zone)
    clock = "%a %H:%M" if day.crosses_midnight else "%H:%M"
    kinds = Counter(b.key for b in day.bars)
    parts = ", ".join(
        f"{n} {key.styles.get(k, key.styles['other']).label.lower()}"
        for k, n in kinds.most_common()
    )
    lanes = "" if day.lanes == 1 else f", with up to {day.lanes} tasks running at once"
    plan = ""
    if day.planned:
        plan = " Job plan that day: " + "; ".join(
            f"{p.category} {p.start.astimezone(zone).strftime(clock)}-"
            f"{p.end.astimezone(zone).strftime(clock)}"
            for p in day.planned
        )
        plan += "."
    return (
        f"Timeline of {who}, "
        + (
            f"{WEEKDAYS[day.day.weekday()]} {t0:%H:%M} to {WEEKDAYS[t1.weekday()]} {t1:%H:%M} "
            if day.crosses_midnight
            else f"{WEEKDAYS[day.day.weekday()]} {t0:%H:%M} to {t1:%H:%M} "
        )
        + f"({_hm((day.end - day.start).total_seconds())} observed in {day.sessions} session(s)): "
        f"{day.task_count} tasks ({parts}){lanes}; {len(day.interruptions)} interruptions and "
        f"{len(day.demands)} demand events marked.{plan}"
    )


def _hm(seconds: float) -> str:
    h, m = divmod(round(seconds / 60), 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def local_dates(sessions: pd.DataFrame) -> tuple[date, date] | None:
    if not len(sessions):
        return None
    out = []
    for ms, tz in sessions[["start_ms", "timezone"]].itertuples(index=False):
        out.append(datetime.fromtimestamp(int(ms) / 1000, tz=ZoneInfo(str(tz))).date())
    return min(out), max(out)


# -- charts of registry estimates by group ------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One series of a group chart: a registry metric (and key) drawn in a style."""

    metric: str
    key: str | None
    style: Style


@dataclass
class GroupChart:
    figure: Figure | None
    notes: list[Note]


def group_chart(
    fig_id: str,
    title: str,
    frames: Sequence[tuple[str, pd.DataFrame]],
    items: Sequence[Item],
    unit: str,
    *,
    suppress_below: int,
    caption: str = "",
    bars: bool = True,
    what: str = "groups",
) -> GroupChart:
    """A chart of registry estimates with intervals for the groups of one or more computed
    tables (e.g. the whole study, then each site), applying the small-number rule: a value
    from fewer than `suppress_below` participants is not drawn, and a note says so."""
    groups: list[str] = []
    values: list[list[Value | None]] = []
    suppressed: list[str] = []
    partial: list[str] = []
    empty: list[str] = []
    for _label, df in frames:
        for g in _groups(df):
            vals = [value(df, g, it.metric, it.key) for it in items]
            present = [v for v in vals if v is not None and v.n_participants > 0]
            if not present:
                empty.append(g)
                continue
            shown = [
                v if v is not None and v.n_participants >= suppress_below else None for v in vals
            ]
            if all(v is None for v in shown):
                suppressed.append(g)
                continue
            if any(v is not None and 0 < v.n_participants < suppress_below for v in vals):
                partial.append(g)
            groups.append(g)
            values.append(shown)
    notes: list[Note] = []
    if suppressed:
        notes.append(
            Note(
                f"{len(suppressed)} group(s) with fewer than {suppress_below} participants "
                f"are left out of this figure (small-number rule): {', '.join(suppressed)}.",
                "suppressed",
            )
        )
    if partial:
        notes.append(
            Note(
                f"Some values for {', '.join(partial)} rest on fewer than {suppress_below} "
                "participants and are left out (small-number rule).",
                "suppressed",
            )
        )
    if not groups or all(all(v is None or v.estimate is None for v in row) for row in values):
        if not suppressed:
            notes.append(
                Note(
                    f"{title}: the data hold nothing to show here"
                    + (f" ({', '.join(empty)} had no eligible sessions)." if empty else "."),
                    "missing",
                )
            )
        return GroupChart(None, notes)
    scale, _ = display_scale(unit)
    columns = [[row[j] for row in values] for j in range(len(items))]
    series = [
        charts.Series(
            it.style,
            [None if v is None else v.estimate for v in col],
            [None if v is None else v.low for v in col],
            [None if v is None else v.high for v in col],
        )
        for it, col in zip(items, columns, strict=True)
    ]
    percent = scale == 100.0
    img = charts.interval_chart(
        groups,
        series,
        xlabel=_xlabel(unit),
        percent=percent,
        bars=bars,
        value_format=_value_format(unit),
    )
    alt = chart_alt(title, groups, items, values, unit, what)
    return GroupChart(Figure(fig_id, title, img, alt, md(caption)), notes)


def _groups(df: pd.DataFrame) -> list[str]:
    gs = list(dict.fromkeys(df["group"].astype(str)))
    if OVERALL in gs:
        gs.remove(OVERALL)
        gs.insert(0, OVERALL)
    return gs


def _xlabel(unit: str) -> str:
    label = axis_label(unit)
    return "per cent (%)" if label == "%" else label


def _value_format(unit: str) -> str | None:
    u = unit.strip().lower()
    if u in ("proportion", "%"):
        return "{:.1f} %"
    if u.startswith("£"):
        return "£{:,.0f}"
    if "fte-year" in u:
        return "{:,.0f}"
    if u == "minutes":
        return "{:.1f}"
    return "{:.2f}"


def chart_alt(
    title: str,
    groups: Sequence[str],
    items: Sequence[Item],
    values: Sequence[Sequence[Value | None]],
    unit: str,
    what: str,
    limit: int = 12,
) -> str:
    parts = []
    for g, row in list(zip(groups, values, strict=True))[:limit]:
        cells = []
        for it, v in zip(items, row, strict=True):
            if v is None or v.estimate is None:
                continue
            ci = fmt_ci(v.low, v.high, unit)
            label = it.style.label + ": " if len(items) > 1 else ""
            cells.append(f"{label}{fmt(v.estimate, unit)}" + (f" ({ci})" if ci else ""))
        if cells:
            parts.append(f"{g}: " + "; ".join(cells))
    more = f" … and {len(groups) - limit} more {what}." if len(groups) > limit else ""
    return (
        f"Chart of {title.lower()} with 95 % confidence intervals. " + ". ".join(parts) + "." + more
    )


__all__ = [
    "MODES_STATEMENT",
    "OBSERVED_MODES",
    "SELF_REPORT",
    "ColourKey",
    "GroupChart",
    "Item",
    "chart_alt",
    "colour_key",
    "day_counts",
    "day_figure",
    "days_of",
    "days_phrase",
    "group_chart",
    "illustrative_day",
    "local_dates",
    "maps_domains",
    "observed",
    "observed_frame",
    "one_observer",
    "self_reported",
    "study_templates",
]
