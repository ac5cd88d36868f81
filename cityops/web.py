"""Small helpers that read the current HTTP request (language cookie)."""

from __future__ import annotations

import flask

from cityops.i18n import LANG_COOKIE, normalise_lang


def request_lang(default: str = "zh") -> str:
    """Return the language the user chose (cookie), or ``default`` outside a request."""
    if not flask.has_request_context():
        return default
    return normalise_lang(flask.request.cookies.get(LANG_COOKIE), default)
