"""The headline metrics: the few figures a study's dashboard shows first and `workweave
metrics` prints by default (``--all`` prints the whole registry)."""

from __future__ import annotations

HEADLINE_METRICS: tuple[str, ...] = (
    "domain_share_observed",
    "mixed_domain_pct",
    "domain_switches_per_hour",
    "management_in_fragments_pct",
    "compartmentalisation",
    "interruptions_per_hour",
    "multitasking_pct",
    "tasks_per_hour",
)
SHOWN_KEYS: dict[str, tuple[str, ...]] = {"domain_share_observed": ("managerial", "clinical")}
"""For a keyed headline metric, the keys shown (the others are in ``--all``)."""

__all__ = ["HEADLINE_METRICS", "SHOWN_KEYS"]
