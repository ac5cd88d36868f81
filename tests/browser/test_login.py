"""Signing in as people do (issue 12): the login form, a district analyst, a wall's device token.

Contexts here start without the suite's admin cookie (``signed=False``).
"""

from __future__ import annotations

import pytest

from cityops.auth import accounts
from cityops.auth.schema import auth_engine
from cityops.queries.context import Context
from cityops.settings import get_settings
from tests.browser.conftest import settle, shot, watched_page

ANALYST, CENTRE, PASSWORD = "xuanwu-browser", "wall-browser", "xuanwu browser password"


@pytest.fixture(scope="module")
def people(demo_dir):
    """A 玄武区 analyst and a wall device token for 玄武区 in the demo store's accounts."""
    settings = get_settings(data_dir=str(demo_dir), database_url="")
    engine = auth_engine(settings)
    geo = Context(settings).geo
    for name, role in ((ANALYST, "analyst"), (CENTRE, "centre")):
        try:
            accounts.get_account(engine, name)
        except accounts.AccountNotFound:
            accounts.add_account(engine, name, role, "320102", PASSWORD, geo, actor="tests")
    _, secret = accounts.create_token(engine, CENTRE, "大屏 玄武", scope_code="320102", geo=geo)
    return {"token": secret}


def fresh_page(browser, lang: str = "zh"):
    context = browser.new_context(signed=False, viewport={"width": 1600, "height": 1000},
                                  locale="zh-CN" if lang == "zh" else "en-GB")  # fmt: skip
    return context, watched_page(context)


def test_lg001_sign_in_through_the_form_and_land_where_asked(browser, server, people):
    context, page = fresh_page(browser)
    try:
        page.goto(f"{server}/video?scope=320102")
        page.wait_for_selector("form input[name=password]")
        assert "/login?next=" in page.url
        shot(page, "lg001-login-page")
        page.fill("input[name=name]", ANALYST)
        page.fill("input[name=password]", "a wrong password here")
        page.click("button[type=submit]")
        page.wait_for_selector("text=账号或密码不正确")
        # the refused login's page comes with status 401, which Chromium logs as a failed load
        assert page.watch.errors == [
            "Failed to load resource: the server responded with a status of 401 (UNAUTHORIZED)"
        ]
        page.watch.errors.clear()
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("[data-scope='320102']", timeout=30_000)
        settle(page)
        assert page.url.endswith("/video?scope=320102")
        crumbs = page.locator(".breadcrumb").inner_text()
        assert "玄武区" in crumbs and "江苏省" not in crumbs and "南京市" not in crumbs
        nav = page.locator("header").inner_text()
        assert "大屏" not in nav and "管理" not in nav  # an analyst's pages only
        shot(page, "lg001-district-analyst-video")
        page.goto(f"{server}/video?scope=320104")  # 秦淮区: another district
        page.wait_for_selector("[data-state=denied]", timeout=30_000)
        shot(page, "lg001-another-district-denied")
    finally:
        context.close()
    page.watch.assert_clean()


def test_lg002_a_wall_opens_with_its_device_token_and_drops_it(browser, server, people):
    context = browser.new_context(signed=False, viewport={"width": 1920, "height": 1080},
                                  locale="zh-CN")  # fmt: skip
    page = watched_page(context)
    try:
        page.goto(f"{server}/wall?scope=320102&token={people['token']}")
        page.wait_for_selector(".wall[data-scope='320102'] .wall-card", timeout=40_000)
        assert "token" not in page.url and "cot_" not in page.url
        page.reload()  # the session cookie holds the token: no login page
        page.wait_for_selector(".wall[data-scope='320102'] .wall-card", timeout=40_000)
        shot(page, "lg002-wall-device-token")
        page.goto(f"{server}/wall?scope=320100")  # the token's scope is 玄武区 only
        page.wait_for_selector(".wall-message", timeout=40_000)
    finally:
        context.close()
    page.watch.assert_clean()
