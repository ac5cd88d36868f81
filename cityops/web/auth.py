"""Login, sessions, bearer tokens and roles on the web server (``CITYOPS_AUTH=on``).

:func:`install_auth` adds, when auth is on:

- ``GET/POST /login``: a plain Flask page (works without JavaScript) in the
  language of the ``cityops_lang`` cookie, with a CSRF token kept in the session.
  A success starts a fresh session (account, login time, last seen); any failure
  shows one message whatever the reason, and the audit log names the reason.
- ``GET/POST /logout``: GET shows a one-button form, POST (with the CSRF token)
  ends the session.
- A ``before_request`` gate in front of everything else: the session (idle and
  absolute expiry; an account since disabled is logged out) or an
  ``Authorization: Bearer cot_…`` token; a wall screen may bring its device token
  as ``/wall?token=…`` once and is redirected to the same URL without it, holding
  a session cookie instead. No credentials: 302 to ``/login?next=…`` for a page,
  401 JSON for ``/_dash-*``, ``/api/*`` and assets. Outside the role
  (:mod:`cityops.auth.roles`): 403. Sets ``flask.g.principal``.

:meth:`cityops.queries.context.Context.allowed_scope` turns the principal into the
area every query may read. With auth off nothing is installed and the one local
user (audit actor ``local``) sees the province.
"""

from __future__ import annotations

import datetime as dt
import hmac
import html
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import flask
from flask.sessions import SecureCookieSessionInterface

from cityops import ids
from cityops.auth import audit, roles
from cityops.auth.accounts import (
    AccountNotFound,
    get_account,
    lockout_policy,
    verify_password,
    verify_token,
)
from cityops.auth.schema import auth_engine, auth_url, make_auth_engine, utcnow
from cityops.settings import Settings
from cityops.text.i18n import LANG_COOKIE, normalise_lang, t
from cityops.web import CALLBACK_PATH, request_lang

log = logging.getLogger("cityops.web.auth")

#: Shortest secret key accepted.
MIN_SECRET_CHARS = 32
#: The README's example key: refused, so nobody runs with a published key.
EXAMPLE_SECRET_KEY = "paste-the-output-of-secrets.token_urlsafe-here"
#: The session cookie's name.
SESSION_COOKIE = "cityops_session"
#: The session's last-seen time is rewritten at most this often (seconds).
SEEN_EVERY_S = 30
#: What the gate lets through without credentials: the login itself and the liveness
#: probe (``{"status": "ok", "areas": N}``: nothing a visitor could not know).
OPEN_PATHS = frozenset({"/login", "/logout", "/api/v1/health"})
#: API paths a token may call without an audit row (no data: the document itself; the
#: probe is among OPEN_PATHS, which the gate lets through before reading any token).
_UNAUDITED_API = frozenset({"/api/v1/openapi.json", "/api/v1/"})
#: The request header the gate sets (after removing any the client sent) to carry the
#: principal into a background job, which gets a copy of the request's headers but
#: cannot read ``flask.g`` (it runs in another process): ``[name, role, scope code]``.
PRINCIPAL_HEADER = "X-Cityops-Principal"
_PRINCIPAL_ENV = "HTTP_" + PRINCIPAL_HEADER.upper().replace("-", "_")
#: Longest account name or password read from the login form.
_MAX_NAME, _MAX_PASSWORD = 64, 1024
#: Audit actor when auth is off.
LOCAL_ACTOR = "local"


@dataclass(frozen=True)
class WebPrincipal:
    """Who is asking: the account, its role, its scope code (None: the province) and how."""

    name: str
    role: str
    scope_code: str | None
    via: str  # "session", "token" (Authorization header) or "device" (wall session)


def clock() -> float:
    """Return the current time in seconds (tests replace it to test expiry)."""
    return time.time()


# ------------------------------------------------------------------ pure helpers
def check_secret_key(key: str) -> str:
    """Return ``key`` when it may sign sessions; raise ``RuntimeError`` saying why not."""
    key = (key or "").strip()
    if not key:
        raise RuntimeError(
            "login (CITYOPS_AUTH=on, the default) needs CITYOPS_SECRET_KEY (at least 32 "
            'characters): python -c "import secrets; print(secrets.token_urlsafe(48))"; '
            "or try it on this machine with `cityops serve --demo` (what `make run` does)"
        )
    if key == EXAMPLE_SECRET_KEY:
        raise RuntimeError("CITYOPS_SECRET_KEY is the README's example: make a key of your own")
    if len(key) < MIN_SECRET_CHARS:
        raise RuntimeError(f"CITYOPS_SECRET_KEY is shorter than {MIN_SECRET_CHARS} characters")
    return key


