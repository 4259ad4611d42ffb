"""One shadowed session: the timeline of tasks, interruptions, demand events and notes.

The day is cut into *segments* by the participant's job plan (planned sessions, the gap
between them, and the time before and after contracted hours); each segment is filled with a
continuous main track of tasks drawn from the context's activity mix, on which three Poisson
processes act: interruptions (a point event, or a suspension with its own interrupting task),
demand events (answered by LIST-MANAGE work within a few minutes) and tasks started in
parallel. Times are whole seconds from the session start until the records become domain
objects at the very end.

Speed matters (millions of tasks are streamed): random numbers come from pools drawn in bulk
from numpy, and the timeline is built from small slotted records.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from heapq import heapify, heappop, heappush
from operator import attrgetter
from zoneinfo import ZoneInfo

import numpy as np

from workweave.domain import (
    JobPlan,
    Note,
    ParallelLink,
    PointEvent,
    Suspension,
    Task,
    Template,
)
from workweave.simulate.profiles import (
    CONFUSABLE,
    CONTEXTS,
    DIM_VARIANTS,
    DURATIONS,
    INSTANT_BASIS_CONTEXTS,
    INTERRUPTING_MEDIAN_MIN,
    INTERRUPTING_MGMT_TILT,
    INTERRUPTING_MIX,
    INTERRUPTING_SIGMA,
    MANAGERIAL_MIX,
    MAX_TASK_SECONDS,
    MIN_TASK_SECONDS,
    MINTZBERG,
    OTHER_MIX,
    PARALLEL_MEDIAN_MIN,
    PARALLEL_MIX,
    PARALLEL_SIGMA,
    PLANNED_PROBABILITY,
    RESPONSE_MEDIAN_MIN,
    RESPONSE_MODES,
    RESPONSE_SIGMA,
    SiteProfile,
)
from workweave.simulate.schedule import NOON

# event kinds on the timeline heap
K_POINT, K_SUSP, K_DEMAND, K_PAR, K_RESP = range(5)
# how a task was initiated (template dimension 'initiated_by')
INIT_VALUES: tuple[str, ...] = ("planned", "self", "interruption", "demand event")
I_PLANNED, I_SELF, I_INTERRUPTION, I_DEMAND = range(4)
# demand response modes, in RESPONSE_MODES order
M_INTERRUPT, M_NEXT, M_PARALLEL = range(3)
RESPONSE_MIN_DELAY_S = 15
"""A demand event is answered 15 s + (window - 15 s) x U1 x U2 after it (U uniform): mostly
within a minute or two, never later than the window."""

_x, _w = np.polynomial.hermite.hermgauss(48)
_GH_X = _x * math.sqrt(2)
_GH_W = _w / math.sqrt(math.pi)


class InfeasibleProfile(ValueError):
    """Planted rates that the generator cannot produce together."""


def _cumulative(weights: list[float] | np.ndarray) -> list[float]:
    """Cumulative probabilities ending at exactly 1, for bisect-based draws."""
    a = np.cumsum(np.asarray(weights, dtype=float))
    out = (a / a[-1]).tolist()
    out[-1] = 1.0
    return out


class Quadrature:
    """A task-length distribution (lognormal, clipped to the allowed range) as quadrature
    nodes, for expectations such as the time of tasks cut at a segment's end."""

    def __init__(self, median_s: float, sigma: float) -> None:
        self.mu = math.log(median_s)
        self.sigma = sigma
        d = np.exp(self.mu + sigma * _GH_X)
        self.nodes = np.clip(d, MIN_TASK_SECONDS, MAX_TASK_SECONDS)
        self.weights = _GH_W
        self.mean = float(self.nodes @ self.weights)

    def occupancy(self, elapsed: np.ndarray) -> np.ndarray:
        """E[min(D, v)] for each v in `elapsed`: at rate-1 arrivals since `v` seconds ago, the
        expected number of such tasks still under way (an M/G/infinity queue)."""
        x = np.minimum(self.nodes[None, :], np.maximum(0.0, np.asarray(elapsed))[:, None])
        return x @ self.weights

    def killed_mean(self, kill: float) -> float:
        """E[min(D, T)], T ~ Exp(kill): the mean when tasks may be abandoned at rate `kill`."""
        if kill <= 0:
            return self.mean
        return float(-np.expm1(-kill * self.nodes) @ self.weights) / kill

    def clipped(
        self, length: float, delay: tuple[float, float] | None = None, kill: float = 0.0
    ) -> float:
        """Expected time inside a segment of `length` of all tasks started in it at rate 1:
        integral over start u of E[min(D, room(u), T)], room = time left to the segment's end
        (less a response delay, shrunk near the end, when `delay` = (mean, window)), T the
        time until the task is abandoned (exponential at rate `kill`)."""
        v = np.linspace(0.0, length, 97)
        room = v
        if delay is not None:
            mean, window = delay
            room = np.maximum(0.0, v - mean * np.minimum(1.0, v / window))
        x = np.minimum(self.nodes[None, :], room[:, None])
        if kill > 0:
            x = -np.expm1(-kill * x) / kill
        return float(np.trapezoid(x @ self.weights, v))


