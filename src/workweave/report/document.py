"""A report as plain data (sections of paragraphs, figures, tables and notes) and its HTML.

Both reports are built as a :class:`Document` and rendered by one Jinja2 template with the
CSS inlined, so a report is a single self-contained file: figures are SVG data URIs, there
are no scripts, fonts or style sheets to fetch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from workweave.report.charts import Image


@dataclass
class Para:
    text: str | Markup


@dataclass
class Note:
    """A highlighted remark: 'info', 'suppressed' (small-number rule) or 'missing'."""

    text: str | Markup
    kind: str = "info"
    in_print: bool = True  # False: shown on screen, left out of the printed report (PDF)


@dataclass
class Figure:
    id: str
    title: str
    image: Image | None
    alt: str
    caption: str | Markup = ""
    in_print: bool = True  # False: shown on screen, left out of the printed report (PDF)


@dataclass
class Cell:
    main: str
    sub: str = ""
    flag: bool = False
    numeric: bool = True


@dataclass
class Subhead:
    """A row of a table that heads the rows under it (e.g. one metric's keys)."""

    text: str


@dataclass
class Table:
    id: str
    caption: str | Markup
    columns: list[str]
    rows: Sequence[list[Cell | str] | Subhead]
    csv_href: str | None = None
    column_notes: list[str] = field(default_factory=list)  # shown under each column head
    first_column_wide: bool = True
    in_print: bool = True  # False: shown on screen, left out of the printed report (PDF)

    @property
    def right_aligned(self) -> list[bool]:
        """Per column: right-align its head when its first cell is a number."""
        first = next((r for r in self.rows if isinstance(r, list)), None)
        if first is None:
            return [False] * len(self.columns)
        out = [isinstance(c, Cell) and c.numeric for c in first]
        return out + [False] * (len(self.columns) - len(out))


@dataclass
class Terms:
    """A definition list: (term, explanation) pairs, e.g. a glossary or metric definitions."""

    items: list[tuple[str, str | Markup]]
    compact: bool = False


@dataclass
class KeyFigures:
    """Large key numbers with labels, for a summary page."""

    items: list[tuple[str, str]]


@dataclass
class Bullets:
    """A bulleted list (e.g. the key findings: kind 'findings')."""

    items: list[str | Markup]
    kind: str = ""


Block = Para | Note | Figure | Table | Terms | KeyFigures | Bullets


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    new_page: bool = True
    intro: str | Markup = ""

    def add(self, *blocks: Block) -> Section:
        self.blocks.extend(blocks)
        return self


@dataclass
class Document:
    title: str
    subtitle: str = ""
    synthetic: bool = False
    generated: datetime | None = None
    kind: str = "study"  # 'study' or 'participant': adjusts the styling
    sections: list[Section] = field(default_factory=list)
    footer: str = ""

    def section(self, id: str, title: str, **kw: Any) -> Section:
        s = Section(id, title, **kw)
        self.sections.append(s)
        return s


def _env() -> Environment:
    folder = resources.files("workweave.report") / "templates"
    env = Environment(
        loader=FileSystemLoader(str(folder)),
        autoescape=select_autoescape(("html", "j2")),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["block_type"] = lambda b: type(b).__name__
    return env


def render_html(doc: Document) -> str:
    """The document as one self-contained HTML page."""
    env = _env()
    css = (resources.files("workweave.report") / "templates" / "report.css").read_text("utf-8")
    html = env.get_template("report.html.j2").render(doc=doc, css=Markup(css))
    return html


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def md(text: str) -> Markup:
    """A little inline markup for report prose: **bold**, *italic*, `code`; the rest escaped."""
    out = str(escape(text))
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", out)
    out = re.sub(r"`(.+?)`", r"<code>\1</code>", out)
    return Markup(out)


__all__ = [
    "Block",
    "Bullets",
    "Cell",
    "Document",
    "Figure",
    "KeyFigures",
    "Note",
    "Para",
    "Section",
    "Subhead",
    "Table",
    "Terms",
    "md",
    "render_html",
    "slug",
]
