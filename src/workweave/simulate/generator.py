"""The synthetic study: configuration, set-up and the lazy stream of shadowing sessions.

    sim = simulate(SimulationConfig(seed=7))
    for session in sim.iter_sessions():
        ...

Nothing is held in memory but the study set-up and the session being generated, so millions
of tasks can be streamed to a store in batches (`SimulatedStudy.iter_batches`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from itertools import count
from types import MappingProxyType
from zoneinfo import ZoneInfo

import numpy as np

from workweave.domain import Observer, Participant, Session, Site, Study
from workweave.io.templates import builtin_template
from workweave.simulate.notes import field_notes
from workweave.simulate.profiles import (
    DEFAULT_SITES,
    DEMAND_CONTEXT_MULTIPLIER,
    RESPONSE_MODES,
    PlantedRates,
    SiteProfile,
)
from workweave.simulate.schedule import (
    PlannedSession,
    add_months,
    observers_needed,
    participant_from_spec,
    plan_timetable,
    random_staff,
    working_days,
)
from workweave.simulate.sessions import (
    DayBuilder,
    SiteModel,
    Window,
    day_window,
    make_notes,
    second_observer_view,
    to_session_parts,
)
from workweave.simulate.styles import Reorganisation, Style, assign_styles

# stream tags for numpy SeedSequence entropy: [seed, tag, ...]
_PEOPLE, _TIMETABLE, _DAY = 1, 2, 3


@dataclass(frozen=True)
class SimulationConfig:
    """What to simulate. The same configuration always gives the same data."""

    seed: int = 7
    months: int = 6
    """Length of the observation period (one 'round' of shadowing)."""
    start: date = date(2026, 1, 1)
    """First day of the observation period."""
    target_tasks: int | None = None
    """Keep producing sessions until about this many tasks (None: the base study only)."""
    sites: tuple[SiteProfile, ...] = DEFAULT_SITES
    """Site profiles, each with its planted rates (`SiteProfile.rates`)."""
    sessions_per_participant: int = 8
    """Shadowing sessions per participant in one period, in the base study."""
    participants_per_site: int | tuple[int, ...] | None = None
    """Participants of the base cohort at each site (one number for all sites, or one per site
    in the order of `sites`); None: each site's own staff. Sites with fewer staff than asked
    get further clinician-managers drawn as for further cohorts; sites with more keep the
    first ones."""
    max_sessions_per_participant: int = 24
    """Upper limit when sessions are added to reach `target_tasks`; beyond it, further cohorts of
    participants and observers are added."""
    full_day_share: float = 0.45
    """Share of sessions that cover a whole working day (the rest a morning or afternoon)."""
    co_observed_share: float = 0.12
    """Share of sessions shadowed by two observers at once, for inter-observer reliability."""
    demand_response_window_minutes: float = 10.0
    """Planted LIST-MANAGE responses start within this many minutes of their demand event."""
    field_notes_per_hour: float = 0.6
    """General field notes per observed hour (besides notes about salient moments)."""
    observer_disagreement: float = 0.06
    """Share of tasks a second observer codes as a neighbouring category."""
    observer_jitter_seconds: int = 8
    """Largest difference, either way, between two observers' taps for the same instant."""
    template: str = "ahp-clinician-manager"
    study_name: str = "synthetic-four-site"
    styles: tuple[Style, ...] = ()
    """Planted styles of clinician-management (`workweave.simulate.styles`): participants of
    each site take them in turn, and each multiplies the site's rates for its participants.
    Empty: every participant has the site's rates."""
    reorganisations: tuple[Reorganisation, ...] = ()
    """Dated site events with a planted effect: sessions at the site on or after the date use
    the site's rates multiplied as the event says."""

    def with_rates(self, site: str, **changes: float) -> SimulationConfig:
        """This configuration with some planted rates of one site changed."""
        if site not in {s.code for s in self.sites}:
            raise KeyError(f"no site '{site}' in this configuration")
        sites = tuple(s.with_rates(**changes) if s.code == site else s for s in self.sites)
        return replace(self, sites=sites)


