"""The study report and personal reports: sections, self-containment, numbers from the metric
registry, the small-number rule, imported data without job plans, and the command line."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import wombat_files
from tests.factories import create_study, simulated_study
from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.study import Study
from workweave.report import Report, ReportOptions, participant_report, study_report
from workweave.report.palette import (
    DOMAIN_STYLES,
    check_palette,
    greyscale_lightness,
    series_style,
)
from workweave.services.studies import import_wombat
from workweave.store import Store

MAX_PDF_PAGES = 32
MAX_PDF_BYTES = 1_000_000
MIN_WORDS_PER_PAGE = 25
"""The printed study report of the test study (seed 5, about 1,800 tasks: 27 pages, 0.24 MB
when these bounds were set) stays within these bounds (docs/reports.md)."""
B = 40  # bootstrap replicates: enough to exercise intervals, few enough to be quick
SEED = 11
STUDY_SECTIONS = (
    "findings",
    "summary",
    "methods",
    "day",
    "domains",
    "jobplan",
    "leakage",
    "interruptions",
    "stretches",
    "distributions",
    "cost",
    "styles",
    "trends",
    "tables",
)
PARTICIPANT_SECTIONS = ("about", "days", "plan", "management", "arrival", "worth", "words")
# Tests that use the simulated or the WOMBAT study are marked slow: building either takes seconds.


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, int]]:
    folder = tmp_path_factory.mktemp("sim")
    store, sid, _ = simulated_study(folder / "store.sqlite", seed=5, target_tasks=1800)
    yield store, sid
    store.close()


@pytest.fixture(scope="module")
def sim_report(sim: tuple[Store, int], tmp_path_factory: pytest.TempPathFactory) -> Path:
    store, sid = sim
    out = tmp_path_factory.mktemp("sim-report")
    return study_report(store, sid, ReportOptions(seed=SEED, B=B)).write(out).html


@pytest.fixture(scope="module")
def wombat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, int]]:
    files = wombat_files()
    if not files:
        pytest.skip("the WOMBAT exports in ../shared/data are not here")
    folder = tmp_path_factory.mktemp("wombat")
    store, sid = create_study(
        folder / "store.sqlite", Study(name="wombat", title="WOMBAT nurse study")
    )
    import_wombat(store, sid, files, timezone="Europe/Rome")
    yield store, sid
    store.close()


@pytest.fixture(scope="module")
def personal_report(sim: tuple[Store, int], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the participant observed most, printed to PDF too when Chromium is here."""
    from workweave.report import find_chromium

    store, sid = sim
    code = store.analytic.frame("sessions", sid)["participant"].value_counts().index[0]
    out = tmp_path_factory.mktemp("participant")
    options = ReportOptions(pdf=find_chromium() is not None, seed=SEED, B=B)
    return participant_report(store, sid, code, options).write(out).html


def section_ids(html: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)"', html)


def images(html: str) -> list[tuple[str, str]]:
    """(src, alt) of every <img>."""
    out = []
    for tag in re.findall(r"<img\b[^>]*>", html):
        src = re.search(r'src="([^"]*)"', tag)
        alt = re.search(r'alt="([^"]*)"', tag)
        out.append((src.group(1) if src else "", alt.group(1) if alt else ""))
    return out


def assert_self_contained(html: str) -> None:
    assert "<script" not in html
    assert "<link" not in html
    assert not re.search(r'\bsrc="(?!data:)', html), "an image is not embedded"
    assert "@import" not in html and "url(http" not in html
    for src, alt in images(html):
        assert src.startswith("data:image/svg+xml;base64,")
        assert len(alt) > 40, "every figure needs a description"
        svg = base64.b64decode(src.split(",", 1)[1])
        assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
        # only XML namespace names, which are never fetched
        assert set(re.findall(rb"https?://[^\"\s>]+", svg)) <= {
            b"http://www.w3.org/2000/svg",
            b"http://www.w3.org/1999/xlink",
        }


# -- palette ------------------------------------------------------------------------------------


