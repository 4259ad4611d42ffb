"""Builders of test data shared by the suites.

* sessions drawn by hand: ``at``, ``task``, ``session`` and ``plan`` (a job plan) from compact
  specs, on the built-in template (``TEMPLATE``);
* a store holding a study: ``create_study`` (a fresh store) and ``add_to_study`` (an existing
  one) write a template, sites, observers, participants and sessions in one transaction;
  ``drawn_study`` is a store of drawn sessions at site S1 with observer O1;
* ``seed_users_study``: study s1 with its people, consents and users of every role (the web,
  capture and account tests sign in to it);
* ``qual_pilot_study``: the qualitative pilot (two sites, field notes to code);
* ``simulated_study``: a synthetic study from the generator;
* a small WOMBAT 2 export: ``WOMBAT_ROWS``, ``write_wombat`` and ``wombat_edit``.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from workweave.domain import (
    JobPlan,
    JobPlanSession,
    Note,
    Observer,
    Participant,
    PointEvent,
    Session,
    Site,
    Study,
    Suspension,
    Task,
    Template,
)
from workweave.domain.capture import Actor
from workweave.io.templates import builtin_template
from workweave.services import accounts
from workweave.store import Store

TEMPLATE = builtin_template()
TEMPLATE_KEY = TEMPLATE.key
SITE = Site("S1", "Site one", "Europe/London")
OBSERVER = Observer("O1")


# -- sessions drawn by hand -----------------------------------------------------------------------


def at(day: str, clock: str) -> datetime:
    """An instant in UTC from 'YYYY-MM-DD' and 'HH:MM[:SS]'."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=UTC)


def task(
    key: str,
    category: str,
    start: datetime,
    end: datetime | None,
    *,
    seq: int,
    suspensions: Iterable[tuple[datetime, datetime | None, str | None]] = (),
    dims: dict[str, Sequence[str]] | None = None,
) -> Task:
    return Task(
        key=key,
        category=category,
        start=start,
        end=end,
        seq=seq,
        suspensions=tuple(Suspension(a, b, by) for a, b, by in suspensions),
        dimensions=tuple((k, tuple(v)) for k, v in (dims or {}).items()),
    )


def session(
    key: str,
    participant: str,
    start: datetime,
    end: datetime,
    tasks: Sequence[Task] = (),
    *,
    site: str = "S1",
    observer: str | None = "O1",
    events: Sequence[PointEvent] = (),
    timezone: str = "Europe/London",
    source_id: str | None = None,
) -> Session:
    return Session(
        key=key,
        participant=participant,
        site=site,
        start=start,
        end=end,
        mode="shadowing" if observer else "self-report",
        observer=observer,
        timezone=timezone,
        template=TEMPLATE_KEY,
        source="test",
        source_id=source_id,
        tasks=tuple(tasks),
        events=tuple(events),
    )


def plan(*rows: tuple[int, str, str, str]) -> JobPlan:
    """A job plan from (weekday, 'HH:MM', 'HH:MM', category) rows."""
    return JobPlan(
        tuple(
            JobPlanSession(wd, time.fromisoformat(a), time.fromisoformat(b), c)
            for wd, a, b, c in rows
        )
    )


# -- a store holding a study ----------------------------------------------------------------------


def add_to_study(
    store: Store,
    study_id: int,
    *,
    template: Template | None = None,
    sites: Sequence[Site] = (),
    observers: Sequence[Observer] = (),
    participants: Sequence[Participant] = (),
    sessions: Sequence[Session] = (),
) -> None:
    """Write a template, sites, observers, participants and sessions into a study, in that
    order and in one transaction."""
    with store.transaction() as conn:
        if template is not None:
            store.studies.save_template(template, conn=conn)
        if sites:
            store.studies.add_sites(study_id, sites, conn)
        if observers:
            store.studies.add_observers(study_id, observers, conn)
        if participants:
            store.studies.add_participants(study_id, participants, conn)
        if sessions:
            store.sessions.write(study_id, sessions, conn)


def create_study(
    location: str | Path, study: Study | str = "paper", **parts: Any
) -> tuple[Store, int]:
    """A new store at `location` with one study; `parts` as for `add_to_study`."""
    store = Store.create(location)
    sid = store.studies.create(study if isinstance(study, Study) else Study(study))
    if parts:
        add_to_study(store, sid, **parts)
    return store, sid


