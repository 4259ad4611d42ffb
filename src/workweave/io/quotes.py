"""Writing coded quotes: CSV (UTF-8 with a byte-order mark, so spreadsheets read it right),
Word (.docx) and a standalone HTML page. Quotes carry pseudonymous participant codes only."""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Sequence
from pathlib import Path

from workweave.domain.errors import ValidationError
from workweave.domain.qualitative import Quote
from workweave.io.cells import neutralise_row

QUOTE_FORMATS: tuple[str, ...] = ("csv", "docx", "html")

_COLUMNS = (
    "code_name",
    "participant",
    "site",
    "kind",
    "title",
    "when",
    "session",
    "coder",
    "text",
    "memo",
    "document",
    "start",
    "end",
    "code",
)


def write_quotes(quotes: Sequence[Quote], path: str | Path, fmt: str, *, title: str = "") -> Path:
    """Write quotes as `fmt` (csv, docx or html) to `path`."""
    path = Path(path)
    if fmt not in QUOTE_FORMATS:
        raise ValidationError(f"quote format '{fmt}' is not one of {', '.join(QUOTE_FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    title = title or "Quotes"
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(_COLUMNS)
            for q in quotes:
                d = q.to_dict()
                w.writerow(neutralise_row("" if d[c] is None else d[c] for c in _COLUMNS))
    elif fmt == "html":
        path.write_text(quotes_html(quotes, title), encoding="utf-8")
    else:
        _write_docx(quotes, path, title)
    return path


def _grouped(quotes: Sequence[Quote]) -> list[tuple[str, list[Quote]]]:
    groups: dict[str, list[Quote]] = {}
    for q in quotes:
        groups.setdefault(q.code_name, []).append(q)
    return list(groups.items())


def quotes_html(quotes: Sequence[Quote], title: str = "Quotes") -> str:
    e = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.5;color:#222}blockquote{margin:1.25rem 0;padding:.25rem 1rem;"
        "border-left:.4rem solid var(--c,#999);white-space:pre-wrap}"
        "figcaption{color:#555;font-size:.9rem;margin:-.75rem 0 1rem 1.4rem}"
        ".memo{font-style:italic}</style>",
        f"</head><body><h1>{e(title)}</h1>",
        f"<p>{len(quotes)} quote(s).</p>",
    ]
    for name, items in _grouped(quotes):
        parts.append(f"<h2>{e(name)}</h2>")
        for q in items:
            colour = f' style="--c:{e(q.colour)}"' if q.colour else ""
            parts.append(f"<figure><blockquote{colour}>{e(q.text)}</blockquote>")
            cap = f"— {e(q.attribution())}; coded by {e(q.coder)}"
            if q.memo:
                cap += f'<br><span class="memo">Memo: {e(q.memo)}</span>'
            parts.append(f"<figcaption>{cap}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml_safe(text: str) -> str:
    """Text without the control characters Word's XML cannot hold."""
    return _CONTROL.sub("", text)


def _write_docx(quotes: Sequence[Quote], path: Path, title: str) -> None:
    import docx
    from docx.shared import Pt

    d = docx.Document()
    d.add_heading(_xml_safe(title), level=1)
    d.add_paragraph(f"{len(quotes)} quote(s).")
    for name, items in _grouped(quotes):
        d.add_heading(_xml_safe(name), level=2)
        for q in items:
            p = d.add_paragraph(style="Quote")
            p.add_run(_xml_safe(q.text))
            cap = d.add_paragraph()
            run = cap.add_run(_xml_safe(f"— {q.attribution()}; coded by {q.coder}"))
            run.font.size = Pt(9)
            if q.memo:
                m = cap.add_run(_xml_safe(f"\nMemo: {q.memo}"))
                m.italic = True
                m.font.size = Pt(9)
    d.save(str(path))


__all__ = ["QUOTE_FORMATS", "quotes_html", "write_quotes"]
