"""The pure parts of `make bench`: key set, goals, table rendering, section replacement.

No timing, no browser, no store: what a result looks like and how it is written.
"""

from __future__ import annotations

import json

import pytest

from benchmarks import harness


def full_result(**overrides) -> dict:
    result = harness.new_result(
        "quick", {"kind": "small", "path": "benchmarks/.stores/small", "rows": {"cameras": 5900}}
    )
    result.update(
        date="2026-11-26T10:00:00+08:00",
        machine={
            "cores": 2,
            "ram_gb": 23.5,
            "cpu": "AMD EPYC",
            "loadavg_start": [1.0, 1, 1],
            "loadavg_end": [2.0, 1, 1],
        },
        versions={"python": "3.11.7", "duckdb": "2.0.1", "dash": "4.4.1", "chromium": "156"},
        kpis_server_p50_ms=12.0,
        kpis_server_p95_ms=20.0,
        drilldown_server_p95_ms=60.0,
        drilldown_browser_p95_ms=250.0,
        page_first_render_ms={"/": 900.0, "/video": 1200.0},
        camera_map_70k_first_render_ms=1500.0,
        cameras_csv_rows_per_s=350_000.0,
        gps_csv_rows_per_s=None,
        naive_pandas_kpis_p50_ms=120.0,
        naive_over_cityops_ratio=10.0,
        cost_growth={
            "method": "replicated rows",
            "factors": {
                "1": {
                    "rows": 100,
                    "kpis_p50_ms": 10.0,
                    "map_values_p50_ms": 11.0,
                    "pages_p50_ms": 30.0,
                },
                "100": None,
            },
            "reasons": {"100": "skipped in --quick"},
        },
    )
    harness.missing(result, "gps_csv_rows_per_s", "bench_load.py not present")
    result["notes"]["camera_map_70k_first_render_ms"] = "measured on the small store"
    result["conditions"]["camera_map_70k_first_render_ms"] = "clusters drawn"
    result.update(overrides)
    return harness.finish(result)


def test_bh001_new_result_has_every_key_none():
    result = harness.new_result("full", {"kind": "city"})
    for key in harness.KEYS:
        assert key in result and result[key] is None
    assert result["store"] == {"kind": "city"}


def test_bh002_finish_marks_goals_met_or_not_and_explains_missing_values():
    result = full_result()
    goals = result["goals"]
    assert set(goals) == set(harness.GOALS)
    assert goals["kpis_server_p50_ms"]["met"] is True  # 12 <= 18
    assert goals["drilldown_server_p95_ms"]["met"] is False  # 60 > 50
    assert goals["drilldown_browser_p95_ms"]["met"] is True
    assert goals["camera_map_70k_first_render_ms"]["met"] is False
    assert goals["cameras_csv_rows_per_s"]["met"] is True  # >= 300k
    assert goals["gps_csv_rows_per_s"]["met"] is None  # not measured: neither met nor not
    assert goals["kpis_server_p50_ms"]["measured_on"] == "small"
    assert result["reasons"]["gps_csv_rows_per_s"] == "bench_load.py not present"
    # every key without a value says why
    assert all(k in result["reasons"] for k in harness.KEYS if result[k] is None)
    json.dumps(result)  # JSON-ready


def test_bh003_goal_edges_are_inclusive():
    assert harness.goal_met("kpis_server_p50_ms", 18.0) is True
    assert harness.goal_met("kpis_server_p50_ms", 18.01) is False
    assert harness.goal_met("gps_csv_rows_per_s", 300_000) is True
    assert harness.goal_met("kpis_server_p95_ms", 1.0) is None  # no goal


