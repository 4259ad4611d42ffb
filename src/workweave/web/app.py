"""The web app: ``create_app(store_location)`` builds it; ``serve`` runs it with uvicorn."""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import Scope

from workweave import __version__
from workweave.domain.accounts import SessionPolicy
from workweave.domain.errors import NotFoundError, ValidationError, WorkweaveError
from workweave.services import accounts
from workweave.services.setup import open_store
from workweave.store import Store
from workweave.web import (
    building,
    pages,
    pages_analysis,
    pages_audit,
    pages_calibration,
    pages_events,
    pages_qual,
    routes_api,
)
from workweave.web.auth import SESSION_COOKIE, AuthError, CSRFMiddleware
from workweave.web.limits import BodyLimitMiddleware, BodyLimits
from workweave.web.templating import WEB_DIR, error_page

STATIC_DIR = WEB_DIR / "static"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)


def create_app(
    store_location: str | Store,
    *,
    default_study: str | None = None,
    secure_cookies: bool = False,
    secret_key: str | None = None,
    session_policy: SessionPolicy | None = None,
    body_limits: BodyLimits | None = None,
) -> FastAPI:
    """The workweave web app over a store (a SQLite file path or a PostgreSQL URL).

    `secure_cookies`: send the session cookie over HTTPS only (set it when the app is served
    over HTTPS, e.g. behind a proxy). `secret_key` signs the cookies (default: from
    WORKWEAVE_SECRET_KEY or the secret file, ``accounts.secret_key``); `session_policy` sets
    session lifetimes (default: from the environment); `body_limits` the largest request
    bodies (default: ``BodyLimits.from_environment()``)."""
    store = store_location if isinstance(store_location, Store) else open_store(store_location)
    secret = secret_key or accounts.secret_key(store)
    policy = session_policy or accounts.session_policy_from_environment()
    limits = body_limits or BodyLimits.from_environment()
    app = FastAPI(
        title="workweave",
        version=__version__,
        description="Capture, review and administer observation studies of clinician-managers' "
        "work. Every state-changing request needs the session's CSRF token in the "
        "X-CSRF-Token header (GET /api/session returns it).",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.store = store
    app.state.default_study = default_study
    app.state.secret_key = secret
    app.state.session_policy = policy
    app.state.body_limits = limits

    def live_session(scope: Scope) -> bool:
        sid = (scope.get("session") or {}).get("sid")
        return isinstance(sid, str) and accounts.session_user(store, sid, policy=policy) is not None

    # outermost last: the session cookie is read, then the body limit, then the CSRF check
    app.add_middleware(CSRFMiddleware, secret=secret)
    app.add_middleware(BodyLimitMiddleware, limits=limits, signed_in=live_session)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=max(60, policy.absolute_ms // 1000),
        same_site="lax",
        https_only=secure_cookies,
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.url.path.startswith("/api"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.get("/sw.js", include_in_schema=False)
    def service_worker() -> FileResponse:
        # served from the root so that it may control /capture/ and /me/ pages
        return FileResponse(
            STATIC_DIR / "capture" / "sw.js",
            media_type="text/javascript",
            headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    app.include_router(routes_api.router)
    app.include_router(pages.router)
    app.include_router(pages_analysis.router)
    app.include_router(pages_qual.router)
    app.include_router(pages_calibration.router)
    app.include_router(pages_calibration.api)
    app.include_router(pages_events.router)
    pages_audit.install(app)

    @app.exception_handler(accounts.SignInError)
    async def sign_in_error(request: Request, exc: accounts.SignInError) -> Response:
        headers = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s else None
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": str(exc)}, status_code=exc.status, headers=headers)
        response = error_page(request, str(exc), exc.status)
        if headers:
            response.headers.update(headers)
        return response

    app.include_router(building.router)
    building.warm_up(app)

    @app.exception_handler(AuthError)
    async def auth_error(request: Request, exc: AuthError) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": exc.message}, status_code=exc.status)
        if exc.status == 401:
            target = request.url.path
            if request.url.query:
                target += "?" + request.url.query
            from urllib.parse import quote

            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        return error_page(request, exc.message, exc.status)

    @app.exception_handler(ValidationError)
    async def validation_error(request: Request, exc: ValidationError) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse(
                {"detail": exc.describe(), "problems": [str(p) for p in exc.problems]},
                status_code=400,
            )
        return error_page(request, exc.describe(), 400)

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return error_page(request, str(exc), 404)

    @app.exception_handler(WorkweaveError)
    async def other_error(request: Request, exc: WorkweaveError) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return error_page(request, str(exc), 400)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(x) for x in e.get('loc', ()) if x != 'body')}: {e.get('msg')}"
            for e in exc.errors()
        ]
        if request.url.path.startswith("/api"):
            return JSONResponse(
                {"detail": "; ".join(problems), "problems": problems}, status_code=422
            )
        return error_page(request, "; ".join(problems), 422)

    return app


ENV_STORE = "WORKWEAVE_STORE"
ENV_STUDY = "WORKWEAVE_WEB_STUDY"
ENV_SECURE_COOKIES = "WORKWEAVE_WEB_SECURE_COOKIES"
APP_FACTORY = "workweave.web.app:app_from_environment"
"""Import path of the app factory an ASGI server (uvicorn) loads: `workweave serve` starts
uvicorn with it, so the command line never imports the web package itself."""


def app_from_environment() -> FastAPI:
    """The app over the store named by WORKWEAVE_STORE (with WORKWEAVE_WEB_STUDY as the default
    study and WORKWEAVE_WEB_SECURE_COOKIES=1 for HTTPS-only cookies): the factory for
    `uvicorn --factory workweave.web.app:app_from_environment`."""
    location = os.environ.get(ENV_STORE)
    if not location:
        raise ValidationError(f"{ENV_STORE} must name the store to serve (a path or a URL)")
    return create_app(
        location,
        default_study=os.environ.get(ENV_STUDY) or None,
        secure_cookies=os.environ.get(ENV_SECURE_COOKIES) == "1",
    )


def serve(
    store_location: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    study: str | None = None,
    log_level: str = "info",
    secure_cookies: bool = False,
) -> None:
    """Run the web app with uvicorn until interrupted."""
    import uvicorn

    app = create_app(store_location, default_study=study, secure_cookies=secure_cookies)
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=False)


__all__ = ["APP_FACTORY", "app_from_environment", "create_app", "serve"]
