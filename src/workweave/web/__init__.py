"""The web app: pages (Jinja2), a JSON API (OpenAPI at /api/openapi.json) and the offline-first
capture client (plain JavaScript in ``static/capture``).

    >>> from workweave.web import create_app
    >>> app = create_app("demo/workweave.sqlite")
"""

from workweave.web.app import create_app, serve

__all__ = ["create_app", "serve"]