def test_palette_is_checked_for_colour_blind_readers() -> None:
    worst = check_palette()
    assert set(worst) == {"normal", "protanopia", "deuteranopia", "tritanopia"}
    assert min(worst.values()) >= 15
    hatches = [s.hatch for s in DOMAIN_STYLES.values()]
    assert len(set(hatches)) == len(hatches), "every domain has its own hatch"
    assert len({series_style(i, "x").hatch for i in range(8)}) == 8
    # clinical and managerial also differ in greyscale lightness, besides their hatches
    light = {d: greyscale_lightness(s.colour) for d, s in DOMAIN_STYLES.items()}
    assert abs(light["clinical"] - light["managerial"]) > 5
    with pytest.raises(ValueError):
        check_palette({"a": "#D55E00", "b": "#E69F00"}, min_delta_e=20)


# -- options and writing ------------------------------------------------------------------------


def test_options_default_to_the_policy_and_are_checked() -> None:
    from workweave.domain.policy import BOOTSTRAP_REPLICATES, SUPPRESS_BELOW

    default = ReportOptions()
    assert default.suppress_below == SUPPRESS_BELOW and default.B == BOOTSTRAP_REPLICATES
    assert default.by == ("site", "profession") and default.pdf is False
    assert ReportOptions(by="site, band,site").by == ("site", "band")
    assert ReportOptions(B=0, suppress_below=1, seed=0).B == 0
    bad: list[dict[str, object]] = [
        {"suppress_below": 0},
        {"suppress_below": 2.5},
        {"suppress_below": "3"},
        {"B": -1},
        {"B": True},
        {"B": None},
        {"seed": -1},
        {"seed": "x"},
        {"pdf": "yes"},
        {"csv_href": "reports/"},
        {"by": ("participant",)},
        {"by": "site,shoe size"},
    ]
    for kw in bad:
        with pytest.raises(ValidationError):
            ReportOptions(**kw)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="suppress_below must be at least 1") as caught:
        ReportOptions(suppress_below=0, B=-1, by=("shoe size",))
    assert len(caught.value.problems) == 3, "every bad option is named at once"


def small_report(text: str) -> Report:
    from workweave.report.document import Document, Para

    doc = Document(title="tiny")
    doc.section("only", "Only").add(Para(text))
    table = pd.DataFrame({"metric": ["m"], "estimate": [len(text)]})
    return Report(doc, stem="tiny-report", csv={"tiny-report-metrics-study.csv": table})


def leftovers(*folders: Path) -> list[Path]:
    return [p for f in folders if f.exists() for p in f.iterdir() if p.name.endswith(".part")]


def test_write_puts_every_file_in_place_at_once(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    files = small_report("first").write(out)
    assert files.html == out / "tiny-report.html" and files.pdf is None
    assert files.csv == (out / "tiny-report-metrics-study.csv",)
    assert "first" in files.html.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]
    # into an existing folder: the report's files are replaced, anything else stays
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    files = small_report("second").write(out)
    assert "second" in files.html.read_text(encoding="utf-8")
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert leftovers(tmp_path, out) == []


