"""YAML/JSON text with errors for people, and the data files shipped inside the package
(templates, codebooks, pay scales), found by name."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
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


MAX_DATA_FILE = 10 * 1024 * 1024


def read_text_file(path: Path, source: str | None = None) -> str:
    """A user's YAML/JSON/text file as text: UTF-8 (a byte-order mark is dropped), at most
    ``MAX_DATA_FILE`` bytes, no NUL character; otherwise a clear error naming the file."""
    name = source or str(path)
    try:
        if path.stat().st_size > MAX_DATA_FILE:
            raise ValidationError(Problem(f"the file is over {MAX_DATA_FILE // 2**20} MiB", name))
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise NotFoundError(f"{name}: no such file") from None
    except (IsADirectoryError, PermissionError) as exc:
        raise ValidationError(Problem(f"cannot be read ({exc.strerror})", name)) from None
    except UnicodeDecodeError as exc:
        raise ValidationError(
            Problem(f"not UTF-8 text (byte {exc.start}): save the file as UTF-8", name)
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ValidationError(Problem(f"holds a NUL character (line {line})", name))
    return text


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
