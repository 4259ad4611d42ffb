"""Regenerate tests/io/boris_reference.json: what BORIS itself computes for a BORIS project.

Run with a Python that has BORIS installed (BORIS is not a dependency of workweave; BORIS 10.x
needs Python 3.13), for example:

    python3.13 -m venv /tmp/borisenv
    /tmp/borisenv/bin/pip install boris-behav-obs==10.0.2
    QT_QPA_PLATFORM=offscreen /tmp/borisenv/bin/python bench/boris_reference.py \
        ../shared/data/boris/wombat-sessions.boris tests/io/boris_reference.json

It calls BORIS's own functions headless (no window): `time_budget_functions.
time_budget_analysis` on the events of each observation, over the whole observation
(BORIS's "full observation" interval: 0 to the observation length, which for a live
observation is its last event), exactly as BORIS's time-budget window prepares them; and
`irr.cohen_kappa` on the aggregated events of every pair of observations that share a subject
(co-observed pairs), at several time units, without modifiers. Only the numbers are written.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from itertools import combinations
from pathlib import Path


def main(project_path: str, out_path: str) -> None:
    # BORIS looks for libmpv when its utilities are imported, unless it runs in mpv IPC mode
    # ("-i"/"--ipc"); no player is used here.
    sys.argv.append("--ipc")
    from boris import config as cfg
    from boris import db_functions, irr, observation_operations, project_functions, version
    from boris import time_budget_functions as tbf

    _, _, pj, _ = project_functions.open_project_json(project_path)
    if "error" in pj:
        raise SystemExit(pj["error"])
    ethogram = pj[cfg.ETHOGRAM]
    behaviours = sorted(ethogram[k][cfg.BEHAVIOR_CODE] for k in ethogram)

    def subjects_of(obs_ids: list[str]) -> list[str]:
        return sorted(
            {
                ev[cfg.EVENT_SUBJECT_FIELD_IDX] or cfg.NO_FOCAL_SUBJECT
                for o in obs_ids
                for ev in pj[cfg.OBSERVATIONS][o][cfg.EVENTS]
            }
        )

    budgets: dict[str, dict] = {}
    for obs_id in sorted(pj[cfg.OBSERVATIONS]):
        obs = pj[cfg.OBSERVATIONS][obs_id]
        subjects = subjects_of([obs_id])
        params = {
            cfg.SELECTED_SUBJECTS: subjects,
            cfg.SELECTED_BEHAVIORS: behaviours,
            cfg.INCLUDE_MODIFIERS: False,
            cfg.EXCLUDE_BEHAVIORS: True,
            cfg.EXCLUDE_NON_CODED_MODIFIERS: True,
            cfg.EXCLUDED_BEHAVIORS: [],
            cfg.TIME_INTERVAL: cfg.TIME_FULL_OBS,
            cfg.START_TIME: Decimal("0.000"),
            cfg.END_TIME: Decimal("0.000"),
        }
        ok, _msg = project_functions.check_state_events_obs(obs_id, ethogram, obs)
        if not ok:
            budgets[obs_id] = {"error": "unpaired state events"}
            continue
        cursor = db_functions.load_events_in_db(pj, subjects, [obs_id], behaviours)
        # the time-budget window's "full observation" interval (time_budget_widget.time_budget)
        obs_length = observation_operations.observation_total_length(obs)
        min_time = 0.0
        max_time = float(obs_length)
        if obs[cfg.EVENTS] and float(obs[cfg.EVENTS][-1][0]) > float(obs_length):
            max_time = float(obs[cfg.EVENTS][-1][0])
        cursor.execute(
            "DELETE FROM events WHERE observation = ? AND (occurence < ? OR occurence > ?)",
            (obs_id, min_time, max_time),
        )
        rows, _ = tbf.time_budget_analysis(ethogram, cursor, [obs_id], params)
        total = max_time - min_time
        out_rows = []
        for r in rows:
            dur = r["duration"]
            pct = (
                round(dur / total * 100, 1)
                if isinstance(dur, float | int) and dur and total > 0
                else None
            )
            out_rows.append(
                {
                    "subject": r["subject"],
                    "behavior": r["behavior"],
                    "number": r["number"],
                    "duration": dur,
                    "duration_mean": r["duration_mean"],
                    "duration_stdev": r["duration_stdev"],
                    "percent_of_total_length": pct,
                }
            )
        budgets[obs_id] = {"observation_length": total, "rows": out_rows}

    kappas = []
    ids = sorted(pj[cfg.OBSERVATIONS])
    for a, b in combinations(ids, 2):
        sa, sb = set(subjects_of([a])), set(subjects_of([b]))
        if not (sa & sb):
            continue
        subjects = sorted(sa | sb)
        ok, _msg, db = db_functions.load_aggregated_events_in_db(pj, subjects, [a, b], behaviours)
        if not ok:
            continue
        entry = {"observations": [a, b], "subjects": subjects, "kappa": {}}
        for unit in ("1", "2", "5", "0.5"):
            k, _ = irr.cohen_kappa(db.cursor(), a, b, Decimal(unit), subjects, False)
            entry["kappa"][unit] = float(k)
        kappas.append(entry)

    result = {
        "produced_by": f"BORIS {version.__version__} (boris-behav-obs), bench/boris_reference.py",
        "project": Path(project_path).name,
        "time_budget": budgets,
        "cohen_kappa": kappas,
    }
    Path(out_path).write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out_path}: {len(budgets)} observations, {len(kappas)} co-observed pairs")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
