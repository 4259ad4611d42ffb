"""Reports: the study report and personal feedback reports, as self-contained HTML (and PDF).

    >>> from workweave.report import build_study_report, build_participant_report
    >>> build_study_report(store, study_id, "reports/", pdf=True)
    >>> build_participant_report(store, study_id, "RAD-01", "reports/")

``render_study_report_html`` and ``render_participant_report_html`` return the same pages as
strings, for serving them (the web app).
"""

from workweave.report.participant import (
    ParticipantReport,
    build_participant_report,
    prepare_participant_report,
    render_participant_report_html,
)
from workweave.report.pdf import BrowserMissing, find_chromium, html_to_pdf
from workweave.report.study import (
    StudyReport,
    build_study_report,
    prepare_study_report,
    render_study_report_html,
)

__all__ = [
    "BrowserMissing",
    "ParticipantReport",
    "StudyReport",
    "build_participant_report",
    "build_study_report",
    "find_chromium",
    "html_to_pdf",
    "prepare_participant_report",
    "prepare_study_report",
    "render_participant_report_html",
    "render_study_report_html",
]
