"""Reading and writing codebooks: YAML or JSON (workweave's own, easy to edit by hand), REFI-QDA
codebooks (.qdc) and the codebook inside a REFI-QDA project (.qdpx); plus the shipped
codebooks (``clinician-manager-themes``)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from workweave.domain.errors import NotFoundError, Problem, ValidationError
from workweave.domain.qualitative import Codebook
from workweave.io.datafiles import load_shipped, parse_yaml_or_json, read_text_file, shipped_names

DEFAULT_CODEBOOK = "clinician-manager-themes"
FORMATS: tuple[str, ...] = (".yaml", ".yml", ".json", ".qdc", ".qdpx", ".qde")


def builtin_codebook_names() -> list[str]:
    return shipped_names("codebooks")


def builtin_codebook(name: str = DEFAULT_CODEBOOK) -> Codebook:
    """A codebook shipped with workweave, by name."""
    return Codebook.from_dict(load_shipped("codebooks", name, "codebook"), source=name)


def read_codebook(path: str | Path) -> tuple[Codebook, list[str]]:
    """A codebook from a file, by extension; returns it and what was adjusted to read it
    (REFI-QDA files from other tools)."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file")
    ext = path.suffix.lower()
    if ext in (".qdc", ".qdpx", ".qde"):
        from workweave.io.refiqda import read_codebook_file

        cb, report = read_codebook_file(path)
        return cb, [*report.adjustments, *report.skipped]
    if ext not in (".yaml", ".yml", ".json"):
        raise ValidationError(
            Problem(f"unknown codebook format '{ext}' (use {', '.join(FORMATS)})", path.name)
        )
    data = parse_yaml_or_json(read_text_file(path), str(path), json_only=ext == ".json")
    return Codebook.from_dict(data, source=path.name), []


def codebook_yaml(codebook: Codebook) -> str:
    return yaml.safe_dump(codebook.to_dict(), sort_keys=False, allow_unicode=True, width=96)


def write_codebook(codebook: Codebook, path: str | Path) -> Path:
    """Write a codebook as .yaml/.yml, .json or REFI-QDA .qdc (by the file's extension)."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext == ".qdc":
        from workweave.io.refiqda import write_qdc

        return write_qdc(codebook, path)
    if ext == ".json":
        text = json.dumps(codebook.to_dict(), indent=2, ensure_ascii=False) + "\n"
    elif ext in (".yaml", ".yml"):
        text = codebook_yaml(codebook)
    else:
        raise ValidationError(
            Problem(f"cannot write a codebook as '{ext}' (use .yaml, .json or .qdc)", path.name)
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


__all__ = [
    "DEFAULT_CODEBOOK",
    "FORMATS",
    "builtin_codebook",
    "builtin_codebook_names",
    "codebook_yaml",
    "read_codebook",
    "write_codebook",
]