def drawn_study(
    location: str | Path,
    sessions: Sequence[Session],
    participants: Sequence[Participant],
    *,
    sites: Sequence[Site] = (SITE,),
    observers: Sequence[Observer] = (OBSERVER,),
    study: str = "paper",
) -> tuple[Store, int]:
    """A store holding sessions drawn with `session` (site S1, observer O1 by default) on the
    built-in template."""
    return create_study(
        location,
        study,
        template=TEMPLATE,
        sites=sites,
        observers=observers,
        participants=participants,
        sessions=sessions,
    )


def simulated_study(location: str | Path, **options: Any) -> tuple[Store, int, Any]:
    """(store, study id, simulation): a synthetic study; `options` go to `simulate_into`."""
    from workweave.services.studies import simulate_into

    store = Store.create(location)
    sid, _, sim = simulate_into(store, **options)
    return store, sid, sim


# -- study s1, with users of every role -----------------------------------------------------------

PASSWORD = "test-password-1"
USERS = {  # user name -> (own role, role in study s1, linked code)
    "adm": ("admin", None, None),
    "res": ("researcher", "researcher", None),
    "obs1": ("observer", "observer", "OBS-1"),
    "obs2": ("observer", "observer", "OBS-2"),
    "part": ("participant", "participant", "P1"),
}


def seed_users_study(store: Store) -> int:
    """Study s1 with two sites, four participants (P1-P3 consented, P4 not) and five users."""
    sid = store.studies.create(Study("s1", "Test study"))
    add_to_study(
        store,
        sid,
        sites=[Site("RAD", "Radiography"), Site("PHY", "Physiotherapy", "Europe/London")],
        participants=[
            Participant(
                "P1",
                "RAD",
                "radiographer",
                "8a",
                2,
                JobPlan(
                    (
                        JobPlanSession(0, time(9), time(12, 45), "DCC"),
                        JobPlanSession(0, time(13, 30), time(17), "management"),
                    )
                ),
            ),
            Participant("P2", "RAD", "radiographer", "7"),
            Participant("P3", "PHY", "physiotherapist", "7"),
            Participant("P4", "PHY", "physiotherapist", "6"),
        ],
    )
    for code in ("P1", "P2", "P3"):
        accounts.record_consent(store, sid, code, given=True, by=None, form_version="v1")
    for name, (role, study_role, code) in USERS.items():
        accounts.add_user(store, name, role, PASSWORD)
        if study_role:
            accounts.grant(store, name, "s1", study_role, code=code)
    return sid


# -- the qualitative pilot ------------------------------------------------------------------------

EMOJI = "\U0001f600"
QUAL_T0 = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)


def qual_pilot_study(location: str | Path) -> tuple[Store, int]:
    """Study qual: P01 at RAD, P02 at PHYSIO, and one session of P01 with three field notes
    (one with an emoji, one blank)."""
    t0 = QUAL_T0
    return create_study(
        location,
        Study("qual", "Qualitative pilot"),
        sites=[Site("RAD"), Site("PHYSIO")],
        observers=[Observer("obs1")],
        participants=[
            Participant(code="P01", site="RAD", profession="radiographer"),
            Participant(code="P02", site="PHYSIO", profession="physiotherapist"),
        ],
        sessions=[
            Session(
                key="capture:1",
                participant="P01",
                site="RAD",
                start=t0,
                end=t0 + timedelta(hours=3),
                observer="obs1",
                tasks=(Task("t1", "clinical", t0, t0 + timedelta(minutes=5)),),
                notes=(
                    Note(t0 + timedelta(minutes=3), f"Rota crisis before clinic {EMOJI}", "n1"),
                    Note(t0 + timedelta(minutes=50), "Budget email answered between patients"),
                    Note(t0 + timedelta(minutes=70), "   "),
                ),
            )
        ],
    )


# -- a small WOMBAT 2 export ----------------------------------------------------------------------

