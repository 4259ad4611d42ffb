"""Request body limits, enforced before anything parses a body.

``BodyLimitMiddleware`` sits inside the session middleware (it reads the signed cookie's
session id) and outside everything else:

* a request whose ``Content-Length`` is over its limit gets 413 at once, its body unread;
* a body without a length (chunked) is counted as it streams in and cut off at the limit: the
  reader gets ``BodyTooLarge`` (an HTTP 413) instead of more bytes.

The limit depends on who asks (``BodyLimits``): anonymous requests (and those whose session
has ended) may send 64 KiB, enough for the sign-in form; signed-in users 2 MiB of forms or
JSON; uploads (documents, templates) and capture sync, only for signed-in users with a live
session, 50 MiB by default (``WORKWEAVE_WEB_UPLOAD_LIMIT_MB``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KiB = 1024
MiB = 1024 * KiB
ENV_UPLOAD_LIMIT = "WORKWEAVE_WEB_UPLOAD_LIMIT_MB"

UPLOAD_PATHS = (
    r"/studies/[^/]+/documents",  # transcripts and field notes (.docx, .txt, ...)
    r"/templates",  # observation templates (YAML or JSON)
    r"/api/sync",  # a day of offline capture, 500 actions a batch
    r"/api/templates",  # the same as JSON
)


@dataclass(frozen=True)
class BodyLimits:
    """Largest request bodies, in bytes."""

    anonymous: int = 64 * KiB
    signed_in: int = 2 * MiB
    upload: int = 50 * MiB
    upload_paths: tuple[str, ...] = UPLOAD_PATHS
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (0 < self.anonymous <= self.signed_in <= self.upload):
            raise ValueError("body limits must satisfy 0 < anonymous <= signed_in <= upload")
        object.__setattr__(self, "_pattern", re.compile("|".join(self.upload_paths)))

    def for_user(self, path: str) -> int:
        """The limit for a signed-in user with a live session."""
        return self.upload if self._pattern.fullmatch(path) else self.signed_in

    @classmethod
    def from_environment(cls) -> BodyLimits:
        """The defaults, with the upload limit from WORKWEAVE_WEB_UPLOAD_LIMIT_MB if set."""
        raw = os.environ.get(ENV_UPLOAD_LIMIT)
        if not raw:
            return cls()
        try:
            mb = float(raw)
        except ValueError:
            mb = -1.0
        if not (2 <= mb <= 4096):
            raise ValueError(f"{ENV_UPLOAD_LIMIT} must be a number of MiB from 2 to 4096")
        return cls(upload=int(mb * MiB))


class BodyTooLarge(HTTPException):
    """A request body over its limit (HTTP 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than the limit of {_size(limit)}")
        self.limit = limit


def _size(n: int) -> str:
    return f"{n // MiB} MiB" if n >= MiB and n % MiB == 0 else f"{n // KiB} KiB"


SessionCheck = Callable[[Scope], bool]
"""Whether the request belongs to a live signed-in session (runs in a worker thread)."""


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limits: BodyLimits, signed_in: SessionCheck) -> None:
        self.app = app
        self.limits = limits
        self.signed_in = signed_in

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length_text = headers.get("content-length")
        length: int | None = None
        if length_text is not None:
            try:
                length = int(length_text)
            except ValueError:
                await _refuse(
                    scope, receive, send, 400, "the Content-Length header is not a number"
                )
                return
        limit = self.limits.anonymous
        may_need_more = (length is None or length > limit) and self._may_be_signed_in(scope)
        if may_need_more and await anyio.to_thread.run_sync(self.signed_in, scope):
            limit = self.limits.for_user(scope["path"])
        if length is not None and length > limit:
            await _refuse(scope, receive, send, 413, BodyTooLarge(limit).detail)
            return
        started = False
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watch)
        except BodyTooLarge as exc:
            if started:
                raise
            await _refuse(scope, receive, send, 413, exc.detail)

    @staticmethod
    def _may_be_signed_in(scope: Scope) -> bool:
        session = scope.get("session") or {}
        return isinstance(session.get("sid"), str)


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
    response: Any
    if scope["path"].startswith("/api"):
        response = JSONResponse({"detail": message}, status_code=status)
    else:
        response = PlainTextResponse(message, status_code=status)
    response.headers["Connection"] = "close"
    await response(scope, receive, send)


__all__ = ["UPLOAD_PATHS", "BodyLimitMiddleware", "BodyLimits", "BodyTooLarge"]
