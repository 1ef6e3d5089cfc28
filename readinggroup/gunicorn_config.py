"""gunicorn's configuration: ``gunicorn readinggroup.wsgi -c python:readinggroup.gunicorn_config``.

gunicorn has no setting to leave out its ``Server: gunicorn`` header (it writes it
before the application's own headers, so the application cannot replace it either).
This wraps the method that writes gunicorn's default headers, for HTTP/1.1, the
protocol it speaks behind a reverse proxy; tests/security/test_headers.py checks the
result against a real gunicorn, so a gunicorn that changes this method fails there.
"""

from __future__ import annotations

from gunicorn.http.wsgi import Response

_default_headers = Response.default_headers


def _default_headers_without_server(self: Response) -> list[str]:
    return [h for h in _default_headers(self) if not h.lower().startswith("server:")]


if Response.default_headers is not _default_headers_without_server:  # once, even on reload
    Response.default_headers = _default_headers_without_server