def test_failed_pdf_leaves_the_previous_report_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workweave.report.output as output
    from workweave.report import BrowserMissing

    out = tmp_path / "reports"
    small_report("first").write(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken_printer(html: Path, pdf: Path, **kw: object) -> Path:
        pdf.write_bytes(b"%PDF- half")  # a half-printed file that must not survive
        raise BrowserMissing("Chromium could not print the report")

    monkeypatch.setattr(output, "require_chromium", lambda: "chromium")
    monkeypatch.setattr(output, "html_to_pdf", broken_printer)
    with pytest.raises(BrowserMissing, match="could not print"):
        small_report("second").write(out, pdf=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert leftovers(tmp_path, out) == []
    # nor is a new folder left half-made
    with pytest.raises(BrowserMissing):
        small_report("third").write(tmp_path / "new", pdf=True)
    assert not (tmp_path / "new").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]
    # the options' pdf is the default for write
    with pytest.raises(BrowserMissing):
        report = small_report("fourth")
        report.options = ReportOptions(pdf=True)
        report.write(out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


# -- study report -------------------------------------------------------------------------------


@pytest.mark.slow
def test_study_report_has_every_section_and_is_self_contained(sim_report: Path) -> None:
    html = sim_report.read_text(encoding="utf-8")
    ids = section_ids(html)
    for s in (*STUDY_SECTIONS, "ior"):
        assert s in ids, f"section {s} missing"
    assert 'id="synthetic-banner"' in html and "SYNTHETIC DATA" in html
    assert_self_contained(html)
    assert len(images(html)) >= 10
    for fig in ("fig-day", "fig-domains-site", "fig-plan-site", "fig-leakage-profession"):
        assert f'id="{fig}"' in html
    assert 'id="fig-stretch-site"' in html and 'id="fig-cost-site"' in html


@pytest.mark.slow
def test_methods_list_every_registry_metric_and_the_basis(sim_report: Path) -> None:
    from workweave.analysis.metrics import METRICS
    from workweave.io.payscales import load_payscale

    html = sim_report.read_text(encoding="utf-8")
    methods = html.split('<section id="methods"', 1)[1].split("<section ", 1)[0]
    for m in METRICS:
        assert f"({m.display_id()})" in methods, m.id
        assert m.denominator.split(" (")[0].replace("'", "&#39;") in methods
    assert load_payscale("england-2025-26").title in methods
    assert f"B = {B:,}" in methods and f"seed {SEED}" in methods
    assert "ahp-clinician-manager" in methods and "version 1" in methods


@pytest.mark.slow
def test_tables_are_written_as_csv_and_linked(sim_report: Path) -> None:
    html = sim_report.read_text(encoding="utf-8")
    stem = sim_report.stem
    for b in ("study", "site", "profession"):
        name = f"{stem}-metrics-{b}.csv"
        assert (sim_report.parent / name).is_file()
        assert f'href="{name}"' in html
    assert (sim_report.parent / f"{stem}-ior.csv").is_file()


@pytest.mark.slow
def test_numbers_come_from_the_metric_registry(sim: tuple[Store, int], sim_report: Path) -> None:
    from workweave.services import metrics

    store, sid = sim
    csv = pd.read_csv(sim_report.parent / f"{sim_report.stem}-metrics-site.csv")
    ref = metrics.compute(store, study_id=sid, by="site", seed=SEED, B=B)
    ref = ref[ref["metric"].isin(["domain_share_observed", "compartmentalisation"])]
    merged = ref.merge(
        csv.rename(columns={"group": "site"}), on=["site", "metric", "key"], how="inner"
    )
    # the file holds only groups big enough to show; their numbers are the registry's
    assert len(merged) > 0
    shown = merged[merged["n_participants_x"] >= 3]
    assert (shown["estimate_x"] - shown["estimate_y"]).abs().max() < 1e-9
    assert (shown["ci_low_x"] - shown["ci_low_y"]).abs().max() < 1e-9


@pytest.mark.slow
def test_small_number_rule_suppresses_groups(sim: tuple[Store, int], tmp_path: Path) -> None:
    store, sid = sim
    people = store.analytic.frame("sessions", sid).groupby("site")["participant"].nunique()
    threshold = int(people.max())  # only the largest site(s) pass
    options = ReportOptions(by=("site",), suppress_below=threshold, seed=SEED, B=0)
    path = study_report(store, sid, options).write(tmp_path).html
    html = path.read_text(encoding="utf-8")
    small = sorted(people[people < threshold].index)
    assert small
    assert "small-number rule" in html
    csv = pd.read_csv(tmp_path / f"{path.stem}-metrics-site.csv")
    assert set(csv["group"]) == set(people[people >= threshold].index)
    # the summary table does not list the small sites either
    summary = html.split('<section id="summary"', 1)[1].split("<section ", 1)[0]
    for site in small:
        assert f">{site} —" not in summary

    options = ReportOptions(by=("site",), suppress_below=1000, seed=SEED, B=0)
    nobody = study_report(store, sid, options).write(tmp_path / "none").html
    html = nobody.read_text(encoding="utf-8")
    assert 'id="fig-domains-site"' not in html and 'id="fig-domains"' not in html
    assert html.count("Not shown:") >= 5
    tables = pd.read_csv(nobody.parent / f"{nobody.stem}-metrics-site.csv")
    assert tables.empty


def test_empty_study_is_a_clear_error(tmp_path: Path) -> None:
    store, sid = create_study(tmp_path / "store.sqlite", "empty")
    with pytest.raises(ValidationError, match="no sessions yet"):
        study_report(store, sid).write(tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_study_report_breakdowns_are_checked(sim: tuple[Store, int], tmp_path: Path) -> None:
    store, sid = sim
    with pytest.raises(ValidationError, match="never shown one by one"):
        study_report(store, sid, ReportOptions(by=("participant",))).write(tmp_path)
    with pytest.raises(ValidationError):
        study_report(store, sid, ReportOptions(by=("shoe size",))).write(tmp_path)


@pytest.mark.slow
def test_html_is_returned_for_the_web(sim: tuple[Store, int]) -> None:
    store, sid = sim
    options = ReportOptions(by=("site",), suppress_below=1000, B=0, csv_href=lambda name: None)
    html = study_report(store, sid, options).html()
    assert html.startswith("<!DOCTYPE html>")
    assert "Download as CSV" not in html and 'id="fig-day"' in html
    first = store.analytic.frame("sessions", sid)["participant"].iloc[0]
    page = participant_report(store, sid, first, ReportOptions(B=0)).html()
    assert page.startswith("<!DOCTYPE html>") and first in page


# -- participant report ----------------------------------------------------------------------


@pytest.mark.slow
def test_participant_report_shows_only_that_person(
    sim: tuple[Store, int], personal_report: Path
) -> None:
    store, sid = sim
    people = store.analytic.frame("participants", sid)["participant"].tolist()
    sessions = store.analytic.frame("sessions", sid)
    code = sessions["participant"].value_counts().index[0]
    html = personal_report.read_text(encoding="utf-8")
    ids = section_ids(html)
    for s in PARTICIPANT_SECTIONS:
        assert s in ids, s
    assert_self_contained(html)
    for other in (p for p in people if p != code):
        assert not re.search(rf"\b{re.escape(other)}\b", html), f"{other} appears"
    days = sessions[sessions["participant"] == code]
    assert 1 <= html.count('id="fig-day-') <= len(days)
    assert "Whole study" in html and "Words used in this report" in html
    assert "Management leakage" in html  # every technical term is glossed


@pytest.mark.slow
def test_participant_unknown_code_is_a_clear_error(sim: tuple[Store, int], tmp_path: Path) -> None:
    store, sid = sim
    with pytest.raises(NotFoundError, match="no participant 'NOBODY'"):
        participant_report(store, sid, "NOBODY").write(tmp_path)


# -- imported WOMBAT data: no job plans, unmapped template --------------------------------------


@pytest.mark.slow
@pytest.mark.shared
def test_wombat_study_report(wombat: tuple[Store, int], tmp_path: Path) -> None:
    store, sid = wombat
    path = study_report(store, sid, ReportOptions(seed=SEED, B=0)).write(tmp_path).html
    html = path.read_text(encoding="utf-8")
    ids = section_ids(html)
    for s in (*STUDY_SECTIONS, "ior"):
        assert s in ids, s
    assert_self_contained(html)
    assert "SYNTHETIC DATA" not in html
    assert "no participant in this study has a job plan" in html
    assert "maps no category to a work domain" in html
    assert 'id="fig-day"' in html and 'id="fig-categories-site"' in html
    ior = pd.read_csv(tmp_path / f"{path.stem}-ior.csv")
    assert len(ior) > 0 and "pK1" in ior.columns


@pytest.mark.slow
@pytest.mark.shared
def test_wombat_participant_report(wombat: tuple[Store, int], tmp_path: Path) -> None:
    store, sid = wombat
    counts = store.analytic.frame("sessions", sid)["participant"].value_counts()
    code = counts[counts <= 3].index[0]  # a participant with a few sessions: quick to draw
    path = participant_report(store, sid, code, ReportOptions(B=0)).write(tmp_path).html
    html = path.read_text(encoding="utf-8")
    assert "the study holds no job plan for you" in html
    assert 'id="fig-day-1"' in html
    assert_self_contained(html)


# -- command line -------------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_report_commands(
    sim: tuple[Store, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import workweave.report as report
    from workweave.cli import app

    store, sid = sim
    runner = CliRunner()
    loc = store.location
    seen: dict[str, object] = {}

    class FakeReport:
        def write(self, out: Path, **kw: object) -> report.ReportFiles:
            seen["out"] = out
            path = Path(out) / "x-study-report.html"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("<!DOCTYPE html>", encoding="utf-8")
            return report.ReportFiles(path)

    def fake_build(st: Store, study_id: int, options: ReportOptions, **kw: object) -> FakeReport:
        seen.update(kw, study_id=study_id, options=options)
        return FakeReport()

    monkeypatch.setattr(report, "study_report", fake_build)
    args = ["report", "study", "--store", loc, "--out", str(tmp_path), "--by", "site, band"]
    res = runner.invoke(app, [*args, "--min-participants", "4", "--bootstrap", "10"])
    assert res.exit_code == 0, res.output
    options = seen["options"]
    assert isinstance(options, ReportOptions)
    assert options.by == ("site", "band") and options.suppress_below == 4
    assert options.B == 10 and options.pdf is False and seen["study_id"] == sid
    assert seen["out"] == tmp_path
    monkeypatch.undo()

    code = store.analytic.frame("sessions", sid)["participant"].iloc[0]
    res = runner.invoke(
        app,
        ["report", "participant", code, "--store", loc, "--out", str(tmp_path), "--bootstrap", "0"],
    )
    assert res.exit_code == 0, res.output
    assert list(tmp_path.glob("*-report.html"))
    res = runner.invoke(app, ["report", "participant", "NOBODY", "--store", loc, "--out", "x"])
    assert res.exit_code == 2 and "no participant" in res.output
    res = runner.invoke(
        app, ["report", "study", "--store", loc, "--out", str(tmp_path), "--by", "participant"]
    )
    assert res.exit_code == 2 and "never shown one by one" in res.output


# -- in a browser, and printed to PDF -------------------------------------------------------------


def need_browser() -> str:
    import os

    from workweave.report import find_chromium

    exe = find_chromium()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        exe = None
    if exe is None:
        if os.environ.get("WORKWEAVE_REQUIRE_BROWSER") == "1":
            pytest.fail("WORKWEAVE_REQUIRE_BROWSER=1 but Chromium or Playwright is missing")
        pytest.skip("no Chromium here (set WORKWEAVE_CHROMIUM or install chromium)")
    return exe


def need_tool(name: str) -> str:
    import os
    import shutil

    found = shutil.which(name)
    if found is None:
        if os.environ.get("WORKWEAVE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"WORKWEAVE_REQUIRE_BROWSER=1 but {name} (poppler-utils) is missing")
        pytest.skip(f"{name} (poppler-utils) is not installed")
    return found


def h2_titles(html: str) -> list[str]:
    import html as htmllib

    return [htmllib.unescape(t) for t in re.findall(r'<h2 id="[^"]+-title">([^<]+)</h2>', html)]


@pytest.mark.slow
def test_study_report_renders_in_chromium(sim_report: Path, tmp_path: Path) -> None:
    exe = need_browser()
    from playwright.sync_api import sync_playwright

    from workweave.report.pdf import CHROMIUM_ARGS

    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            page.on(
                "request",
                lambda r: None if r.url.startswith(("file:", "data:")) else outside.append(r.url),
            )
            page.goto(sim_report.resolve().as_uri(), wait_until="load")
            sizes = page.evaluate(
                "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt])"
            )
            headings = page.evaluate(
                "Array.from(document.querySelectorAll('section > h2')).map(h => h.textContent)"
            )
            shot = tmp_path / "study.png"
            page.screenshot(path=str(shot), full_page=False)
        finally:
            browser.close()
    assert outside == [], f"the report asked the network for {outside}"
    assert len(sizes) >= 10
    assert all(done and width > 0 and alt for done, width, alt in sizes), "a broken image"
    assert headings == h2_titles(sim_report.read_text(encoding="utf-8"))
    assert "Appendix A: Methods and definitions" in headings
    assert "Inter-observer reliability" in headings
    assert headings[0] == "Key findings", "the report opens with its findings"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_pdf_has_the_same_sections(sim_report: Path, tmp_path: Path) -> None:
    need_browser()
    pdftotext = need_tool("pdftotext")
    import subprocess

    from workweave.report import html_to_pdf

    pdf = html_to_pdf(sim_report, tmp_path / "study.pdf", title="study", synthetic=True)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    for title in h2_titles(sim_report.read_text(encoding="utf-8")):
        assert " ".join(title.split()) in flat, title
    assert "SYNTHETIC DATA" in flat and "page 1 of" in flat
    # fit to print (docs/reports.md): within the stated bounds, and no near-blank page
    pages = text.split("\f")
    pages = pages[:-1] if pages and not pages[-1].strip() else pages
    assert len(pages) <= MAX_PDF_PAGES, f"{len(pages)} pages"
    assert pdf.stat().st_size <= MAX_PDF_BYTES, f"{pdf.stat().st_size} bytes"
    words = [len(p.split()) for p in pages]
    assert all(n >= MIN_WORDS_PER_PAGE for n in words[:-1]), f"near-blank page: {words}"
    # the findings come first: on page 1, with an interval and the numbers behind them
    assert "Key findings" in pages[0] and "95 % CI" in pages[0] and "participants" in pages[0]


@pytest.mark.slow
def test_participant_pdf(personal_report: Path) -> None:
    need_browser()
    pdftotext = need_tool("pdftotext")
    import subprocess

    pdf = personal_report.with_suffix(".pdf")
    text = subprocess.run(
        [pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    for title in h2_titles(personal_report.read_text(encoding="utf-8")):
        assert " ".join(title.split()) in flat, title


@pytest.mark.slow
def test_missing_chromium_is_a_clear_error(
    sim: tuple[Store, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workweave.report import BrowserMissing

    store, sid = sim
    monkeypatch.setenv("WORKWEAVE_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(BrowserMissing, match="needs Chromium"):
        study_report(store, sid, ReportOptions(pdf=True)).write(tmp_path / "out")
    assert not (tmp_path / "out").exists(), "nothing is written when the PDF cannot be made"


def test_findings_histograms_styles_and_trends_come_from_the_registry(
    sim: tuple[Store, int], sim_report: Path
) -> None:
    """The findings quote the registry's estimate and interval; the histograms are drawn
    from the registry's per-item tables; the styles and trend sections are there."""
    from workweave.report.estimates import OVERALL, Estimates, fmt, fmt_ci, value

    store, sid = sim
    html = sim_report.read_text(encoding="utf-8")
    findings = html.split('<section id="findings"', 1)[1].split("<section ", 1)[0]
    with Estimates(store, sid, seed=SEED, B=B, filter={"mode": ["shadowing", "imported"]}) as est:
        v = value(est.table(None), OVERALL, "domain_share_observed", "managerial")
        assert v is not None
        assert fmt(v.estimate, "proportion") in findings
        assert fmt_ci(v.low, v.high, "proportion") in findings
        n_items = len(est.items("management_episode_median"))
    assert n_items > 0
    for fig in ("fig-dist-tasks", "fig-dist-stretches", "fig-dist-episodes", "fig-styles"):
        assert f'id="{fig}"' in html, fig
    assert 'id="fig-trend-interruptions_per_hour"' in html
    assert "Appendix A: Methods and definitions" in html


def test_inline_hatches_keep_the_hatch_without_patterns() -> None:
    from workweave.report import charts
    from workweave.report.palette import series_style

    img = charts.interval_chart(
        ["a", "b"],
        [charts.Series(series_style(1, "x"), [0.3, 0.5], [0.2, 0.4], [0.4, 0.6])],
        xlabel="%",
        percent=True,
    )
    import base64

    svg = base64.b64decode(img.src.split(",", 1)[1]).decode()
    assert "<pattern" not in svg and "url(#h" not in svg.replace("url(#h41628c98d5-c", "")
    assert "-tile" in svg and "<use" in svg  # the hatch lines are there, as plain paths