WOMBAT_HEADER = (
    "session date,observer id,session id,location id,participant id,session start,session end,"
    "observer/session/task id,Cosa,Cosa (subcategories),start time,end time,elapsed time,"
    "total time,[Con Chi] Paziente,[Con Chi] Medico,Dove,ended by,multi with,"
    "num of multitask fragments,num of tasks in multi 1,multi task id 1,multi start 1,"
    "multi end 1,total overlapping time,is interrupting task?,interrupted by,num of interrupts,"
    "int task id 1,int start 1,int end 1,active 1,Participant: Age,is session complete?"
)
WOMBAT_ROWS = [
    # a task interrupted by the second, which also runs in parallel with the third
    "2018-05-28,2,52,01,co01,14:00:00,14:10:00,2_52_1,Terapia,Preparazione,14:00:00,14:05:00,"
    "00:05:00,00:03:00,1,0,Corridoio,user,,0,,,,,00:00:00,false,2_52_2,1,2_52_2,14:01:00,14:03:00,"
    ",,TRUE",
    "2018-05-28,2,52,01,co01,14:00:00,14:10:00,2_52_2,ComProfessionale,0,14:01:00,14:04:00,"
    "00:03:00,00:03:00,0,1,0,2_52_3,2_52_3,1,2,2_52_3,14:03:30,14:04:00,00:00:30,true,,0,,,,,,"
    "TRUE",
    "2018-05-28,2,52,01,co01,14:00:00,14:10:00,2_52_3,Spostamenti,0,14:03:30,14:10:00,"
    "00:06:30,00:06:30,0,0,Stanza Paziente,session,2_52_2,1,2,2_52_2,14:03:30,14:04:00,00:00:30,"
    "false,,0,,,,,,TRUE",
]


