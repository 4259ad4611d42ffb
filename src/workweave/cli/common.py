"""What every part of the `workweave` command shares: the consoles, the --store and --study
options, opening a study, turning errors into messages, and progress.

Start-up stays fast: this module and every command module import only typer, rich and the
standard library at module level; the store, services, analysis and report modules (and the
libraries they bring: SQLAlchemy, DuckDB, pandas, SciPy) are imported inside the commands
that use them (tests/cli/test_startup.py checks it)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, overload

import typer
from rich.console import Console

from workweave.domain.errors import NotFoundError, ValidationError, WorkweaveError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from workweave.store import Store

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Store to use: a workspace folder, a SQLite file or a PostgreSQL URL (default: "
        "this workspace's; also WORKWEAVE_STORE).",
        show_default=False,
    ),
]
StudyOpt = Annotated[
    str | None,
    typer.Option("--study", help="Study name, when the store holds several.", show_default=False),
]

EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine",
        help="Where the SQL runs: 'duckdb' (in process) or 'spark' (docs/scale.md).",
    ),
]
ThreadsOpt = Annotated[
    int | None,
    typer.Option(
        "--threads",
        help="DuckDB threads (default: WORKWEAVE_THREADS, else every core).",
        show_default=False,
    ),
]
MemoryLimitOpt = Annotated[
    str | None,
    typer.Option(
        "--memory-limit",
        help="DuckDB memory limit, e.g. 4GB (default: WORKWEAVE_MEMORY_LIMIT, else 80 % of "
        "memory); larger work spills to disk.",
        show_default=False,
    ),
]


def apply_limits(threads: int | None, memory_limit: str | None) -> None:
    """Check --threads and --memory-limit and set them for every DuckDB connection this
    command opens (through the environment `workweave.analysis.duck` reads)."""
    from workweave.analysis import duck

    n = duck.check_threads(threads)
    size = duck.check_memory_limit(memory_limit)
    if n is not None:
        os.environ[duck.THREADS_ENV] = str(n)
    if size is not None:
        os.environ[duck.MEMORY_ENV] = str(memory_limit).strip()  # as given, for messages
    duck.limits_from_env()  # a malformed value already in the environment is named now


SparkRemoteOpt = Annotated[
    str | None,
    typer.Option(
        "--spark-remote",
        help="Spark Connect address (sc://HOST:PORT, also Databricks) for --engine spark; "
        "default: local Spark.",
        show_default=False,
    ),
]

ObserversOpt = Annotated[
    str,
    typer.Option(
        "--observers",
        help="Co-observed sessions: 'primary' counts one record per co-observation group "
        "(the primary observer's, else the earliest stored), 'all' every record.",
    ),
]

F = TypeVar("F", bound=Callable[..., Any])


@overload
def friendly(fn: F, *, changes: bool = True) -> F: ...
@overload
def friendly(fn: None = None, *, changes: bool = True) -> Callable[[F], F]: ...
def friendly(fn: F | None = None, *, changes: bool = True) -> F | Callable[[F], F]:
    """Turn workweave errors into a clear message and exit code 2, never a traceback.

    ``changes`` says whether the command changes the store: only then do its error messages
    add "nothing was changed" (a failed change leaves the store as it was). Commands that only
    read use ``@reads``."""
    if fn is None:
        return functools.partial(friendly, changes=changes)
    unchanged = "; nothing was changed" if changes else ""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValidationError as exc:
            err.print(f"[bold red]error:[/] {len(exc.problems)} problem(s){unchanged}")
            err.print(exc.describe(), markup=False, highlight=False)
            raise typer.Exit(2) from None
        except (NotFoundError, WorkweaveError) as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from None
        except MemoryError:
            err.print("[bold red]error:[/] out of memory" + unchanged, highlight=False)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err.print(f"[yellow]interrupted{unchanged}[/]")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("WORKWEAVE_DEBUG"):
                raise
            from workweave.analysis.duck import out_of_memory_message

            oom = out_of_memory_message(exc)
            if oom:
                err.print(f"[bold red]error:[/] {oom}{unchanged}", highlight=False)
                raise typer.Exit(2) from None
            err.print(
                f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
                "This is a bug in workweave; run again with WORKWEAVE_DEBUG=1 to see the details "
                "and please report them.",
                highlight=False,
            )
            raise typer.Exit(3) from None

    return wrapper


def reads(fn: F) -> F:
    """``friendly`` for a command that only reads the store."""
    return friendly(fn, changes=False)


def open_study(store: str | None, study: str | None) -> tuple[Store, int, str]:
    from workweave.store import Store
    from workweave.workspace import resolve_store

    location, default_study, timezone = resolve_store(store)
    st = Store.open(location)
    try:
        return st, st.studies.id(study or default_study), timezone
    except BaseException:
        st.close()
        raise


def open_store(store: str | None) -> tuple[Store, str | None, str]:
    """The store a command names (or this workspace's), its default study and time zone."""
    from workweave.store import Store
    from workweave.workspace import resolve_store

    location, default_study, timezone = resolve_store(store)
    return Store.open(location), default_study, timezone


@contextmanager
def working(message: str) -> Iterator[Callable[[str], None]]:
    """A spinner with elapsed time on standard error while a long step runs (only on a
    terminal); yields a function that changes its message as the work moves on."""
    if not err.is_terminal:
        yield lambda _text: None
        return
    with err.status(message) as status:
        yield lambda text: status.update(text)


class Spinner:
    """``working`` without a ``with`` block: a spinner on standard error (only on a terminal)
    from creation until ``stop()``."""

    def __init__(self, message: str) -> None:
        self.status = err.status(message) if err.is_terminal else None
        if self.status is not None:
            self.status.start()

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


class TaskProgress:
    """A rich progress bar counting tasks, usable as a callback."""

    def __init__(self, label: str, total: int | None = None, unit: str = "tasks") -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.p: Progress = Progress(
            TextColumn(f"{label}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(unit),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        self.total = total
        self.task: TaskID | None = None

    def __enter__(self) -> TaskProgress:
        self.p.start()
        self.task = self.p.add_task("", total=self.total)
        return self

    def __call__(self, n: int) -> None:
        self.p.advance(self.task, n)  # type: ignore[arg-type]

    def update(self, *, total: int | None = None, description: str | None = None) -> None:
        if total is not None:
            self.p.update(self.task, total=total)  # type: ignore[arg-type]
        if description is not None:
            self.p.update(self.task, description=description)  # type: ignore[arg-type]

    def __exit__(self, *exc: object) -> None:
        self.p.stop()