@dataclass(frozen=True)
class SegmentMix:
    """The main track's categories for one segment length."""

    cats: list[int]
    cum: list[float]
    first_cum: list[float]  # for a task already under way at the segment's start
    mean_main: float  # mean main-task length in seconds (by count)


class ContextModel:
    """Everything drawn in one job-plan context of one site (rates are per second).

    The main track's managerial share is solved so that, in expectation, the planted share
    holds, counting the interrupting tasks, demand responses and parallel tasks too. It is
    solved per segment length (`segment`): tasks that start near a segment's end are cut at
    it, so short segments (an early start, a late finish) need a slightly more managerial main
    track.

    Two bases (`INSTANT_BASIS_CONTEXTS`): in planned clinical (DCC) sessions the share is of
    *instants* with at least one managerial task active (what ``clinical_displacement``
    measures); elsewhere it is managerial active time with overlapping tasks counted in full
    (what ``takeover_ratio``, ``compartmentalisation`` and ``leakage`` sum). On the instant
    basis the foreground chain (main track, interrupting tasks, demand responses that take
    the foreground) is managerial with probability P and, independently, managerial tasks run
    in parallel as an M/G/infinity queue with mean occupancy mu(t); an instant is managerial
    unless neither is, so the share is 1 - (1 - P) E[exp(-mu)], solved for P.
    """

    def __init__(self, site: SiteModel, ctx: str) -> None:
        r = site.rates
        code = site.profile.code
        self.site = site
        self.ctx = ctx
        self.m = m = r.mgmt_share(ctx)
        lam = r.interruptions_per_hour / 3600
        self.demand_rate = dem = r.demand_rate(ctx) / 3600
        self.rho = rho = r.demand_response_share
        f_int, f_next, _ = site.mode_p
        self.f_fg = f_int + f_next
        self.parallel_rate = r.parallel_tasks_per_hour / 3600
        self.q_int = q_int = min(1.0, max(0.0, m + INTERRUPTING_MGMT_TILT))
        self.q_par = q_par = m
        # Demand responses that suspend the current task count among the interruptions; so do
        # those that find an interrupting task under way (they suspend it). The rest of the
        # planted rate comes from the generic process.
        busy = 0.0
        generic = lam
        for _ in range(3):
            generic = lam - dem * rho * (f_int + f_next * busy)
            busy = generic * (1 - r.point_interruption_share) * site.q_interrupting.mean
        if generic < 0:
            raise InfeasibleProfile(
                f"site {code}: demand responses alone interrupt more often than "
                f"interruptions_per_hour={r.interruptions_per_hour} in context {ctx}"
            )
        self.interruption_rate = generic
        self.susp_rate = susp = generic * (1 - r.point_interruption_share)
        # Tasks end early when abandoned after an interruption (or, on the main track, when
        # cut short by a demand response): their effective length is min(D, T), T ~ Exp(kill).
        self.kill_fg = susp * r.not_resumed_share + dem * rho * f_int * r.not_resumed_share
        self.kill = kill = self.kill_fg + dem * rho * f_next
        i_time = susp * site.q_interrupting.killed_mean(self.kill_fg)
        r_time = dem * rho * site.q_response.killed_mean(kill)
        p_time = self.parallel_rate * site.q_parallel.mean
        fg = 1 - i_time - self.f_fg * r_time
        if fg <= 0.2:
            raise InfeasibleProfile(
                f"site {code}: interruptions and demand leave too little time for other work"
            )
        self.instants = ctx in INSTANT_BASIS_CONTEXTS
        self.par_resp_rate = dem * rho * (1 - self.f_fg)  # responses run in parallel
        if self.instants:
            mu = q_par * p_time + self.par_resp_rate * site.q_response.mean
            p_fg = 1 - (1 - m) * math.exp(mu)
            s = (p_fg - q_int * i_time - self.f_fg * r_time) / fg
        else:
            s = (m - q_int * i_time - r_time - q_par * p_time) / fg
        if s < -1e-9 or s > 1 + 1e-9:
            lo = q_int * i_time + r_time + q_par * p_time
            raise InfeasibleProfile(
                f"site {code}: the managerial share {m:.2f} planted for context {ctx} cannot be "
                f"produced with these rates (interruptions, demand responses and parallel tasks "
                f"alone give about {lo:.2f}); change the share or those rates"
            )
        self.eff = site.effective_means(kill)
        self.mix_m, self.mix_o = MANAGERIAL_MIX[ctx], OTHER_MIX[ctx]
        self.mu_m = _mix_mean(self.mix_m, self.eff, site.index)
        self.mu_o = _mix_mean(self.mix_o, self.eff, site.index)
        int_cats, int_p = site.mix(*INTERRUPTING_MIX, q_int)
        self.int_cats, self.int_cum = int_cats, _cumulative(int_p)
        par_cats, par_p = site.mix(*PARALLEL_MIX, q_par)
        self.par_cats, self.par_cum = par_cats, _cumulative(par_p)
        self.long_run_share = min(1.0, max(0.0, s))
        p_count = self._count_share(self.long_run_share)
        mean_main = p_count * self.mu_m + (1 - p_count) * self.mu_o
        self.tasks_per_hour = 3600 * fg / mean_main + 3600 * (susp + dem * rho + self.parallel_rate)
        self._segments: dict[int, SegmentMix] = {}

    def _count_share(self, s: float) -> float:
        """Share of main tasks (by count) that must be managerial for a time share `s`."""
        if s <= 0 or s >= 1:
            return min(1.0, max(0.0, s))
        return s * self.mu_o / (s * self.mu_o + (1 - s) * self.mu_m)

    def segment(self, length: int) -> SegmentMix:
        """The main-track mix for a segment of `length` seconds (cached by the minute)."""
        key = max(1, round(length / 60))
        mix = self._segments.get(key)
        if mix is None:
            mix = self._segments[key] = self._solve(key * 60.0)
        return mix

    def _solve(self, length: float) -> SegmentMix:
        site = self.site
        i_time = self.susp_rate * site.q_interrupting.clipped(length, kill=self.kill_fg)
        r_time = (
            self.demand_rate
            * self.rho
            * site.q_response.clipped(length, site.delay, kill=self.kill)
        )
        p_time = self.parallel_rate * site.q_parallel.clipped(length)
        fg = length - i_time - self.f_fg * r_time
        if self.instants:
            # managerial tasks in parallel at t: those started since the segment began (the
            # demand answers after their delay) and still under way
            v = np.linspace(0.0, length, 97)
            mean, window = site.delay
            room = v - mean * np.minimum(1.0, v / window)
            mu = self.q_par * self.parallel_rate * site.q_parallel.occupancy(
                v
            ) + self.par_resp_rate * site.q_response.occupancy(room)
            none_in_parallel = float(np.trapezoid(np.exp(-mu), v)) / length
            p_fg = 1 - (1 - self.m) / none_in_parallel
            s = (p_fg * length - self.q_int * i_time - self.f_fg * r_time) / fg
        else:
            s = (self.m * length - self.q_int * i_time - r_time - self.q_par * p_time) / fg
        p_count = self._count_share(min(1.0, max(0.0, s)))
        cats, probs = site.mix(self.mix_m, self.mix_o, p_count)
        first = probs * self.eff[cats]
        return SegmentMix(
            cats,
            _cumulative(probs),
            _cumulative(first),
            p_count * self.mu_m + (1 - p_count) * self.mu_o,
        )


