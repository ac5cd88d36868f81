"""The soak benchmark's pure parts: the growth slope, the window medians, stalls, the curve,
and the login helpers every benchmark server goes through (no server started)."""

from __future__ import annotations

import pytest

from benchmarks import soak


def test_slope_per_hour_of_a_straight_line():
    minutes = [30, 40, 50, 60]
    values = [100 + 0.5 * m for m in minutes]  # 0.5 MB a minute
    assert soak.slope_per_hour(minutes, values) == pytest.approx(30.0)


def test_slope_is_zero_when_flat_and_negative_when_shrinking():
    assert soak.slope_per_hour([0, 1, 2], [5, 5, 5]) == pytest.approx(0.0)
    assert soak.slope_per_hour([0, 30, 60], [300, 250, 200]) == pytest.approx(-100.0)


def test_slope_is_least_squares_not_first_to_last():
    # a spike in the middle pulls neither end: the fitted line through symmetric noise is flat
    assert soak.slope_per_hour([0, 1, 2, 3, 4], [10, 12, 50, 12, 10]) == pytest.approx(0.0)
    # first-to-last would say +60/h; the fit says +54/h
    assert soak.slope_per_hour([0, 1, 2, 3], [0, 0, 0, 3]) == pytest.approx(54.0)


def test_slope_skips_missing_values_and_needs_two_points():
    assert soak.slope_per_hour([0, 1, 2], [1, None, 3]) == pytest.approx(60.0)
    assert soak.slope_per_hour([0], [1]) is None
    assert soak.slope_per_hour([0, 1], [None, 1]) is None
    assert soak.slope_per_hour([5, 5], [1, 2]) is None  # all at one minute


def test_window_median():
    minutes = [0, 1, 2, 3, 50, 55, 60]
    values = [10, 30, 20, None, 7, 9, 8]
    assert soak.window_median(minutes, values, 0, 10) == 20
    assert soak.window_median(minutes, values, 50, 60) == 8
    assert soak.window_median(minutes, values, 20, 40) is None


def _samples(fn, minutes):
    return [{"minute": m, "server_rss_mb": fn(m), "js_heap_mb": 20.0} for m in minutes]


def test_growth_uses_the_second_half_and_the_ten_minute_windows():
    # warm-up: fast growth over the first 10 minutes, then flat at 400
    samples = _samples(lambda m: 300 + 10 * m if m < 10 else 400, range(0, 61))
    g = soak.growth(samples, keys=("server_rss_mb", "js_heap_mb"))
    assert g["server_rss_mb"]["slope_per_hour_second_half"] == pytest.approx(0.0)
    assert g["server_rss_mb"]["first_median"] == pytest.approx(350.0)  # minutes 0..10
    assert g["server_rss_mb"]["last_median"] == pytest.approx(400.0)  # minutes 50..60
    assert g["server_rss_mb"]["change"] == pytest.approx(50.0)
    assert g["js_heap_mb"]["change_pct"] == pytest.approx(0.0)
    assert g["js_heap_mb"]["window_minutes"] == 10


def test_growth_sees_a_steady_leak():
    samples = _samples(lambda m: 300 + 0.25 * m, range(0, 61))
    g = soak.growth(samples, keys=("server_rss_mb",))["server_rss_mb"]
    assert g["slope_per_hour_second_half"] == pytest.approx(15.0)
    assert g["change"] == pytest.approx(0.25 * 55 - 0.25 * 5)


def test_growth_of_a_short_run_compares_thirds():
    samples = _samples(lambda m: 100 + m, [0, 1, 2, 3])
    g = soak.growth(samples, keys=("server_rss_mb",))["server_rss_mb"]
    assert g["window_minutes"] == pytest.approx(1.0)
    assert g["first_median"] == pytest.approx(100.5)
    assert g["last_median"] == pytest.approx(102.5)


def test_growth_of_nothing():
    assert soak.growth([], keys=("server_rss_mb",)) == {"server_rss_mb": None}


def test_tick_stalls():
    ticks = [("0", 0), ("6", 1), ("12", 2), ("12", 3), (None, 4), ("30", 5)]
    samples = [{"minute": m, "tick": t} for t, m in ticks]
    assert soak.tick_stalls(samples) == [3, 4]
    assert soak.tick_stalls([{"minute": 0, "tick": "0"}, {"minute": 1, "tick": "12"}]) == []


def test_every_picks_one_sample_per_mark():
    samples = [{"minute": m + 0.02} for m in range(0, 13)]
    picked = [s["minute"] for s in soak.every(samples, 5)]
    assert picked == [0.02, 5.02, 10.02]
    assert soak.every([], 5) == []


def test_markdown_has_the_curve_and_the_growth():
    samples = [
        {"minute": m, "server_rss_mb": 300.0, "simulate_rss_mb": 200.0, "browser_pss_mb": 500.0,
         "js_heap_mb": 20.0, "dom_nodes": 900, "tick": str(12 * m), "store_mb": 90.0,
         "callback_ms_p50": 200.0, "loadavg": 1.5}
        for m in range(0, 11)
    ]  # fmt: skip
    text = soak.markdown({"samples": samples, "growth": soak.growth(samples)})
    rows = [line for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [r.split("|")[1].strip() for r in rows] == ["0", "5", "10"]
    assert "| server_rss_mb | 0.0 |" in text


def test_sign_in_without_the_demo_login_file_says_why(tmp_path):
    # demo mode makes its admin (and the file) only in a store without accounts
    with pytest.raises(RuntimeError, match=r"demo-login\.txt is missing.*already has"):
        soak.sign_in("http://127.0.0.1:9", tmp_path)


def test_the_session_cookie_for_requests_and_playwright():
    assert soak.cookies("abc") == {"cityops_session": "abc"}
    assert soak.cookies(None) == {}  # login off: nothing to send

    class Context:
        def __init__(self):
            self.added = []

        def add_cookies(self, cookies):
            self.added += cookies

        def cookies(self):
            return self.added

    context = Context()
    soak.add_session(context, None)
    assert context.added == [] and soak.session_in(context) is None
    soak.add_session(context, "abc")
    (cookie,) = context.added
    assert cookie == {"name": "cityops_session", "value": "abc", "domain": "127.0.0.1",
                           "path": "/", "httpOnly": True, "sameSite": "Lax"}  # fmt: skip
    assert soak.session_in(context) == "abc"
