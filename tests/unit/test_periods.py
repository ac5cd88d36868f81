"""Report periods, the KPIs of a period, and the API's answer for one (issue 11)."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from cityops.geo import ScopeDenied
from cityops.periods import MAX_DAYS, Period, PeriodError, last_complete, parse_period, period_of
from cityops.queries import scope_kpis
from cityops.queries.context import Context
from cityops.queries.kpis import KPI_NAMES, KPIS, kpi_value
from cityops.queries.periods import area_kpis, period_child_kpis, period_kpis
from cityops.queries.snapshots import STATUS_KPIS, record
from cityops.settings import get_settings
from cityops.store.versions import Storage
from tests.conftest import DEMO_NOW

D = dt.date
NOVEMBER = Period(D(2026, 11, 1), D(2026, 11, 30))
WEEK = Period(D(2026, 11, 16), D(2026, 11, 22))
LATE = dt.datetime(2026, 11, 26, 9, 0)  # after the demo's data, before November ends


# ------------------------------------------------------------------ pure periods
def test_kinds_and_previous_periods():
    assert NOVEMBER.kind == "monthly" and NOVEMBER.days == 30
    assert NOVEMBER.previous() == Period(D(2026, 10, 1), D(2026, 10, 31))  # a calendar month
    assert Period(D(2026, 1, 1), D(2026, 1, 31)).previous() == Period(
        D(2025, 12, 1), D(2025, 12, 31)
    )
    assert Period(D(2026, 3, 1), D(2026, 3, 31)).previous().days == 28
    assert WEEK.kind == "weekly" and WEEK.previous() == Period(D(2026, 11, 9), D(2026, 11, 15))
    day = Period(D(2026, 11, 25), D(2026, 11, 25))
    assert day.kind == "daily" and day.previous() == Period(D(2026, 11, 24), D(2026, 11, 24))
    odd = Period(D(2026, 11, 3), D(2026, 11, 12))
    assert odd.kind == "custom" and odd.previous() == Period(D(2026, 10, 24), D(2026, 11, 2))
    assert NOVEMBER.slug() == "2026-11" and day.slug() == "2026-11-25"
    assert odd.slug() == "2026-11-03_2026-11-12"


def test_period_of_and_last_complete():
    assert period_of("monthly", D(2026, 2, 10)) == Period(D(2026, 2, 1), D(2026, 2, 28))
    assert period_of("weekly", D(2026, 11, 26)) == Period(D(2026, 11, 23), D(2026, 11, 29))
    assert last_complete("monthly", D(2026, 11, 26)) == Period(D(2026, 10, 1), D(2026, 10, 31))
    assert last_complete("weekly", D(2026, 11, 23)) == Period(D(2026, 11, 16), D(2026, 11, 22))
    assert last_complete("daily", D(2026, 11, 1)) == Period(D(2026, 10, 31), D(2026, 10, 31))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-11-31", None, "from must be a date"),
        ("2026/11/01", None, "from must be a date"),
        ("", None, "from must be a date"),
        ("2026-11-01", "tomorrow", "to must be a date"),
        ("2026-11-30", "2026-11-01", "ends"),
        ("2024-01-01", "2026-01-01", f"at most {MAX_DAYS}"),
        ("9341-12-16", None, "between 1970-01-01 and 2099-12-31"),  # found by the API fuzz
        ("2026-11-01", "2100-01-01", "to must lie between"),
    ],
)
def test_bad_periods_are_refused_with_a_reason(start, end, message):
    with pytest.raises(PeriodError, match=message):
        parse_period(start, end)


# ------------------------------------------------------------------ KPIs of a period
def test_day_kpis_of_a_period_add_up_its_days(demo_ctx):
    geo = demo_ctx.geo
    everywhere = geo.scope(None)
    for code in ("320102", "320100", "320000"):
        scope = geo.scope(code)
        whole = scope_kpis(demo_ctx, scope=scope, day=WEEK.start, until=WEEK.end,
                           allowed=everywhere).iloc[0]  # fmt: skip
        days = [scope_kpis(demo_ctx, scope=scope, day=d, allowed=everywhere).iloc[0]
                for d in WEEK.dates()]  # fmt: skip
        assert whole["bookings_visitors"] == sum(d["bookings_visitors"] for d in days) > 0
        assert whole["peak_slot_load"] == pytest.approx(max(d["peak_slot_load"] for d in days))
        # the check-in rate of the week: checked-in over visitors, summed first
        checked = sum(d["bookings_checkin_rate"] * d["bookings_visitors"] for d in days)
        assert whole["bookings_checkin_rate"] == pytest.approx(checked / whole["bookings_visitors"])
        # status KPIs do not depend on the period
        today = scope_kpis(demo_ctx, scope=scope, day=WEEK.end, allowed=everywhere).iloc[0]
        for name in STATUS_KPIS:
            assert whole[name] == today[name] or (whole[name] is None and today[name] is None)


def test_a_period_not_ended_takes_the_store_now(demo_ctx):
    geo = demo_ctx.geo
    found = period_kpis(demo_ctx, scope=geo.scope("320100"), period=NOVEMBER,
                        allowed=geo.scope(None), now=LATE)  # fmt: skip
    assert found.status.basis == "current" and found.status.as_of == LATE
    now = scope_kpis(demo_ctx, scope=geo.scope("320100"), day=NOVEMBER.start, until=NOVEMBER.end,
                     allowed=geo.scope(None)).iloc[0]  # fmt: skip
    assert found.values == {k: kpi_value(k, now[k]) for k in KPI_NAMES}


def test_a_past_period_without_a_snapshot_leaves_status_blank(demo_ctx):
    geo = demo_ctx.geo
    found = period_kpis(demo_ctx, scope=geo.scope("320100"), period=WEEK,
                        allowed=geo.scope(None), now=LATE)  # fmt: skip
    assert found.status.basis == "unrecorded" and found.status.as_of is None
    assert all(found.values[k] is None for k in STATUS_KPIS)
    assert found.values["bookings_visitors"] > 0  # day KPIs are known whatever the status
    assert found.previous_status.basis == "unrecorded"


def test_a_past_period_takes_the_last_snapshot_before_its_end(demo_dir, tmp_path, demo_settings):
    shutil.copytree(demo_dir / "store", tmp_path / "store")
    settings = get_settings(data_dir=str(tmp_path), database_url="")
    taken = dt.datetime(2026, 11, 22, 18, 0)  # before the week's end (11-22 24:00)
    with Storage(settings).writer() as engine:
        assert record(engine, settings, now=taken) > 0
    ctx = Context(settings)
    geo = ctx.geo
    try:
        for code in ("320102", "320100", "320000"):
            found = period_kpis(ctx, scope=geo.scope(code), period=WEEK, allowed=geo.scope(None),
                                now=LATE)  # fmt: skip
            assert found.status.basis == "snapshot" and found.status.as_of == taken
            now = scope_kpis(ctx, scope=geo.scope(code), day=WEEK.end, allowed=geo.scope(None))
            for name in STATUS_KPIS:  # the snapshot was of this very data
                assert found.values[name] == kpi_value(name, now.iloc[0][name]), (code, name)
            assert found.previous_status.basis == "unrecorded"  # nothing before 11-15 24:00
            assert all(found.delta[k] is None for k in STATUS_KPIS)
        # the map's areas and the rankings read the same snapshot
        _, level, children, basis = period_child_kpis(ctx, scope=geo.scope("320100"),
                                                       period=WEEK, allowed=geo.scope(None),
                                                       now=LATE)  # fmt: skip
        assert level == "district" and basis.basis == "snapshot"
        assert children["cameras_total"].sum() > 0
        level, areas, basis = area_kpis(ctx, scope=geo.scope("320102"), period=WEEK,
                                        allowed=geo.scope(None), now=LATE)  # fmt: skip
        assert level == "grid" and basis.basis == "unrecorded"  # no snapshots of grid cells
        assert areas["cameras_total"].isna().all()
    finally:
        ctx.storage.close()


def test_period_kpis_refuse_a_scope_outside_the_permitted_one(demo_ctx):
    geo = demo_ctx.geo
    with pytest.raises(ScopeDenied):
        period_kpis(demo_ctx, scope=geo.scope("320100"), period=WEEK, allowed=geo.scope("320500"))


# ------------------------------------------------------------------ the API
def test_api_answers_a_period_as_period_kpis_does(client, demo_ctx):
    geo = demo_ctx.geo
    for code in ("320102", "320100", "320000", geo.grid_cells("320102")[0]):
        body = client.get(f"/api/v1/kpis?scope={code}&from=2026-11-01&to=2026-11-30").get_json()
        found = period_kpis(demo_ctx, scope=geo.scope(code), period=NOVEMBER,
                            allowed=geo.scope(None))  # fmt: skip
        assert body["kpis"] == found.values, code
        assert body["previous"]["kpis"] == found.previous
        assert body["delta"] == found.delta
        assert (body["from"], body["to"]) == ("2026-11-01", "2026-11-30")
        assert body["previous"]["from"] == "2026-10-01"
        assert body["status_basis"] == "current"
        assert set(body["kpis"]) == {k.name for k in KPIS}


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-11-31",
        "from=2026-11-30&to=2026-11-01",
        "from=2026-11-01&date=2026-11-02",
        "to=2026-11-01",
        "from=2024-01-01&to=2026-01-01",
    ],
)
def test_api_refuses_a_bad_period_with_400(client, query):
    r = client.get(f"/api/v1/kpis?scope=320100&{query}")
    assert r.status_code == 400
    assert "error" in r.get_json()


def test_one_day_period_equals_the_day_answer_for_day_kpis(client):
    day = client.get(f"/api/v1/kpis?scope=320100&date={DEMO_NOW.date()}").get_json()["kpis"]
    one = client.get(
        f"/api/v1/kpis?scope=320100&from={DEMO_NOW.date()}&to={DEMO_NOW.date()}"
    ).get_json()["kpis"]
    for k in KPIS:
        if k.per_day:
            assert day[k.name] == one[k.name]
