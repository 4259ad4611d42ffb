"""The passive section: the work the study's system audit logs show (`workweave logs`), when
the study has imported any: the passive metrics of the registry for the whole study and each
breakdown they support, with their intervals, and how the logs agree with what observers saw
(Bland-Altman). Left out of a study without logs. The small-number rule applies as in the
other sections; the numbers behind each table are CSV files beside the report."""

from __future__ import annotations

import pandas as pd

from workweave.analysis.metrics.engine import RESULT_COLUMNS
from workweave.report.document import Cell, Note, Para, Subhead, Table, md
from workweave.report.estimates import fmt, key_label
from workweave.report.study.context import StudyContext
from workweave.report.study.tables import (
    breakdown_label,
    participants_per_group,
    small_groups_note,
    split_small_groups,
)

CSV_COLUMNS = ("breakdown", "group", *RESULT_COLUMNS)


def section(ctx: StudyContext) -> None:
    passive = ctx.passive()
    if passive is None:
        return
    tables, agreement, meta = passive
    s = ctx.doc.section("passive", "Work seen in system audit logs", new_page=False)
    p = meta["parameters"]
    s.add(
        Para(
            md(
                f"The study's audit logs hold {meta['events']:,} events of "
                f"{meta['participants']} participant(s). Events become activity spells: "
                f"consecutive events at most {p['timeout_minutes']:g} minutes apart belong to "
                "one spell, and a spell counts from its first event to its last plus one "
                "timeout; a gap of more than "
                f"{p['shift_gap_hours']:g} hours starts a new shift, so night shifts and on-call "
                "work stay whole. Time is set against the job plan: EHR-Time8 and WOW8 follow "
                "Sinsky et al. (2020). Intervals are cluster intervals over participants, as for "
                "the observed metrics. Definitions, and how they differ from vendor measures, in "
                "docs/passive.md."
            )
        )
    )
    for b, df in tables:
        _table(ctx, s, b, df)
    if agreement is None:
        s.add(
            Note(
                "No observed session of a participant with audit logs recorded the clinical "
                "system (the 'how' dimension), so observation and logs are not compared.",
                "info",
            )
        )
        return
    a = agreement
    s.add(
        Para(
            f"Observation against logs: over {a['n']} observed session(s) of participants "
            "with audit logs, the logs' active time in the session's window minus the observed "
            f"time on the clinical system has a mean (bias) of {a['bias']:.1f} minutes "
            f"(95 % CI {a['bias_ci_low']:.1f} to {a['bias_ci_high']:.1f}) and 95 % limits of "
            f"agreement {a['loa_low']:.1f} to {a['loa_high']:.1f} minutes (Bland & Altman "
            "1986). A positive bias means the logs count more time than the observers saw; "
            "the timeout parameter moves it ('workweave logs agreement')."
        )
    )


def _table(ctx: StudyContext, s: object, b: str, df: pd.DataFrame) -> None:
    label = breakdown_label(b)
    if not len(df):
        s.add(Note(f"No audit-log events to measure {label}.", "missing"))  # type: ignore[attr-defined]
        return
    visible, hidden = split_small_groups(participants_per_group(df), ctx.suppress_below)
    shown = df[df["group"].isin(visible)].copy()
    ctx.report.csv[f"{ctx.report.stem}-passive-{b}.csv"] = shown[
        [c for c in CSV_COLUMNS if c in shown.columns]
    ]
    if hidden:
        s.add(  # type: ignore[attr-defined]
            small_groups_note(f"Audit-log measures {label}", b, hidden, ctx.suppress_below)
        )
    if not visible:
        return
    rows: list[list[Cell | str] | Subhead] = []
    for metric, m in shown.groupby("metric", sort=False):
        keyed = m["key"].notna().any()
        if keyed:
            rows.append(Subhead(str(m["label"].iloc[0])))
        for key, k in m.groupby(m["key"].fillna(""), sort=False):
            name = (
                key_label(str(metric), str(key)).replace("_", " ")
                if keyed
                else str(m["label"].iloc[0])
            )
            cells: list[Cell | str] = [name if not keyed else f"  {name}"]
            by_group = k.set_index("group")
            for g in visible:
                if g not in by_group.index:
                    cells.append(Cell("—"))
                    continue
                r = by_group.loc[g]
                unit = str(r["unit"])
                few = int(r["n_participants"]) < ctx.suppress_below
                est = float("nan") if few else float(r["estimate"])
                sub = (
                    ""
                    if few or pd.isna(r["ci_low"])
                    else f"{fmt(float(r['ci_low']), unit)} to {fmt(float(r['ci_high']), unit)}"
                )
                cells.append(Cell(fmt(est, unit), sub, flag=bool(r["flag"])))
            rows.append(cells)
    unit_note = "hours per 8 scheduled clinical hours unless a share (%) or hours per shift"
    s.add(  # type: ignore[attr-defined]
        Table(
            f"table-passive-{b}",
            f"Audit-log measures, {label} (95 % CI underneath; {unit_note})",
            ["Measure", *(str(g) for g in visible)],
            rows,
            csv_href=ctx.href(f"{ctx.report.stem}-passive-{b}.csv"),
        )
    )


__all__ = ["section"]
