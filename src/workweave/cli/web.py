"""``workweave serve``, ``workweave user ...`` and ``workweave web ...``: the web app, its
accounts, sessions and cookie-signing secret, from the command line. ``register(app)`` adds
the commands to the main ``workweave`` command."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

if TYPE_CHECKING:
    from workweave.store import Store

from workweave.cli.common import StoreOpt, err, friendly, out

user_app = typer.Typer(help="Accounts of the web app.", no_args_is_help=True)
web_app = typer.Typer(
    help="The web app's sessions and cookie-signing secret.", no_args_is_help=True
)


def _open(store: str | None) -> tuple[str, str | None]:
    from workweave.workspace import resolve_store

    location, study, _ = resolve_store(store)
    return location, study


def _accounts() -> tuple[ModuleType, Callable[[str], Store]]:
    """The accounts module and the store opener (open, or make if missing), imported only when a
    command needs them."""
    from workweave.services import accounts
    from workweave.services.setup import open_store

    return accounts, open_store


def run_server(
    location: str, host: str, port: int, *, study: str | None, secure_cookies: bool = False
) -> None:
    """Serve the web app over the store at ``location`` until interrupted.

    uvicorn loads the app through its factory's import path (as `uvicorn --factory` would), with
    the settings in the environment, so the command line does not import the web package."""
    import os

    import uvicorn

    os.environ["WORKWEAVE_STORE"] = location
    os.environ["WORKWEAVE_WEB_STUDY"] = study or ""
    os.environ["WORKWEAVE_WEB_SECURE_COOKIES"] = "1" if secure_cookies else "0"
    uvicorn.run(
        "workweave.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=False,
    )


def serve_command(
    store: StoreOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    study: Annotated[
        str | None, typer.Option(help="Study to open first (default: the workspace's).")
    ] = None,
    secure_cookies: Annotated[
        bool,
        typer.Option(help="Send the session cookie over HTTPS only (when served over HTTPS)."),
    ] = False,
) -> None:
    """Run the web app: administration, shadowing capture, self-report and session review."""
    accounts, open_store = _accounts()

    location, default_study = _open(store)
    st = open_store(location)
    if accounts.user_count(st) == 0:
        err.print(
            "[yellow]no accounts yet:[/] add one with "
            "'workweave user add NAME --role admin' to sign in"
        )
    st.close()
    out.print(f"workweave web app on http://{host}:{port}/ (store: {location}); Ctrl+C stops it")
    run_server(location, host, port, study=study or default_study, secure_cookies=secure_cookies)


def user_add(
    name: Annotated[str, typer.Argument(help="Sign-in name (letters, digits, . _ @ -).")],
    role: Annotated[
        str, typer.Option(help="admin, researcher, observer or participant.")
    ] = "observer",
    password: Annotated[
        str | None,
        typer.Option(
            help="Password (at least 12 characters, not the user name, hard to guess; "
            "asked for when not given)."
        ),
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Add a user of the web app."""
    accounts, open_store = _accounts()

    location, _ = _open(store)
    st = open_store(location)
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    user = accounts.add_user(st, name, role, password)
    out.print(f"user [bold]{user.name}[/] added with role {user.role}")
    if role != "admin":
        out.print(f"next: 'workweave user grant {name} --study STUDY --role {role}'")


def user_grant(
    name: Annotated[str, typer.Argument(help="The user's sign-in name.")],
    study: Annotated[str, typer.Option(help="Study name.")],
    role: Annotated[str, typer.Option(help="researcher, observer or participant.")],
    code: Annotated[
        str | None,
        typer.Option(
            help="For an observer: the observer code they record as (default: their name). "
            "For a participant: their participant code (required)."
        ),
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Make a user a member of a study with a role."""
    accounts, open_store = _accounts()

    location, _ = _open(store)
    m = accounts.grant(open_store(location), name, study, role, code=code)
    link = ""
    if m.observer_code:
        link = f" (records as observer {m.observer_code})"
    if m.participant_code:
        link = f" (linked to participant {m.participant_code})"
    out.print(f"{name} is now {m.role} in study {m.study}{link}")


def user_list(store: StoreOpt = None) -> None:
    """List the users and their studies."""
    accounts, open_store = _accounts()

    location, _ = _open(store)
    st = open_store(location)
    t = Table("name", "role", "active", "studies")
    for u in accounts.users(st):
        ms = ", ".join(f"{m.study} ({m.role})" for m in accounts.memberships(st, u.id))
        t.add_row(u.name, u.role, "yes" if u.active else "no", ms or "—")
    out.print(t)


def user_password(
    name: Annotated[str, typer.Argument(help="The user's sign-in name.")],
    password: Annotated[
        str | None, typer.Option(help="New password (asked for if not given).")
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Set a user's password (signs them out everywhere)."""
    accounts, open_store = _accounts()

    location, _ = _open(store)
    if password is None:
        password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    accounts.set_password(open_store(location), name, password)
    out.print(f"password of {name} changed")


def web_rotate_secret(store: StoreOpt = None) -> None:
    """Write a new cookie-signing secret and end every web session (restart the server)."""
    accounts, open_store = _accounts()

    location, _ = _open(store)
    path, ended = accounts.rotate_secret(open_store(location))
    if path is None:
        out.print(
            f"{ended} web session(s) ended; the secret comes from WORKWEAVE_SECRET_KEY: "
            "set a new value there and restart the server"
        )
    else:
        out.print(f"new secret written to {path}; {ended} web session(s) ended")
        out.print("restart the server so that it signs with the new secret")


def web_end_sessions(
    user: Annotated[
        str | None, typer.Option(help="Only this user's sessions (default: everyone's).")
    ] = None,
    store: StoreOpt = None,
) -> None:
    """End web sessions: everyone has to sign in again."""
    accounts, open_store = _accounts()

    location, _ = _open(store)
    ended = accounts.end_all_sessions(open_store(location), user)
    out.print(f"{ended} web session(s) ended")


def demo_users(st: Store) -> dict[str, Any]:
    """Make (or reset) the demo sign-ins for the store's study, print them and return them."""
    from workweave.services.accounts import prepare_demo_users

    users = prepare_demo_users(st)
    print_demo_users(users)
    return users


def print_demo_users(info: dict[str, object]) -> None:
    """Print the demo sign-ins made by ``workweave.services.accounts.prepare_demo_users``."""
    t = Table("sign in as", "password", "role", title=f"demo sign-ins (study {info['study']})")
    for u in info["users"]:  # type: ignore[attr-defined]
        role = u["role"] + (f" (participant {u['participant']})" if u.get("participant") else "")
        t.add_row(u["name"], u["password"], role)
    out.print(t)


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``user`` and ``web`` to the main command."""

    app.command("serve")(friendly(serve_command))
    user_app.command("add")(friendly(user_add))
    user_app.command("grant")(friendly(user_grant))
    user_app.command("list")(friendly(user_list, changes=False))
    user_app.command("password")(friendly(user_password))
    app.add_typer(user_app, name="user")
    web_app.command("rotate-secret")(friendly(web_rotate_secret))
    web_app.command("end-sessions")(friendly(web_end_sessions))
    app.add_typer(web_app, name="web")


__all__ = [
    "demo_users",
    "print_demo_users",
    "register",
    "run_server",
    "serve_command",
    "user_app",
    "web_app",
]
