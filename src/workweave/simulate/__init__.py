"""Synthetic studies for demonstration, tests and benchmarks.

The data are SYNTHETIC: four invented sites, pseudonymous clinician-managers, and rates planted
on purpose (`PlantedRates`) so that analyses can be checked against a known truth. See
docs/simulator.md.
"""

from workweave.simulate.generator import (
    Cohort,
    PlantedParameters,
    SimulatedStudy,
    SimulationConfig,
    simulate,
)
from workweave.simulate.profiles import (
    CONTEXTS,
    DEFAULT_SITES,
    DEMAND_CONTEXT_MULTIPLIER,
    PlantedRates,
    SiteProfile,
    StaffSpec,
)
from workweave.simulate.sessions import InfeasibleProfile
from workweave.simulate.styles import (
    DEMO_REORGANISATIONS,
    DEMO_STYLES,
    Reorganisation,
    Style,
    demo_config,
)

__all__ = [
    "CONTEXTS",
    "DEFAULT_SITES",
    "DEMAND_CONTEXT_MULTIPLIER",
    "DEMO_REORGANISATIONS",
    "DEMO_STYLES",
    "Cohort",
    "InfeasibleProfile",
    "PlantedParameters",
    "PlantedRates",
    "Reorganisation",
    "SimulatedStudy",
    "SimulationConfig",
    "SiteProfile",
    "StaffSpec",
    "Style",
    "demo_config",
    "simulate",
]
