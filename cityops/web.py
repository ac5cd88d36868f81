"""Web plumbing: the request's language, and bad input answered as a 4xx, not a 500.

A callback or API route that finds its input malformed raises :class:`BadInput`
(or lets a :class:`~cityops.geo.ScopeError` through); :func:`install_error_handlers`
turns that into a 400 with one log line, and a :class:`~cityops.geo.ScopeDenied`
into a 403, instead of a 500 and a traceback per tampered request.
"""

from __future__ import annotations

import json
import logging

import flask

from cityops.i18n import LANG_COOKIE, normalise_lang

log = logging.getLogger("cityops.web")

#: The path of Dash's callback endpoint.
CALLBACK_PATH = "/_dash-update-component"


class BadInput(ValueError):
    """A request whose inputs are malformed (tampered, stale or hand-made)."""


def request_lang(default: str = "zh") -> str:
    """Return the language the user chose (cookie), or ``default`` outside a request."""
    if not flask.has_request_context():
        return default
    return normalise_lang(flask.request.cookies.get(LANG_COOKIE), default)


def _json(status: int, message: str) -> flask.Response:
    return flask.Response(
        json.dumps({"error": message}, ensure_ascii=False),
        status=status,
        mimetype="application/json",
    )


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


#: What a callback raises when its inputs are not what its own page sends.
BAD_INPUT = (BadInput, ValueError, TypeError, KeyError, IndexError, AttributeError)


def install_error_handlers(server: flask.Flask) -> None:
    """Answer bad callback input with 400 (denied scopes 403), one log line each.

    Only the callback endpoint is covered: a page's own failures keep their
    frame (:func:`pages._shared.guarded_layout`) and the API answers its errors
    itself. Anything else raised by a callback is a real fault: 500, logged once
    with its traceback.
    """
    from werkzeug.exceptions import HTTPException

    from cityops.geo import ScopeDenied

    @server.errorhandler(Exception)
    def _callback_errors(exc: Exception):
        if isinstance(exc, HTTPException):
            return exc
        if flask.request.path != CALLBACK_PATH:
            log.exception("%s %s failed", flask.request.method, flask.request.path)
            return _json(500, "internal error (logged)")
        if isinstance(exc, ScopeDenied):
            log.warning("callback denied: %s", _one_line(exc))
            return _json(403, "outside the permitted area")
        if isinstance(exc, BAD_INPUT):
            log.warning("callback refused bad input: %s", _one_line(exc))
            return _json(400, "bad callback input")
        log.exception("callback failed")
        return _json(500, "internal error (logged)")
