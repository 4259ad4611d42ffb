"""What every part of the `workweave` command shares: the consoles, the --store and --study
options, opening a study, turning errors into messages, and a progress bar."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from workweave.domain.errors import NotFoundError, ValidationError, WorkweaveError
from workweave.store import Store
from workweave.workspace import resolve_store

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Store to use: a SQLite file or a PostgreSQL URL (default: this workspace's; "
        "also WORKWEAVE_STORE).",
        show_default=False,
    ),
]
StudyOpt = Annotated[
    str | None,
    typer.Option("--study", help="Study name, when the store holds several.", show_default=False),
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


def friendly(fn: F) -> F:
    """Turn workweave errors into a clear message and exit code 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValidationError as exc:
            err.print(f"[bold red]error:[/] {len(exc.problems)} problem(s); nothing was changed")
            err.print(exc.describe(), markup=False, highlight=False)
            raise typer.Exit(2) from None
        except (NotFoundError, WorkweaveError) as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err.print("[yellow]interrupted; nothing was changed[/]")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("WORKWEAVE_DEBUG"):
                raise
            err.print(
                f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
                "This is a bug in workweave; run again with WORKWEAVE_DEBUG=1 to see the details "
                "and please report them.",
                highlight=False,
            )
            raise typer.Exit(3) from None

    return wrapper  # type: ignore[return-value]


def open_study(store: str | None, study: str | None) -> tuple[Store, int, str]:
    location, default_study, timezone = resolve_store(store)
    st = Store.open(location)
    return st, st.studies.id(study or default_study), timezone


class TaskProgress:
    """A rich progress bar counting tasks, usable as a callback."""

    def __init__(self, label: str, total: int | None = None) -> None:
        self.p = Progress(
            TextColumn(f"{label}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("tasks"),
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

    def __exit__(self, *exc: object) -> None:
        self.p.stop()
