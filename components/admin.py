"""Builders of the admin page (issue 12): the audit log, the accounts, the tokens.

Pure functions of rows already read from the auth database; read-only views. Every
value that came from a request or a file (an actor, a detail) is shown as text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from dash import dcc, html

from cityops import ids
from cityops.auth.audit import local_day, local_time, since_utc  # noqa: F401 -- the page's
from cityops.text.i18n import TABLE, t
from components.tables import data_table

#: The admin page's path.
PATH = "/admin"

#: Columns of the three tables (their headers are ``col.<name>``).
AUDIT_COLUMNS = ["admin_ts", "admin_actor", "admin_action", "admin_outcome", "admin_remote",
                 "admin_scope", "admin_detail"]  # fmt: skip
ACCOUNT_COLUMNS = ["admin_name", "admin_role", "admin_scope", "admin_disabled",
                   "admin_locked_until", "admin_password_changed"]  # fmt: skip
TOKEN_COLUMNS = ["admin_token_id", "admin_account", "admin_label", "admin_scope",
                 "admin_status", "admin_expires"]  # fmt: skip

#: The command-line commands that change accounts and tokens (shown on the page).
COMMANDS = (
    "cityops user add NAME --role ROLE [--scope CODE] --password-stdin",
    "cityops user list",
    "cityops user disable NAME",
    "cityops user reset NAME --password-stdin",
    "cityops token create NAME [--expires DAYS]",
    "cityops token list",
    "cityops token revoke TOKEN_ID",
    "cityops audit [--since DAY] [--user NAME]",
)


def action_label(action: str, lang: str) -> str:
    """Return the translated label of a known audit action; an unknown one as stored."""
    key = f"admin.action.{action}"
    return t(key, lang) if key in TABLE else str(action)


def outcome_label(outcome: str | None, lang: str) -> str:
    """Return the translated label of an audit outcome; an unknown one as stored."""
    key = f"admin.outcome.{outcome}"
    return t(key, lang) if key in TABLE else str(outcome or "")


def role_label(role: str | None, lang: str) -> str:
    """Return the translated label of a role; an unknown one as stored."""
    key = f"admin.role.{role}"
    return t(key, lang) if key in TABLE else str(role or "")


def detail_text(detail: Any) -> str:
    """Return an audit detail as ``key: value; key: value`` text (sorted keys, never HTML)."""
    if not isinstance(detail, dict):
        return "" if detail is None else str(detail)
    parts = []
    for key in sorted(detail, key=str):
        value = detail[key]
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        parts.append(f"{key}: {'' if value is None else value}")
    return "; ".join(parts)


def audit_frame(rows: list[dict[str, Any]], lang: str,
                scope_names: dict[str, str] | None = None) -> pd.DataFrame:  # fmt: skip
    """Return the audit rows (newest first, as :func:`cityops.auth.audit.query` gives) as shown.

    A row's scope is shown by name (``scope_names``: code → name), the code when unknown.
    """
    names = scope_names or {}
    return pd.DataFrame(
        [
            {
                "admin_ts": local_time(r.get("ts")),
                "admin_actor": str(r.get("actor") or ""),
                "admin_action": action_label(r.get("action") or "", lang),
                "admin_outcome": outcome_label(r.get("outcome"), lang),
                "admin_remote": r.get("remote"),
                "admin_scope": names.get(r.get("scope_code"), r.get("scope_code")),
                "admin_detail": detail_text(r.get("detail")),
                "seq": r.get("seq"),
            }
            for r in rows
        ],
        columns=[*AUDIT_COLUMNS, "seq"],
    ).astype(object)


def accounts_frame(accounts: Iterable[Any], scope_names: dict[str, str],
                   lang: str) -> pd.DataFrame:  # fmt: skip
    """Return the accounts as shown: name, role, scope name, disabled, locked until, password age.

    ``accounts`` are :class:`cityops.auth.accounts.Account`; no hash is ever read.
    """
    yes, no = t("admin.yes", lang), t("admin.no", lang)
    province = t("admin.scope_all", lang)
    return pd.DataFrame(
        [
            {
                "admin_name": a.name,
                "admin_role": role_label(a.role, lang),
                "admin_scope": scope_names.get(a.scope_code, a.scope_code)
                if a.scope_code
                else province,
                "admin_disabled": yes if a.disabled else no,
                "admin_locked_until": local_time(a.locked_until),
                "admin_password_changed": local_time(a.password_changed_at),
            }
            for a in accounts
        ],
        columns=ACCOUNT_COLUMNS,
    ).astype(object)


def token_scope(token: dict[str, Any], account_scopes: dict[str, str | None]) -> str | None:
    """Return the scope a token reads: its own, else its account's (None: the province)."""
    return token.get("scope_code") or account_scopes.get(token.get("account"))


