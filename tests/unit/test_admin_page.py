"""The admin page /admin (issue 12 point 6): audit log, accounts, tokens; admin only, read-only."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re

import pytest

from cityops import ids
from cityops.auth import accounts, audit, roles
from cityops.auth.schema import auth_engine
from cityops.text.i18n import TABLE, t
from cityops.web import BadInput
from components.admin import detail_text, filter_url, local_time, since_utc
from tests.unit.test_auth_web import app_client, auth_app, signed_in  # noqa: F401 -- fixtures
from tests.walk import render, walk

PASSWORD = "correct horse battery staple"
HOSTILE = '<img src=x onerror=alert(1)>=HYPERLINK("http://evil")'
T0 = dt.datetime(2026, 11, 20, 23, 30)  # naive UTC: 2026-11-21 07:30 in Shanghai


@pytest.fixture(scope="module")
def admin_store(demo_settings, demo_ctx):
    """The demo store's auth database with a few accounts, a token and audit rows."""
    engine = auth_engine(demo_settings)
    geo = demo_ctx.geo
    for name, role, scope in (("adm-root", "admin", None), ("adm-xw", "analyst", "320102")):
        with contextlib.suppress(accounts.AccountExists):
            accounts.add_account(engine, name, role, scope, PASSWORD, geo, actor="adm-test")
    _id, secret = accounts.create_token(engine, "adm-xw", label="wall 1", days=30, actor="adm-test")
    audit.record(engine, "adm-alice", "login.failed", "failed", "10.0.0.9", None, now=T0,
                 reason="bad_password", name="adm-alice")  # fmt: skip
    audit.record(engine, "adm-alice", "login.ok", "ok", "10.0.0.9", "320102",
                 now=T0 + dt.timedelta(minutes=1))  # fmt: skip
    audit.record(engine, "adm-bob", "load", "refused", None, None,
                 now=T0 + dt.timedelta(days=1), file=HOSTILE, rows=3)  # fmt: skip
    return engine, secret


def grids(view) -> dict[str, dict]:
    """Return the page's grids by table name, ``{name: props}``."""
    return {
        node["props"]["id"]["name"]: node["props"]
        for node, _ in walk(view.tree)
        if node["type"] == "AgGrid" and isinstance(node["props"].get("id"), dict)
    }


def test_the_page_shows_the_log_newest_first_in_shanghai_time(dash_app, admin_store):
    view = render(dash_app, "/admin", lang="en", actor="adm-alice")
    audit_grid = grids(view)["admin-audit"]
    rows = audit_grid["rowData"]
    assert [r["admin_action"] for r in rows] == ["Login", "Login failed"]  # newest first
    assert rows[1]["admin_ts"] == "2026-11-21 07:30:00"  # stored UTC, shown in Shanghai
    assert rows[1]["admin_outcome"] == "Failed" and rows[1]["admin_remote"] == "10.0.0.9"
    assert rows[1]["admin_detail"] == "name: adm-alice; reason: bad_password"
    assert rows[0]["admin_scope"] == "玄武区 (320102)"  # named, the code kept
    headers = {c["field"]: c["headerName"] for c in audit_grid["columnDefs"]}
    assert "Asia/Shanghai" in headers["admin_ts"]
    assert "北京时间" in grids(render(dash_app, "/admin", lang="zh"))["admin-audit"][
        "columnDefs"][0]["headerName"]  # fmt: skip


def test_filters_by_day_actor_and_action(dash_app, admin_store):
    view = render(dash_app, "/admin", lang="en", action="load", actor="adm-bob")
    assert [r["admin_actor"] for r in grids(view)["admin-audit"]["rowData"]] == ["adm-bob"]
    # Shanghai's 2026-11-22 starts at 2026-11-21 16:00 UTC: only bob's load is after it
    view = render(dash_app, "/admin", lang="en", since="2026-11-22", actor="adm-alice")
    assert "admin-audit" not in grids(view)
    assert t("admin.no_rows", "en") in json.dumps(view.tree)
    view = render(dash_app, "/admin", lang="en", since="not a day")  # a hand-made URL
    assert t("admin.bad_filter", "en") in json.dumps(view.tree)
    options = {
        node["props"]["id"]: [o["value"] for o in node["props"]["options"]]
        for node, _ in walk(render(dash_app, "/admin", lang="en").tree)
        if node["type"] == "Dropdown"
    }
    assert {"adm-alice", "adm-bob"} <= set(options[ids.ADMIN_ACTOR])
    assert {"login.ok", "login.failed", "load"} <= set(options[ids.ADMIN_ACTION])
    assert {"2026-11-21", "2026-11-22"} <= set(options[ids.ADMIN_SINCE])


