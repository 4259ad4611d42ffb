"""Reading an HTML form: every text field is checked before any route sees it.

A NUL character is refused here (400), as in JSON bodies (``schemas.In``), so SQLite and
PostgreSQL (which cannot store it) answer alike; uploaded files are left to their importers."""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData

from workweave.domain.errors import Problem, ValidationError


async def read_form(request: Request) -> FormData:
    """The request's form, refused with a 400 if a text field holds a NUL character."""
    form = await request.form()
    bad = [k for k, v in form.multi_items() if isinstance(v, str) and "\x00" in v]
    bad += [k for k in form if "\x00" in k]
    if bad:
        raise ValidationError(
            [
                Problem("a NUL character is not allowed in text", column=k.replace("\x00", "")[:40])
                for k in bad[:5]
            ]
        )
    return form
