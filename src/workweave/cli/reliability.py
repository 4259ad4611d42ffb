"""``workweave ior``: inter-observer reliability of co-observed sessions."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from workweave.cli.common import StoreOpt, StudyOpt, err, open_study, out, reads
from workweave.domain.errors import ValidationError

MEASURE_HEADERS = ("pK1", "pAg1", "pK2", "pAg2", "pKm", "NK", "NAg", "DCCCr", "DCCCcb", "NW")


@reads
def ior(
    pair: Annotated[
        tuple[str, str] | None,
        typer.Option(
            help="Two sessions (the source's session ids, e.g. 52 58, or keys).", show_default=False
        ),
    ] = None,
    auto: Annotated[bool, typer.Option("--auto", help="Every co-observed pair.")] = False,
    tolerance: Annotated[
        float,
        typer.Option(help="With --auto: seconds of clock difference allowed between devices."),
    ] = 0,
    match: Annotated[
        str,
        typer.Option(
            help="With --auto: match participants by 'code' or by 'id' (ignores the "
            "location, case-insensitive)."
        ),
    ] = "code",
    kappa: Annotated[
        bool, typer.Option("--kappa", help="Also the plain time-sliced Cohen's kappa (--pair).")
    ] = False,
    order: Annotated[
        str, typer.Option(help="Fragment order: 'iorapp' (reference) or 'chronological'.")
    ] = "iorapp",
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Inter-observer reliability of co-observed sessions (IORapp-compatible composite)."""
    from workweave.analysis.reliability import MEASURES
    from workweave.services import reliability as rel

    if fmt not in ("table", "json", "csv"):
        raise ValidationError(f"unknown format '{fmt}' (table, json or csv)")
    if order not in ("iorapp", "chronological"):
        raise ValidationError(f"unknown fragment order '{order}' (iorapp or chronological)")
    if (pair is None) == (not auto):
        raise ValidationError("give either --pair A B or --auto")
    st, sid, _ = open_study(store, study)
    if pair is not None:
        res = rel.ior_for_pair(st, sid, pair[0], pair[1], fragment_order=order)
        data = res.as_dict()
        warnings = list(res.warnings)
        if kappa:
            tsk = rel.kappa_for_pair(st, sid, pair[0], pair[1])
            data["time_sliced_kappa"] = tsk.kappa
            data["time_sliced_agreement"] = tsk.agreement
            warnings = [*warnings, *tsk.warnings]
            data["warnings"] = warnings
        if fmt == "json":
            sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
            return
        if fmt == "csv":
            import pandas as pd

            row = {k: ("; ".join(v) if isinstance(v, list) else v) for k, v in data.items()}
            sys.stdout.write(pd.DataFrame([row]).to_csv(index=False))
            return
        t = Table("measure", "value", title=f"IOR: sessions {pair[0]} and {pair[1]}")
        for k, v in data.items():
            if k == "warnings":
                continue
            t.add_row(k, "—" if v is None else (f"{v:.6g}" if isinstance(v, float) else str(v)))
        out.print(t)
        for w in warnings:
            err.print(f"[yellow]warning:[/] {w}", highlight=False)
        return
    table = rel.ior_study_table(
        st, sid, tolerance_seconds=tolerance, participant=match, fragment_order=order
    )
    if fmt == "json":
        sys.stdout.write(table.to_json(orient="records", indent=2) + "\n")
    elif fmt == "csv":
        sys.stdout.write(table.to_csv(index=False))
    elif table.empty:
        out.print("no co-observed pairs found (try --tolerance or --match id)")
    else:
        t = Table(
            "pair", "observers", *MEASURE_HEADERS, title=f"IOR of {len(table)} co-observed pairs"
        )
        for r in table.to_dict("records"):
            t.add_row(
                f"{r['session_a']}–{r['session_b']}",
                f"{r['observer_a']}–{r['observer_b']}",
                *[_measure(r[m], m) for m in MEASURES],
            )
        # complete rows rather than truncated cells, even on a narrow terminal or in a pipe
        Console(width=max(out.width, 120)).print(t)
        out.print("pAg and NAg are percentages; '—' is undefined (see docs/ior.md)")


def _measure(value: Any, name: str) -> str:
    if value is None or value != value:  # None or NaN: undefined
        return "—"
    return f"{value:.0f}" if name in ("pAg1", "pAg2", "NAg") else f"{value:.2f}"


__all__ = ["ior"]
