"""Dated pay scales and employer on-costs, for the cost metrics.

Pay scales ship as YAML files in ``workweave/payscales/``, one per nation and pay year
(``england-2025-26.yaml``), each naming its source. A study selects one by name (or by path to
a file of the same shape); every report states which one it used.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workweave.domain.errors import Problem, ValidationError
from workweave.domain.payscale import PayScale
from workweave.io.datafiles import load_shipped, parse_yaml_or_json, read_text_file, shipped_names

DEFAULT_PAYSCALE = "england-2025-26"


def payscale_names() -> list[str]:
    return shipped_names("payscales")


def load_payscale(name_or_path: str | Path = DEFAULT_PAYSCALE) -> PayScale:
    """A shipped pay scale by name (``england-2025-26``) or a YAML file of the same shape."""
    path = Path(str(name_or_path))
    if path.suffix.lower() in (".yaml", ".yml") and path.is_file():
        data = parse_yaml_or_json(read_text_file(path), str(path))
        return _parse(data, path.stem, str(path))
    return _shipped(str(name_or_path))


@functools.lru_cache(maxsize=16)
def _shipped(name: str) -> PayScale:
    return _parse(load_shipped("payscales", name, "pay scale"), name, name)


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
