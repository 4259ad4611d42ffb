"""Job plans from CSV: one row per planned weekly session.

Columns (header required, any order, case-insensitive): ``participant``, ``weekday``
(Mon..Sun, Monday..Sunday, or 0-6 with 0 = Monday), ``start`` and ``end`` (HH:MM, site local
time), ``category`` (DCC, SPA, ANR, ED or management). A participant's rows replace their job
plan as a whole.
"""

from __future__ import annotations

import csv
import io
from datetime import time
from pathlib import Path

from workweave.domain.errors import Problem, ValidationError
from workweave.domain.study import WEEKDAYS, JobPlan, JobPlanSession
from workweave.domain.template import JOB_PLAN_CATEGORIES

COLUMNS = ("participant", "weekday", "start", "end", "category")
MAX_BYTES = 20 * 1024 * 1024
_DAYS = (
    {d.lower(): i for i, d in enumerate(WEEKDAYS)}
    | {
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    }
    | {str(i): i for i in range(7)}
)
_CATEGORIES = {c.lower(): c for c in JOB_PLAN_CATEGORIES}


def read_job_plans(path: str | Path) -> dict[str, JobPlan]:
    path = Path(path)
    src = path.name
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValidationError(Problem(f"the file is over {MAX_BYTES // 2**20} MiB", src))
        text = path.read_bytes().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except FileNotFoundError:
        raise ValidationError(Problem("no such file", str(path))) from None
    except (IsADirectoryError, PermissionError) as exc:
        raise ValidationError(Problem(f"cannot be read ({exc.strerror})", str(path))) from None
    except UnicodeDecodeError:
        raise ValidationError(Problem("not a UTF-8 text file", src)) from None
    except csv.Error as exc:
        raise ValidationError(Problem(f"not a readable CSV file: {exc}", src)) from None
    if not rows:
        raise ValidationError(Problem("the file is empty", src))
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n")
        raise ValidationError(Problem("holds a NUL character: not a text file", src, line))
    if text.strip() and not text.endswith(("\n", "\r")):
        raise ValidationError(
            Problem(
                "the last row does not end with a line break: the file looks cut short "
                "(nothing was imported)",
                src,
                len(rows) - 1,
            )
        )
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ValidationError(
            Problem(
                f"missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}", src, 0
            )
        )
    col = {c: header.index(c) for c in COLUMNS}
    problems: list[Problem] = []
    plans: dict[str, list[JobPlanSession]] = {}
    for n, row in enumerate(rows[1:], start=1):
        if not any(c.strip() for c in row):
            continue
        if len(row) < len(header):
            problems.append(Problem(f"has {len(row)} fields, the header has {len(header)}", src, n))
            continue
        v = {c: row[i].strip() for c, i in col.items()}
        if not v["participant"]:
            problems.append(Problem("is empty", src, n, "participant"))
            continue
        if len(v["participant"]) > 64:
            problems.append(Problem("is longer than 64 characters", src, n, "participant"))
            continue
        day = _DAYS.get(v["weekday"].lower())
        if day is None:
            problems.append(
                Problem(f"'{v['weekday']}' is not a weekday (Mon..Sun)", src, n, "weekday")
            )
        times = []
        for c in ("start", "end"):
            try:
                times.append(time.fromisoformat(v[c]))
            except ValueError:
                problems.append(Problem(f"'{v[c]}' is not a time HH:MM", src, n, c))
        cat = _CATEGORIES.get(v["category"].lower())
        if cat is None:
            problems.append(
                Problem(
                    f"'{v['category']}' is not one of {', '.join(JOB_PLAN_CATEGORIES)}",
                    src,
                    n,
                    "category",
                )
            )
        if day is None or len(times) < 2 or cat is None:
            continue
        try:
            plans.setdefault(v["participant"], []).append(
                JobPlanSession(day, times[0], times[1], cat)
            )
        except ValidationError as exc:
            problems.extend(Problem(p.reason, src, n) for p in exc.problems)
    out: dict[str, JobPlan] = {}
    for code, sessions in plans.items():
        try:
            out[code] = JobPlan(tuple(sessions))
        except ValidationError as exc:
            problems.extend(Problem(f"participant {code}: {p.reason}", src) for p in exc.problems)
    if problems:
        raise ValidationError(problems)
    if not out:
        raise ValidationError(Problem("has no job-plan rows", src))
    return out


def write_job_plans(plans: dict[str, JobPlan], path: str | Path) -> None:
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for code, plan in plans.items():
            for s in plan.sessions:
                w.writerow(
                    [code, WEEKDAYS[s.weekday], f"{s.start:%H:%M}", f"{s.end:%H:%M}", s.category]
                )
