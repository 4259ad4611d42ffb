"""Study-wide defaults and the small-number rules, defined once.

Every surface (CLI, web, reports, Python API) reads these names instead of repeating the
numbers. docs/metrics.md and docs/reports.md describe what each rule does.
"""

from __future__ import annotations

from typing import Final

DEFAULT_TIMEZONE: Final = "Europe/London"
"""IANA zone used for a study, site or session when none is given."""

BOOTSTRAP_REPLICATES: Final = 2000
"""Cluster-bootstrap replicates (B) for confidence intervals in the CLI, API and reports."""

DASHBOARD_BOOTSTRAP_REPLICATES: Final = 500
"""Replicates for the web pages that compute intervals on request (kept smaller for speed)."""

INTERVAL_METHOD: Final = "t"
"""Confidence intervals of metric estimates: ``t`` (cluster-robust t interval on G − 1 degrees
of freedom, G participants) or ``percentile`` (percentile cluster bootstrap). The coverage
study in docs/metrics.md (bench/coverage.py) is why ``t`` is the default."""

SUPPRESS_BELOW: Final = 3
"""Reports and tables hide a group resting on fewer participants than this (small-number
rule for disclosure: a figure about one or two people could identify them)."""

FLAG_BELOW: Final = 5
"""The metric engine flags an estimate resting on fewer participants than this: it is shown,
but marked as imprecise. The coverage study (bench/coverage.py, docs/metrics.md) is the basis:
with 3 participants even the t interval covers the truth only about 87 % of the time, with 4 it
rests on a t quantile of 3.18, and the percentile bootstrap covers at most about 80 % below 5."""