def safe_next(value: object) -> str:
    r"""Return ``value`` when it is a local path ("/…"), else "/": no open redirect.

    Refused: other hosts (``//host``, ``/\\host``, ``http:…``), control characters,
    anything long.
    """
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 2000:
        return "/"
    if value.startswith(("//", "/\\")) or any(ord(ch) < 32 or ch == "\\" for ch in value):
        return "/"
    return value


def without_token(args: dict[str, list[str]]) -> str:
    """Return a query string of ``args`` without ``token`` ("" or "?…")."""
    kept = [(k, v) for k, values in args.items() if k != "token" for v in values]
    return "?" + urlencode(kept) if kept else ""


def callback_denial(role: str, body: object) -> str | None:
    """Return why ``role`` may not run this callback request, or None when it may.

    A callback belongs to the pages its component ids name (``video-…``); the page
    router's ``pathname`` is the page it would draw; table downloads need a role
    that downloads. Malformed bodies pass here: the input checks refuse them (400).
    """
    if not isinstance(body, dict):
        return None
    components: list[object] = []
    paths: list[str] = []
    parts = [body.get("outputs"), body.get("inputs"), body.get("state")]
    for part in parts:
        for item in part if isinstance(part, list) else [part]:
            for one in item if isinstance(item, list) else [item]:
                if not isinstance(one, dict):
                    continue
                cid = one.get("id")
                components.append(cid)
                router = cid in ("_pages_location", ids.NAV) and one.get("property") == "pathname"
                if router and isinstance(one.get("value"), str):
                    paths.append(one["value"])
                download = isinstance(cid, dict) and cid.get("type") in ("table-xlsx", "table-csv")
                if download and not roles.may_download(role):
                    return "downloads"
    for page in [*roles.pages_of_ids(components), *paths]:
        if not roles.may_open(role, page):
            return f"page {page[:100]}"
    return None


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def login_page(lang: str, *, csrf: str, next_path: str, name: str = "", error: str = "") -> str:
    """Return the login page's HTML in ``lang`` (every value escaped; no script)."""
    code = "en" if lang == "en" else "zh-CN"
    other = "zh" if lang == "en" else "en"
    notice = f'<p class="error" role="alert">{_escape(error)}</p>' if error else ""
    switch = _escape("/login?" + urlencode({"lang": other, "next": next_path}))
    return f"""<!DOCTYPE html>
<html lang="{code}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_escape(t("login.title", lang))} · {_escape(t("app.title", lang))}</title>
<style>
body{{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;background:#0f1b2d;
color:#e6edf5;display:flex;min-height:100vh;align-items:center;justify-content:center;margin:0}}
main{{background:#16263d;padding:2rem 2.5rem;border-radius:8px;min-width:18rem}}
label{{display:block;margin:.8rem 0 .3rem}}
input{{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}}
button{{margin-top:1.2rem;padding:.5rem 1.5rem;font-size:1rem}}
.error{{color:#ffb4a8}} a{{color:#9cc7ff}}
</style></head>
<body><main>
<h1>{_escape(t("app.title", lang))}</h1>
<h2>{_escape(t("login.title", lang))}</h2>
{notice}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{_escape(csrf)}">
<input type="hidden" name="next" value="{_escape(next_path)}">
<label for="name">{_escape(t("login.name", lang))}</label>
<input id="name" name="name" autocomplete="username" required maxlength="{_MAX_NAME}"
 value="{_escape(name)}">
<label for="password">{_escape(t("login.password", lang))}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{_escape(t("login.submit", lang))}</button>
</form>
<p><a href="{switch}">{_escape(t("lang.toggle", lang))}</a></p>
</main></body></html>"""


def logout_page(lang: str, *, csrf: str, name: str) -> str:
    """Return the one-button sign-out page's HTML in ``lang``."""
    code = "en" if lang == "en" else "zh-CN"
    return f"""<!DOCTYPE html>
<html lang="{code}"><head><meta charset="utf-8">
<title>{_escape(t("login.logout", lang))} · {_escape(t("app.title", lang))}</title></head>
<body><main><p>{_escape(name)}</p>
<form method="post" action="/logout">
<input type="hidden" name="csrf" value="{_escape(csrf)}">
<button type="submit">{_escape(t("login.logout", lang))}</button>
</form><p><a href="/">{_escape(t("login.home", lang))}</a></p></main></body></html>"""


