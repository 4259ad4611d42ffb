"""Inter-observer reliability, when sessions were co-observed: the IORapp-compatible measures
over the pairs, a dot plot, and each pair's values."""

from __future__ import annotations

import pandas as pd

from workweave.report import charts
from workweave.report.document import Cell, Figure, Note, Para, Table, md
from workweave.report.study.context import StudyContext


def section(ctx: StudyContext) -> None:
    try:
        from workweave.analysis.reliability import MEASURES, detect_pairs, ior_table
    except ImportError:  # the reliability module is optional for the report
        return
    sessions = ctx.sessions()
    pairs = detect_pairs(sessions)
    if not pairs:
        return
    s = ctx.doc.section("ior", "Inter-observer reliability")
    table = ior_table(pairs)
    s.add(
        Para(
            md(
                f"{len(pairs)} pair(s) of sessions were co-observed: the same participant "
                "shadowed by two observers at the same time. Their records are compared with "
                "the IORapp-compatible composite of Lopetegui et al. (2014) as implemented for "
                "WOMBAT data by Guidi, Tanzini & Westbrook (2021): agreement per second on the "
                "task category (pK1/pAg1 on the first label, pK2/pAg2 on the second, pKm over "
                "all), agreement of matched tasks' naming (NK, NAg), of their durations (Lin's "
                "concordance DCCCr and its bias correction DCCCcb), and of the order of tasks "
                "(Needleman–Wunsch score NW_score). Kappas and concordances run from −1 to 1, "
                "agreements (pAg, NAg) are percentages, NW_score runs from 0 to 1."
            )
        )
    )
    measures = list(MEASURES)
    desc: list[tuple[str, Cell, Cell, Cell, Cell]] = []
    for m in measures:
        col = pd.to_numeric(table[m], errors="coerce").dropna()
        if not len(col):
            desc.append((m, Cell("0"), Cell("—"), Cell("—"), Cell("—")))
            continue
        desc.append(
            (
                m,
                Cell(f"{len(col)}"),
                Cell(f"{col.median():.3g}"),
                Cell(f"{col.min():.3g}"),
                Cell(f"{col.max():.3g}"),
            )
        )
    desc_rows: list[list[Cell | str]] = [list(r) for r in desc]
    csv_name = f"{ctx.report.stem}-ior.csv"
    cols = [c for c in table.columns if c != "warnings"] + ["warnings"]
    ctx.report.csv[csv_name] = table[cols]
    s.add(
        Table(
            "table-ior-summary",
            "Agreement between observers: each measure over the co-observed pairs",
            ["Measure", "Pairs with a value", "Median", "Lowest", "Highest"],
            desc_rows,
            csv_href=ctx.href(csv_name),
            first_column_wide=False,
        )
    )
    img = _ior_figure(table, measures)
    if img is not None:
        s.add(
            Figure(
                "fig-ior",
                "Agreement measures of each co-observed pair",
                img,
                "Dot plot of the ten inter-observer agreement measures, one dot per co-observed "
                "pair: "
                + "; ".join(
                    f"{m} median {med.main}, range {lo.main} to {hi.main}"
                    for m, _n, med, lo, hi in desc
                ),
                md(
                    "Each dot is one pair of sessions; percentages (pAg1, pAg2, NAg) are "
                    "shown divided by 100 to share the axis. The vertical mark is the median."
                ),
            )
        )
    if len(table) <= 30:
        rows: list[list[Cell | str]] = []
        for r in table.itertuples(index=False):
            rows.append(
                [f"{r.session_a} / {r.session_b}"]
                + [
                    Cell("—" if pd.isna(getattr(r, m)) else f"{getattr(r, m):.3g}")
                    for m in measures
                ]
            )
        s.add(
            Table(
                "table-ior",
                "Each co-observed pair (session keys of the two observers' records)",
                ["Sessions", *measures],
                rows,
                first_column_wide=False,
            )
        )
    warn = int((table["warnings"].astype(str) != "").sum())
    if warn:
        s.add(
            Note(
                f"{warn} pair(s) came with warnings (e.g. tasks never resumed, too few "
                "matched tasks for a concordance); they are listed in the CSV file."
            )
        )


def _ior_figure(table: pd.DataFrame, measures: list[str]) -> charts.Image | None:
    import matplotlib
    from matplotlib.figure import Figure as MplFigure

    data = []
    for m in measures:
        col = pd.to_numeric(table[m], errors="coerce").dropna()
        if m in ("pAg1", "pAg2", "NAg"):
            col = col / 100.0
        data.append(col.to_numpy())
    if not any(len(d) for d in data):
        return None
    import numpy as np

    with matplotlib.rc_context(charts.RC):
        fig = MplFigure(figsize=(charts.WIDTH_IN, 0.6 + 0.3 * len(measures)), layout="constrained")
        ax = fig.add_subplot()
        rng = np.random.default_rng(0)  # jitter only, for legibility
        for i, d in enumerate(data):
            if not len(d):
                continue
            y = i + rng.uniform(-0.18, 0.18, len(d))
            ax.plot(d, y, "o", markersize=3.5, color="#0072B2", alpha=0.6, markeredgewidth=0)
            ax.plot([np.median(d)] * 2, [i - 0.32, i + 0.32], color="#000000", lw=2)
        ax.set_yticks(range(len(measures)), measures)
        ax.set_ylim(len(measures) - 0.5, -0.5)
        ax.set_xlim(min(-0.05, min((d.min() for d in data if len(d)), default=0) - 0.05), 1.05)
        ax.axvline(0, color="#888888", lw=0.6)
        ax.set_xlabel("agreement (kappa, concordance, score; percentages ÷ 100)")
        ax.grid(axis="x", color="#E0E0E0", linewidth=0.6)
        return charts.to_image(fig)


__all__ = ["section"]