def test_hostile_detail_is_text(dash_app, admin_store):
    view = render(dash_app, "/admin", lang="en", actor="adm-bob")
    grid = grids(view)["admin-audit"]
    assert grid["rowData"][0]["admin_detail"] == f"file: {HOSTILE}; rows: 3"
    for col in grid["columnDefs"]:
        assert not {"cellRenderer", "dangerously_allow_code"} & set(col)
    assert not any(node["type"] in ("Markdown", "Iframe") for node, _ in walk(view.tree))
    assert "dangerously_allow_html" not in json.dumps(view.tree)


def test_accounts_and_tokens_without_hash_or_secret(dash_app, admin_store):
    _engine, secret = admin_store
    view = render(dash_app, "/admin", lang="en")
    shown = grids(view)
    acc = {r["admin_name"]: r for r in shown["admin-accounts"]["rowData"]}
    assert acc["adm-root"]["admin_role"] == "Administrator"
    assert acc["adm-root"]["admin_scope"] == "Province"
    assert acc["adm-xw"]["admin_scope"].endswith("(320102)")
    assert acc["adm-xw"]["admin_disabled"] == "No"
    token = next(r for r in shown["admin-tokens"]["rowData"] if r["admin_account"] == "adm-xw")
    assert token["admin_label"] == "wall 1" and token["admin_status"] == "Active"
    assert token["admin_scope"].endswith("(320102)")  # no scope of its own: its account's
    text = json.dumps(view.tree)
    assert secret not in text and "argon2" not in text and "sha256" not in text
    assert "cityops user add" in text  # read-only: the commands to use


def test_every_label_is_translated(dash_app, admin_store):
    keys = [k for k in TABLE if k.startswith(("admin.", "col.admin_"))
            or k in ("nav.admin", "title.admin")]  # fmt: skip
    assert len(keys) > 40
    for key in keys:
        zh, en = TABLE[key]
        assert zh and en and re.search(r"[\u4e00-\u9fff]", zh), key
        assert not re.search(r"[\u4e00-\u9fff]", en), key
    for action in audit.ACTIONS:
        assert f"admin.action.{action}" in TABLE
    for outcome in audit.OUTCOMES:
        assert f"admin.outcome.{outcome}" in TABLE
    for role in roles.ROLE_PAGES:
        assert f"admin.role.{role}" in TABLE
    for lang in ("zh", "en"):
        view = render(dash_app, "/admin", lang=lang)
        for grid in grids(view).values():
            for col in grid["columnDefs"]:
                assert col["headerName"] == t(f"col.{col['field']}", lang)


def test_builders_and_the_filter_callback(dash_app, admin_store):
    assert local_time(T0) == "2026-11-21 07:30:00" and local_time(None) is None
    assert since_utc("2026-11-22") == dt.datetime(2026, 11, 21, 16, 0)
    assert since_utc("") is None
    with pytest.raises(ValueError):
        since_utc("22/11/2026")
    assert detail_text({"b": [1], "a": None}) == "a: ; b: [1]"
    assert filter_url("", "", "") == "/admin"
    assert filter_url("2026-11-22", "a&b", "login.ok") == (
        "/admin?since=2026-11-22&actor=a%26b&action=login.ok"
    )
    from pages.admin import filter_audit

    assert filter_audit("", "adm-bob", "") == "/admin?actor=adm-bob"
    for hand_made in (("22/11", "", ""), ("", "nobody-here", ""), ("", "", "no.such")):
        with pytest.raises(BadInput):
            filter_audit(*hand_made)


def test_only_the_admin_role_opens_it():
    assert roles.may_open("admin", "/admin") and roles.may_open("admin", "/admin/")
    for role in ("centre", "analyst", "manager", "loader", None):
        assert not roles.may_open(role, "/admin")
    assert roles.page_of_id({"type": "table-csv", "name": "admin-audit"}) == "/admin"
    assert roles.page_of_id(ids.ADMIN_ACTOR) == "/admin"


def test_non_admin_gets_403_and_admin_200(auth_app):  # noqa: F811
    app = auth_app[0]
    for name in ("centre1", "analyst1", "manager1", "loader1"):
        client = signed_in(app, name)
        assert client.get("/admin").status_code == 403, name
        cb = {"output": "nav-location.href", "outputs": {"id": "nav-location", "property": "href"},
              "inputs": [{"id": ids.ADMIN_ACTOR, "property": "value", "value": "x"}],
              "changedPropIds": [f"{ids.ADMIN_ACTOR}.value"]}  # fmt: skip
        assert client.post("/_dash-update-component", json=cb).status_code == 403, name
    assert signed_in(app, "admin1").get("/admin").status_code == 200
