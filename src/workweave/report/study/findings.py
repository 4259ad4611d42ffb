"""Key findings: the report's first section, one sentence per finding, each generated from
the registry's estimates with its 95 % interval and the numbers behind it. A finding whose
estimate rests on fewer participants than the small-number rule allows, or is undefined, is
left out (never guessed)."""

from __future__ import annotations

from workweave.analysis.styles import describe
from workweave.report.document import Bullets, Note, Para, md
from workweave.report.estimates import OVERALL, Value, fmt, fmt_ci, value
from workweave.report.study.context import StudyContext


def _ok(v: Value | None, least: int) -> bool:
    return v is not None and v.defined and v.n_participants >= least


def _n(v: Value) -> str:
    return f"n = {v.n_participants} participants, {v.n_sessions} sessions"


def _pc(v: Value, unit: str) -> str:
    ci = fmt_ci(v.low, v.high, unit)
    return (
        f"{fmt(v.estimate, unit)} ({ci}; {_n(v)})" if ci else f"{fmt(v.estimate, unit)} ({_n(v)})"
    )


def sentences(ctx: StudyContext) -> list[str]:
    """The findings, in order, as sentences with light markup (**bold** numbers)."""
    df = ctx.est.table(None)
    least = ctx.suppress_below
    out: list[str] = []

    def get(metric: str, key: str | None = None) -> Value | None:
        v = value(df, OVERALL, metric, key)
        return v if _ok(v, least) else None

    mgmt = get("domain_share_observed", "managerial")
    comp = get("compartmentalisation")
    if mgmt:
        text = f"Managerial work took **{_pc(mgmt, 'proportion')}** of observed time"
        if comp and comp.estimate is not None:
            lo = None if comp.high is None else 1 - comp.high
            hi = None if comp.low is None else 1 - comp.low
            ci = fmt_ci(lo, hi, "proportion")
            text += (
                f"; **{fmt(1 - comp.estimate, 'proportion')}** of it fell outside planned "
                f"management sessions ({ci}; n = {comp.n_participants} participants with "
                "a job plan)"
            )
        out.append(text + ".")
    disp = get("clinical_displacement")
    if disp:
        out.append(
            f"A managerial task was running during **{_pc(disp, 'proportion')}** of planned "
            "clinical time."
        )
    outside = get("leakage", "outside_contracted")
    if outside:
        out.append(
            f"**{_pc(outside, 'proportion')}** of managerial time fell outside contracted hours."
        )
    intr = get("interruptions_per_hour")
    if intr:
        out.append(f"Participants were interrupted **{_pc(intr, 'per hour')}** times an hour.")
    stretch = get("clinical_stretch_median")
    frag = get("management_in_fragments_pct")
    episode = get("management_episode_median")
    if stretch:
        n_items = len(ctx.est.items("clinical_stretch_median"))
        out.append(
            f"Half of the undivided clinical stretches (exactly one task running, and it "
            f"clinical) lasted **{fmt(stretch.estimate, 'minutes')} minutes** or less "
            f"({fmt_ci(stretch.low, stretch.high, 'minutes')}; {n_items:,} stretches, "
            f"{stretch.n_participants} participants)."
        )
    if episode and frag:
        out.append(
            f"Management came in episodes of median **{fmt(episode.estimate, 'minutes')} "
            f"minutes**; **{_pc(frag, '%')}** of managerial time was in fragments "
            "(episodes shorter than the fragment threshold)."
        )
    hours = get("management_hours_per_fte_year")
    cost = get("management_cost_per_fte_year")
    if hours and cost:
        out.append(
            f"Scaled to a full-time year, that is **{fmt(hours.estimate, 'hours per FTE-year')} "
            f"hours** of management ({fmt_ci(hours.low, hours.high, 'hours per FTE-year')}), "
            f"costing **{fmt(cost.estimate, '£ per FTE-year')}** a year per full-time "
            f"clinician-manager ({fmt_ci(cost.low, cost.high, '£ per FTE-year')}; "
            f"n = {cost.n_participants} participants with a costed band)."
        )
    res = ctx.styles()
    if res.found:
        parts = "; ".join(
            f"{s.name} ({s.size} participants, stability {s.stability:.2f}): "
            f"{describe(s, res.features, 2)}"
            for s in res.styles
        )
        out.append(
            f"Participants fell into **{len(res.styles)} styles** of clinician-management "
            f"(mean silhouette {res.silhouette:.2f}): {parts}."
        )
    effects = ctx.event_effects()
    if len(effects):
        for r in effects.itertuples(index=False):
            lo, hi = r.ci_low, r.ci_high
            if lo != lo or hi != hi or (lo <= 0 <= hi):
                continue  # only changes whose interval excludes no change
            if min(r.n_participants_before, r.n_participants_after) < least:
                continue
            direction = "rose" if r.difference > 0 else "fell"
            out.append(
                f"At {r.site}, after {r.date:%d %B %Y} ({r.label}), "
                f"{_label(r.metric, r.key)} {direction} from {fmt(r.before, r.unit)} to "
                f"**{fmt(r.after, r.unit)}** (difference {fmt(r.difference, r.unit)}, "
                f"{fmt_ci(lo, hi, r.unit)}; {r.n_participants_after} participants)."
            )
    return out


LABELS = {
    ("domain_share_observed", "managerial"): "the managerial share of observed time",
    ("interruptions_per_hour", None): "interruptions per hour",
    ("clinical_displacement", None): "management inside planned clinical time",
    ("leakage", "outside_contracted"): "the share of management outside contracted hours",
}


def _label(metric: str, key: object) -> str:
    k = None if key is None or key != key else str(key)
    return LABELS.get((metric, k), metric)


def section(ctx: StudyContext) -> None:
    s = ctx.doc.section("findings", "Key findings", new_page=False)
    found = sentences(ctx)
    if not found:
        s.add(
            Note(
                "no finding rests on enough participants to be shown yet (small-number rule: "
                f"at least {ctx.suppress_below}).",
                "missing",
            )
        )
        return
    s.add(
        Para(
            "Each finding is a registry estimate over the observed sessions with its 95 % "
            "confidence interval (cluster bootstrap over participants) and the numbers behind "
            "it; definitions are in Appendix A."
        )
    )
    s.add(Bullets([md(x) for x in found], "findings"))


__all__ = ["section", "sentences"]
