"""Web server hardening (issue 12): what the server refuses or adds whoever asks.

:func:`install` puts it all on the app's Flask server with one call:

- only configured host names are answered (``CITYOPS_ALLOWED_HOSTS``): any other
  ``Host:`` header gets a 400 on every route, so a DNS-rebinding page (a name of the
  attacker's resolving to 127.0.0.1) cannot read the dashboard or the API from an
  operator's browser;
- request bodies are capped (``CITYOPS_MAX_REQUEST_KB``): 413, before the body is read;
- every response carries security headers: a Content-Security-Policy that admits the
  app's own scripts only (Dash's inline ones by their hashes), no framing, no MIME
  sniffing, a same-origin referrer, and HSTS when the request came over HTTPS;
- any unknown route under ``/api/`` answers a JSON 404, never the dashboard's HTML.

Each refusal is one log line. :func:`export_slots` bounds the Excel workbooks built at
once (``CITYOPS_EXPORT_MAX_JOBS``), :func:`export_refusal` the rows of one.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import json
import logging
import re
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import flask
from dash import Dash

from cityops.settings import Settings
from cityops.text.i18n import t

log = logging.getLogger("cityops.web.security")

#: Addresses ``CITYOPS_HOST`` may hold that mean "every interface", not a name.
ANY_ADDRESS = frozenset({"", "0.0.0.0", "::", "[::]"})
#: Seconds an Excel export waits for a free slot before it is asked to try again.
EXPORT_WAIT_S = 2.0
#: HSTS lifetime (one year) sent on responses to HTTPS requests.
HSTS = "max-age=31536000"
#: Methods the JSON 404 under ``/api/`` answers (every one a client may try).
API_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]

_HOST_CHARS = re.compile(r"^[a-z0-9.\-:_\[\]]+$")
_TEMPLATE_PART = re.compile(r"\{[^}]*\}")


def _json(status: int, message: str) -> flask.Response:
    return flask.Response(
        json.dumps({"error": message}, ensure_ascii=False),
        status=status,
        mimetype="application/json",
    )


# --- host names -----------------------------------------------------------------------


def host_name(header: str | None) -> str:
    """Return the host name of a ``Host:`` header: no port, no brackets, lower case.

    ``"[::1]:8050"`` → ``"::1"``, ``"Example.COM.:80"`` → ``"example.com"``; an empty
    or missing header → ``""``.
    """
    host = (header or "").strip().lower()
    if host.startswith("["):  # [v6]:port
        host = host[1 : host.find("]")] if "]" in host else ""
    elif host.count(":") == 1:  # name:port (a bare v6 address has several colons)
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def host_patterns(settings: Settings) -> tuple[str, ...]:
    """Return the host names served: ``allowed_hosts`` plus ``host`` unless it is 0.0.0.0/::.

    Each is normalised like :func:`host_name`; a leading dot (subdomains) and ``*`` stay.
    """
    names = [n.strip() for n in str(settings.allowed_hosts).split(",") if n.strip()]
    if str(settings.host).strip() not in ANY_ADDRESS:
        names.append(str(settings.host))
    out: list[str] = []
    for name in names:
        if name == "*":
            out.append("*")
        elif name.startswith("."):
            out.append("." + host_name(name[1:]))
        else:
            out.append(host_name(name))
    return tuple(dict.fromkeys(n for n in out if n not in ("", ".")))


def host_allowed(host: str, patterns: tuple[str, ...]) -> bool:
    """Return whether host name ``host`` (see :func:`host_name`) matches one of ``patterns``.

    ``*`` matches any name; ``.example.com`` matches ``example.com`` and its subdomains;
    anything else matches itself only. An empty or malformed name matches nothing.
    """
    if not host or not _HOST_CHARS.match(host):
        return False
    for pattern in patterns:
        if pattern == "*" or host == pattern:
            return True
        if pattern.startswith(".") and (host == pattern[1:] or host.endswith(pattern)):
            return True
    return False


def is_loopback(host: str) -> bool:
    """Return whether ``host`` (a name or an address) means this machine only (127/8, ::1)."""
    name = host_name(host) if host.startswith("[") else host.strip().lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


# --- headers --------------------------------------------------------------------------


def tile_source(tile_url: str) -> str | None:
    """Return the CSP source of a map tile URL template (``https://*.tiles.example``), or None.

    Template parts of the host (``{s}``) become ``*``; an empty or relative URL is None.
    """
    parts = urlsplit((tile_url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{_TEMPLATE_PART.sub('*', parts.netloc)}"


def content_security_policy(script_hashes: list[str], tile_url: str = "") -> str:
    """Return the Content-Security-Policy of every response.

    Scripts and workers: this server's files and the inline scripts whose
    ``script_hashes`` Dash names (:meth:`dash.Dash.csp_hashes`); no ``eval``, no
    ``blob:`` workers (plotly.js, dash-leaflet and AG Grid need neither here). Styles may
    be inline: plotly.js and AG Grid write ``<style>`` elements at run time, and Chromium
    refuses them without ``'unsafe-inline'``. Images: this server, ``data:`` (AG Grid's
    icons) and the configured map tiles. Nothing may frame the app, be an ``<object>``,
    or change the page's base URL. ``tests/browser/test_csp.py`` finds no violation on
    any page under it.
    """
    images = ["'self'", "data:"]
    if tiles := tile_source(tile_url):
        images.append(tiles)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *dict.fromkeys(script_hashes)],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": images,
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def security_headers(csp: str, *, https: bool) -> dict[str, str]:
    """Return the headers every response carries; HSTS only when ``https``."""
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return headers


class _Policy:
    """The app's CSP, recomputed when Dash gains inline scripts.

    Dash adds inline scripts late: clientside callbacks of pages imported at start-up
    and, on the first request, the page router's title callback. The hashes are
    therefore taken from the app itself, never from a response body (an injected
    script must not be admitted by hashing it).
    """

    def __init__(self, app: Dash, tile_url: str):
        self.app = app
        self.tile_url = tile_url
        self.lock = threading.Lock()
        self.key: tuple[int, int] | None = None
        self.value = ""

    def current(self) -> str:
        """Return the policy for the app's inline scripts as they are now."""
        from dash import _callback

        key = (len(self.app._inline_scripts), len(_callback.GLOBAL_INLINE_SCRIPTS))
        if key != self.key:
            with self.lock:
                hashes = self.app.csp_hashes()  # moves the global scripts into the app's
                self.value = content_security_policy(hashes, self.tile_url)
                self.key = (len(self.app._inline_scripts), len(_callback.GLOBAL_INLINE_SCRIPTS))
        return self.value


# --- exports --------------------------------------------------------------------------


class ExportSlots:
    """At most ``jobs`` Excel workbooks built at once in this process."""

    def __init__(self, jobs: int, wait_s: float = EXPORT_WAIT_S):
        self.jobs = jobs
        self.wait_s = wait_s
        self._slots = threading.BoundedSemaphore(jobs)

    @contextlib.contextmanager
    def slot(self) -> Iterator[bool]:
        """Yield True with a slot held (freed on exit), or False when none freed in time."""
        got = self._slots.acquire(timeout=self.wait_s)
        try:
            yield got
        finally:
            if got:
                self._slots.release()


@functools.cache
def export_slots(jobs: int) -> ExportSlots:
    """Return this process's export slots for a limit of ``jobs`` (one object per limit)."""
    return ExportSlots(jobs)


def export_refusal(rows: int, max_rows: int, lang: str) -> str | None:
    """Return the message refusing an export of ``rows`` rows, or None when it may go."""
    if rows <= max_rows:
        return None
    return t("export.too_many", lang).format(rows=f"{rows:,}", max=f"{max_rows:,}")


# --- installation ---------------------------------------------------------------------


def _api_not_found(rest: str = ""):
    return _json(404, f"no such API route: /api/{rest}")


def install(app: Dash, settings: Settings) -> None:
    """Harden ``app``'s Flask server: host names, body size, headers, JSON 404 under /api/.

    Call once from ``create_app``; the host check runs before any other request hook.
    """
    server = app.server
    patterns = host_patterns(settings)
    max_bytes = settings.max_request_kb * 1024
    server.config["MAX_CONTENT_LENGTH"] = max_bytes
    policy = _Policy(app, settings.tile_url)

    def refuse_host():
        request = flask.request
        host = host_name(request.environ.get("HTTP_HOST"))
        if host_allowed(host, patterns):
            return None
        log.warning(
            "refused host %r: %s %s from %s (CITYOPS_ALLOWED_HOSTS)",
            (request.environ.get("HTTP_HOST") or "")[:100],
            request.method,
            request.path[:200],
            request.remote_addr,
        )
        return _json(400, "unknown host name")

    def refuse_large_body():
        length = flask.request.content_length
        if length is not None and length > max_bytes:
            flask.abort(413)

    # first of all hooks: nothing (Dash's set-up, callback checks) runs for a bad host
    server.before_request_funcs.setdefault(None, [])[0:0] = [refuse_host, refuse_large_body]

    @server.errorhandler(413)
    def _too_large(_exc):
        request = flask.request
        log.warning(
            "refused body of %s bytes (limit %s): %s %s from %s (CITYOPS_MAX_REQUEST_KB)",
            request.content_length,
            max_bytes,
            request.method,
            request.path[:200],
            request.remote_addr,
        )
        return _json(413, f"request body larger than {settings.max_request_kb} KB")

    @server.after_request
    def _headers(response: flask.Response) -> flask.Response:
        for name, value in security_headers(
            policy.current(), https=flask.request.is_secure
        ).items():
            response.headers.setdefault(name, value)
        # A signed-in user's pages, callbacks and JSON answers are that user's: no cache
        # (a proxy's or the browser's) keeps them; scripts, styles and map layers say their own.
        if (
            flask.g.get("principal") is not None
            and "Cache-Control" not in response.headers
            and response.mimetype in ("text/html", "application/json")
        ):
            response.headers["Cache-Control"] = "private, no-store"
        return response

    for rule, name in (("/api", "api_root"), ("/api/", "api_root_slash")):
        server.add_url_rule(rule, f"cityops_{name}_404", _api_not_found, methods=API_METHODS)
    server.add_url_rule("/api/<path:rest>", "cityops_api_404", _api_not_found, methods=API_METHODS)
