"""Print an HTML report to PDF with headless Chromium (driven by Playwright).

The browser is the machine's own Chromium: ``/usr/bin/chromium`` (Debian's package) or the
program named by the ``WORKWEAVE_CHROMIUM`` environment variable. Nothing is downloaded, and
the page is loaded from a local file with every outside request refused.
"""

from __future__ import annotations

import os
import shutil
from html import escape
from pathlib import Path

from workweave.domain.errors import WorkweaveError

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "chromium", "chromium-browser")


class BrowserMissing(WorkweaveError):
    """No Chromium to print with (or Playwright is not installed)."""


def find_chromium() -> str | None:
    """The Chromium executable to use, or None when there is none."""
    named = os.environ.get("WORKWEAVE_CHROMIUM")
    if named:
        return named if Path(named).is_file() or shutil.which(named) else None
    for c in _CANDIDATES:
        if Path(c).is_file():
            return c
        found = shutil.which(c)
        if found:
            return found
    return None


def require_chromium() -> str:
    exe = find_chromium()
    if exe is None:
        named = os.environ.get("WORKWEAVE_CHROMIUM")
        raise BrowserMissing(
            (f"WORKWEAVE_CHROMIUM names '{named}', which is not a program here. " if named else "")
            + "Printing a report to PDF needs Chromium: install Debian's package "
            "('apt-get install chromium') or set WORKWEAVE_CHROMIUM to its path. "
            "The HTML report was written and can be printed from any browser."
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise BrowserMissing(
            "printing a report to PDF needs the Python package 'playwright' "
            "(pip install playwright); the HTML report can be printed from any browser"
        ) from None
    return exe


def html_to_pdf(
    html_path: Path,
    pdf_path: Path,
    *,
    title: str = "",
    synthetic: bool = False,
    timeout_s: float = 120,
) -> Path:
    """Print `html_path` to `pdf_path`: A4, backgrounds on, the page's own @page margins, and
    in the margins the title and page numbers (and SYNTHETIC DATA on every page when the
    study is synthetic)."""
    exe = require_chromium()
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    tmp = pdf_path.with_name(pdf_path.name + ".part")
    url = html_path.resolve().as_uri()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, args=list(CHROMIUM_ARGS))
            try:
                page = browser.new_page()
                page.route(
                    "**/*",
                    lambda route: (
                        route.continue_()
                        if route.request.url.startswith(("file:", "data:"))
                        else route.abort()
                    ),
                )
                page.goto(url, wait_until="load", timeout=timeout_s * 1000)
                page.emulate_media(media="print")
                page.pdf(
                    path=str(tmp),
                    format="A4",
                    print_background=True,
                    prefer_css_page_size=True,
                    display_header_footer=True,
                    header_template=_margin(
                        "<b>SYNTHETIC DATA: not real observations</b>" if synthetic else ""
                    ),
                    footer_template=_margin(
                        f"{escape(title)}<span style='float:right'>page "
                        "<span class='pageNumber'></span> of <span class='totalPages'></span>"
                        "</span>"
                    ),
                )
            finally:
                browser.close()
    except PlaywrightError as exc:
        tmp.unlink(missing_ok=True)
        raise BrowserMissing(f"Chromium ({exe}) could not print the report: {exc}") from None
    tmp.replace(pdf_path)
    return pdf_path


def _margin(inner: str) -> str:
    return (
        "<div style=\"font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 8px; "
        f'color: #333; width: 100%; margin: 0 14mm;">{inner}</div>'
    )


__all__ = ["CHROMIUM_ARGS", "BrowserMissing", "find_chromium", "html_to_pdf", "require_chromium"]