def forbidden_page(lang: str, home: str) -> str:
    """Return the 403 page's HTML in ``lang`` with a link to a page the role may open."""
    code = "en" if lang == "en" else "zh-CN"
    return f"""<!DOCTYPE html>
<html lang="{code}"><head><meta charset="utf-8">
<title>{_escape(t("login.forbidden", lang))}</title></head>
<body><main><h1>{_escape(t("login.forbidden", lang))}</h1>
<p>{_escape(t("login.forbidden_detail", lang))}</p>
<p><a href="{_escape(home)}">{_escape(t("login.home", lang))}</a></p></main></body></html>"""


# ------------------------------------------------------------------ request helpers
def current_principal() -> WebPrincipal | None:
    """Return the request's principal (None outside a request or with auth off)."""
    if not flask.has_request_context():
        return None
    return flask.g.get("principal")


def actor_scope() -> tuple[str, str | None]:
    """Return the audit actor and scope code of the request: ``("local", None)`` without login."""
    found = current_principal()
    return (found.name, found.scope_code) if found else (LOCAL_ACTOR, None)


def audit_event(settings: Settings, action: str, outcome: str = "ok", **detail: Any) -> None:
    """Write an audit row for the request's principal (``local`` with auth off).

    A failure to write is logged, never raised: the user's download goes on.
    """
    actor, scope_code = actor_scope()
    remote = flask.request.remote_addr if flask.has_request_context() else None
    try:
        audit.record(auth_engine(settings), actor, action, outcome, remote, scope_code, **detail)
    except Exception:
        log.exception("audit row %s of %s not written", action, actor)


def job_principal(headers: dict[str, str] | None, settings: Settings) -> WebPrincipal:
    """Return the user a background job works for, from its request's headers.

    The gate set :data:`PRINCIPAL_HEADER` (any the client sent was removed first);
    with auth off the job is the local user's (``local``, no role, the province).
    With auth on and no header, raise ``PermissionError`` (fail closed).
    """
    if settings.auth == "off":
        return WebPrincipal(LOCAL_ACTOR, "", None, "job")
    lowered = {str(k).lower(): v for k, v in (headers or {}).items()}
    raw = lowered.get(PRINCIPAL_HEADER.lower())
    try:
        name, role, scope_code = json.loads(raw)
    except (TypeError, ValueError):
        raise PermissionError("a report job without its user's principal") from None
    return WebPrincipal(
        str(name), str(role), scope_code if isinstance(scope_code, str) else None, "job"
    )


def job_audit(settings: Settings, actor: str, action: str, outcome: str, scope_code: str | None,
              remote: str | None = None, **detail: Any) -> None:  # fmt: skip
    """Write an audit row from a background job (its own engine: never the parent's connections)."""
    engine = make_auth_engine(auth_url(settings))
    try:
        audit.record(engine, actor, action, outcome, remote, scope_code, **detail)
    except Exception:
        log.exception("audit row %s of %s not written", action, actor)
    finally:
        engine.dispose()


def password_stamp(moment: dt.datetime | None) -> str:
    """Return the password's change time as kept in a session (a reset ends older sessions)."""
    return moment.isoformat(timespec="microseconds") if moment is not None else ""


def _json(status: int, message: str) -> flask.Response:
    return flask.Response(
        json.dumps({"error": message}, ensure_ascii=False),
        status=status,
        mimetype="application/json",
    )


