"""Observation templates: what observers record.

A template has one main dimension (the task category, "What"), whose categories each map to a
work *domain* and a default *job-plan category*, plus any number of further dimensions (single
or multi choice), and the kinds of point events that can be recorded. Templates are versioned:
a study keeps the version its data were recorded with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workweave.domain.errors import Problem, ValidationError

DOMAINS: tuple[str, ...] = ("clinical", "managerial", "professional", "personal", "other")
"""The five work domains every category maps to (metrics.md, Notation)."""

JOB_PLAN_CATEGORIES: tuple[str, ...] = ("DCC", "SPA", "ANR", "ED", "management")
"""Job-plan categories: direct clinical care, supporting professional activities, additional
NHS responsibilities, external duties (NHS Improvement 2019) and management sessions."""

_CODE = re.compile(r"^[^\s,][^,]*$")


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    domain: str = "other"
    job_plan: str | None = None
    subcategories: tuple[str, ...] = ()
    examples: str = ""


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    multi: bool
    options: tuple[str, ...]
    required: bool = False
    domains: tuple[str, ...] = ()  # if set, only offered on tasks of these domains


@dataclass(frozen=True)
class PointEventType:
    key: str
    label: str
    subtypes: tuple[str, ...]


@dataclass(frozen=True)
class Template:
    name: str
    version: str
    title: str
    categories: tuple[Category, ...]
    dimensions: tuple[Dimension, ...] = ()
    point_events: tuple[PointEventType, ...] = ()
    description: str = ""
    default_session_hours: float = 3.75
    _by_code: dict[str, Category] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {c.code: c for c in self.categories})

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"

    def category(self, code: str) -> Category | None:
        return self._by_code.get(code)

    def domain_of(self, code: str | None) -> str:
        """The domain of a category; categories the template does not know are 'other'."""
        cat = self._by_code.get(code or "")
        return cat.domain if cat else "other"

    def dimension(self, key: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "title": self.title,
            "description": self.description,
            "default_session_hours": self.default_session_hours,
            "categories": [
                {
                    "code": c.code,
                    "label": c.label,
                    "domain": c.domain,
                    "job_plan": c.job_plan,
                    "subcategories": list(c.subcategories),
                    **({"examples": c.examples} if c.examples else {}),
                }
                for c in self.categories
            ],
            "dimensions": [
                {
                    "key": d.key,
                    "label": d.label,
                    "multi": d.multi,
                    "required": d.required,
                    "options": list(d.options),
                    **({"domains": list(d.domains)} if d.domains else {}),
                }
                for d in self.dimensions
            ],
            "point_events": [
                {"key": p.key, "label": p.label, "subtypes": list(p.subtypes)}
                for p in self.point_events
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "template") -> Template:
        """Build and validate a template from plain data, reporting every problem found."""
        problems: list[Problem] = []

        def bad(reason: str, where: str | None = None) -> None:
            problems.append(Problem(reason, source=source, column=where))

        if not isinstance(data, Mapping):
            raise ValidationError(Problem("a template must be a mapping of fields", source))
        name = data.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._ -]*", name):
            bad("needs a 'name' of letters, digits, '.', '_', '-' or spaces", "name")
            name = "?"
        version = data.get("version")
        if isinstance(version, int | float):
            version = str(version)
        if not isinstance(version, str) or not version.strip():
            bad("needs a 'version' (for example '1' or '2026-01')", "version")
            version = "?"
        title = str(data.get("title") or name)
        cats_raw = data.get("categories")
        categories: list[Category] = []
        if not isinstance(cats_raw, list) or not cats_raw:
            bad("needs a non-empty list of 'categories'", "categories")
            cats_raw = []
        seen: set[str] = set()
        for i, c in enumerate(cats_raw, start=1):
            where = f"categories[{i}]"
            if not isinstance(c, Mapping):
                bad("each category must be a mapping with at least 'code'", where)
                continue
            code = c.get("code")
            if not isinstance(code, str) or not _CODE.match(code):
                bad("'code' must be text without commas or leading spaces", where)
                continue
            if code in seen:
                bad(f"category code '{code}' appears twice", where)
            seen.add(code)
            domain = c.get("domain", "other")
            if domain not in DOMAINS:
                bad(f"domain '{domain}' is not one of {', '.join(DOMAINS)}", where)
            job_plan = c.get("job_plan")
            if job_plan in ("", "-", "—"):
                job_plan = None
            if job_plan is not None and job_plan not in JOB_PLAN_CATEGORIES:
                bad(f"job_plan '{job_plan}' is not one of {', '.join(JOB_PLAN_CATEGORIES)}", where)
            subs = c.get("subcategories") or []
            if not isinstance(subs, list) or not all(isinstance(s, str) for s in subs):
                bad("'subcategories' must be a list of text", where)
                subs = []
            categories.append(
                Category(
                    code=code,
                    label=str(c.get("label") or code),
                    domain=str(domain),
                    job_plan=job_plan,
                    subcategories=tuple(subs),
                    examples=str(c.get("examples") or ""),
                )
            )
        dimensions: list[Dimension] = []
        dim_keys: set[str] = set()
        for i, d in enumerate(data.get("dimensions") or [], start=1):
            where = f"dimensions[{i}]"
            if not isinstance(d, Mapping) or not isinstance(d.get("key"), str):
                bad("each dimension needs a 'key'", where)
                continue
            key = d["key"]
            if key in dim_keys:
                bad(f"dimension key '{key}' appears twice", where)
            dim_keys.add(key)
            options = d.get("options")
            if not isinstance(options, list) or not options:
                bad(f"dimension '{key}' needs a non-empty list of 'options'", where)
                options = []
            elif len(set(map(str, options))) != len(options):
                bad(f"dimension '{key}' lists an option twice", where)
            domains = tuple(d.get("domains") or ())
            for dom in domains:
                if dom not in DOMAINS:
                    bad(f"dimension '{key}' names unknown domain '{dom}'", where)
            dimensions.append(
                Dimension(
                    key=key,
                    label=str(d.get("label") or key),
                    multi=bool(d.get("multi", False)),
                    options=tuple(str(o) for o in options),
                    required=bool(d.get("required", False)),
                    domains=domains,
                )
            )
        events: list[PointEventType] = []
        for i, p in enumerate(data.get("point_events") or [], start=1):
            if not isinstance(p, Mapping) or not isinstance(p.get("key"), str):
                bad("each point event needs a 'key'", f"point_events[{i}]")
                continue
            events.append(
                PointEventType(
                    key=p["key"],
                    label=str(p.get("label") or p["key"]),
                    subtypes=tuple(str(s) for s in (p.get("subtypes") or ())),
                )
            )
        hours = data.get("default_session_hours", 3.75)
        if not isinstance(hours, int | float) or not 0 < hours <= 24:
            bad("'default_session_hours' must be a number of hours between 0 and 24")
            hours = 3.75
        if problems:
            raise ValidationError(problems)
        return cls(
            name=str(name),
            version=str(version),
            title=title,
            categories=tuple(categories),
            dimensions=tuple(dimensions),
            point_events=tuple(events),
            description=str(data.get("description") or ""),
            default_session_hours=float(hours),
        )

    def merged_with(self, other: Template) -> Template:
        """This template plus any categories, sub-categories and options only `other` has.

        Used when several exports of one template version each reveal part of its option lists.
        """
        cats = {c.code: c for c in self.categories}
        for c in other.categories:
            if c.code not in cats:
                cats[c.code] = c
            else:
                mine = cats[c.code]
                subs = _union(mine.subcategories, c.subcategories)
                if subs != mine.subcategories:
                    cats[c.code] = Category(
                        mine.code, mine.label, mine.domain, mine.job_plan, subs, mine.examples
                    )
        dims = {d.key: d for d in self.dimensions}
        for d in other.dimensions:
            if d.key not in dims:
                dims[d.key] = d
            else:
                kept = dims[d.key]
                opts = _union(kept.options, d.options)
                if opts != kept.options:
                    dims[d.key] = Dimension(
                        kept.key, kept.label, kept.multi, opts, kept.required, kept.domains
                    )
        return Template(
            name=self.name,
            version=self.version,
            title=self.title,
            categories=tuple(cats.values()),
            dimensions=tuple(dims.values()),
            point_events=self.point_events or other.point_events,
            description=self.description,
            default_session_hours=self.default_session_hours,
        )


def _union(a: Iterable[str], b: Iterable[str]) -> tuple[str, ...]:
    out = list(a)
    out.extend(x for x in b if x not in out)
    return tuple(out)
