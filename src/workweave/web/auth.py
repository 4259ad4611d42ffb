"""Sign-in, roles and CSRF protection for the web app.

* Sessions live on the server (``web_sessions``, see ``workweave.services.accounts``): the
  signed cookie (Starlette's ``SessionMiddleware``: HttpOnly, SameSite=Lax) carries only a
  random session id, whose SHA-256 is what the store keeps. A session ends at sign-out, after
  12 hours, after 30 minutes unused, when the user's password changes or their account is
  disabled, and when the signing secret is rotated. Before sign-in the cookie holds an
  anonymous CSRF token (and messages to show once).
* Every state-changing request (POST, PUT, PATCH, DELETE) must carry the session's CSRF token
  (an HMAC of the session id under the signing secret, so one per server-side session), in
  the header ``X-CSRF-Token`` or the form field ``csrf_token``; ``CSRFMiddleware`` checks it
  before any route runs, and refuses a request without a session or a token before reading
  its body.
* Every route declares the roles it admits with ``Depends(Require(...))``. In a route under a
  study (a ``{study}`` path parameter) the role is the user's role in that study (admins are
  admins everywhere); elsewhere it is the user's own role. A route under a study declares
  ``Depends(RequireStudy(...))`` instead: it gets a ``StudyPrincipal``, whose study and study
  id are always set. ``route_roles`` lists every route with its roles, so the role x route
  matrix can be checked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workweave.domain.accounts import ROLES, Membership, SessionPolicy, User
from workweave.domain.capture import Actor
from workweave.domain.errors import NotFoundError
from workweave.services import accounts, audit
from workweave.store import Store

SESSION_COOKIE = "workweave_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
ANY_ROLE: tuple[str, ...] = ROLES


class AuthError(Exception):
    """Not signed in (401) or not allowed (403). Bad parameters are not permission failures:
    they raise ``ValidationError`` (400) or ``NotFoundError`` (404)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Principal:
    """The signed-in user, with their role where the route applies."""

    user: User
    role: str
    study: str | None = None
    study_id: int | None = None
    membership: Membership | None = None

    @property
    def is_admin(self) -> bool:
        return self.user.role == "admin"

    @property
    def participant_code(self) -> str | None:
        return self.membership.participant_code if self.membership else None

    @property
    def observer_code(self) -> str | None:
        return self.membership.observer_code if self.membership else None

    def actor(self) -> Actor:
        return Actor(
            self.user.id, self.user.name, self.role, self.observer_code, self.participant_code
        )


@dataclass(frozen=True)
class StudyPrincipal(Principal):
    """The signed-in user in one study (the route's ``{study}``): study and id always set."""

    study: str = ""
    study_id: int = 0


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def session_csrf(secret: str, session_id: str) -> str:
    """The CSRF token of a server-side session: an HMAC of its id under the signing secret."""
    mac = hmac.new(secret.encode(), b"csrf:" + session_id.encode(), hashlib.sha256)
    return mac.hexdigest()


def _session_policy(request: Request) -> SessionPolicy:
    policy: SessionPolicy = getattr(request.app.state, "session_policy", SessionPolicy())
    return policy


def client_address(request: Request) -> str:
    """The client's address as the server sees it (no proxy headers are trusted)."""
    return request.client.host if request.client else ""


def csrf_token(request: Request) -> str:
    """The session's CSRF token (before sign-in, an anonymous one made on first use)."""
    sid = request.session.get("sid")
    if isinstance(sid, str):
        return session_csrf(request.app.state.secret_key, sid)
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def current_user(request: Request) -> User | None:
    """The user of the request's live server-side session (None: not signed in, or the
    session has ended; its id then leaves the cookie)."""
    if hasattr(request.state, "user"):
        user: User | None = request.state.user
        return user
    user = None
    sid = request.session.get("sid")
    if isinstance(sid, str):
        user = accounts.session_user(store_of(request), sid, policy=_session_policy(request))
        if user is None:
            request.session.pop("sid", None)
    audit.identify(user.name if user else None)
    request.state.user = user
    return user


def sign_in(request: Request, user: User) -> None:
    """Start a new server-side session for `user` (ending the request's earlier one)."""
    old = request.session.get("sid")
    if isinstance(old, str):
        accounts.end_session(store_of(request), old)
    flashes = request.session.get("flash")
    request.session.clear()
    request.session["sid"] = accounts.start_session(
        store_of(request),
        user,
        address=client_address(request),
        policy=_session_policy(request),
    )
    if flashes:
        request.session["flash"] = flashes
    request.state.user = user


def sign_out(request: Request) -> None:
    """End the session on the server and forget it in the cookie."""
    sid = request.session.get("sid")
    if isinstance(sid, str):
        accounts.end_session(store_of(request), sid)
    request.session.clear()
    request.state.user = None


def principal_for(request: Request, user: User, study: str | None) -> Principal:
    """The user's role in `study` (or their own role outside a study)."""
    if study is None:
        return Principal(user, user.role)
    return study_principal(request, user, study)


def study_principal(request: Request, user: User, study: str) -> StudyPrincipal:
    """The user's role in `study`: refused (403) unless they are a member or an admin; an
    admin naming a study that does not exist is told so (NotFoundError, 404)."""
    store = store_of(request)
    if user.role == "admin":
        try:
            sid = store.studies.id(study)
        except NotFoundError:
            raise NotFoundError(f"no study '{study}'") from None
        return StudyPrincipal(user, "admin", study, sid, accounts.membership(store, user.id, sid))
    member = next((m for m in accounts.memberships(store, user.id) if m.study == study), None)
    if member is None:
        raise AuthError(403, f"you are not a member of study '{study}'")
    return StudyPrincipal(user, member.role, study, member.study_id, member)


