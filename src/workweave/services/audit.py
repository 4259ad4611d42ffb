"""The audit trail's use cases: record an entry, read entries, verify the chain.

Who acts and from where is carried by a context variable, so a use case deep in the services
(a set-up change, an erasure) records the right person whichever surface called it: the
command line sets ``cli:<os user>`` / ``cli`` (`as_cli`), the web app sets the client's
address for each request and the signed-in user once known (`begin_request`, `identify`),
and anything else (the Python API) is ``api:<os user>`` / ``api``.
"""

from __future__ import annotations

import functools
import getpass
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Connection

from workweave.domain.audit import AuditEntry, Verification
from workweave.domain.audit import verify as verify_chain
from workweave.domain.time import now_ms
from workweave.store import Store


@dataclass
class Actor:
    """Who acts (`who`) and from where (`origin`). Mutable: the web app learns who a request's
    user is only once it has checked the session."""

    who: str
    origin: str


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


_actor: ContextVar[Actor | None] = ContextVar("workweave_audit_actor", default=None)


CLI_ORIGIN_ENV = "WORKWEAVE_AUDIT_ORIGIN"
"""Set to ``cli`` by the ``workweave`` command (before it imports anything heavy), so what the
process records is the command line's."""


def current_actor() -> Actor:
    actor = _actor.get()
    if actor is not None:
        return actor
    origin = "cli" if os.environ.get(CLI_ORIGIN_ENV) == "cli" else "api"
    return Actor(f"{origin}:{_os_user()}", origin)


def as_cli() -> None:
    """Everything this process records from now on is the command line's, as the OS user."""
    _actor.set(Actor(f"cli:{_os_user()}", "cli"))


def begin_request(origin: str) -> Actor:
    """A new web request from `origin` (the client's address); anonymous until `identify`."""
    actor = Actor("anonymous", origin)
    _actor.set(actor)
    return actor


def identify(name: str | None) -> None:
    """The current web request's user is `name` (None: not signed in)."""
    actor = _actor.get()
    if actor is not None and name:
        actor.who = name


@contextmanager
def acting_as(who: str, origin: str) -> Iterator[Actor]:
    """Record as `who` from `origin` inside the block."""
    actor = Actor(who, origin)
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


P = ParamSpec("P")
R = TypeVar("R")


def audited(
    action: str, target: Callable[..., str | None] | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Record `action` in the audit trail each time the decorated use case succeeds. The use
    case takes the store and the study id as its first two arguments; `target` (given the
    same arguments) names what it acted on (e.g. ``participant:P1``)."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            result = fn(*args, **kwargs)
            store, study = args[0], args[1]
            if isinstance(store, Store):
                record(
                    store,
                    action,
                    study=int(study) if isinstance(study, int) else None,
                    target=target(*args, **kwargs) if target else None,
                )
            return result

        return run

    return wrap


def record(
    store: Store,
    action: str,
    *,
    study: str | int | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    who: str | None = None,
    origin: str | None = None,
    conn: Connection | None = None,
) -> AuditEntry:
    """Append an entry: `action` (dotted, e.g. ``participant.report.view``) on `target` in
    `study` (a name, or an id looked up). `who`/`origin` default to the current actor. In the
    caller's transaction when `conn` is given, so the entry lands with the change it records."""
    actor = current_actor()
    study_name = _study_name(store, study, conn) if isinstance(study, int) else study
    return store.audit.append(
        at_ms=now_ms(),
        actor=(who or actor.who)[:200],
        origin=(origin or actor.origin)[:200],
        action=action,
        study=study_name,
        target=target,
        details=details,
        conn=conn,
    )


def _study_name(store: Store, study_id: int, conn: Connection | None) -> str:
    try:
        return store.studies.get(study_id).name
    except Exception:  # a study not (or no longer) readable: its id still identifies it
        return f"#{study_id}"


def entries(
    store: Store,
    since: int | None = None,
    who: str | None = None,
    *,
    action: str | None = None,
    study: str | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[AuditEntry]:
    """Entries since `since` (ms), of one actor, action prefix or study."""
    return store.audit.entries(
        since_ms=since,
        actor=who,
        action=action,
        study=study,
        limit=limit,
        newest_first=newest_first,
    )


def verify(store: Store) -> Verification:
    """Check the whole chain (and that none was removed from the end)."""
    return verify_chain(store.audit.iter_entries(), head_seq=store.audit.head_seq())


__all__ = [
    "Actor",
    "acting_as",
    "as_cli",
    "audited",
    "begin_request",
    "current_actor",
    "entries",
    "identify",
    "record",
    "verify",
]
