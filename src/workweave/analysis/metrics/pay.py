"""Dated pay scales and employer on-costs, for the cost metrics.

Pay scales ship as YAML files in ``workweave/analysis/payscales/``, one per nation and pay
year (``england-2025-26.yaml``), each naming its source. A study selects one by name (or by
path to a file of the same shape); every report states which one it used.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from workweave.domain.errors import NotFoundError, Problem, ValidationError

DEFAULT_PAYSCALE = "england-2025-26"
PAY_POINT_DEFAULTS = ("top", "entry", "middle")


@dataclass(frozen=True)
class PayScale:
    """Annual full-time salaries by band and pay point, with employer on-cost rates."""

    name: str
    nation: str
    year: str
    title: str
    source: str
    bands: Mapping[str, tuple[float, ...]]
    employer_pension_rate: float
    employer_ni_rate: float
    employer_ni_threshold: float
    on_cost_source: str = ""

    def salary(self, band: str | None, pay_point: int | None, default: str = "top") -> float | None:
        """Annual salary at a band and pay point (1 = entry); None when the band is unknown.

        A missing pay point takes `default`: the band's ``top``, ``entry`` or ``middle`` point.
        A pay point beyond the band's last is read as its top point.
        """
        points = self.bands.get(str(band)) if band is not None else None
        if not points:
            return None
        if pay_point is None:
            if default not in PAY_POINT_DEFAULTS:
                raise ValidationError(
                    f"default pay point '{default}' is not one of {', '.join(PAY_POINT_DEFAULTS)}"
                )
            idx = {"top": len(points) - 1, "entry": 0, "middle": (len(points) - 1) // 2}[default]
            return float(points[idx])
        return float(points[min(max(int(pay_point), 1), len(points)) - 1])

    def on_cost_multiplier(
        self,
        salary: float,
        *,
        pension_rate: float | None = None,
        ni_rate: float | None = None,
        ni_threshold: float | None = None,
    ) -> float:
        """(salary + employer pension + employer National Insurance) / salary."""
        p = self.employer_pension_rate if pension_rate is None else pension_rate
        r = self.employer_ni_rate if ni_rate is None else ni_rate
        th = self.employer_ni_threshold if ni_threshold is None else ni_threshold
        if salary <= 0:
            return 1.0
        return 1.0 + p + r * max(0.0, salary - th) / salary


def payscale_names() -> list[str]:
    folder = resources.files("workweave.analysis") / "payscales"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def load_payscale(name_or_path: str | Path = DEFAULT_PAYSCALE) -> PayScale:
    """A shipped pay scale by name (``england-2025-26``) or a YAML file of the same shape."""
    path = Path(str(name_or_path))
    if path.suffix.lower() in (".yaml", ".yml") and path.is_file():
        text, source = path.read_text(encoding="utf-8"), str(path)
        name = path.stem
    else:
        return _shipped(str(name_or_path))
    return _parse(yaml.safe_load(text), name, source)


@functools.lru_cache(maxsize=16)
def _shipped(name: str) -> PayScale:
    res = resources.files("workweave.analysis") / "payscales" / f"{name}.yaml"
    if not res.is_file():
        raise NotFoundError(
            f"no pay scale '{name}' (shipped: {', '.join(payscale_names())}; "
            "or give the path of a YAML file)"
        )
    return _parse(yaml.safe_load(res.read_text(encoding="utf-8")), name, name)


def _parse(data: Any, name: str, source: str) -> PayScale:
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        raise ValidationError(Problem("a pay scale must be a mapping", source))
    bands_raw = data.get("bands")
    bands: dict[str, tuple[float, ...]] = {}
    if not isinstance(bands_raw, Mapping) or not bands_raw:
        problems.append(Problem("needs 'bands': band -> list of annual salaries", source))
    else:
        for band, points in bands_raw.items():
            if (
                not isinstance(points, list)
                or not points
                or not all(isinstance(p, int | float) and p > 0 for p in points)
            ):
                problems.append(
                    Problem("must be a list of positive salaries", source, column=f"bands.{band}")
                )
                continue
            bands[str(band)] = tuple(float(p) for p in points)
    costs = data.get("on_costs") or {}
    rates: dict[str, float] = {}
    for key in ("employer_pension_rate", "employer_ni_rate", "employer_ni_threshold"):
        v = costs.get(key) if isinstance(costs, Mapping) else None
        if not isinstance(v, int | float) or v < 0:
            problems.append(Problem("must be a non-negative number", source, column=key))
            v = 0.0
        rates[key] = float(v)
    if problems:
        raise ValidationError(problems)
    on_cost_source = " ".join(
        str(costs.get(k, "")).strip() for k in ("employer_pension_source", "employer_ni_source")
    ).strip()
    return PayScale(
        name=name,
        nation=str(data.get("nation", "")),
        year=str(data.get("year", "")),
        title=str(data.get("title", name)),
        source=" ".join(str(data.get("source", "")).split()),
        bands=bands,
        on_cost_source=" ".join(on_cost_source.split()),
        **rates,
    )


__all__ = ["DEFAULT_PAYSCALE", "PayScale", "load_payscale", "payscale_names"]
