"""Planted styles of clinician-management and reorganisation effects.

A **style** is a family of participant profiles: multipliers applied to the site's planted
rates (`PlantedRates`) for the participants who work that way, whatever their site. The
study report's styles analysis (`workweave.analysis.styles`) should find them again.

A **reorganisation** is a dated site event with a documented effect: from its date on, the
site's planted rates are multiplied as it says (for every participant there). The study
report's trend section should show the change after the date.

Both are off by default (`SimulationConfig.styles`, `.reorganisations`), so the planted
rates of docs/simulator.md hold unchanged; the demo study (`DEMO_STYLES`,
`DEMO_REORGANISATIONS`) turns them on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import TYPE_CHECKING

from workweave.simulate.profiles import PlantedRates

if TYPE_CHECKING:
    from workweave.simulate.generator import SimulationConfig

SHARE_CAP = 0.92
"""Shares multiplied past this are capped (a share must stay below 1)."""
SHARES = (
    "point_interruption_share",
    "not_resumed_share",
    "demand_response_share",
    "mgmt_share_clinical",
    "mgmt_share_management",
    "mgmt_share_other_planned",
    "mgmt_share_lunch",
    "mgmt_share_outside",
)


def scale_rates(rates: PlantedRates, factors: Mapping[str, float]) -> PlantedRates:
    """`rates` with each named rate multiplied by its factor (shares capped at SHARE_CAP)."""
    names = {f.name for f in fields(rates)}
    changes: dict[str, float] = {}
    for name, factor in factors.items():
        if name not in names:
            raise ValueError(f"no planted rate '{name}' (rates: {', '.join(sorted(names))})")
        if not math.isfinite(factor) or factor < 0:
            raise ValueError(f"the factor of {name} must be a finite number >= 0")
        v = getattr(rates, name) * factor
        changes[name] = min(v, SHARE_CAP) if name in SHARES else v
    return replace(rates, **changes)


@dataclass(frozen=True)
class Style:
    """A planted style: its name, what it means, and its multipliers of the site's rates."""

    name: str
    description: str
    factors: tuple[tuple[str, float], ...]

    def apply(self, rates: PlantedRates) -> PlantedRates:
        return scale_rates(rates, dict(self.factors))


@dataclass(frozen=True)
class Reorganisation:
    """A dated event at one site; from `day` on, the site's rates are multiplied by `factors`."""

    site: str
    day: date
    label: str
    kind: str
    factors: tuple[tuple[str, float], ...]

    def apply(self, rates: PlantedRates) -> PlantedRates:
        return scale_rates(rates, dict(self.factors))


BOUNDARY_KEEPER = Style(
    "boundary-keeper",
    "Keeps management in its planned sessions: little management leaks into clinical lists, "
    "lunch or the hours outside the contract, and the day is interrupted less.",
    (
        ("mgmt_share_clinical", 0.55),
        ("mgmt_share_management", 1.15),
        ("mgmt_share_lunch", 0.4),
        ("mgmt_share_outside", 0.45),
        ("interruptions_per_hour", 0.55),
        ("parallel_tasks_per_hour", 0.5),
        ("demand_events_per_hour", 0.6),
    ),
)
ALWAYS_ON = Style(
    "always-on",
    "Manages all day, between and during patients: more management leaks into clinical "
    "lists and outside contracted hours, planned management time is lost to clinical cover, "
    "and interruptions and parallel tasks are frequent.",
    (
        ("mgmt_share_clinical", 1.7),
        ("mgmt_share_management", 0.8),
        ("mgmt_share_lunch", 1.6),
        ("mgmt_share_outside", 1.25),
        ("interruptions_per_hour", 1.5),
        ("parallel_tasks_per_hour", 1.5),
    ),
)
DEMO_STYLES: tuple[Style, ...] = (BOUNDARY_KEEPER, ALWAYS_ON)
"""The two styles planted in the demo study: participants alternate between them within
each site (so a style is never a site)."""

RADIOLOGY_MERGER = Reorganisation(
    site="TH-RAD",
    day=date(2026, 7, 1),
    label="Imaging merged into one diagnostics directorate; leads re-apply for their posts",
    kind="reorganisation",
    factors=(
        ("interruptions_per_hour", 1.5),
        ("mgmt_share_other_planned", 1.4),
        ("mgmt_share_outside", 1.3),
    ),
)
DEMO_REORGANISATIONS: tuple[Reorganisation, ...] = (RADIOLOGY_MERGER,)
"""The reorganisation planted in the demo study: from 1 July 2026 interruptions per hour at
TH-RAD are 1.5 times what they were (+50 %), managerial share of SPA/ANR/ED sessions 1.4
times and of the time outside contracted hours 1.3 times."""


def assign_styles(
    codes_by_site: Mapping[str, list[str]], styles: tuple[Style, ...]
) -> dict[str, str]:
    """Participant code -> style name: within each site, participants in code order take the
    styles in turn (so every site has every style when it has enough participants)."""
    out: dict[str, str] = {}
    if not styles:
        return out
    for codes in codes_by_site.values():
        for i, code in enumerate(sorted(codes)):
            out[code] = styles[i % len(styles)].name
    return out


__all__ = [
    "ALWAYS_ON",
    "BOUNDARY_KEEPER",
    "DEMO_REORGANISATIONS",
    "DEMO_STYLES",
    "RADIOLOGY_MERGER",
    "Reorganisation",
    "Style",
    "assign_styles",
    "demo_config",
    "scale_rates",
]


DEMO_MONTHS = 12
DEMO_PARTICIPANTS_PER_SITE = 6
DEMO_SESSIONS_PER_PARTICIPANT = 10


def demo_config(seed: int = 7) -> SimulationConfig:
    """The demo study's configuration: a year of shadowing, six clinician-managers a site,
    the two `DEMO_STYLES` and the `DEMO_REORGANISATIONS` planted."""
    from workweave.simulate.generator import SimulationConfig

    return SimulationConfig(
        seed=seed,
        months=DEMO_MONTHS,
        participants_per_site=DEMO_PARTICIPANTS_PER_SITE,
        sessions_per_participant=DEMO_SESSIONS_PER_PARTICIPANT,
        styles=DEMO_STYLES,
        reorganisations=DEMO_REORGANISATIONS,
    )