def tokens_frame(tokens: list[dict[str, Any]], scope_names: dict[str, str],
                 lang: str) -> pd.DataFrame:  # fmt: skip
    """Return the tokens as shown (from ``list_tokens``: never a secret or its hash).

    ``scope_code`` of each row is the scope the token reads (:func:`token_scope`).
    """
    province = t("admin.scope_all", lang)
    never = t("admin.never", lang)
    return pd.DataFrame(
        [
            {
                "admin_token_id": r.get("token_id"),
                "admin_account": r.get("account"),
                "admin_label": r.get("label") or "",
                "admin_scope": scope_names.get(r["scope_code"], r["scope_code"])
                if r.get("scope_code")
                else province,
                "admin_status": t(f"admin.token.{r['status']}", lang)
                if f"admin.token.{r.get('status')}" in TABLE
                else str(r.get("status")),
                "admin_expires": local_time(r.get("expires_at")) or never,
            }
            for r in tokens
        ],
        columns=TOKEN_COLUMNS,
    ).astype(object)


def _text_kinds(columns: list[str]) -> dict[str, str]:
    return dict.fromkeys(columns, "text")


def audit_table(rows: list[dict[str, Any]], lang: str,
                scope_names: dict[str, str] | None = None) -> html.Div:  # fmt: skip
    """Return the audit log table (newest first), times in Asia/Shanghai, scopes by name."""
    frame = audit_frame(rows, lang, scope_names)
    return data_table("admin-audit", frame, AUDIT_COLUMNS, lang, row_id="seq",
                      kinds=_text_kinds(AUDIT_COLUMNS), title=t("admin.audit", lang),
                      widths={"admin_ts": 210, "admin_detail": 320})  # fmt: skip


def accounts_table(accounts: Iterable[Any], scope_names: dict[str, str], lang: str) -> html.Div:
    """Return the accounts table."""
    frame = accounts_frame(accounts, scope_names, lang)
    kinds = _text_kinds(ACCOUNT_COLUMNS)
    title = t("admin.accounts", lang)
    return data_table("admin-accounts", frame, ACCOUNT_COLUMNS, lang, kinds=kinds, title=title)


def tokens_table(tokens: list[dict[str, Any]], scope_names: dict[str, str], lang: str) -> html.Div:
    """Return the bearer and device tokens table."""
    frame = tokens_frame(tokens, scope_names, lang)
    return data_table("admin-tokens", frame, TOKEN_COLUMNS, lang,
                      kinds=_text_kinds(TOKEN_COLUMNS), title=t("admin.tokens", lang))  # fmt: skip


def _dropdown(component_id: str, label: str, value: str | None,
              options: list[dict[str, str]], lang: str) -> html.Label:  # fmt: skip
    return html.Label(
        [
            html.Span(label, className="filter-label"),
            dcc.Dropdown(
                id=component_id,
                value=value or "",
                clearable=False,
                className="filter-select",
                options=[{"label": t("filter.all", lang), "value": ""}, *options],
            ),
        ],
        className="toolbar-date",  # the label beside its dropdown
    )


def audit_filters(days: list[str], actors: list[str], actions: list[str],
                  chosen: dict[str, str | None], lang: str) -> html.Div:  # fmt: skip
    """Return the day (since), actor and action dropdowns, from the values present in the log.

    ``chosen``: the URL's ``since``, ``actor``, ``action``. A chosen value not in the
    log is kept as an option so the dropdown shows what the URL asks.
    """

    def opts(values: list[str], label=lambda v: v) -> list[dict[str, str]]:
        return [{"label": label(v), "value": v} for v in values]

    def keep(values: list[str], value: str | None) -> list[str]:
        return values if not value or value in values else [value, *values]

    return html.Div(
        [
            _dropdown(ids.ADMIN_SINCE, t("admin.since", lang), chosen.get("since"),
                      opts(keep(days, chosen.get("since"))), lang),
            _dropdown(ids.ADMIN_ACTOR, t("admin.actor", lang), chosen.get("actor"),
                      opts(keep(actors, chosen.get("actor"))), lang),
            _dropdown(ids.ADMIN_ACTION, t("admin.action", lang), chosen.get("action"),
                      opts(keep(actions, chosen.get("action")),
                           lambda a: action_label(a, lang)), lang),
        ],
        className="filters",
    )  # fmt: skip


def filter_url(since: str | None, actor: str | None, action: str | None) -> str:
    """Return the admin page's URL for the chosen filters (empty ones left out)."""
    params = {k: v for k, v in (("since", since), ("actor", actor), ("action", action)) if v}
    return f"{PATH}?{urlencode(params)}" if params else PATH


def cli_note(lang: str) -> html.Div:
    """Return the note that the page is read-only, with the commands that change accounts."""
    return html.Div(
        [
            html.P(t("admin.read_only", lang), className="hint"),
            html.Pre("\n".join(COMMANDS), className="mono admin-commands"),
        ],
        className="admin-note",
    )
