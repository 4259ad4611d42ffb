"""Short field notes an observer might write while shadowing: pseudonymous (the participant is
named by code, everyone else by role), never a patient's name or details."""

from __future__ import annotations

import math
from collections.abc import Callable

GENERAL: tuple[str, ...] = (
    "{p} moves between the department and the office several times this hour.",
    "Quiet spell; {p} uses it to catch up on email.",
    "{p} says most of the management work 'happens in the cracks' between patients.",
    "Phone rings constantly; {p} keeps it face up on the desk.",
    "{p} describes the week so far as 'firefighting'.",
    "A team member stops {p} in the corridor to ask about annual leave.",
    "{p} keeps a handwritten list of things to chase and adds three items this hour.",
    "{p}: 'I never get my management sessions, they get eaten by clinical cover.'",
    "{p} checks the staffing board before going back to clinical work.",
    "{p} says senior managers 'don't see' the work that keeps the service running.",
    "{p}: 'I came into this to be a clinician. Some days I wonder if I've sold out.'",
    "{p} mentions the restructure consultation and worries about the team's posts.",
    "{p} says the junior staff need them on the floor, so the office work waits.",
    "{p} reflects that being seen as part of the team matters more than the title.",
    "New activity targets announced this week; {p} is unsure how the team will meet them.",
    "{p}: waiting-list figures now go to the directorate weekly, 'which takes an afternoon'.",
    "{p} talks about the strain of supporting a colleague who is struggling.",
    "{p} says they are the buffer between the team and the trust's demands.",
    "{p} jokes that the job plan 'is a work of fiction'.",
    "Two people waiting at the office door when {p} gets back.",
)

BY_TAG: dict[str, tuple[str, ...]] = {
    "list cancellation": (
        "Two cancellations on the {list}; {p} re-plans it with the booking team.",
        "Late cancellation; {p} pulls someone forward from the waiting list.",
    ),
    "did-not-attend": (
        "Did-not-attend at {t}; {p} uses the slot to phone someone on the waiting list.",
        "Second DNA of the day. {p} rebooks and updates the {list}.",
    ),
    "add-on": (
        "Add-on request arrives; {p} negotiates where it can fit on the {list}.",
        "Urgent add-on at {t}; {p} reshuffles the {list} and tells the team.",
    ),
    "emergency": (
        "Emergency call; {p} redeploys a colleague and re-plans the {list}.",
        "Urgent referral comes in; {p} reprioritises the day's {list}.",
    ),
    "staff absence": (
        "A colleague phones in sick; {p} works out cover before carrying on.",
        "Short-staffed today: {p} reallocates work across the team.",
    ),
    "abandoned": (
        "{p} left the {task} half-done when called away and did not go back to it.",
        "{task} abandoned after an interruption. {p}: 'I'll pick that up tonight.'",
    ),
    "lunch": (
        "Lunch at the desk; {p} answers email while eating.",
        "{p} skips lunch to finish the rota.",
        "Lunch interrupted twice by staff questions.",
        "{p} takes a proper break today, in the staff room.",
    ),
    "late": (
        "Still working at {t}: {p} clearing email after the last patient.",
        "{p} stays on after hours to finish the activity return.",
        "Contracted day over at {t}; {p} carries on with tomorrow's staffing.",
    ),
    "early": (
        "{p} in before the session starts to check the rota and the sickness line.",
        "Arrived early; {p} reads overnight email before the first patient.",
    ),
    "pulled": (
        "Management session, but {p} is called to cover a gap in clinical work.",
        "{p} spends part of the management session back in clinical work because of staffing.",
    ),
    "leak": (
        "During the clinical session {p} fields rota queries between patients.",
        "{p} answers a staffing message between two patients.",
        "{p} signs off a leave request on the way back from the {list}.",
    ),
    "parallel": (
        "{p} on the phone to a manager while finishing clinical notes.",
        "{p} supervises a student and answers a list query at the same time.",
    ),
}
"""Notes triggered by moments of the shadowed day (demand subtypes and other tags)."""

KEEP: dict[str, float] = {
    "demand": 0.5,
    "abandoned": 0.4,
    "lunch": 0.6,
    "late": 0.7,
    "early": 0.5,
    "pulled": 0.4,
    "leak": 0.15,
    "parallel": 0.1,
}
"""Chance that the observer writes a note about a moment of each tag."""

LIST_WORD: dict[str, str] = {
    "TH-RAD": "CT list",
    "CP-PHYS": "visit list",
    "AC-OT": "ward caseload",
    "MH-ART": "group timetable",
}


def field_notes(
    moments: list[tuple[int, str, str]],
    row: Callable[[], tuple[list[float], float]],
    participant: str,
    site: str,
    length: int,
    per_hour: float,
    clock: Callable[[int], str],
) -> list[tuple[int, str]]:
    """Notes as (offset in seconds from the session start, text), in time order.

    `moments` are (offset, tag, detail): tag 'demand' (detail = subtype), 'abandoned' (detail =
    category label) or one of the other BY_TAG keys. `row` gives uniform random numbers.
    """
    out: list[tuple[int, str]] = []
    words = {"p": participant, "list": LIST_WORD.get(site, "list")}
    for at, tag, detail in moments:
        u, _ = row()
        if u[0] >= KEEP.get(tag, 0.2):
            continue
        texts = BY_TAG.get(detail if tag == "demand" else tag)
        if not texts:
            continue
        when = min(length, at + 30 + int(270 * u[1]))
        text = texts[int(u[2] * len(texts))].format(t=clock(at), task=detail.lower(), **words)
        out.append((when, text[:1].upper() + text[1:]))
    if per_hour > 0:
        rate = per_hour / 3600
        t = 0.0
        while True:
            u, _ = row()
            t -= math.log1p(-u[0]) / rate
            if t >= length:
                break
            when = int(t)
            out.append((when, GENERAL[int(u[1] * len(GENERAL))].format(t=clock(when), **words)))
    out.sort(key=lambda x: x[0])
    return out