@dataclass(frozen=True)
class PlantedParameters:
    """The ground truth planted in a simulated study (docs/simulator.md)."""

    by_site: Mapping[str, PlantedRates]
    demand_response_window_minutes: float
    demand_context_multiplier: Mapping[str, float]
    response_modes: tuple[tuple[str, float], ...]
    co_observed_share: float
    observer_disagreement: float
    observer_jitter_seconds: int
    seed: int

    def __getitem__(self, site: str) -> PlantedRates:
        return self.by_site[site]

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_site)

    def rows(self) -> list[dict[str, float | str]]:
        """One row per site: site code and every planted rate (for tables and reports)."""
        return [{"site": code, **rates.as_dict()} for code, rates in self.by_site.items()]


@dataclass(frozen=True)
class Cohort:
    """A group of participants shadowed by their own group of observers."""

    index: int
    participants: tuple[Participant, ...]
    observers: tuple[str, ...]
    sessions_each: int


@dataclass(frozen=True)
class SimulatedStudy:
    """A synthetic study: its set-up is here, its sessions are generated on demand."""

    config: SimulationConfig
    study: Study
    sites: tuple[Site, ...]
    participants: tuple[Participant, ...]
    observers: tuple[Observer, ...]
    template_key: str
    planted: PlantedParameters
    cohorts: tuple[Cohort, ...]
    estimated_tasks: int
    """Expected number of tasks (the target when one is set)."""
    _models: Mapping[str, SiteModel] = field(repr=False, compare=False)
    _observer_sites: Mapping[str, str] = field(repr=False, compare=False)
    planted_styles: Mapping[str, str] = field(default_factory=dict)
    """Participant code -> the style planted for them (empty when no styles are planted)."""
    _variants: dict[tuple[str, str, int], SiteModel] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def reorganisations(self) -> tuple[Reorganisation, ...]:
        """The dated site events planted in the study (to record as site events)."""
        return self.config.reorganisations

    def _model(self, participant: Participant, day: date) -> SiteModel:
        """The site's model with the participant's style and the site's reorganisations in
        force on `day` applied (the site's own model when neither applies)."""
        base = self._models[participant.site]
        style = self.planted_styles.get(participant.code, "")
        events = [
            r for r in self.config.reorganisations if r.site == participant.site and r.day <= day
        ]
        if not style and not events:
            return base
        key = (participant.site, style, len(events))
        if key not in self._variants:
            rates = base.profile.rates
            for st in self.config.styles:
                if st.name == style:
                    rates = st.apply(rates)
            for r in events:
                rates = r.apply(rates)
            profile = replace(base.profile, rates=rates)
            self._variants[key] = SiteModel(
                profile, builtin_template(self.config.template), base.response_window_s
            )
        return self._variants[key]

    def iter_sessions(self) -> Iterator[Session]:
        """Every session of the study, generated lazily in a fixed order.

        With a target, sessions come until the number of tasks reaches it; the last session
        is cut short ("stopped_early") so that the total lands just above the target.
        """
        cfg = self.config
        target = cfg.target_tasks
        total = 0
        number = 0
        # running tasks-per-hour by site, primed with the planning estimate (worth 2 hours)
        seen = {code: [2.0 * m.tasks_per_hour(), 2.0] for code, m in self._models.items()}
        site_order = [s.code for s in self.sites]
        for rnd in count():
            produced = 0
            period_start = add_months(cfg.start, rnd * cfg.months)
            days = working_days(period_start, add_months(period_start, cfg.months))
            for cohort in self.cohorts:
                trng = np.random.default_rng([cfg.seed, _TIMETABLE, cohort.index, rnd])
                timetable = plan_timetable(
                    list(cohort.participants),
                    site_order,
                    list(cohort.observers),
                    dict(self._observer_sites),
                    days,
                    cohort.sessions_each,
                    cfg.full_day_share,
                    cfg.co_observed_share,
                    trng,
                )
                for idx, planned in enumerate(timetable):
                    if target is not None and total >= target:
                        return
                    ident = (cohort.index, rnd, idx)
                    sessions = self._sessions(planned, cohort, ident, number, target, total, seen)
                    for s in sessions:
                        n = len(s.tasks)
                        total += n
                        produced += n
                        stats = seen[s.site]
                        stats[0] += n
                        stats[1] += s.observed_seconds / 3600
                        yield s
                    number += len(sessions)
            if target is None or produced == 0:
                return

    def iter_batches(self, size: int = 500) -> Iterator[list[Session]]:
        """Sessions in lists of `size`, for bulk loading."""
        batch: list[Session] = []
        for s in self.iter_sessions():
            batch.append(s)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    # -- one planned session ---------------------------------------------------------------

    def _sessions(
        self,
        planned: PlannedSession,
        cohort: Cohort,
        ident: tuple[int, int, int],
        number: int,
        target: int | None,
        total: int,
        seen: dict[str, list[float]],
    ) -> list[Session]:
        cfg = self.config
        p = cohort.participants[planned.participant]
        model = self._model(p, planned.day)
        profile = model.profile
        zone = ZoneInfo(profile.timezone)
        rates = profile.rates

        rng = np.random.default_rng([cfg.seed, _DAY, *ident])
        draws = (float(rng.random()), float(rng.random()))

        def window(max_hours: float | None = None) -> Window:
            return day_window(
                p.job_plan,
                planned.day,
                planned.kind,
                zone,
                rates.early_start_minutes,
                rates.late_finish_minutes,
                draws,
                max_hours,
            )

        win = window()
        observers = planned.observers
        stopped_early = False
        if target is not None:
            remaining = target - total
            seen_tasks, seen_hours = seen[p.site]
            rate = seen_tasks / seen_hours
            expected = rate * win.length / 3600
            if expected * len(observers) > remaining:
                if len(observers) > 1 and expected > 0.6 * remaining:
                    observers = observers[:1]
                if expected * len(observers) > remaining:
                    win = window(remaining / (rate * len(observers)))
                    stopped_early = True
        builder = DayBuilder(model, rng)
        day = builder.run(win)
        base = win.start
        local0 = win.local_start

        def clock(o: int) -> str:
            return (local0 + timedelta(seconds=o)).strftime("%H:%M")

        out = []
        attrs: list[tuple[str, str]] = [("day", planned.kind), ("cohort", str(cohort.index))]
        if stopped_early:
            attrs.append(("stopped_early", "true"))
        views: list[tuple[dict[int, int] | None, dict[int, tuple[str, tuple]] | None]] = [
            (None, None)
        ]
        if len(observers) > 1:
            views.append(
                second_observer_view(
                    day, rng, cfg.observer_jitter_seconds, cfg.observer_disagreement, model
                )
            )
        for i, (observer, (tmap, recode)) in enumerate(zip(observers, views, strict=True)):
            no = number + 1 + i
            tasks, events = to_session_parts(day, no, base, model.codes, tmap, recode)
            texts = field_notes(
                day.moments,
                builder.row,
                p.code,
                p.site,
                day.length,
                cfg.field_notes_per_hour,
                clock,
            )
            extra: list[tuple[str, str]] = []
            if len(observers) > 1:
                other = number + 2 if i == 0 else number + 1
                extra = [("co_observed_with", f"sim:{other}")]
            out.append(
                Session(
                    key=f"sim:{no}",
                    participant=p.code,
                    site=p.site,
                    start=base,
                    end=base + timedelta(seconds=day.length),
                    mode="shadowing",
                    observer=observer,
                    complete=True,
                    timezone=profile.timezone,
                    template=self.template_key,
                    source="simulated",
                    source_id=str(no),
                    tasks=tasks,
                    events=events,
                    notes=make_notes(texts, no, base),
                    attributes=tuple(attrs + extra),
                    observer_role="primary" if i == 0 else "second",
                )
            )
        return out