class SiteModel:
    """A site profile compiled against a template into what the generator draws from."""

    def __init__(self, profile: SiteProfile, template: Template, response_window_s: int):
        self.profile = profile
        self.rates = profile.rates
        problems = profile.rates.problems()
        if problems:
            raise InfeasibleProfile(f"site {profile.code}: " + "; ".join(problems))
        self.codes: list[str] = [c.code for c in template.categories]
        missing = [c for c in DURATIONS if c not in self.codes]
        if missing:
            raise InfeasibleProfile(
                f"template {template.key} lacks categories the simulator uses: "
                + ", ".join(missing)
            )
        self.index = {c: i for i, c in enumerate(self.codes)}
        self.labels = [c.label for c in template.categories]
        self.managerial = [template.domain_of(c) == "managerial" for c in self.codes]
        self.clinical = [template.domain_of(c) == "clinical" for c in self.codes]
        self.list_manage = self.index["LIST-MANAGE"]
        n = len(self.codes)
        medians = np.full(n, 120.0)
        sigmas = np.full(n, 0.8)
        for code, (med, sig) in DURATIONS.items():
            medians[self.index[code]] = med * 60
            sigmas[self.index[code]] = sig
        medians[self.index["CLIN-DIRECT"]] = profile.clinical_direct_minutes * 60
        medians[self.index["TRANSIT"]] = profile.transit_minutes * 60
        self._mu = np.log(medians)
        self._sigma = sigmas
        self.mu: list[float] = self._mu.tolist()
        self.sigma: list[float] = sigmas.tolist()
        self.planned_p = [PLANNED_PROBABILITY.get(c, 0.1) for c in self.codes]
        self.response_window_s = max(RESPONSE_MIN_DELAY_S + 1, int(response_window_s))
        self._build_dims(profile, template)
        self.demand_names = [s for s, _ in profile.demand_subtypes]
        self.demand_cum = _cumulative([w for _, w in profile.demand_subtypes])
        self.source_names = [s for s, _ in profile.interruption_sources]
        self.source_cum = _cumulative([w for _, w in profile.interruption_sources])
        weights = np.array([w for _, w in RESPONSE_MODES], dtype=float)
        self.mode_p: list[float] = (weights / weights.sum()).tolist()
        self.mode_cum = _cumulative(self.mode_p)
        self.q_interrupting = Quadrature(INTERRUPTING_MEDIAN_MIN * 60, INTERRUPTING_SIGMA)
        self.q_response = Quadrature(RESPONSE_MEDIAN_MIN * 60, RESPONSE_SIGMA)
        self.q_parallel = Quadrature(PARALLEL_MEDIAN_MIN * 60, PARALLEL_SIGMA)
        w = self.response_window_s
        self.delay = (RESPONSE_MIN_DELAY_S + (w - RESPONSE_MIN_DELAY_S) / 4, float(w))
        self.contexts = {ctx: ContextModel(self, ctx) for ctx in CONTEXTS}

    def _build_dims(self, profile: SiteProfile, template: Template) -> None:
        """dims[cat][init] = (cumulative weights, dimension tuples in canonical order)."""
        extra = dict(profile.extra_variants)
        known = {d.key for d in template.dimensions}
        self.dims: list[list[tuple[list[float], list[tuple]]]] = []
        for code in self.codes:
            variants = DIM_VARIANTS.get(code, DIM_VARIANTS["OTHER"]) + extra.get(code, ())
            roles = MINTZBERG.get(code) if "mintzberg_role" in known else None
            per_init = []
            for init in INIT_VALUES:
                weights: list[float] = []
                values: list[tuple] = []
                for v in variants:
                    base: list[tuple[str, tuple[str, ...]]] = [
                        ("with_whom", v.with_whom),
                        ("how", v.how),
                        ("where", (v.where or profile.clinical_where,)),
                        ("initiated_by", (init,)),
                    ]
                    for role, rw in roles or ((None, 1.0),):
                        dims = [*base, ("mintzberg_role", (role,) if role else ())]
                        weights.append(v.weight * rw)
                        values.append(
                            tuple(
                                sorted(
                                    (k, tuple(sorted(vals)))
                                    for k, vals in dims
                                    if vals and k in known
                                )
                            )
                        )
                per_init.append((_cumulative(weights), values))
            self.dims.append(per_init)

    def mix(
        self, mgmt: dict[str, float], other: dict[str, float], p_mgmt: float
    ) -> tuple[list[int], np.ndarray]:
        """Categories and probabilities: `p_mgmt` spread over `mgmt`, the rest over `other`."""
        cats, probs = [], []
        tm, to = sum(mgmt.values()), sum(other.values())
        for c, w in mgmt.items():
            cats.append(self.index[c])
            probs.append(p_mgmt * w / tm)
        for c, w in other.items():
            cats.append(self.index[c])
            probs.append((1 - p_mgmt) * w / to)
        p = np.array(probs)
        return cats, p / p.sum()

    def effective_means(self, kill: float) -> np.ndarray:
        """E[min(D, cap, T)] per category, T ~ Exp(kill), by Gauss-Hermite quadrature."""
        d = np.exp(self._mu[:, None] + self._sigma[:, None] * _GH_X[None, :])
        d = np.clip(d, MIN_TASK_SECONDS, MAX_TASK_SECONDS)
        f = d if kill <= 0 else -np.expm1(-kill * d) / kill
        return f @ _GH_W

    def tasks_per_hour(self) -> float:
        """Rough tasks per observed hour over a typical day, for planning."""
        mix = {"DCC": 0.55, "management": 0.25, "SPA": 0.05, "lunch": 0.07, "outside": 0.08}
        return sum(w * self.contexts[c].tasks_per_hour for c, w in mix.items())


