"""Web plumbing: the request's language, and bad input answered as a 4xx, not a 500.

A callback or API route that finds its input malformed raises :class:`BadInput`
(or lets a :class:`~cityops.geo.ScopeError` through); :func:`install_error_handlers`
turns that into a 400 with one log line, and a :class:`~cityops.geo.ScopeDenied`
into a 403, instead of a 500 and a traceback per tampered request.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import flask

from cityops.text.i18n import LANG_COOKIE, normalise_lang

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


#: What each callback input may hold, by ``(component id, property)``; a pattern id
#: (a dict) is known by its ``type``. Pages declare the rules of the inputs they
#: create (:func:`input_rule`); :func:`install_error_handlers` checks every callback
#: request against them before any callback runs, so a tampered value never reaches
#: a callback, let alone the next URL.
_RULES: dict[tuple[str, str], Callable[[object], None]] = {}


def input_rule(component: str, prop: str, check: Callable[[object], None]) -> None:
    """Declare that ``component.prop`` must pass ``check`` (which raises BadInput)."""
    _RULES[(component, prop)] = check


def _rule_key(item: dict) -> tuple[str, str] | None:
    cid, prop = item.get("id"), item.get("property")
    if isinstance(cid, dict):
        cid = cid.get("type")
    return (cid, prop) if isinstance(cid, str) and isinstance(prop, str) else None


#: The longest text a filter, id or date sent by the browser may be.
MAX_INPUT = 200


def check_text(value: object, what: str = "value") -> str | None:
    """Return a text input (None or ""), or raise BadInput for another type or length."""
    if value is None or (isinstance(value, str) and len(value) <= MAX_INPUT):
        return value
    raise BadInput(f"{what} must be a short text")


def check_object(value: object) -> None:
    """Check a click (a map feature, a chart point): None or an object."""
    if value is not None and not isinstance(value, dict):
        raise BadInput("a click is an object")


def check_rows(value: object) -> None:
    """Check rows sent by a grid (selection, rows as shown): None or a list of objects."""
    if value is not None and not (
        isinstance(value, list) and all(isinstance(r, dict) for r in value)
    ):
        raise BadInput("grid rows are a list of objects")


def check_clicks(value: object) -> None:
    """Check a button's click count: None or a whole number."""
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise BadInput("a click count is a whole number")


def check_column_defs(value: object) -> None:
    """Check a grid's column definitions as sent back: a list of objects with a field."""
    if not isinstance(value, list) or not all(
        isinstance(c, dict) and isinstance(c.get("field"), str) for c in value
    ):
        raise BadInput("column definitions are a list of objects with a field")


def check_pattern_id(value: object) -> None:
    """Check a pattern-matching id sent back as a value: an object of short texts."""
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and len(v) <= MAX_INPUT for k, v in value.items()
    ):
        raise BadInput("a component id is an object of texts")


def check_meta(value: object) -> None:
    """Check a small store of texts sent back (a table's download details): None or texts."""
    if value is not None and not (
        isinstance(value, dict)
        and all(isinstance(v, str | None) and len(v or "") <= MAX_INPUT for v in value.values())
    ):
        raise BadInput("details are an object of texts")


def check_location(prop: str) -> Callable[[object], None]:
    """Return the check of the page router's ``pathname`` ("/…") or ``search`` ("?…")."""
    lead, most = ("/", MAX_INPUT) if prop == "pathname" else ("?", 4000)

    def check(value: object) -> None:
        if value in (None, ""):
            return
        if not isinstance(value, str) or not value.startswith(lead) or len(value) > most:
            raise BadInput(f"location {prop} is not a {prop}")

    return check


#: The wildcards of a pattern-matching id (as Dash writes them in its callback map).
_WILDCARDS = (["MATCH"], ["ALL"], ["ALLSMALLER"])
_MANY = (["ALL"], ["ALLSMALLER"])


def _declared_pattern(declared: str) -> dict | None:
    """Return a declared pattern id as a dict (Dash keeps it as JSON text), None for a plain id."""
    if not declared.startswith("{"):
        return None
    found = json.loads(declared)
    return found if isinstance(found, dict) else None


def _one_matches(declared: str, prop: str, sent: object) -> bool:
    """Return True when one sent ``{"id", "property"}`` is the declared id and property."""
    if not isinstance(sent, dict) or sent.get("property") != prop:
        return False
    pattern, cid = _declared_pattern(declared), sent.get("id")
    if pattern is None:
        return cid == declared
    if not isinstance(cid, dict) or set(cid) != set(pattern):
        return False
    return all(v in _WILDCARDS or cid[k] == v for k, v in pattern.items())


