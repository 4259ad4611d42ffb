"""Reading and writing observation templates (YAML or JSON), and the shipped defaults."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import yaml

from workweave.domain.errors import NotFoundError, Problem, ValidationError
from workweave.domain.template import Template

DEFAULT_TEMPLATE = "ahp-clinician-manager"


def builtin_template_names() -> list[str]:
    folder = resources.files("workweave") / "templates"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def builtin_template(name: str = DEFAULT_TEMPLATE) -> Template:
    """A template shipped with workweave, by name (e.g. 'ahp-clinician-manager')."""
    path = resources.files("workweave") / "templates" / f"{name}.yaml"
    if not path.is_file():
        raise NotFoundError(
            f"no built-in template '{name}' (built-in: {', '.join(builtin_template_names())})"
        )
    return Template.from_dict(yaml.safe_load(path.read_text(encoding="utf-8")), source=name)


def read_template(path: str | Path) -> Template:
    """Read a user's template from a .yaml/.yml or .json file, validated with clear errors."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file")
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        if isinstance(exc, json.JSONDecodeError):
            line = f" at line {exc.lineno}"
        raise ValidationError(Problem(f"not valid YAML/JSON{line}: {exc}", str(path))) from None
    return Template.from_dict(data, source=str(path))


def write_template(template: Template, path: str | Path) -> None:
    path = Path(path)
    data = template.to_dict()
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