def _mix_mean(mix: dict[str, float], means: np.ndarray, index: dict[str, int]) -> float:
    total = sum(mix.values())
    return sum(w * float(means[index[c]]) for c, w in mix.items()) / total


# --- the session window ----------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A shadowing window: its UTC start, length and job-plan segments (offsets in seconds)."""

    start: datetime  # aware, UTC
    length: int
    segments: tuple[tuple[int, int, str], ...]  # (from, to, context), contiguous
    local_start: datetime  # the same instant in the site's zone


def day_window(
    plan: JobPlan,
    day: date,
    kind: str,
    zone: ZoneInfo,
    early_minutes: float,
    late_minutes: float,
    draws: tuple[float, float],
    max_hours: float | None = None,
) -> Window:
    """The window a researcher shadows on `day` ('full', 'am' or 'pm'), cut into segments.

    `draws` are two uniform numbers in [0, 1) that set how early the day starts and how late
    it ends. Job-plan times are read in the site's local time and converted to UTC, so a
    session keeps its local hours across daylight-saving changes.
    """
    todays = [s for s in plan.sessions if s.weekday == day.weekday()]
    if not todays:
        raise ValueError(f"no planned session on {day:%A %d %B %Y}")
    observed = todays
    if kind == "am":
        observed = [s for s in todays if s.start < NOON] or todays
    elif kind == "pm":
        observed = [s for s in todays if s.start >= NOON] or todays

    def local(t: time) -> datetime:
        return datetime.combine(day, t, tzinfo=zone)

    u_early, u_late = draws
    first, last = local(observed[0].start), local(observed[-1].end)
    early = min(90.0, -early_minutes * math.log1p(-u_early)) if early_minutes > 0 else 0.0
    late = min(120.0, -late_minutes * math.log1p(-u_late)) if late_minutes > 0 else 0.0
    if observed[0] is not todays[0]:
        early = 10 * u_early  # the end of lunch, before the afternoon session starts
    if observed[-1] is not todays[-1]:
        late = 10 * u_late  # finishing off before lunch
    w0 = (first - timedelta(seconds=round(early * 60))).astimezone(UTC)
    w1 = (last + timedelta(seconds=round(late * 60))).astimezone(UTC)
    if max_hours is not None:
        w1 = min(w1, w0 + timedelta(seconds=max(900, round(max_hours * 3600))))
    length = int((w1 - w0).total_seconds())
    cuts: list[tuple[int, int, str]] = []
    cursor = 0
    for i, s in enumerate(todays):
        sa = int((local(s.start).astimezone(UTC) - w0).total_seconds())
        sb = int((local(s.end).astimezone(UTC) - w0).total_seconds())
        if sa > cursor:
            cuts.append((cursor, min(sa, length), "outside" if i == 0 else "lunch"))
        lo, hi = max(sa, cursor), min(sb, length)
        if hi > lo:
            cuts.append((lo, hi, s.category))
        cursor = max(cursor, hi)
        if cursor >= length:
            break
    if cursor < length:
        cuts.append((cursor, length, "outside"))
    segments = tuple(c for c in cuts if c[1] > c[0])
    return Window(w0, length, segments, w0.astimezone(zone))


