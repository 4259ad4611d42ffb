"""Self-report is not observation: both reports count, draw and measure observed days
(shadowing, imported) only, say so, and list self-reported days in a section of their own.
Nights: a day that runs past midnight is drawn and described with its dates."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.analysis.metrics.paper import P1, P2, paper_session_2, paper_sessions
from tests.factories import at, session, task
from tests.factories import drawn_study as write_store
from workweave.domain import Participant, Session
from workweave.report import ReportOptions, participant_report, study_report
from workweave.report.charts import _DatedClock
from workweave.report.common import MODES_STATEMENT, ColourKey, day_alt
from workweave.report.days import layout_day
from workweave.report.palette import DOMAIN_STYLES
from workweave.store import Store

B = 20
P3 = Participant("P3", "S1", "radiographer")  # logs their own work only


def own_log(key: str, who: str, day: str, a: str, b: str, source: str) -> Session:
    s = session(
        key,
        who,
        at(day, a),
        at(day, b),
        [task(f"{key}-1", "ADMIN", at(day, a), at(day, b), seq=1)],
        observer=None,
    )
    return dataclasses.replace(s, source=source)


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, int]]:
    sessions = [
        *paper_sessions(),  # P1: Monday 6 January and the night of Friday 31 January; P2
        own_log("self:1", "P1", "2025-01-08", "09:00", "12:00", "diary"),
        own_log("self:2", "P1", "2025-01-09", "10:00", "11:00", "capture"),
        own_log("self:3", "P3", "2025-01-09", "10:00", "11:30", "diary"),
    ]
    path = tmp_path_factory.mktemp("modes") / "store.sqlite"
    store, sid = write_store(path, sessions, [P1, P2, P3])
    yield store, sid
    store.close()


def options() -> ReportOptions:
    return ReportOptions(B=B, seed=3, suppress_below=1, csv_href=lambda name: None)


def key_figure(html: str, label: str) -> str:
    m = re.search(
        r'<span class="value">([^<]*)</span>\s*<span class="label">' + re.escape(label), html
    )
    assert m, f"no key figure '{label}'"
    return m.group(1).strip()


def test_personal_report_keeps_self_reported_days_apart(study: tuple[Store, int]) -> None:
    store, sid = study
    html = participant_report(store, sid, "P1", options()).html()
    assert MODES_STATEMENT in html
    assert key_figure(html, "days observed") == "2"
    assert key_figure(html, "days self-reported") == "2"
    assert key_figure(html, "sessions observed") == "2"
    assert "2 days observed, 2 days self-reported" in html
    # only the observed days are drawn; the night is titled with the day it ended on
    assert html.count('id="fig-day-') == 2
    assert "Friday 31 January 2025, until Saturday 00:30" in html
    # the own log has its own small section: one row per self-reported day
    assert 'id="own-log"' in html and 'id="table-own-log"' in html
    table = html[html.index('id="table-own-log"') :]
    table = table[: table.index("</table>")]
    assert "Wednesday 08 January 2025" in table and "Thursday 09 January 2025" in table
    assert "end-of-day diary" in table and "the app" in table


def test_personal_report_measures_observed_sessions_only(study: tuple[Store, int]) -> None:
    """The report's figures are the registry's over the observed sessions: the hours P1
    logged themselves would dilute the interruption rate, and they do not."""
    from workweave.report.estimates import fmt_with_unit
    from workweave.services import metrics

    store, sid = study

    def rate(**kw: object) -> str:
        df = metrics.compute(
            store, study_id=sid, by="participant", metrics="interruptions_per_hour", B=0, **kw
        )
        row = df[df["participant"] == "P1"].iloc[0]
        return fmt_with_unit(float(row["estimate"]), str(row["unit"]))

    observed = rate(filter={"mode": ["shadowing", "imported"]})
    everything = rate()
    assert observed != everything  # the own log would change it
    html = participant_report(store, sid, "P1", options()).html()
    row = html[html.index("Interruptions per hour") :]
    row = row[: row.index("</tr>")]
    assert observed in row and everything not in row
    hours = sum(
        (s.known_end - s.start).total_seconds() for s in paper_sessions() if s.participant == "P1"
    )
    assert key_figure(html, "hours observed") == f"{hours / 3600:.1f}"


def test_only_self_reported_days_make_a_report_without_pictures(
    study: tuple[Store, int],
) -> None:
    store, sid = study
    html = participant_report(store, sid, "P3", options()).html()
    assert key_figure(html, "days observed") == "0"
    assert key_figure(html, "days self-reported") == "1"
    assert 'id="fig-day-' not in html
    assert "no observed session of yours has been recorded yet" in html
    assert 'id="table-own-log"' in html


def test_study_report_counts_and_draws_observed_days_only(study: tuple[Store, int]) -> None:
    store, sid = study
    html = study_report(store, sid, options()).html()
    assert MODES_STATEMENT in html
    assert key_figure(html, "participants observed") == "2"  # P3 only logged their own work
    assert key_figure(html, "sessions observed") == "3"
    assert key_figure(html, "days observed") == "3"
    assert key_figure(html, "days self-reported") == "3"
    assert "3 days observed, 3 days self-reported" in html
    assert 'id="self-report"' in html and 'id="table-self-report"' in html
    section = html[html.index('id="table-self-report"') :]
    section = section[: section.index("</table>")]
    assert "end-of-day diary" in section and "the capture app" in section
    # the illustrative day is an observed one (the longest: Monday's five hours)
    assert "A shadowed Monday" in html


def test_study_report_without_self_reports_has_no_such_section(tmp_path: Path) -> None:
    store, sid = write_store(tmp_path / "s.sqlite", paper_sessions(), [P1, P2])
    try:
        html = study_report(store, sid, options()).html()
    finally:
        store.close()
    assert 'id="self-report"' not in html
    assert key_figure(html, "days self-reported") == "0"
    assert MODES_STATEMENT in html


# -- nights -------------------------------------------------------------------------------------


LONDON = ZoneInfo("Europe/London")


def night(day: str, next_day: str) -> Session:
    """22:00 to 02:00 local (London) time, tasks on both sides of midnight."""

    def t(d: str, clock: str) -> datetime:
        return datetime.fromisoformat(f"{d}T{clock}").replace(tzinfo=LONDON)

    tasks = [
        task("a", "CLIN-DIRECT", t(day, "22:00"), t(day, "23:41"), seq=1),
        task("b", "ADMIN", t(day, "23:41"), t(next_day, "00:01"), seq=2),
        task("c", "CLIN-DIRECT", t(next_day, "00:01"), t(next_day, "02:00"), seq=3),
    ]
    return session("night", "P1", t(day, "22:00"), t(next_day, "02:00"), tasks)


def test_a_night_is_laid_out_by_instant_with_its_dates() -> None:
    s = night("2025-01-07", "2025-01-08")  # Tuesday into Wednesday
    layout = layout_day([s], lambda _s, _c: "clinical", job_plan=P1.job_plan)
    assert layout.crosses_midnight
    assert [b.start for b in layout.bars] == sorted(b.start for b in layout.bars)
    key = ColourKey(True, dict(DOMAIN_STYLES), {})
    alt = day_alt(layout, key, "your day")
    assert "Tue 22:00 to Wed 02:00" in alt
    day = layout_day([session("d", "P1", at("2025-01-06", "09:00"), at("2025-01-06", "10:00"), [])],
                     lambda _s, _c: "clinical")  # fmt: skip
    assert not day.crosses_midnight
    # Friday night into Saturday: the plan's Saturday 00:00-01:00 management is drawn too
    friday = layout_day([paper_session_2()], lambda _s, _c: "clinical", job_plan=P1.job_plan)
    assert [(p.start, p.category) for p in friday.planned] == [
        (at("2025-02-01", "00:00"), "management")
    ]
    assert "management Sat 00:00-Sat 00:30" in day_alt(friday, key, "your day")


def test_night_axis_labels_carry_the_day_and_survive_a_clock_change() -> None:
    import matplotlib.dates as mdates

    fmt = _DatedClock(LONDON)
    hours = [datetime(2025, 1, 7, 22, tzinfo=LONDON)]
    for h in (23, 0, 1, 2):
        prev = hours[-1]
        hours.append(prev.replace(hour=h) if h else prev.replace(day=8, hour=0))
        if h in (1, 2):
            hours[-1] = hours[-1].replace(day=8)
    labels = fmt.format_ticks([mdates.date2num(h) for h in hours])
    assert labels == ["Tue 22:00", "23:00", "Wed 00:00", "01:00", "02:00"]
    # the night the clocks go forward (30 March 2025, 01:00 GMT becomes 02:00 BST)
    from datetime import UTC, timedelta

    start = datetime(2025, 3, 29, 22, tzinfo=UTC)
    instants = [start + timedelta(hours=i) for i in range(5)]
    labels = fmt.format_ticks([mdates.date2num(h) for h in instants])
    assert labels == ["Sat 22:00", "23:00", "Sun 00:00", "02:00", "03:00"]
