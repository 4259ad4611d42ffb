"""The study report: summary, methods, figures and tables of every registry metric by group,
and inter-observer reliability when sessions were co-observed.

    >>> from workweave.report import ReportOptions, study_report
    >>> study_report(store, study_id, ReportOptions(by=("site",))).write("reports/")

Every metric shown comes from the registry's engine (`workweave.analysis.metrics`), over the
observed sessions only (shadowing, imported): self-reported days have their own section. The
counts on the summary page come from the study summary service and the study's sessions. The
small-number rule: a figure or table never shows a group of fewer than
`ReportOptions.suppress_below` participants. Each section is built by its own module:
`summary`, `methods`, `figures` (with the self-reported days), `tables` and `reliability`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from workweave.analysis.coobservation import keep_counted
from workweave.domain.errors import ValidationError
from workweave.report.common import OBSERVED_MODES, study_templates
from workweave.report.document import Document, slug
from workweave.report.estimates import Estimates, Progress
from workweave.report.options import ReportOptions
from workweave.report.output import Report
from workweave.report.pdf import require_chromium
from workweave.report.study import (
    figures,
    findings,
    methods,
    passive,
    reliability,
    styles,
    summary,
    tables,
    trends,
)
from workweave.report.study.context import StudyContext
from workweave.services import studies as svc
from workweave.services.audit import audited
from workweave.store import Store

APPENDIX = ("methods", "tables")
"""Sections that go, in this order, after the findings and figures, as appendices."""
APPENDIX_TITLES = {
    "methods": "Appendix A: Methods and definitions",
    "tables": "Appendix B: Tables of every metric",
}


@audited("report.study")
def study_report(
    store: Store,
    study_id: int,
    options: ReportOptions | None = None,
    *,
    progress: Progress | None = None,
) -> Report:
    """Build the study report (nothing is written: call ``.html()`` or ``.write(folder)``)."""
    opts = options or ReportOptions()
    if opts.pdf:
        require_chromium()  # fail before the work, not after it
    say = progress or (lambda _s: None)
    info = store.studies.get(study_id)
    say("reading the study")
    frames = {
        n: store.analytic.frame(n, study_id) for n in ("sessions", "participants", "job_plans")
    }
    # co-observed sessions: the records the metrics count (one per group unless 'all')
    frames["sessions"] = keep_counted(frames["sessions"], opts.observers)
    if not len(frames["sessions"]):
        raise ValidationError(
            f"study '{info.name}' has no sessions yet: import or record some before reporting"
        )
    doc = Document(
        title=info.title or info.name,
        subtitle="Study report: clinical and managerial work of clinician-managers",
        synthetic=info.synthetic,
        generated=datetime.now(UTC),
        kind="study",
        footer=(
            "Produced by workweave from the study's records. Every metric is computed by the "
            "workweave metric registry; definitions are in the Methods section."
        ),
    )
    report = Report(doc, stem=f"{slug(info.name)}-study-report", options=opts)
    observed_only = {"mode": list(OBSERVED_MODES)}  # self-reports are shown apart
    with Estimates(
        store,
        study_id,
        seed=opts.seed,
        B=opts.B,
        progress=say,
        observers=opts.observers,
        filter=observed_only,
    ) as est:
        ctx = StudyContext(
            store,
            study_id,
            opts,
            frames,
            svc.summary(store, study_id, observers=opts.observers),
            study_templates(store, frames["sessions"]),
            report,
            est,
        )
        say("writing the key findings")
        findings.section(ctx)
        summary.section(ctx)
        say("drawing figures")
        figures.domain_section(ctx)
        figures.jobplan_section(ctx)
        figures.leakage_section(ctx)
        figures.interruptions_section(ctx)
        figures.stretches_section(ctx)
        figures.distributions_section(ctx)
        figures.cost_section(ctx)
        say("finding styles of clinician-management")
        styles.section(ctx)
        say("following the measures over time")
        trends.section(ctx)
        say("reading the audit logs")
        passive.section(ctx)
        say("drawing a shadowed day")
        figures.day_section(ctx)
        figures.self_report_section(ctx)
        say("writing the methods")
        methods.section(ctx)
        say("tabulating every metric")
        tables.section(ctx)
    say("checking inter-observer reliability")
    reliability.section(ctx)
    # findings first, then the figures and analyses, then the appendices; in print every
    # section flows on, its headings kept with what follows them (report.css)
    body = [x for x in doc.sections if x.id not in APPENDIX]
    appendix = [x for a in APPENDIX for x in doc.sections if x.id == a]
    for sec in body:
        sec.new_page = False
    for sec in appendix:  # flowing on: a forced page break leaves a near-blank page before it
        sec.new_page = False
        sec.title = APPENDIX_TITLES[sec.id]
    doc.sections[:] = body + appendix
    return report


__all__ = ["study_report"]