# --- the timeline --------------------------------------------------------------------------


class Rec:
    """A task while the day is being generated (times in seconds from the session start)."""

    __slots__ = (
        "cat",
        "depth",
        "dims",
        "dropped",
        "end",
        "links",
        "n",
        "replaced",
        "start",
        "susp",
    )

    def __init__(self, start: int, cat: int, depth: int, dims: tuple) -> None:
        self.start = start
        self.end = start
        self.cat = cat
        self.depth = depth  # 0 main track, 1-2 interrupting, -1 parallel
        self.dims = dims
        self.susp: list[tuple[int, int | None, Rec]] | None = None
        self.links: list[tuple[Rec, int, int]] | None = None
        self.dropped = False
        self.replaced: Rec | None = None
        self.n = 0


@dataclass
class Day:
    """A generated timeline, before it becomes a domain Session."""

    recs: list[Rec]  # live records in recording order
    points: list[tuple[int, str, str]]  # (offset, kind, subtype)
    moments: list[tuple[int, str, str]]  # (offset, tag, detail) for field notes
    length: int


POOL_ROWS = 256


class DayBuilder:
    """Fills a window's segments with tasks, interruptions and demand events.

    Randomness comes in rows of eight uniforms plus one standard normal, drawn from the
    numpy generator POOL_ROWS rows at a time.
    """

    def __init__(self, model: SiteModel, rng: np.random.Generator) -> None:
        self.m = model
        self.rng = rng
        self.recs: list[Rec] = []
        self.points: list[tuple[int, str, str]] = []
        self.moments: list[tuple[int, str, str]] = []
        self.heap: list[tuple] = []
        self.tick = 0
        self.b = 0
        self.window = model.response_window_s
        self._rows: list[list[float]] = []
        self._zs: list[float] = []
        self._ri = 0

    def row(self) -> tuple[list[float], float]:
        """Eight uniforms in [0, 1) and one standard normal."""
        i = self._ri
        if i >= len(self._rows):
            self._rows = self.rng.random((POOL_ROWS, 8)).tolist()
            self._zs = self.rng.standard_normal(POOL_ROWS).tolist()
            i = 0
        self._ri = i + 1
        return self._rows[i], self._zs[i]

    def uniform(self) -> float:
        return self.row()[0][0]

    # -- records -----------------------------------------------------------------------------

    def _rec(self, start: int, cat: int, depth: int, init: int, u: float) -> Rec:
        cum, values = self.m.dims[cat][init]
        rec = Rec(start, cat, depth, values[bisect_right(cum, u)])
        self.recs.append(rec)
        return rec

    def _parallel(self, e: int, cat: int, dur: int, init: int, u: float) -> None:
        rec = self._rec(e, cat, -1, init, u)
        end = e + dur
        rec.end = end if end < self.b else self.b

    # -- events of a segment -----------------------------------------------------------------

    def _push_events(self, a: int, b: int, cm: ContextModel) -> None:
        m, r = self.m, self.m.rates
        heap = self.heap
        tick = self.tick
        row = self.row
        log1p, exp = math.log1p, math.exp
        lo_d, hi_d = MIN_TASK_SECONDS, MAX_TASK_SECONDS
        rate = cm.interruption_rate
        if rate > 0:
            point_share, keep = r.point_interruption_share, 1 - r.not_resumed_share
            mu, sg = m.q_interrupting.mu, m.q_interrupting.sigma
            names, scum = m.source_names, m.source_cum
            cats, ccum = cm.int_cats, cm.int_cum
            t = float(a)
            while True:
                u, z = row()
                t -= log1p(-u[0]) / rate
                if t >= b:
                    break
                tick += 1
                src = names[bisect_right(scum, u[2])]
                if u[1] < point_share:
                    heap.append((int(t), tick, K_POINT, src))
                else:
                    dur = min(hi_d, max(lo_d, int(exp(mu + sg * z))))
                    cat = cats[bisect_right(ccum, u[3])]
                    heap.append((int(t), tick, K_SUSP, cat, dur, u[4] < keep, src, u[5]))
        rate = cm.demand_rate
        if rate > 0:
            rho, keep = r.demand_response_share, 1 - r.not_resumed_share
            mu, sg = m.q_response.mu, m.q_response.sigma
            names, dcum, mcum = m.demand_names, m.demand_cum, m.mode_cum
            spread = self.window - RESPONSE_MIN_DELAY_S
            t = float(a)
            while True:
                u, z = row()
                t -= log1p(-u[0]) / rate
                if t >= b:
                    break
                tick += 1
                dur = min(hi_d, max(lo_d, int(exp(mu + sg * z))))
                delay = RESPONSE_MIN_DELAY_S + int(spread * u[3] * u[4])
                heap.append(
                    (
                        int(t),
                        tick,
                        K_DEMAND,
                        names[bisect_right(dcum, u[1])],
                        u[2] < rho,
                        delay,
                        bisect_right(mcum, u[5]),
                        dur,
                        u[6],
                        u[7] < keep,
                    )
                )
        rate = cm.parallel_rate
        if rate > 0:
            mu, sg = m.q_parallel.mu, m.q_parallel.sigma
            cats, ccum = cm.par_cats, cm.par_cum
            t = float(a)
            while True:
                u, z = row()
                t -= log1p(-u[0]) / rate
                if t >= b:
                    break
                tick += 1
                dur = min(hi_d, max(lo_d, int(exp(mu + sg * z))))
                heap.append((int(t), tick, K_PAR, cats[bisect_right(ccum, u[1])], dur, u[2]))
        self.tick = tick
        heapify(heap)

    # -- the foreground task and what happens to it ------------------------------------------

    def occupy(self, rec: Rec, t: int, work: int, depth: int) -> tuple[int, tuple | None]:
        """Run `rec` from `t` until it has had `work` seconds of its own time, handling the
        events that arrive meanwhile. Returns where the timeline continues, and a demand
        response that should follow as the next main task (main track only)."""
        heap = self.heap
        b = self.b
        while True:
            finish = t + work
            if finish > b:
                finish = b
            if not heap or heap[0][0] >= finish:
                rec.end = finish
                return finish, None
            ev = heappop(heap)
            e = ev[0]
            work -= e - t
            t = e
            kind = ev[2]
            if kind == K_POINT:
                self.points.append((e, "interruption", ev[3]))
                continue
            if kind == K_PAR:
                self._parallel(e, ev[3], ev[4], I_SELF, ev[5])
                self.moments.append((e, "parallel", ""))
                continue
            if kind == K_DEMAND:
                self.points.append((e, "demand", ev[3]))
                self.moments.append((e, "demand", ev[3]))
                if ev[4]:
                    delay = ev[5]
                    room = b - 1 - e
                    if room < self.window:  # near the segment's end: answered sooner
                        delay = delay * room // self.window
                    self.tick += 1
                    heappush(heap, (e + delay, self.tick, K_RESP, ev[6], ev[7], ev[8], ev[9]))
                continue
            if kind == K_RESP:
                mode = ev[3]
                if mode == M_NEXT and depth == 0:
                    rec.end = e
                    if e == rec.start and not rec.susp:
                        rec.dropped = True
                    return e, ev
                if mode == M_PARALLEL or depth >= 2:
                    self._parallel(e, self.m.list_manage, ev[4], I_DEMAND, ev[5])
                    continue
                cat, dur, init, u, resumed, src = (
                    self.m.list_manage,
                    ev[4],
                    I_DEMAND,
                    ev[5],
                    ev[6],
                    "phone",
                )
            else:  # K_SUSP
                if depth >= 2:
                    self.points.append((e, "interruption", ev[6]))
                    continue
                cat, dur, resumed, src, u = ev[3], ev[4], ev[5], ev[6], ev[7]
                init = I_INTERRUPTION
            j = self._rec(e, cat, depth + 1, init, u)
            cont, _ = self.occupy(j, e, dur, depth + 1)
            if (resumed or e == rec.start) and cont < b:
                if rec.susp is None:
                    rec.susp = []
                rec.susp.append((e, cont, j))
                t = cont
                continue
            if e == rec.start:
                # a task cannot be abandoned before it ran: it was never started
                rec.dropped = True
                rec.replaced = j
                self.points.append((e, "interruption", src))
                return cont, None
            if rec.susp is None:
                rec.susp = []
            rec.susp.append((e, None, j))
            rec.end = e
            if depth == 0:
                self.moments.append((e, "abandoned", self.m.labels[rec.cat]))
            return cont, None

    def run(self, window: Window) -> Day:
        m = self.m
        row = self.row
        exp = math.exp
        lo_d, hi_d = MIN_TASK_SECONDS, MAX_TASK_SECONDS
        mus, sgs, planned = m.mu, m.sigma, m.planned_p
        for a, b, ctx in window.segments:
            cm = m.contexts[ctx]
            self.b = b
            self._push_events(a, b, cm)
            if ctx == "lunch":
                self.moments.append((a, "lunch", ""))
            elif ctx == "outside":
                self.moments.append((a, "early" if a == 0 else "late", ""))
            seg = cm.segment(b - a)
            cats, cum = seg.cats, seg.cum
            watch = ctx == "DCC" or ctx == "management"
            t = a
            pending = None
            notes = 0
            # the first task is under way when the segment starts: drawn by share of time,
            # with a residual length-biased duration, so the track is steady from the start
            u, z = row()
            cat = cats[bisect_right(seg.first_cum, u[0])]
            mu, sg = mus[cat], sgs[cat]
            work = min(hi_d, max(lo_d, int(u[3] * exp(mu + sg * sg + sg * z))))
            rec = self._rec(t, cat, 0, I_PLANNED if u[1] < planned[cat] else I_SELF, u[2])
            while True:
                t, pending = self.occupy(rec, t, work, 0)
                if t >= b:
                    break
                if pending is not None:
                    rec = self._rec(t, m.list_manage, 0, I_DEMAND, pending[5])
                    work = pending[4]
                    continue
                u, z = row()
                cat = cats[bisect_right(cum, u[0])]
                work = min(hi_d, max(lo_d, int(exp(mus[cat] + sgs[cat] * z))))
                rec = self._rec(t, cat, 0, I_PLANNED if u[1] < planned[cat] else I_SELF, u[2])
                if watch and notes < 2:
                    if ctx == "DCC" and m.managerial[cat]:
                        notes += 1
                        self.moments.append((t, "leak", ""))
                    elif ctx == "management" and m.clinical[cat]:
                        notes = 2
                        self.moments.append((t, "pulled", ""))
        # responses still pending fall after the session: they were not observed
        self.heap.clear()
        recs = [r for r in self.recs if not r.dropped]
        recs.sort(key=attrgetter("start"))  # stable: ties keep recording order
        for i, r in enumerate(recs, 1):
            r.n = i
        _link_parallel(recs)
        self.points.sort(key=lambda p: p[0])
        return Day(recs, self.points, self.moments, window.length)


