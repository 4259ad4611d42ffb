"""Reports: the study report and personal feedback reports, as self-contained HTML (and PDF).

    >>> from workweave.report import ReportOptions, participant_report, study_report
    >>> study_report(store, study_id, ReportOptions(by=("site",))).write("reports/", pdf=True)
    >>> participant_report(store, study_id, "RAD-01").write("reports/")
    >>> page = study_report(store, study_id, ReportOptions(B=500)).html()  # to serve it

Both builders return a `Report`: ``.html()`` gives the page as a string, ``.write(folder)``
writes it with its CSV tables (and the PDF) in one step that leaves nothing half-written.
How a report is built (breakdowns, the small-number rule, the bootstrap) is one
`ReportOptions`.
"""

from workweave.report.options import BREAKDOWNS, ReportOptions
from workweave.report.output import Report, ReportFiles
from workweave.report.participant import participant_report
from workweave.report.pdf import BrowserMissing, find_chromium, html_to_pdf
from workweave.report.study import study_report

__all__ = [
    "BREAKDOWNS",
    "BrowserMissing",
    "Report",
    "ReportFiles",
    "ReportOptions",
    "find_chromium",
    "html_to_pdf",
    "participant_report",
    "study_report",
]
