"""``workweave boris budget|kappa``: BORIS-compatible time budget and Cohen's kappa.

These reproduce BORIS's own definitions (docs/boris.md), beside ours (``metrics
--time-budget``, ``ior --kappa``), so that a BORIS project imported here can be checked against
BORIS.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from workweave.cli.common import StoreOpt, StudyOpt, open_study, out, reads

boris_app = typer.Typer(
    help="BORIS-compatible time budget and Cohen's kappa (BORIS's definitions, docs/boris.md).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``boris`` command group to the main ``workweave`` command."""
    app.add_typer(boris_app, name="boris")


def _num(v: float | None, digits: int = 3) -> str:
    return "NA" if v is None else f"{v:.{digits}f}"


@boris_app.command("budget")
@reads
def budget(
    sessions: Annotated[
        list[str] | None,
        typer.Argument(
            help="Sessions (keys or source ids; default: every session).", show_default=False
        ),
    ] = None,
    group: Annotated[
        bool, typer.Option("--group", help="One budget of all the sessions together.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """BORIS's time budget: per session, subject and behaviour the occurrences, total, mean and
    SD of durations and % of the observation length."""
    import csv
    import sys

    from rich.table import Table

    from workweave.analysis.boris_compat import budget_table
    from workweave.domain.errors import ValidationError
    from workweave.services import boris as boris_svc

    if fmt not in ("table", "json", "csv"):
        raise ValidationError(f"unknown format '{fmt}' (table, json or csv)")
    st, sid, _ = open_study(store, study)
    rows = boris_svc.boris_budget(st, sid, sessions or None, group=group)
    if fmt == "json":
        out.print_json(json.dumps(budget_table(rows)))
        return
    if fmt == "csv":
        recs = budget_table(rows)
        w = csv.DictWriter(sys.stdout, fieldnames=list(recs[0]) if recs else ["observation"])
        w.writeheader()
        w.writerows(recs)
        return
    t = Table(
        "session",
        "subject",
        "behaviour",
        "n",
        "total (s)",
        "mean (s)",
        "SD",
        "% of obs.",
        title="BORIS-compatible time budget",
    )
    for r in rows:
        t.add_row(
            r.observation,
            r.subject,
            r.behaviour,
            str(r.occurrences),
            _num(r.total_s),
            _num(r.mean_s),
            _num(r.sd_s),
            _num(r.percent_of_observation, 1),
        )
    out.print(t)


@boris_app.command("kappa")
@reads
def kappa(
    a: Annotated[str, typer.Argument(help="A session (its key, or the source's session id).")],
    b: Annotated[str, typer.Argument(help="The other session.")],
    interval: Annotated[
        float, typer.Option("--interval", help="BORIS's time unit, seconds (0.001 or more).")
    ] = 1.0,
    modifiers: Annotated[
        bool, typer.Option("--modifiers", help="Codes include the modifiers (dimensions).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """BORIS's time-unit Cohen's kappa of two sessions (each from its own start)."""
    from workweave.services import boris as boris_svc

    st, sid, _ = open_study(store, study)
    r = boris_svc.boris_kappa(st, sid, a, b, interval_s=interval, include_modifiers=modifiers)
    data = {
        "a": a,
        "b": b,
        "kappa": r.kappa,
        "time_points": r.n,
        "agreements": r.agreements,
        "chance_agreements": round(r.chance, 3),
        "interval_s": r.interval_s,
        "from_s": r.first_s,
        "to_s": r.last_s,
        "codes": r.codes,
    }
    if as_json:
        out.print_json(json.dumps(data))
        return
    out.print(
        f"BORIS-compatible Cohen's kappa {a} / {b}: K = {r.kappa:.3f} "
        f"({r.n} time points of {r.interval_s:g} s from {r.first_s:.3f} to {r.last_s:.3f} s, "
        f"{r.agreements} agreements, {r.chance:.1f} expected by chance, {r.codes} codes)",
        highlight=False,
        markup=False,
    )


__all__ = ["boris_app", "register"]