def _part_matches(declared: list[dict], sent: object) -> bool:
    """Return True when the sent inputs (or state) are the declared ones, in order."""
    if not isinstance(sent, list) or len(sent) != len(declared):
        return False
    for spec, item in zip(declared, sent, strict=True):
        pattern = _declared_pattern(spec["id"]) or {}
        if any(v in _MANY for v in pattern.values()):  # ALL: a list of matching ids
            if not isinstance(item, list) or not all(
                _one_matches(spec["id"], spec["property"], one) for one in item
            ):
                return False
        elif not _one_matches(spec["id"], spec["property"], item):
            return False
    return True


def check_callback_shape(body: object, callback_map: dict) -> None:
    """Raise :class:`BadInput` unless ``body`` names a callback and sends its own inputs.

    Dash picks the callback by ``output`` and hands it the values of ``inputs`` and
    ``state`` in order, whatever ids they carry: a request that renamed them would get
    past every check that reads the ids (the roles' callback check, the input rules)
    and still reach the callback. So the ids and properties sent must be the declared
    ones (a pattern id: its fixed keys equal, a wildcard key any value).
    """
    if not isinstance(body, dict):
        raise BadInput("a callback request is a JSON object")
    spec = callback_map.get(body.get("output")) if isinstance(body.get("output"), str) else None
    if spec is None:
        raise BadInput("no such callback")
    for part in ("inputs", "state"):
        if not _part_matches(spec.get(part) or [], body.get(part, [])):
            raise BadInput(f"callback {part} are not the callback's own")


def check_callback_request(body: object) -> None:
    """Raise :class:`BadInput` (or ScopeDenied) unless every input obeys its rule."""
    if not isinstance(body, dict):
        raise BadInput("a callback request is a JSON object")
    for part in ("inputs", "state"):
        items = body.get(part, [])
        if not isinstance(items, list):
            raise BadInput(f"callback {part} must be a list")
        for item in items:
            for one in item if isinstance(item, list) else [item]:  # ALL patterns: lists
                if not isinstance(one, dict):
                    raise BadInput(f"callback {part} entries are objects")
                key = _rule_key(one)
                if key in _RULES:
                    _RULES[key](one.get("value"))


def _log_fault(what: str, exc: BaseException) -> None:
    """Log a real fault: one line without row values at ERROR, the trace at DEBUG.

    Database errors can quote rows (PostgreSQL's DETAIL lists the failing row):
    :func:`cityops.store.safe_error` keeps the type and reason only.
    """
    from cityops.store import safe_error

    log.error("%s: %s", what, safe_error(exc))
    log.debug("trace of the fault above", exc_info=exc)


def install_error_handlers(server: flask.Flask, callback_map: dict | None = None) -> None:
    """Answer bad callback input with 400 (denied scopes 403), one log line each.

    Only the callback endpoint is covered: a page's own failures keep their
    frame (:func:`pages._shared.guarded_layout`) and the API answers its errors
    itself. Anything else raised by a callback is a real fault: 500, logged once
    with its traceback.
    """
    from dash.exceptions import CallbackException, UnsupportedRelativePath
    from werkzeug.exceptions import HTTPException

    from cityops.geo import ScopeDenied
    from cityops.store.versions import begin_request, end_request

    bad_input = (*BAD_INPUT, CallbackException, UnsupportedRelativePath)
    # Dash's page router (dash.page_container): a URL the browser really has
    input_rule("_pages_location", "pathname", check_location("pathname"))
    input_rule("_pages_location", "search", check_location("search"))

    @server.before_request
    def _check_callback_inputs():
        if flask.request.path == CALLBACK_PATH and flask.request.method == "POST":
            body = flask.request.get_json(silent=True)
            if callback_map is not None:  # filled by Dash's own set-up hook, which ran first
                check_callback_shape(body, callback_map)
            check_callback_request(body)

    # A server store's revision (the read cache's key) is asked once per request.
    @server.before_request
    def _begin_request():
        flask.g.revisions = begin_request()

    @server.teardown_request
    def _end_request(_exc):
        token = flask.g.pop("revisions", None)
        if token is not None:
            end_request(token)

    @server.errorhandler(Exception)
    def _callback_errors(exc: Exception):
        if isinstance(exc, HTTPException):
            return exc
        if flask.request.path != CALLBACK_PATH:
            _log_fault(f"{flask.request.method} {flask.request.path} failed", exc)
            return _json(500, "internal error (logged)")
        if isinstance(exc, ScopeDenied):
            log.warning("callback denied: %s", _one_line(exc))
            return _json(403, "outside the permitted area")
        if isinstance(exc, bad_input):
            log.warning("callback refused bad input: %s", _one_line(exc))
            return _json(400, "bad callback input")
        _log_fault("callback failed", exc)
        return _json(500, "internal error (logged)")
