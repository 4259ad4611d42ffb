"""Rendering for the HTML pages: the Jinja2 environment with its globals and filters, and
``render``, ``flash`` and ``error_page``, which the page routes and the app's error handlers
share."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from workweave import __version__
from workweave.web.auth import Principal, csrf_token, current_user
from workweave.web.timeline import DOMAIN_COLOURS

WEB_DIR = Path(str(resources.files("workweave") / "web"))
TEMPLATE_DIR = WEB_DIR / "templates"

templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
templates.env.globals["DOMAIN_COLOURS"] = DOMAIN_COLOURS
templates.env.globals["version"] = __version__
templates.env.filters["tojson_attr"] = lambda v: json.dumps(v, ensure_ascii=False)
templates.env.filters["utcms"] = lambda ms: (
    datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC") if ms else ""
)


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A message shown once, on the next page rendered for this session."""
    request.session.setdefault("flash", []).append([kind, message])
    request.session["flash"] = request.session["flash"][-5:]


def render(
    request: Request,
    name: str,
    who: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """The template `name` with the signed-in user, the CSRF token and the pending flashes."""
    flashes = request.session.pop("flash", []) if "flash" in request.session else []
    study = context.pop("study", None) or (who.study if who else None)
    ctx = {
        "request": request,
        "who": who,
        "user": who.user if who else current_user(request),
        "role": who.role if who else None,
        "csrf": csrf_token(request),
        "study": study,
        "flashes": flashes,
        **context,
    }
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


def error_page(request: Request, message: str, status: int) -> Response:
    """The error page, for whoever is signed in (if anyone)."""
    try:
        user = current_user(request)
    except Exception:  # the store itself may be the problem
        user = None
    who = Principal(user, user.role) if user else None
    return render(request, "error.html", who, status_code=status, message=message, status=status)


__all__ = ["TEMPLATE_DIR", "WEB_DIR", "error_page", "flash", "render", "templates"]
