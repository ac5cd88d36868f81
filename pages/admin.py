"""Admin page (管理, issue 12 point 6): the audit log, the accounts and the tokens. Read-only.

URL: ``/admin?since=YYYY-MM-DD&actor=NAME&action=ACTION`` filters the audit log (the
day is Asia/Shanghai's). Only the admin role opens it (:mod:`cityops.auth.roles`);
with ``CITYOPS_AUTH=off`` the one local user does. Changes stay on the command line.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from dash import Input, Output, callback, html, no_update

from cityops import ids
from cityops.auth import accounts as accounts_module
from cityops.auth import audit
from cityops.auth.schema import audit_log, auth_engine
from cityops.queries.context import current
from cityops.text.i18n import t
from cityops.web import BadInput, check_text, input_rule, request_lang
from components.admin import (
    PATH,
    accounts_table,
    audit_filters,
    audit_table,
    cli_note,
    filter_url,
    local_day,
    since_utc,
    token_scope,
    tokens_table,
)
from components.states import empty, notice
from pages._shared import guarded_layout, register_page

register_page(__name__, "admin", PATH, order=97)

#: Audit rows the page shows at most (the newest).
LIMIT = 500
#: Recent rows read to offer the filters' values.
RECENT = 10_000


def present_values(engine: sa.Engine) -> tuple[list[str], list[str], list[str]]:
    """Return the local days (newest first), actors and actions present in the recent log."""
    stmt = (sa.select(audit_log.c.ts, audit_log.c.actor, audit_log.c.action)
            .order_by(audit_log.c.seq.desc()).limit(RECENT))  # fmt: skip
    with engine.connect() as conn:
        found = conn.execute(stmt).all()
    days = sorted({local_day(r.ts) for r in found if r.ts is not None}, reverse=True)
    return days, sorted({r.actor for r in found}), sorted({r.action for r in found})


def scope_names(codes: set[str | None]) -> dict[str, str]:
    """Return ``{code: area name}`` for the codes the geography knows."""
    geo, out = current().geo, {}
    for code in codes:
        if not code:
            continue
        try:
            out[code] = f"{geo.area(code).name} ({code})"
        except Exception:  # a code no longer in the geography: shown as stored
            out[code] = code
    return out


@guarded_layout(PATH)
def layout(since: Any = None, actor: Any = None, action: Any = None, **_):
    ctx = current()
    lang = request_lang(ctx.settings.default_lang)
    engine = auth_engine(ctx.settings)
    since, actor, action = (check_text(v, k) if isinstance(v, str) else None
                            for k, v in (("since", since), ("actor", actor),
                                         ("action", action)))  # fmt: skip
    warning = None
    try:
        start = since_utc(since)
    except ValueError:
        start, since, warning = None, None, t("admin.bad_filter", lang)
    rows = audit.query(engine, since=start, actor=actor or None, action=action or None,
                       limit=LIMIT)  # fmt: skip
    days, actors, actions = present_values(engine)
    accounts = accounts_module.list_accounts(engine)
    owners = {a.name: a.scope_code for a in accounts}
    tokens = [{**r, "scope_code": token_scope(r, owners)}
              for r in accounts_module.list_tokens(engine)]  # fmt: skip
    names = scope_names({a.scope_code for a in accounts} | {r["scope_code"] for r in tokens}
                        | {r["scope_code"] for r in rows})  # fmt: skip
    chosen = {"since": since, "actor": actor, "action": action}
    return html.Div(
        [
            html.Div([html.H1(t("admin.title", lang), className="page-title")],
                     className="toolbar"),
            cli_note(lang),
            html.Section(
                [
                    html.H2(t("admin.audit", lang), className="panel-title"),
                    audit_filters(days, actors, actions, chosen, lang),
                    *([notice("error", warning)] if warning else []),
                    html.P(t("admin.shown", lang, n=LIMIT), className="hint"),
                    audit_table(rows, lang, names) if rows else empty(t("admin.no_rows", lang)),
                ],
                className="panel",
            ),
            html.Section(
                [html.H2(t("admin.accounts", lang), className="panel-title"),
                 accounts_table(accounts, names, lang) if accounts
                 else empty(t("admin.no_accounts", lang))],
                className="panel",
            ),
            html.Section(
                [html.H2(t("admin.tokens", lang), className="panel-title"),
                 tokens_table(tokens, names, lang) if tokens
                 else empty(t("admin.no_tokens", lang))],
                className="panel",
            ),
        ],
        className="admin-page",
    )  # fmt: skip


@callback(
    Output(ids.NAV, "href", allow_duplicate=True),
    Input(ids.ADMIN_SINCE, "value"),
    Input(ids.ADMIN_ACTOR, "value"),
    Input(ids.ADMIN_ACTION, "value"),
    prevent_initial_call=True,
)
def filter_audit(since, actor, action):
    """Open the audit log for the chosen filters (a new URL, so back works).

    Each value must be one the dropdowns offer ("" for all): a day, a known action, an
    actor present in the log; anything else is a hand-made request (BadInput, 400).
    """
    if since is None and actor is None and action is None:
        return no_update
    try:
        since_utc(since)
    except ValueError:
        raise BadInput("since: not a day") from None
    if action and action not in audit.ACTIONS:
        raise BadInput("action: unknown")
    if actor and actor not in present_values(auth_engine(current().settings))[1]:
        raise BadInput("actor: not in the log")
    return filter_url(since, actor, action)


for _id in (ids.ADMIN_SINCE, ids.ADMIN_ACTOR, ids.ADMIN_ACTION):
    input_rule(_id, "value", check_text)
