"""YAML/JSON text with errors for people, and the data files shipped inside the package
(templates, codebooks, pay scales), found by name."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import yaml

from workweave.domain.errors import NotFoundError, Problem, ValidationError


def parse_yaml_or_json(text: str, source: str, *, json_only: bool = False) -> Any:
    """Parse YAML (a superset of JSON) or, with `json_only`, strict JSON; a syntax error names
    the source and line."""
    text = text.lstrip("\ufeff")
    try:
        return json.loads(text) if json_only else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        if isinstance(exc, json.JSONDecodeError):
            line = f" at line {exc.lineno}"
        raise ValidationError(Problem(f"not valid YAML/JSON{line}: {exc}", source)) from None


def shipped_names(folder: str, package: str = "workweave") -> list[str]:
    """Names of the .yaml files shipped in a folder of the package."""
    here = resources.files(package) / folder
    return sorted(p.name.removesuffix(".yaml") for p in here.iterdir() if p.name.endswith(".yaml"))


def load_shipped(folder: str, name: str, what: str, package: str = "workweave") -> Any:
    """The parsed contents of a shipped .yaml file, by name."""
    path = resources.files(package) / folder / f"{name}.yaml"
    if not path.is_file():
        raise NotFoundError(
            f"no built-in {what} '{name}' (built-in: {', '.join(shipped_names(folder, package))})"
        )
    return parse_yaml_or_json(path.read_text(encoding="utf-8"), name)
