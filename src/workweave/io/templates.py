"""Reading and writing observation templates (YAML or JSON), and the shipped defaults."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from workweave.domain.errors import NotFoundError, Problem, ValidationError
from workweave.domain.template import Template
from workweave.io.datafiles import load_shipped, parse_yaml_or_json, read_text_file, shipped_names

DEFAULT_TEMPLATE = "ahp-clinician-manager"


def builtin_template_names() -> list[str]:
    return shipped_names("templates")


def builtin_template(name: str = DEFAULT_TEMPLATE) -> Template:
    """A template shipped with workweave, by name (e.g. 'ahp-clinician-manager')."""
    return Template.from_dict(load_shipped("templates", name, "template"), source=name)


def parse_template(text: str, source: str, *, json_only: bool = False) -> Template:
    """A template from YAML or JSON text (e.g. an upload), validated with clear errors."""
    if not text.strip():
        raise ValidationError(Problem("the template is empty", source))
    return Template.from_dict(parse_yaml_or_json(text, source, json_only=json_only), source=source)


def read_template(path: str | Path) -> Template:
    """Read a user's template from a .yaml/.yml or .json file, validated with clear errors."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file")
    return parse_template(read_text_file(path), str(path), json_only=path.suffix.lower() == ".json")


def write_template(template: Template, path: str | Path) -> None:
    path = Path(path)
    data = template.to_dict()
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