def write_wombat(
    folder: Path, rows: list[str], name: str = "export.csv", header: str = WOMBAT_HEADER
) -> Path:
    """A WOMBAT export file (UTF-8 with a byte order mark, as WOMBAT writes it)."""
    path = folder / name
    path.write_text("\ufeff" + header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def wombat_edit(row: str, column: str, value: str) -> str:
    """`row` with the cell in `column` set to `value`."""
    cols = next(csv.reader([WOMBAT_HEADER]))
    cells = next(csv.reader([row]))
    cells[cols.index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    return buf.getvalue()


# -- capture action logs ---------------------------------------------------------------------


def capture_actor(store: Store, name: str, study: str = "s1") -> Actor:
    """The capture actor of a user of `study` (their role, observer or participant code)."""
    from workweave.services import capture

    user = accounts.user_by_name(store, name)
    assert user is not None
    a = capture.actor_of(store, user, store.studies.id(study))
    assert a is not None
    return a


def raw_action(
    session: str, seq: int, type_: str, t: float, *, t0_ms: int, **payload: Any
) -> dict[str, Any]:
    """One capture action as a device sends it: `t` seconds after `t0_ms`."""
    return {
        "uuid": str(uuid.uuid4()),
        "session": session,
        "seq": seq,
        "type": type_,
        "t": int(t0_ms + t * 1000),
        "payload": payload,
    }


def switch_log(
    spec: Sequence[tuple[str, int, int]],
    t0_ms: int,
    *,
    participant: str = "P1",
    end: bool = True,
    **start: Any,
) -> list[dict[str, Any]]:
    """A capture action log of one session: its start (with `start` in the payload), one task
    per `(category, start s, end s)` each switching from the one before, and (with `end`) the
    session's end at the latest end; seconds count from `t0_ms`."""
    session = str(uuid.uuid4())

    def act(seq: int, type_: str, at: int, **payload: Any) -> dict[str, Any]:
        return raw_action(session, seq, type_, at, t0_ms=t0_ms, **payload)

    actions = [act(0, "session_start", 0, participant=participant, **start)]
    prev: list[str] = []
    for i, (cat, a, _) in enumerate(spec, start=1):
        actions.append(act(i, "task_start", a, task=f"t{i}", category=cat, ends=prev, suspends=[]))
        prev = [f"t{i}"]
    if end:
        actions.append(act(len(spec) + 1, "session_end", max(b for _, _, b in spec)))
    return actions


# -- hostile archives ------------------------------------------------------------------------------


def zip_bomb(
    path: Path,
    member: str,
    size: int,
    *,
    head: bytes = b"",
    others: dict[str, bytes] | None = None,
    chunk: bytes = b"<w:p/>",
) -> Path:
    """A zip archive whose `member` expands to `size` bytes (`head`, then `chunk` repeated),
    written in a stream (never held in memory), with `others` as ordinary members."""
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in (others or {}).items():
            z.writestr(name, data)
        with z.open(member, "w", force_zip64=True) as fh:
            fh.write(head)
            block = chunk * (1024 * 1024 // len(chunk))
            left = size - len(head)
            while left > 0:
                part = block[:left]
                fh.write(part)
                left -= len(part)
    return path


def docx_bomb(path: Path, size: int) -> Path:
    """A .docx whose word/document.xml expands to `size` bytes of empty paragraphs."""
    import zipfile

    import docx

    plain = path.with_suffix(".plain.docx")
    docx.Document().save(str(plain))
    with zipfile.ZipFile(plain) as z:
        others = {n: z.read(n) for n in z.namelist() if n != "word/document.xml"}
    plain.unlink()
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body>"
    )
    return zip_bomb(path, "word/document.xml", size, head=head, others=others)


def qdpx_bomb(path: Path, size: int) -> Path:
    """A .qdpx whose one text source expands to `size` bytes."""
    guid = "A1B2C3D4-0000-4000-8000-000000000001"
    project = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="bomb" origin="test">'
        f'<Sources><TextSource guid="{guid}" name="big" plainTextPath="internal://{guid}.txt"/>'
        "</Sources></Project>"
    ).encode()
    return zip_bomb(path, f"sources/{guid}.txt", size, others={"project.qde": project}, chunk=b"a")


def job_plan_rows(draw: Any, people: Sequence[str], categories: Sequence[str]) -> list[dict]:
    """Hypothesis: weekly job-plan rows (``job_plans`` frame columns) for some of `people`:
    up to four weekdays each, sessions of one to three hours starting on the hour or half
    hour, categories drawn from `categories`. Call inside an ``@st.composite`` with its
    ``draw``."""
    from hypothesis import strategies as st

    rows: list[dict] = []
    for p in people:
        if draw(st.booleans()):
            for wd in draw(st.lists(st.integers(0, 6), max_size=4, unique=True)):
                h = draw(st.integers(0, 20))
                rows.append(
                    {
                        "participant": p,
                        "weekday": wd,
                        "start_time": f"{h:02d}:{draw(st.sampled_from(['00', '30']))}:00",
                        "end_time": f"{h + draw(st.integers(1, 3)):02d}:30:00",
                        "category": draw(st.sampled_from(list(categories))),
                    }
                )
    return rows


def event_table(rows: Sequence[tuple[str, int, str]], local: Any = None) -> Any:
    """An audit-log event table (the import's Parquet schema) from (participant, UTC ms,
    activity class) rows; `local` maps UTC ms to local wall-clock ms (default: UTC)."""
    import pyarrow as pa

    from workweave.io.auditlogs import SCHEMA

    n = len(rows)
    to_local = local or (lambda t: t)
    return pa.table(
        {
            "participant": [r[0] for r in rows],
            "user_hash": ["h" + r[0] for r in rows],
            "ts_ms": [r[1] for r in rows],
            "local_ms": [to_local(r[1]) for r in rows],
            "event_type": ["E"] * n,
            "activity": [r[2] for r in rows],
            "domain": ["clinical"] * n,
            "workstation": [None] * n,
            "patient": [None] * n,
            "event_key": list(range(n)),
        },
        schema=SCHEMA,
    )


def assert_frames_equal(a: Any, b: Any, numeric: Sequence[str], tol: float = 1e-9) -> None:
    """Two result frames alike: same columns and rows, `numeric` columns equal to `tol`
    (NaN equal to NaN), every other column identical."""
    import numpy as np

    assert len(a) == len(b)
    assert list(a.columns) == list(b.columns)
    for c in a.columns:
        if c in numeric:
            x, y = a[c].to_numpy(float), b[c].to_numpy(float)
            np.testing.assert_allclose(x, y, rtol=tol, atol=tol, equal_nan=True, err_msg=c)
        else:
            x = a[c].astype(object).where(a[c].notna(), None).tolist()
            y = b[c].astype(object).where(b[c].notna(), None).tolist()
            assert x == y, c
