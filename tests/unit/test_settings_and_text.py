"""Settings precedence and documentation; the translation table; formatting."""

import ast
import datetime as dt
import re
from pathlib import Path

import pytest

from cityops.settings import SETTINGS, get_settings
from cityops.text.formatting import (
    fmt_count,
    fmt_date,
    fmt_rate,
    fmt_tick,
    fmt_tonnes,
    mask_name,
    mask_phone,
    mask_plate,
    nice_ticks,
)
from cityops.text.i18n import TABLE, t

REPO = Path(__file__).resolve().parents[2]


def test_explicit_beats_environment_beats_default(monkeypatch):
    monkeypatch.delenv("CITYOPS_PORT", raising=False)
    assert get_settings().port == 8050
    monkeypatch.setenv("CITYOPS_PORT", "9000")
    assert get_settings().port == 9000
    assert get_settings(port=9100).port == 9100


def test_bad_values_are_refused_with_the_variable_name(monkeypatch):
    monkeypatch.setenv("CITYOPS_GRID_RESOLUTION", "eight")
    with pytest.raises(ValueError, match="CITYOPS_GRID_RESOLUTION"):
        get_settings()


def test_default_store_is_the_versioned_duckdb_store_under_the_data_dir(tmp_path):
    from cityops.store.versions import Storage

    storage = Storage(get_settings(data_dir=str(tmp_path), database_url=""))
    assert storage.versioned
    assert storage.root == tmp_path / "store"


def test_rental_city_thresholds_parse(monkeypatch):
    s = get_settings(rental_city_thresholds="320500=6:2,320100=5:2.5")
    assert s.rental_thresholds() == {"320500": (6.0, 2.0), "320100": (5.0, 2.5)}
    with pytest.raises(ValueError, match="RENTAL_CITY_THRESHOLDS"):
        get_settings(rental_city_thresholds="320500").rental_thresholds()


def test_every_setting_is_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for s in SETTINGS:
        assert f"`{s.env}`" in readme, f"{s.env} missing from README.md"
        assert s.help, s.name


def test_every_label_has_both_languages():
    for key, (zh, en) in TABLE.items():
        assert zh and en, key
        if key != "lang.toggle":  # the toggle names the other language
            assert re.search(r"[\u4e00-\u9fff]", zh), f"{key}: Chinese text expected"


def _docstrings(tree) -> set[int]:
    """Return ids of the string nodes that are docstrings."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def test_no_chinese_literals_outside_the_translation_table():
    """Every string a page or component shows comes from cityops/i18n.py."""
    offenders = []
    files = [REPO / "app.py", *(REPO / "pages").rglob("*.py"), *(REPO / "components").rglob("*.py")]
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docs
                and re.search(r"[\u4e00-\u9fff]", node.value)
            ):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")  # fmt: skip
    assert not offenders, offenders


def test_labels_format():
    assert t("overview.map_title", "zh", level="区县", kpi="在线率") == "区县分布：在线率"
    assert t("kpi.cameras_total", "en") == "Cameras"


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [(70_000, "7.0万", "70.0k"), (120_000_000, "1.2亿", "120M"), (9_876, "9,876", "9,876"),
     (0, "0", "0"), (None, "—", "—")],
)  # fmt: skip
def test_counts(value, zh, en):
    assert fmt_count(value, "zh") == zh
    assert fmt_count(value, "en") == en


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [(20_000, "2万", "20k"), (25_000, "2.5万", "25k"), (12_500, "1.25万", "12.5k"),
     (5_000, "5,000", "5,000"), (150_000_000, "1.5亿", "150M"), (0.5, "0.5", "0.5"), (0, "0", "0")],
)  # fmt: skip
def test_axis_ticks_use_chinese_units_without_needless_zeros(value, zh, en):
    assert fmt_tick(value, "zh") == zh
    assert fmt_tick(value, "en") == en


def test_nice_ticks_cover_the_data_in_round_steps():
    assert nice_ticks(47_000) == [0, 20_000, 40_000, 60_000]
    assert nice_ticks(2, integer=True) == [0, 1, 2]
    assert nice_ticks(0) == [0, 1]
    ticks = nice_ticks(123_456)
    assert ticks[0] == 0 and ticks[-1] >= 123_456 and len(ticks) <= 6


def test_rates_tonnes_dates():
    assert fmt_rate(0.9834) == "98.3%"
    assert fmt_rate(None) == "—"
    assert fmt_tonnes(12.34, "zh") == "12.3 吨"
    assert fmt_tonnes(12.34, "en") == "12.3 t"
    assert fmt_date(dt.date(2026, 11, 25), "zh") == "2026年11月25日"
    assert fmt_date(dt.date(2026, 11, 25), "en") == "25 Nov 2026"


def test_personal_data_masks():
    assert mask_name("张三") == "张*"
    assert mask_name("张小明") == "张*明"
    assert mask_phone("13912341234") == "139****1234"
    assert mask_plate("苏F12345") == "苏F·1****"