def _link_parallel(recs: list[Rec]) -> None:
    """Parallel links (both ways) between each parallel task and every task it overlaps."""
    side = [r for r in recs if r.depth < 0]
    if not side:
        return
    fg = [r for r in recs if r.depth >= 0]
    starts = [r.start for r in fg]

    def link(x: Rec, y: Rec) -> None:
        lo, hi = max(x.start, y.start), min(x.end, y.end)
        if hi <= lo:
            return
        for r in (x, y):
            for s, e, _ in r.susp or ():
                if s <= lo and hi <= (r.end if e is None else e):
                    return  # the overlap falls inside a suspension: not in parallel
        if x.links is None:
            x.links = []
        if y.links is None:
            y.links = []
        x.links.append((y, lo, hi))
        y.links.append((x, lo, hi))

    for i, s in enumerate(side):
        j = bisect_left(starts, s.end) - 1
        while j >= 0:
            r = fg[j]
            if r.end > s.start and r.start < s.end:
                link(s, r)
            if r.depth == 0 and r.start <= s.start:
                break
            j -= 1
        for o in side[i + 1 :]:
            if o.start >= s.end:
                break
            link(s, o)


# --- domain objects -----------------------------------------------------------------------


def _resolve(r: Rec) -> Rec:
    while r.dropped and r.replaced is not None:
        r = r.replaced
    return r