def test_bh004_table_shows_every_key_goal_and_machine():
    text = harness.render_table(full_result())
    for key in harness.KEYS:
        if key != "cost_growth":
            assert f"`{key}`" in text, key
    assert "| `kpis_server_p50_ms` | 12.0 ms | <= 18 ms | met |" in text
    assert "| `drilldown_server_p95_ms` | 60.0 ms | <= 50 ms | **not met** |" in text
    assert "| `cameras_csv_rows_per_s` | 350,000 rows/s | >= 300000 rows/s | met |" in text
    assert "bench_load.py not present" in text
    assert "`page_first_render_ms` `/video` | 1,200 ms" in text
    assert "10.0×" in text
    assert "2 cores, 23.5 GB RAM, AMD EPYC" in text
    assert "DuckDB 2.0.1, Dash 4.4.1, Chromium 156" in text
    assert "| 100× | — (skipped in --quick)" in text
    assert "| 1× | 100 | 10.0 | 11.0 | 30.0 |" in text
    assert "- `camera_map_70k_first_render_ms`: measured on the small store" in text
    assert "- `camera_map_70k_first_render_ms`: clusters drawn" in text


def test_bh005_section_is_replaced_in_place_and_others_sections_kept():
    section = harness.render_section(full_result())
    doc = "# Benchmarks\n\nIntro.\n\n## Someone's section\n\ntext\n"
    once = harness.replace_section(doc, section)
    assert once.index(harness.START) < once.index("## Someone's section")
    assert once.count(harness.START) == 1
    again = harness.replace_section(once + "\n## Appended later\n", section.replace("12.0", "13.0"))
    assert again.count(harness.START) == 1 and again.count(harness.END) == 1
    assert "13.0 ms" in again and "| 12.0 ms |" not in again
    assert again.endswith("## Appended later\n")
    assert again.startswith("# Benchmarks\n\nIntro.\n\n")


def test_bh006_percentile_and_summary():
    assert harness.percentile([1, 2, 3, 4, 5], 50) == 3
    assert harness.percentile([1, 2], 95) == pytest.approx(1.95)
    assert harness.percentile([7], 95) == 7
    with pytest.raises(ValueError):
        harness.percentile([], 50)
    s = harness.summary([10.0, 20.0, 30.0])
    assert s == {"n": 3, "p50": 20.0, "p95": 29.0, "max": 30.0}


def test_bh007_machine_reports_cores_ram_and_cpu():
    m = harness.machine()
    assert m["cores"] >= 1
    assert m["cpu"]
    assert set(m) >= {"cores", "ram_gb", "cpu", "loadavg_start"}


def summary(p50, p95=None):
    return {"n": 3, "p50": p50, "p95": p95 if p95 is not None else p50, "max": p95 or p50}


SERVER = {
    "kpis": {"kpis": summary(20.0, 30.0), "map_values": summary(25.0)},
    "drill": {"total": summary(40.0, 70.0)},
    "pages": {"by_path": {"/": summary(100.0), "/video": summary(300.0), "/data": summary(50.0)}},
    "naive": {"kpis": summary(200.0), "same_answers": True, "differences": {}},
}
BROWSER = {
    "chromium": "156.0",
    "conditions": {"page_first_render_ms": "drawn"},
    "drilldown": {**summary(250.0, 280.0), "n": 25},
    "pages": {"/": summary(900.0), "/video": summary(1500.0)},
    "camera_map": summary(950.0),
}


