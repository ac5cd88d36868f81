"""Small helpers that read the current HTTP request (language cookie)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import flask

from cityops.i18n import LANG_COOKIE, normalise_lang


def request_lang(default: str = "zh") -> str:
    """Return the language the user chose (cookie), or ``default`` outside a request."""
    if not flask.has_request_context():
        return default
    return normalise_lang(flask.request.cookies.get(LANG_COOKIE), default)


def guarded_layout(fn: Callable) -> Callable:
    """Wrap a page's ``layout``: any failure shows a calm message, never a trace.

    The error is logged with the page's parameters for the duty engineer.
    """
    from cityops.context import current
    from cityops.i18n import t
    from components.shell import message_panel

    log = logging.getLogger(fn.__module__)

    @functools.wraps(fn)
    def wrapper(**params):
        try:
            return fn(**params)
        except Exception:
            log.exception("layout of %s failed for %r", fn.__module__, params)
            lang = request_lang(current().settings.default_lang)
            return message_panel(t("error.unavailable", lang), "", t("error.back_home", lang))

    return wrapper