P = TypeVar("P", bound=Principal)


class Require:
    """A route dependency admitting only the given roles (see the module's notes)."""

    def __init__(self, *roles: str) -> None:
        unknown = set(roles) - set(ROLES)
        if unknown or not roles:
            raise ValueError(f"unknown roles {sorted(unknown)}")
        self.roles: tuple[str, ...] = tuple(r for r in ROLES if r in roles)

    def __call__(self, request: Request) -> Principal:
        user = self._signed_in(request)
        return self._admit(principal_for(request, user, request.path_params.get("study")))

    def _signed_in(self, request: Request) -> User:
        user = current_user(request)
        if user is None:
            raise AuthError(401, "please sign in")
        return user

    def _admit(self, who: P) -> P:
        if who.role not in self.roles:
            raise AuthError(
                403, f"this needs one of the roles {', '.join(self.roles)} (you are {who.role})"
            )
        return who

    def __repr__(self) -> str:
        return f"{type(self).__name__}{self.roles}"


class RequireStudy(Require):
    """A route dependency for routes under a study (a ``{study}`` path parameter): admits the
    given roles in that study and yields a ``StudyPrincipal``."""

    def __call__(self, request: Request) -> StudyPrincipal:
        user = self._signed_in(request)
        study = request.path_params.get("study")
        if not isinstance(study, str):
            raise RuntimeError(f"{request.url.path}: RequireStudy needs a {{study}} path parameter")
        return self._admit(study_principal(request, user, study))


def requirements(route: APIRoute) -> list[Require]:
    """The role dependencies of a route (nested ones included)."""
    return _requires(route.dependant)


def _requires(dependant: Any) -> list[Require]:
    found = []
    for d in dependant.dependencies:
        if isinstance(d.call, Require):
            found.append(d.call)
        found.extend(_requires(d))
    return found


def api_routes(routes: Any, prefix: str = "") -> list[tuple[str, APIRoute]]:
    """Every route (with its full path) of an app's or a router's `routes`."""
    out: list[tuple[str, APIRoute]] = []
    for route in routes:
        if isinstance(route, APIRoute):
            out.append((prefix + route.path, route))
        included = getattr(route, "original_router", None)  # a router included in the app
        if included is not None:
            context = getattr(route, "include_context", None)
            out.extend(api_routes(included.routes, prefix + getattr(context, "prefix", "")))
    return out


def route_roles(app: Any) -> dict[tuple[str, str], tuple[str, ...] | None]:
    """Every (method, path) of the app with the roles it admits (None: public)."""
    out: dict[tuple[str, str], tuple[str, ...] | None] = {}
    for path, route in api_routes(app.routes):
        reqs = requirements(route)
        roles = reqs[0].roles if reqs else None
        for method in sorted(route.methods or ()):
            out[(method, path)] = roles
    return out


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CSRFMiddleware:
    """Refuses state-changing requests whose CSRF token does not match the session's.

    It never reads a body it will refuse for want of a session or a token: a request with no
    session, or with neither the header nor a form body, is refused at once. Only a form post
    with a session and no header is read (in chunks, up to the body limit the
    ``BodyLimitMiddleware`` outside it enforces) to find the ``csrf_token`` field."""

    def __init__(self, app: ASGIApp, *, secret: str) -> None:
        self.app = app
        self.secret = secret

    def expected(self, scope: Scope) -> str | None:
        session = scope.get("session") or {}
        sid = session.get("sid")
        if isinstance(sid, str):
            return session_csrf(self.secret, sid)
        token = session.get("csrf")
        return token if isinstance(token, str) and token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        expected = self.expected(scope)
        headers = Headers(scope=scope)
        token = headers.get(CSRF_HEADER)
        ctype = headers.get("content-type", "")
        if expected and token is None and ctype.startswith(_FORM_TYPES):
            chunks: list[bytes] = []
            more = True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    return
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            body = b"".join(chunks)
            del chunks
            token = await _form_token(scope, body)
            receive = _replay(body, receive)
        if not expected or not token or not secrets.compare_digest(str(token), str(expected)):
            await _refuse(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    msg = (
        "this form has expired or did not come from workweave (missing or wrong CSRF "
        "token): reload the page and try again"
    )
    if scope["path"].startswith("/api"):
        response: Any = JSONResponse({"detail": msg}, status_code=403)
    else:
        response = HTMLResponse(
            f"<!doctype html><title>Refused</title><p>{msg}</p>"
            '<p><a href="/">Back to workweave</a></p>',
            status_code=403,
        )
    await response(scope, receive, send)


async def _form_token(scope: Scope, body: bytes) -> str | None:
    from starlette.requests import Request as StarletteRequest

    async def once() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    request = StarletteRequest(scope, once)
    try:
        form = await request.form()
    except Exception:  # a malformed body has no token
        return None
    value = form.get(CSRF_FIELD)
    await form.close()
    return value if isinstance(value, str) else None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


__all__ = [
    "ANY_ROLE",
    "AuthError",
    "CSRFMiddleware",
    "Principal",
    "Require",
    "RequireStudy",
    "StudyPrincipal",
    "api_routes",
    "client_address",
    "csrf_token",
    "current_user",
    "requirements",
    "route_roles",
    "session_csrf",
    "sign_in",
    "sign_out",
    "study_principal",
]
