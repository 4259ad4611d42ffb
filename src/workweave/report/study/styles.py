"""The styles section: participants grouped by the profile of their work
(`workweave.analysis.styles`), each style described by its distinguishing measures, with the
criterion that chose the number of styles and their bootstrap stability. No participant is
named, and no style of fewer participants than the small-number rule is shown."""

from __future__ import annotations

from workweave.analysis.styles import B_STABILITY, MIN_SILHOUETTE, describe
from workweave.report import charts
from workweave.report.document import Cell, Figure, Note, Para, Table, md
from workweave.report.estimates import fmt
from workweave.report.study.context import StudyContext


def section(ctx: StudyContext) -> None:
    s = ctx.doc.section("styles", "Styles of clinician-management", new_page=False)
    res = ctx.styles()
    s.add(
        Para(
            md(
                "Participants grouped by the profile of their work: "
                + ", ".join(f.label for f in res.features)
                + ". Each measure is the registry's estimate for the participant, taken "
                "relative to their site and standardised; groups are found by k-means with "
                "k chosen by the mean silhouette width, and each group's stability is the mean "
                f"Jaccard similarity with its best match over {B_STABILITY} bootstrap "
                "resamples of participants (Hennig 2007: 0.75 or more is stable). Method in "
                "Appendix A and docs/styles.md."
            )
        )
    )
    for n in res.notes:
        s.add(Note(n, "info"))
    if not res.found:
        return
    feats = res.features
    img = charts.difference_chart(
        [f.label for f in feats],
        {st.name: [st.differences[f.column] for f in feats] for st in res.styles},
    )
    alt = "Standardised differences of each style: " + "; ".join(
        f"{st.name}: {describe(st, feats, 3)}" for st in res.styles
    )
    s.add(
        Figure(
            "fig-styles",
            "How each style differs from the other participants",
            img,
            alt,
            "Markers: each style's mean minus the other participants' mean, in standard "
            "deviations of the site-relative measure; 0 is no difference.",
        )
    )
    rows: list[list[Cell | str]] = []
    for st in res.styles:
        rows.append(
            [
                st.name,
                Cell(f"{st.size}"),
                Cell(f"{st.stability:.2f}"),
                Cell(describe(st, feats, 3), numeric=False),
            ]
        )
    s.add(
        Table(
            "table-styles",
            f"Styles found (k = {res.k}, mean silhouette {res.silhouette:.2f})",
            ["Style", "Participants", "Stability (Jaccard)", "Distinguished by"],
            rows,
        )
    )
    mean_rows: list[list[Cell | str]] = []
    for f in feats:
        mean_rows.append([f.label, *(Cell(fmt(st.means[f.column], f.unit)) for st in res.styles)])
    s.add(
        Table(
            "table-style-means",
            "Each style's mean of each measure (in the measure's unit)",
            ["Measure", *(st.name for st in res.styles)],
            mean_rows,
        )
    )
    crit = res.criterion
    s.add(
        Para(
            "Mean silhouette by number of clusters: "
            + "; ".join(
                f"k = {int(r.k)}: {r.silhouette:.2f}"
                + (f" (merged to {int(r.clusters)})" if int(r.merged) else "")
                for r in crit.itertuples(index=False)
            )
            + f". Below {MIN_SILHOUETTE} there is no substantial structure (Kaufman & "
            "Rousseeuw 1990)."
            + (
                f" {len(res.left_out)} participant(s) lacked a measure and were not grouped."
                if res.left_out
                else ""
            )
        )
    )


__all__ = ["section"]
