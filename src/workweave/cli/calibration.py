"""``workweave calibration``: co-observer calibration of a pair of sessions, and the study's
calibration settings (see docs/ior.md, "Co-observer calibration")."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from workweave.cli.common import StoreOpt, StudyOpt, err, friendly, open_study, out, reads

calibration_app = typer.Typer(
    help="Co-observer calibration: compare two observers' records of the same person.",
    no_args_is_help=True,
)

PERCENT = {"pAg1", "pAg2", "NAg", "time_sliced_agreement"}


def register(app: typer.Typer) -> None:
    """Add the ``calibration`` command group to the main ``workweave`` command."""
    app.add_typer(calibration_app, name="calibration")


@calibration_app.command("pair")
@reads
def pair(
    a: Annotated[str, typer.Argument(help="A session (its key, or the source's session id).")],
    b: Annotated[str, typer.Argument(help="The co-observed session.")],
    tolerance: Annotated[
        float, typer.Option(help="Seconds of clock difference allowed between the devices.")
    ] = 0,
    record: Annotated[
        bool,
        typer.Option(
            "--record", help="Record a pass for both observers (when both sessions have ended)."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """The calibration of two co-observed sessions: the IOR measures, the time-sliced kappa
    against the study's threshold, and where the two records differ."""
    from workweave.services import calibration

    st, sid, _ = open_study(store, study)
    c = calibration.evaluate(st, sid, a, b, tolerance_seconds=tolerance, record=record)
    if as_json:
        sys.stdout.write(json.dumps(c.as_dict(), indent=2) + "\n")
        return
    sa, sb = c.session_a, c.session_b
    t = Table(
        "measure",
        "value",
        title=f"Calibration: {sa.key} ({sa.observer}) and {sb.key} ({sb.observer})",
    )
    for name, v in c.measures().items():
        shown = "—" if v is None or v != v else (f"{v:.1f}" if name in PERCENT else f"{v:.3f}")
        t.add_row(f"{name} (compared)" if name == c.measure else name, shown)
    out.print(t)
    kappa = "undefined" if c.kappa.kappa is None else f"{c.kappa.kappa:.3f}"
    verdict = "PASSED" if c.passed else "NOT PASSED"
    out.print(
        f"{verdict}: time-sliced kappa {kappa}, threshold {c.settings.threshold:.2f}",
        highlight=False,
    )
    out.print(
        f"the records differ in {c.disagreement_seconds} of {c.horizon} s "
        f"({len(c.disagreements)} intervals)",
        highlight=False,
    )
    if not c.complete:
        out.print("one of the sessions has not ended: a pass is recorded only after both end")
    if c.recorded:
        out.print(f"recorded as passed for {', '.join(c.recorded)}", highlight=False)
    for w in c.warnings:
        err.print(f"[yellow]warning:[/] {w}", highlight=False)


@calibration_app.command("settings")
@friendly
def settings(
    threshold: Annotated[
        float | None,
        typer.Option(help="Time-sliced kappa a pair must reach (above 0, at most 1)."),
    ] = None,
    require: Annotated[
        bool | None,
        typer.Option(
            "--require/--no-require",
            help="Require a passed calibration before an observer records real sessions.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Show the study's calibration settings, or change them."""
    from workweave.services import calibration

    st, sid, _ = open_study(store, study)
    if threshold is None and require is None:
        rule = calibration.settings(st, sid)
    else:
        rule = calibration.set_settings(st, sid, threshold=threshold, required=require)
    passed = calibration.passed_calibrations(st, sid)
    if as_json:
        data = {
            "threshold": rule.threshold,
            "required": rule.required,
            "passed": [
                {
                    "observer": p.observer,
                    "partner": p.partner,
                    "session_key": p.session_key,
                    "partner_session_key": p.partner_session_key,
                    "kappa": p.kappa,
                    "threshold": p.threshold,
                    "recorded_ms": p.recorded_ms,
                }
                for p in passed
            ],
        }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    out.print(
        f"threshold {rule.threshold:.2f} (time-sliced kappa); a passed calibration is "
        f"{'required' if rule.required else 'not required'} before real sessions",
        highlight=False,
    )
    if passed:
        t = Table("observer", "with", "session", "partner's session", "kappa", title="Passed")
        for p in passed:
            t.add_row(p.observer, p.partner, p.session_key, p.partner_session_key, f"{p.kappa:.3f}")
        out.print(t)


__all__ = ["calibration_app", "register"]