def to_session_parts(
    day: Day,
    number: int,
    base: datetime,
    codes: list[str],
    tmap: dict[int, int] | None = None,
    recode: dict[int, tuple[str, tuple]] | None = None,
) -> tuple[tuple[Task, ...], tuple[PointEvent, ...]]:
    """Tasks and point events of a generated day as domain objects.

    `tmap` maps offsets to other offsets (a second observer's timing), `recode` maps a task's
    number to the category (and dimension values) that observer recorded instead.
    """
    td = timedelta
    cache: list[datetime | None] = [None] * (day.length + 1)
    tmap_get = None if tmap is None else tmap.__getitem__

    def at(o: int) -> datetime:
        if tmap_get is not None:
            o = tmap_get(o)
        d = cache[o]
        if d is None:
            d = cache[o] = base + td(seconds=o)
        return d

    prefix = f"{number}_"
    keys = [prefix + str(i) for i in range(len(day.recs) + 1)]
    tasks: list[Task] = []
    append = tasks.append
    for r in day.recs:
        s, e = r.start, r.end
        if tmap_get is not None:
            s, e = tmap_get(s), tmap_get(e)
        ds = cache[s]
        if ds is None:
            ds = cache[s] = base + td(seconds=s)
        de = cache[e]
        if de is None:
            de = cache[e] = base + td(seconds=e)
        susp: tuple[Suspension, ...] = ()
        par: tuple[ParallelLink, ...] = ()
        if r.susp:
            susp = tuple(
                Suspension(at(a), None if b is None else at(b), keys[_resolve(j).n])
                for a, b, j in r.susp
            )
        if r.links:
            par = tuple(ParallelLink(keys[o.n], at(lo), at(hi)) for o, lo, hi in r.links)
        code, dims = codes[r.cat], r.dims
        if recode is not None and r.n in recode:
            code, dims = recode[r.n]
        append(Task(keys[r.n], code, ds, de, None, dims, par, susp, None, r.n))
    events = tuple(
        PointEvent(kind, at(o), sub, f"{number}_e{i}")
        for i, (o, kind, sub) in enumerate(day.points, 1)
    )
    return tuple(tasks), events