def _html(text: str, status: int = 200) -> flask.Response:
    response = flask.Response(text, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _is_page_request(path: str) -> bool:
    return not path.startswith(("/_", "/api/", "/assets/")) and flask.request.method in (
        "GET",
        "HEAD",
    )


def _csrf() -> str:
    token = flask.session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = flask.session["csrf"] = secrets.token_urlsafe(32)
    return token


def _csrf_ok() -> bool:
    sent, kept = flask.request.form.get("csrf", ""), flask.session.get("csrf", "")
    if not isinstance(kept, str) or not kept or not sent:
        return False
    return hmac.compare_digest(sent.encode("utf-8"), kept.encode("utf-8"))


class _SessionInterface(SecureCookieSessionInterface):
    """Signed cookie sessions whose cookie is ``Secure`` when the request came over HTTPS."""

    def get_cookie_secure(self, app: flask.Flask) -> bool:
        """Return True for an HTTPS request (behind a proxy: if it passes the scheme on)."""
        return flask.request.is_secure if flask.has_request_context() else False


# ------------------------------------------------------------------ installation
def install_auth(server: flask.Flask, settings: Settings) -> None:
    """Require a login on ``server`` when ``CITYOPS_AUTH=on``; do nothing when off.

    Call from ``create_app`` before ``security.install``: the gate is put first among
    the request hooks, and the host and body checks then go in front of it. Raises
    ``RuntimeError`` for a missing, short or example ``CITYOPS_SECRET_KEY``.
    """
    if settings.auth == "off":
        return
    server.secret_key = check_secret_key(settings.secret_key)
    server.session_interface = _SessionInterface()
    server.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_REFRESH_EACH_REQUEST=False,
    )
    engine = auth_engine(settings)
    policy = lockout_policy(settings)
    idle_s = settings.session_idle_minutes * 60
    max_s = settings.session_max_hours * 3600

    def lang() -> str:
        return request_lang(settings.default_lang)

    def record(actor: str, action: str, outcome: str, scope_code: str | None, **detail) -> None:
        audit.record(
            engine, actor, action, outcome, flask.request.remote_addr, scope_code, **detail
        )

    def from_session() -> WebPrincipal | None:
        session = flask.session
        device = session.get("device")
        if device is not None:
            found = verify_token(engine, device)
            if found is None:
                session.clear()
                return None
            return WebPrincipal(found.name, found.role, found.scope_code, "device")
        name = session.get("account")
        if not isinstance(name, str):
            return None
        now, login_at, seen_at = clock(), session.get("login_at"), session.get("seen_at")
        if not isinstance(login_at, int | float) or not isinstance(seen_at, int | float):
            session.clear()
            return None
        if now - login_at > max_s or now - seen_at > idle_s:
            session.clear()
            return None
        try:
            account = get_account(engine, name)
        except AccountNotFound:
            account = None
        if account is None or account.disabled:
            session.clear()
            return None
        # a password reset since the login ends the session
        if session.get("pw") != password_stamp(account.password_changed_at):
            session.clear()
            return None
        if now - seen_at >= SEEN_EVERY_S:
            session["seen_at"] = now
        return WebPrincipal(account.name, account.role, account.scope_code, "session")

    def audit_api(response: flask.Response, who: WebPrincipal, token) -> flask.Response:
        """Write an ``api`` row for a token's data call: a script's reads leave a trace."""
        request = flask.request
        try:
            record(who.name, "api", "ok" if response.status_code < 400 else "denied",
                   who.scope_code, path=request.path[:200],
                   query=request.query_string.decode("utf-8", "replace")[:300],
                   status=response.status_code, token_id=token.token_id)  # fmt: skip
        except Exception:
            log.exception("audit row api of %s not written", who.name)
        return response

    def wall_token() -> flask.Response:
        request = flask.request
        found = verify_token(engine, request.args.get("token", ""))
        rest = without_token(request.args.to_dict(flat=False))
        if found is None:
            # "refused", not "failed": the address limit does not count it. Tokens cannot be
            # guessed, and a GET can be forged from any page a user opens: counted, 20 image
            # tags could lock a whole command centre's shared address out of the login.
            record("-", "login.failed", "refused", None, reason="bad_token", via="wall")
            return flask.redirect("/login?" + urlencode({"next": "/wall" + rest}), 302)
        flask.session.clear()
        flask.session.update(device=request.args["token"], csrf=secrets.token_urlsafe(32))
        record(found.name, "login.ok", "ok", found.scope_code, via="wall", token_id=found.token_id)
        return flask.redirect("/wall" + rest, 302)

    def gate():
        request = flask.request
        request.environ.pop(_PRINCIPAL_ENV, None)  # only the gate says who asks
        flask.g.principal = None
        path = request.path
        if path in OPEN_PATHS:
            return None
        header = request.headers.get("Authorization", "")
        found: WebPrincipal | None = None
        if header:
            kind, _, secret = header.partition(" ")
            token = verify_token(engine, secret.strip()) if kind.lower() == "bearer" else None
            if token is None:
                return _json(401, "invalid, expired or revoked token")
            found = WebPrincipal(token.name, token.role, token.scope_code, "token")
            if path.startswith("/api/") and path not in _UNAUDITED_API:
                flask.after_this_request(lambda response: audit_api(response, found, token))
        elif path == "/wall" and "token" in request.args and request.method == "GET":
            return wall_token()
        else:
            found = from_session()
        if found is None:
            if _is_page_request(path):
                wanted = safe_next(request.full_path.rstrip("?"))
                return flask.redirect("/login?next=" + quote(wanted), 302)
            return _json(401, "login required")
        denied = denial(found, path)
        if denied is not None:
            log.warning("denied %s (%s) %s: %s", found.name, found.role, path[:100], denied)
            if _is_page_request(path):
                return _html(forbidden_page(lang(), roles.home_page(found.role)), 403)
            return _json(403, "not permitted for this role")
        flask.g.principal = found
        request.environ[_PRINCIPAL_ENV] = json.dumps([found.name, found.role, found.scope_code])
        return None

    def denial(found: WebPrincipal, path: str) -> str | None:
        if path.startswith("/api/"):
            return None if roles.may_call_api(found.role, path) else "api"
        if path == CALLBACK_PATH and flask.request.method == "POST":
            return callback_denial(found.role, flask.request.get_json(silent=True))
        return None if roles.may_open(found.role, path) else "page"

    server.before_request_funcs.setdefault(None, []).insert(0, gate)

    @server.route("/login", methods=["GET", "POST"])
    def login():
        request = flask.request
        chosen = request.args.get("lang")
        language = normalise_lang(chosen, lang()) if chosen else lang()
        next_path = safe_next(request.values.get("next", "/"))
        if request.method == "GET":
            response = _html(login_page(language, csrf=_csrf(), next_path=next_path))
            if chosen in ("zh", "en"):
                response.set_cookie(LANG_COOKIE, chosen, max_age=31536000, samesite="Lax")
            return response
        if not _csrf_ok():
            page = login_page(
                language, csrf=_csrf(), next_path=next_path, error=t("login.bad_form", language)
            )
            return _html(page, 400)
        name = request.form.get("name", "")[:_MAX_NAME]
        password = request.form.get("password", "")[:_MAX_PASSWORD]
        window = dt.timedelta(minutes=settings.login_lockout_minutes)
        failures = audit.failures_from(engine, request.remote_addr, utcnow() - window)
        if failures >= settings.login_address_max_failures:  # guessing across accounts
            record(name or "-", "login.failed", "refused", None, reason="address_limit", name=name)
            page = login_page(language, csrf=_csrf(), next_path=next_path, name=name,
                              error=t("login.too_many", language))  # fmt: skip
            response = _html(page, 429)
            response.headers["Retry-After"] = str(int(window.total_seconds()))
            return response
        result = verify_password(engine, name, password, **policy)
        if not result.ok or result.account is None:
            record(name or "-", "login.failed", "failed", None, reason=result.reason, name=name)
            page = login_page(
                language,
                csrf=_csrf(),
                next_path=next_path,
                name=name,
                error=t("login.failed", language),
            )
            return _html(page, 401)
        account = result.account
        now = clock()
        flask.session.clear()  # a fresh session: nothing of the one before the login
        flask.session.update(
            account=account.name,
            login_at=now,
            seen_at=now,
            csrf=secrets.token_urlsafe(32),
            pw=password_stamp(account.password_changed_at),
        )
        record(account.name, "login.ok", "ok", account.scope_code, via="password")
        if not roles.may_open(account.role, next_path):  # e.g. "/" for a data officer
            next_path = roles.home_page(account.role)
        return flask.redirect(next_path, 303)

    @server.route("/logout", methods=["GET", "POST"])
    def logout():
        request = flask.request
        name = flask.session.get("account") or ""
        if request.method == "GET":
            if not name and "device" not in flask.session:
                return flask.redirect("/login", 303)
            return _html(logout_page(lang(), csrf=_csrf(), name=str(name)))
        if not _csrf_ok():
            return _html(login_page(lang(), csrf=_csrf(), next_path="/",
                                    error=t("login.bad_form", lang())), 400)  # fmt: skip
        if name or "device" in flask.session:
            record(str(name or "device"), "logout", "ok", None)
        flask.session.clear()
        return flask.redirect("/login", 303)