def test_bh008_sub_results_fill_every_key_and_qualify_what_needs_qualifying():
    result = harness.new_result("quick", {"kind": "small"})
    result["versions"] = {}
    harness.fill_server(result, SERVER)
    harness.fill_browser(result, BROWSER, cameras=2000)
    result["cost_growth"] = {"factors": {"1": harness.growth_row(SERVER, 348_436)}}
    harness.missing(result, "cameras_csv_rows_per_s", "absent")
    harness.missing(result, "gps_csv_rows_per_s", "absent")
    report = {"pdf": {"runs_s": [3.2], "median_s": 3.2, "bytes": 900_000, "pages": 14}}
    harness.fill_report(result, "pdf_report_small_s", report)
    harness.fill_report(result, "pdf_report_s", {"pdf": {**report["pdf"], "median_s": 6.5}})
    harness.finish(result)
    assert set(harness.KEYS) <= set(result)
    assert result["pdf_report_small_s"] == 3.2 and result["pdf_report_s"] == 6.5
    assert result["goals"]["pdf_report_small_s"]["met"] is True
    assert result["goals"]["pdf_report_small_s"]["goal_store"] == "small"
    assert result["kpis_server_p50_ms"] == 20.0 and result["kpis_server_p95_ms"] == 30.0
    assert result["drilldown_server_p95_ms"] == 70.0
    assert result["drilldown_browser_p95_ms"] == 280.0
    assert result["page_first_render_ms"] == {"/": 900.0, "/video": 1500.0}
    assert result["naive_over_cityops_ratio"] == 10.0
    assert result["versions"]["chromium"] == "156.0"
    assert "2,000 cameras, not 70k" in result["notes"]["camera_map_70k_first_render_ms"]
    row = result["cost_growth"]["factors"]["1"]
    assert row == {
        "rows": 348_436,
        "kpis_p50_ms": 20.0,
        "kpis_p95_ms": 30.0,
        "map_values_p50_ms": 25.0,
        "pages_p50_ms": 100.0,
        "pages_ms": {"/": 100.0, "/video": 300.0, "/data": 50.0},
    }
    assert set(result["reasons"]) == {"cameras_csv_rows_per_s", "gps_csv_rows_per_s"}
    json.dumps(result)


def test_bh009_naive_answers_that_differ_are_said():
    result = harness.new_result("full", {"kind": "city"})
    wrong = {
        **SERVER,
        "naive": {
            **SERVER["naive"],
            "same_answers": False,
            "differences": {"320100": ["peak_slot_load"]},
        },
    }
    harness.fill_server(result, wrong)
    assert "peak_slot_load" in result["notes"]["naive_over_cityops_ratio"]
    result["versions"] = {}
    harness.fill_browser(result, BROWSER, cameras=70_000)
    assert "camera_map_70k_first_render_ms" not in result["notes"]


def test_bh010_a_failed_browser_timing_is_null_with_its_error_and_the_others_kept():
    result = harness.new_result("full", {"kind": "city"})
    result["versions"] = {}
    shown = {**BROWSER, "camera_map": {"error": "TimeoutError: clusters never drawn"}}
    harness.fill_browser(result, shown, cameras=70_000)
    assert result["camera_map_70k_first_render_ms"] is None
    assert "clusters never drawn" in result["reasons"]["camera_map_70k_first_render_ms"]
    assert result["drilldown_browser_p95_ms"] == 280.0
    assert result["page_first_render_ms"] == {"/": 900.0, "/video": 1500.0}


def test_bh011_a_page_that_fails_is_null_and_said_the_others_kept():
    result = harness.new_result("full", {"kind": "city"})
    result["versions"] = {}
    pages = {"/": summary(900.0), "/video": {"error": "TimeoutError: never drawn"}}
    harness.fill_browser(result, {**BROWSER, "pages": pages}, cameras=70_000)
    assert result["page_first_render_ms"] == {"/": 900.0, "/video": None}
    assert "/video: TimeoutError" in result["notes"]["page_first_render_ms"]
    assert "`page_first_render_ms` `/video` | —" in harness.render_table(harness.finish(result))


def test_bh012_a_busy_machine_and_how_keys_were_measured_are_said():
    result = full_result()
    assert "The machine was busy" not in harness.render_table(result)  # load 1.0 on 2 cores
    result["machine"]["loadavg_start"] = [6.5, 6, 6]
    result["details"] = {
        "server": SERVER
        | {
            "drill": {
                **SERVER["drill"],
                "page_callback": summary(30.0, 45.0),
                "geometry": summary(1.0),
                "clicks": [["320000", "320100"]],
                "repeat": 3,
            }
        }
    }
    text = harness.render_table(result)
    assert "The machine was busy (load average 6.5 on 2 cores" in text
    assert "- Drill, server: page callback p50 30.0 / p95 45.0 ms" in text
    assert "the same answers as the app" in text