def make_notes(texts: list[tuple[int, str]], number: int, base: datetime) -> tuple[Note, ...]:
    return tuple(
        Note(base + timedelta(seconds=o), text, f"{number}_n{i}")
        for i, (o, text) in enumerate(texts, 1)
    )


def second_observer_view(
    day: Day, rng: np.random.Generator, jitter_s: int, disagreement: float, model: SiteModel
) -> tuple[dict[int, int], dict[int, tuple[str, tuple]]]:
    """How a second observer of the same day differs: a strictly increasing remapping of every
    recorded instant (tap delays of up to `jitter_s` seconds either way; the order of events is
    kept, so every link stays valid) and some tasks coded as a neighbouring category."""
    points = {0, day.length}
    for r in day.recs:
        points.add(r.start)
        points.add(r.end)
        for s, e, _ in r.susp or ():
            points.add(s)
            if e is not None:
                points.add(e)
        for _, lo, hi in r.links or ():
            points.add(lo)
            points.add(hi)
    for o, _, _ in day.points:
        points.add(o)
    ordered = sorted(points)
    n = len(ordered)
    jit = rng.integers(-jitter_s, jitter_s + 1, size=n).tolist()
    tmap: dict[int, int] = {}
    prev = -1
    end = day.length
    for i, o in enumerate(ordered):
        v = o if o == 0 or o == end else min(max(prev + 1, o + jit[i], 1), end - (n - 1 - i))
        tmap[o] = v
        prev = v
    recode: dict[int, tuple[str, tuple]] = {}
    if disagreement > 0 and day.recs:
        flips = (rng.random(len(day.recs)) < disagreement).tolist()
        for r, flip in zip(day.recs, flips, strict=True):
            if flip:
                other = CONFUSABLE.get(model.codes[r.cat])
                if other is not None:
                    dims = r.dims
                    if not model.managerial[model.index[other]]:
                        dims = tuple(d for d in dims if d[0] != "mintzberg_role")
                    recode[r.n] = (other, dims)
    return tmap, recode