# --- set-up ---------------------------------------------------------------------------------


def _session_hours(profile: SiteProfile, full_share: float) -> float:
    """Expected length of one shadowing session at a site, in hours."""
    day0 = datetime.combine(date(2026, 1, 5), profile.am[0])
    day1 = datetime.combine(date(2026, 1, 5), profile.pm[1])
    full = (day1 - day0).total_seconds() / 3600
    r = profile.rates
    full += (r.early_start_minutes + r.late_finish_minutes) / 60
    half = 3.75 + (r.early_start_minutes + r.late_finish_minutes + 10) / 120
    return full_share * full + (1 - full_share) * half


def _estimate(
    participants: tuple[Participant, ...],
    sessions_each: int,
    per_session: Mapping[str, float],
    co_share: float,
) -> float:
    return sum(per_session[p.site] for p in participants) * sessions_each * (1 + co_share)


def _check(cfg: SimulationConfig) -> None:
    problems = []
    if not isinstance(cfg.seed, int) or cfg.seed < 0:
        problems.append("seed must be a whole number >= 0")
    if cfg.months < 1:
        problems.append("months must be at least 1")
    if cfg.target_tasks is not None and cfg.target_tasks < 1:
        problems.append("target_tasks must be a positive number of tasks")
    pps = cfg.participants_per_site
    if pps is not None:
        counts = (pps,) if isinstance(pps, int) else tuple(pps)
        if not isinstance(pps, int) and len(counts) != len(cfg.sites):
            problems.append("participants_per_site needs one number per site")
        if any(not isinstance(n, int) or isinstance(n, bool) or n < 1 for n in counts):
            problems.append("participants per site must be whole numbers >= 1")
    if cfg.sessions_per_participant < 1 or cfg.max_sessions_per_participant < 1:
        problems.append("sessions per participant must be at least 1")
    for name in ("full_day_share", "co_observed_share", "observer_disagreement"):
        if not 0 <= getattr(cfg, name) <= 1:
            problems.append(f"{name} is a share between 0 and 1")
    if cfg.demand_response_window_minutes <= 0 or cfg.observer_jitter_seconds < 0:
        problems.append("the response window must be positive and the jitter not negative")
    if not cfg.sites:
        problems.append("at least one site is needed")
    for what, values in (
        ("site codes", [s.code for s in cfg.sites]),
        ("participant prefixes", [s.prefix for s in cfg.sites]),
    ):
        if len(set(values)) != len(values):
            problems.append(f"{what} must be unique")
    codes = {s.code for s in cfg.sites}
    for r in cfg.reorganisations:
        if r.site not in codes:
            problems.append(f"reorganisation '{r.label}' names no site of the study ({r.site})")
    if len({st.name for st in cfg.styles}) != len(cfg.styles):
        problems.append("style names must be unique")
    if problems:
        raise ValueError("; ".join(problems))


def simulate(config: SimulationConfig | None = None, **changes: object) -> SimulatedStudy:
    """Set up a synthetic study; its sessions are generated by `iter_sessions()`.

    Keyword arguments override fields of `config` (e.g. ``simulate(seed=3, months=2)``).
    """
    cfg = config or SimulationConfig()
    if changes:
        cfg = replace(cfg, **changes)  # type: ignore[arg-type]
    _check(cfg)
    template = builtin_template(cfg.template)
    window_s = round(cfg.demand_response_window_minutes * 60)
    models = {s.code: SiteModel(s, template, window_s) for s in cfg.sites}
    per_session = {
        s.code: models[s.code].tasks_per_hour() * _session_hours(s, cfg.full_day_share)
        for s in cfg.sites
    }
    n_days = len(working_days(cfg.start, add_months(cfg.start, cfg.months)))
    numbering = dict.fromkeys(models, 0)

    pps = cfg.participants_per_site
    wanted = (
        [None] * len(cfg.sites)
        if pps is None
        else [pps] * len(cfg.sites)
        if isinstance(pps, int)
        else list(pps)
    )

    def new_participants(cohort: int) -> tuple[Participant, ...]:
        rng = np.random.default_rng([cfg.seed, _PEOPLE, cohort])
        out = []
        for profile, n_wanted in zip(cfg.sites, wanted, strict=True):
            if cohort == 0:
                specs = list(profile.staff)
                if n_wanted is not None:
                    specs = specs[:n_wanted]
                    specs += [random_staff(profile, rng) for _ in range(n_wanted - len(specs))]
            else:
                specs = [random_staff(profile, rng) for _ in range(int(rng.integers(3, 7)))]
            for spec in specs:
                numbering[profile.code] += 1
                code = f"{profile.prefix}-{numbering[profile.code]:02d}"
                out.append(participant_from_spec(profile, spec, code, cohort, rng))
        return tuple(out)

    first = new_participants(0)
    k = cfg.sessions_per_participant
    base = _estimate(first, k, per_session, cfg.co_observed_share)
    groups = [first]
    target = cfg.target_tasks
    estimate = base
    if target is not None and target > base:
        k = max(k, min(cfg.max_sessions_per_participant, math.ceil(k * target / base)))
        k = min(k, max(cfg.sessions_per_participant, n_days // 2))  # at most every other day
        estimate = _estimate(first, k, per_session, cfg.co_observed_share)
        while estimate < target:
            group = new_participants(len(groups))
            groups.append(group)
            estimate += _estimate(group, k, per_session, cfg.co_observed_share)
    cohorts = []
    observers: list[Observer] = []
    observer_sites: dict[str, str] = {}
    site_codes = [s.code for s in cfg.sites]
    for ci, group in enumerate(groups):
        need = observers_needed(len(group), k, n_days, cfg.co_observed_share)
        codes = []
        for _ in range(need):
            n = len(observers) + 1
            code = f"OBS-{n:02d}"
            observers.append(Observer(code, f"Researcher {n} (synthetic)"))
            observer_sites[code] = site_codes[(n - 1) % len(site_codes)]
            codes.append(code)
        cohorts.append(Cohort(ci, group, tuple(codes), k))
    planted = PlantedParameters(
        by_site=MappingProxyType({s.code: s.rates for s in cfg.sites}),
        demand_response_window_minutes=cfg.demand_response_window_minutes,
        demand_context_multiplier=MappingProxyType(dict(DEMAND_CONTEXT_MULTIPLIER)),
        response_modes=RESPONSE_MODES,
        co_observed_share=cfg.co_observed_share,
        observer_disagreement=cfg.observer_disagreement,
        observer_jitter_seconds=cfg.observer_jitter_seconds,
        seed=cfg.seed,
    )
    end = add_months(cfg.start, cfg.months) - timedelta(days=1)
    study = Study(
        name=cfg.study_name,
        title=(
            "SYNTHETIC DATA: simulated shadowing study of AHP clinician-managers "
            f"({len(cfg.sites)} sites)"
        ),
        description=(
            f"Simulated by workweave.simulate with seed {cfg.seed}, {cfg.start:%d %B %Y} to "
            f"{end:%d %B %Y}. No real people, sites or observations: every participant, "
            "task and note is invented, and the rates planted in the data are documented in "
            "docs/simulator.md."
        ),
        synthetic=True,
    )
    sites = tuple(Site(s.code, s.name, s.timezone, s.description) for s in cfg.sites)
    everyone = [p for g in groups for p in g]
    by_site: dict[str, list[str]] = {}
    for p in everyone:
        by_site.setdefault(p.site, []).append(p.code)
    return SimulatedStudy(
        config=cfg,
        study=study,
        sites=sites,
        participants=tuple(p for g in groups for p in g),
        observers=tuple(observers),
        template_key=template.key,
        planted=planted,
        cohorts=tuple(cohorts),
        estimated_tasks=int(target if target is not None else round(base)),
        _models=MappingProxyType(models),
        _observer_sites=MappingProxyType(observer_sites),
        planted_styles=MappingProxyType(assign_styles(by_site, cfg.styles)),
    )
