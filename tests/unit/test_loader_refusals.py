"""What departments actually send: other sheets, other separators, units in headers,
files of another dataset; refusals recorded and shown; personal data masked when shown.

Every refusal is one line that names what was expected and what was found.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import plotly.utils
import pytest
import sqlalchemy as sa

from cityops import store
from cityops.datasets import DATASETS
from cityops.geo import PROVINCE
from cityops.queries import catalogue
from cityops.queries.context import Context, current, install
from loaders.demo_files import FilePlan, _localise, write_file
from loaders.load import load_into
from loaders.read import FileRefused, read_file
from tests.conftest import request_as
from tests.loader_fixtures import canonical
from tests.pg import pg_engine

CAMERAS_ZH = "点位编号,点位名称,经度,纬度,状态,是否智能分析\n"
CAMERA_ROWS = "C1,东门,118.797,32.07,在线,是\nC2,西门,120.62,31.31,离线,否\n"
NOW = dt.datetime.now()
RAW_TEXT = ("Error", "Traceback", "Exception", "BadZip", "UnicodeDecodeError", "[Errno")


def load(fresh_store, path, dataset="cameras", **kwargs):
    _, storage, geo = fresh_store
    return load_into(storage, dataset, path, geography=lambda _engine: geo, **kwargs)


def refusal(fresh_store, path, dataset="cameras", **kwargs) -> str:
    with pytest.raises(FileRefused) as refused:
        load(fresh_store, path, dataset, **kwargs)
    text = str(refused.value)
    assert "\n" not in text and not any(word in text for word in RAW_TEXT), text
    return text


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def rows(fresh_store, table) -> pd.DataFrame:
    with fresh_store[1].reader_engine().connect() as conn:
        return pd.read_sql(sa.select(table), conn)


def chinese_file(dataset: str, folder, name: str, fmt: str = "csv", **plan) -> FilePlan:
    """Write the canonical rows of ``dataset`` with Chinese headers."""
    spec = FilePlan(dataset, name, fmt=fmt, chinese=True, **plan)
    write_file(_localise(canonical()[dataset], spec), spec, folder)
    return folder / name


# ---------------------------------------------------------------- (a) sheets
def workbook(path, sheets: dict[str, pd.DataFrame]) -> None:
    with pd.ExcelWriter(path) as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)


def test_the_sheet_holding_the_header_is_read_and_the_others_named(fresh_store, tmp_path):
    path = tmp_path / "cameras.xlsx"
    notes = pd.DataFrame({"填表说明": ["坐标为WGS84", "状态：在线/离线/故障"]})
    summary = pd.DataFrame({"区县": ["玄武区"], "点位数": [1]})
    workbook(path, {"说明": notes, "汇总": summary, "点位": canonical()["cameras"]})
    report = load(fresh_store, path)
    assert (report.sheet, report.skipped_sheets) == ("点位", ["说明", "汇总"])
    assert report.inserted == 3
    assert report.to_dict()["sheet"] == "点位"


def test_sheet_by_name_or_number(fresh_store, tmp_path):
    path = tmp_path / "two.xlsx"
    first = canonical()["cameras"].iloc[:1]
    workbook(path, {"一月": first, "二月": canonical()["cameras"]})
    assert load(fresh_store, path).sheet == "一月"  # the first sheet with the header
    assert load(fresh_store, path, sheet="二月").inserted == 2
    assert load(fresh_store, path, sheet="1").sheet == "一月"
    text = refusal(fresh_store, path, sheet="3")
    assert text == "no sheet 3 in the workbook: its sheets are 一月, 二月"


def test_a_workbook_without_the_header_names_its_sheets(fresh_store, tmp_path):
    path = tmp_path / "notes.xlsx"
    workbook(path, {"说明": pd.DataFrame({"a": [1]}), "空表": pd.DataFrame()})
    text = refusal(fresh_store, path)
    assert text.startswith("no header row of a cameras file found on any sheet (说明, 空表)")
    assert "camera_id (点位编号)" in text


def test_a_sheet_given_for_a_csv_is_a_warning(fresh_store, tmp_path):
    report = load(fresh_store, write(tmp_path, "c.csv", CAMERAS_ZH + CAMERA_ROWS), sheet="2")
    assert report.warnings == ["--sheet applies to Excel workbooks only: ignored for a csv file"]


# ---------------------------------------------------------------- (b) delimiters
@pytest.mark.parametrize(("delimiter", "encoding"), [(";", "utf-8"), ("\t", "gbk"),
                                                     ("|", "utf-8-sig"), (",", "gb18030")])  # fmt: skip
def test_semicolon_tab_and_bar_separated_files_load(delimiter, encoding, fresh_store, tmp_path):
    text = f"某局视频点位导出{delimiter}{delimiter}\n" + (CAMERAS_ZH + CAMERA_ROWS).replace(
        ",", delimiter
    )
    report = load(fresh_store, write(tmp_path, "c.csv", text, encoding))
    assert (report.inserted, report.quarantined, report.delimiter) == (2, 0, delimiter)
    stored = rows(fresh_store, store.cameras).sort_values("camera_id")
    assert stored["name"].tolist() == ["东门", "西门"]
    assert stored["status"].tolist() == ["online", "offline"]


def test_a_semicolon_file_with_decimal_commas_is_read_by_its_header(tmp_path):
    text = "camera_id;lon;lat;status;ai_enabled\nC1;118,797;32,07;online;1\n"
    table = read_file(write(tmp_path, "c.csv", text), DATASETS["cameras"])
    assert table.delimiter == ";" and table.frame["lon"].tolist() == ["118,797"]


# ---------------------------------------------------------------- (c) units in headers
@pytest.mark.parametrize(
    ("dataset", "renames"),
    [
        ("cameras", {"lon": "经度（°）", "lat": "纬度(°)"}),
        ("rentals", {"lon": "经度【度】", "lat": "纬度", "floor_area_m2": "建筑面积(m²)"}),
        ("rentals", {"floor_area_m2": "建筑面积（平方米）", "occupants": "登记人数(人)"}),
        ("hazmat_waybills", {"tonnage": "载重(吨)", "origin_lon": "起运地经度(°)"}),
        ("hazmat_waybills", {"tonnage": "载重（t）"}),
        ("hazmat_tracks", {"speed_kmh": "速度(km/h)", "lon": "经度 (°)"}),
        ("hazmat_tracks", {"speed_kmh": "速度（公里/小时）"}),
    ],
)
def test_headers_with_a_unit_match(dataset, renames, fresh_store, tmp_path):
    frame = canonical()[dataset].rename(columns=renames)
    path = tmp_path / f"{dataset}.csv"
    frame.to_csv(path, index=False)
    report = load(fresh_store, path, dataset)
    assert (report.inserted, report.quarantined, report.ignored_columns) == (3, 0, [])
    stored = rows(fresh_store, DATASETS[dataset].table)
    for column in renames:
        assert stored[column].notna().all(), column


# ---------------------------------------------------------------- (d) missing columns
def test_a_missing_column_names_the_unknown_headers_and_the_closest_name(fresh_store, tmp_path):
    text = "点位编号,经度,纬度,在线状况,是否智能分析,备注\nC1,118.797,32.07,在线,是,\n"
    assert refusal(fresh_store, write(tmp_path, "c.csv", text)) == (
        "required columns missing for cameras: status (状态); columns found that are not in "
        "the contract: 在线状况, 备注; did you mean 在线状况 → 在线状态 (status)?"
    )


def test_a_misspelt_english_header_is_suggested(fresh_store, tmp_path):
    text = "camera_id,lon,lat,status,ai_enable\nC1,118.797,32.07,online,1\n"
    text = refusal(fresh_store, write(tmp_path, "c.csv", text))
    assert "ai_enabled (是否智能分析)" in text and "did you mean ai_enable → ai_enabled?" in text


def test_a_missing_column_without_other_headers(fresh_store, tmp_path):
    text = "camera_id,lon,lat,status\nC1,118.797,32.07,online\n"
    assert refusal(fresh_store, write(tmp_path, "c.csv", text)) == (
        "required columns missing for cameras: ai_enabled (是否智能分析)"
    )


# ---------------------------------------------------------------- (e) another dataset
def test_a_rentals_file_loaded_as_cameras_is_named(fresh_store, tmp_path):
    path = chinese_file("rentals", tmp_path, "出租屋.csv")
    text = refusal(fresh_store, path)
    assert text.startswith("this looks like a rentals file (出租房屋: it has 房屋编号, 经度")
    assert text.endswith("not a cameras file: load it with `cityops load rentals …`")


def _pairs():
    for given in DATASETS:
        for asked in DATASETS:
            if given != asked:
                yield pytest.param(given, asked, id=f"{given}-as-{asked}")


@pytest.mark.parametrize(("given", "asked"), list(_pairs()))
def test_a_file_of_another_dataset_is_refused_naming_it(given, asked, tmp_path):
    """Whenever a file is refused as another dataset, the refusal names the right one."""
    path = chinese_file(given, tmp_path, f"{given}.csv")
    spec = DATASETS[asked]
    try:
        from loaders.clean import clean_table

        clean_table(read_file(path, spec), spec)
    except FileRefused as exc:
        assert str(exc).startswith(f"this looks like a {given} file"), str(exc)
    else:  # accepted: every required column of ``asked`` is there (tracks ⊂ alarms)
        required = {c.name for c in spec.columns if c.required}
        assert required <= {c.name for c in DATASETS[given].columns}


def test_its_own_file_never_looks_like_another_dataset(tmp_path):
    from loaders.read import guess_dataset

    for name, spec in DATASETS.items():
        for chinese in (False, True):
            plan = FilePlan(name, f"{name}-{chinese}.csv", fmt="csv", chinese=chinese)
            frame = _localise(canonical()[name], plan)
            assert guess_dataset([list(frame.columns)], spec) is None, (name, chinese)


# ---------------------------------------------------------------- (f) CRS named in a title
@pytest.mark.parametrize(
    ("title", "crs", "word"),
    [
        ("视频点位台账（高德坐标）", "gcj02", "高德"),
        ("坐标系：GCJ-02", "gcj02", "GCJ-02"),
        ("火星坐标导出", "gcj02", "火星坐标"),
        ("百度地图拾取", "bd09", "百度"),
        ("坐标 BD09", "bd09", "BD-09"),
    ],
)
def test_a_title_naming_another_crs_is_a_warning_not_a_refusal(title, crs, word, fresh_store,
                                                                tmp_path):  # fmt: skip
    path = write(tmp_path, "c.csv", f"{title},,\n" + CAMERAS_ZH + CAMERA_ROWS)
    report = load(fresh_store, path)
    assert report.inserted == 2
    assert len(report.warnings) == 1
    assert f"mentions {word} ({crs} coordinates) but they were read as wgs84" in report.warnings[0]
    assert f"--crs {crs}" in report.warnings[0]
    assert report.to_dict()["warnings"] == report.warnings
    stored = catalogue.loads(fresh_store[1], allowed=PROVINCE)
    assert json.loads(stored["warnings"][0])[0]["key"] == "warning.crs_title"


def test_no_crs_warning_when_the_crs_given_matches_or_nothing_is_named(fresh_store, tmp_path):
    named = write(tmp_path, "a.csv", "台账（高德坐标）,,\n" + CAMERAS_ZH + CAMERA_ROWS)
    assert load(fresh_store, named, crs="gcj02").warnings == []
    plain = write(tmp_path, "b.csv", "某区视频点位（WGS84）,,\n" + CAMERAS_ZH + CAMERA_ROWS)
    assert load(fresh_store, plain).warnings == []
    worded = write(tmp_path, "c.csv", "BDA 项目 abd,,\n" + CAMERAS_ZH + CAMERA_ROWS)
    assert load(fresh_store, worded).warnings == []


def test_a_header_naming_another_crs_is_a_warning(fresh_store, tmp_path):
    text = "点位编号,经度(百度),纬度(百度),状态,是否智能分析\nC1,118.797,32.07,在线,是\n"
    report = load(fresh_store, write(tmp_path, "c.csv", text))
    assert report.inserted == 1 and 'the column "经度(百度)" mentions 百度' in report.warnings[0]


# ---------------------------------------------------------------- refusals in words
@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("empty.csv", b"", "the file is empty (0 bytes): expected a cameras file"),
        ("u16.csv", "camera_id,lon\n".encode("utf-16"), "the file is UTF-16 text"),
        ("u16be.csv", "camera_id,lon\n".encode("utf-16-be"), "the file is UTF-16 text"),
        ("bin.csv", b"\x00\x9f\xff" * 100, "the file is not text (it holds binary bytes)"),
        ("zip.csv", b"PK\x03\x04rest", "this is an Excel workbook or a ZIP archive named .csv"),
        ("bad.xlsx", b"PK\x03\x04garbage", "cannot read xlsx: the file is damaged or is not"),
        ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel 97-2003 (.xls) or password"),
        ("text.xlsx", b"camera_id,lon\n", "cannot read xlsx: this is a text file named .xlsx"),
        ("old.xls", b"x", "an old Excel 97-2003 workbook (.xls): open it in Excel and save it"),
        ("c.txt", b"camera_id\n", "unsupported file type .txt: expected .csv, .xlsx, .parquet"),
        ("c.doc", b"x", "unsupported file type .doc: expected"),
        ("bad.parquet", b"PAR1xxxxPAR1", "cannot read parquet: the file is damaged"),
        ("bad.geojson", b"{", "not valid GeoJSON: the JSON is broken at line 1, column 2"),
        ("list.geojson", b"[]", "not a GeoJSON FeatureCollection (found a JSON list)"),
        ("bom.csv", b"\xef\xbb\xbfcamera_id\n\xff\n", "starts with a UTF-8 mark but is not UTF-8"),
    ],
)
def test_each_refusal_is_one_line_naming_what_was_expected_and_found(name, data, expected,
                                                                     fresh_store, tmp_path):  # fmt: skip
    path = tmp_path / name
    path.write_bytes(data)
    assert expected in refusal(fresh_store, path)


def test_a_missing_path_is_refused(fresh_store, tmp_path):
    assert refusal(fresh_store, tmp_path / "nope.csv").startswith("no such file: ")
    assert refusal(fresh_store, tmp_path / "nope.txt").startswith("no such file: ")


def test_refusals_have_both_languages(tmp_path):
    from cityops.text.i18n import t

    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(FileRefused) as refused:
        read_file(path, DATASETS["rentals"])
    assert t(refused.value.key, "zh", **refused.value.params) == (
        "文件是空的（0 字节）：应为一个 rentals 数据文件"
    )


# ---------------------------------------------------------------- 7: refusals recorded
def test_a_refusal_is_in_the_catalogue_and_does_not_refresh_the_dataset(fresh_store, tmp_path):
    _, storage, _ = fresh_store
    good = write(tmp_path, "good.csv", CAMERAS_ZH + CAMERA_ROWS)
    load(fresh_store, good)
    now = NOW
    loaded = catalogue.datasets(storage, allowed=PROVINCE, now=now).set_index("dataset")
    bad = chinese_file("rentals", tmp_path, "rentals-as-cameras.csv")
    text = refusal(fresh_store, bad)
    after = catalogue.datasets(storage, allowed=PROVINCE, now=now).set_index("dataset")
    cams = after.loc["cameras"]
    assert cams["refused_total"] == 1 and cams["last_refusal"] == text
    assert cams["last_refused_file"] == "rentals-as-cameras.csv"
    assert cams["last_refused_at"] is not None and cams["last_refusal_key"] == "refusal.looks_like"
    # the refusal is no load of data: freshness and counts are those of the accepted file
    for column in ("loads", "last_loaded_at", "last_file", "rows", "quarantined_last"):
        assert cams[column] == loaded.loc["cameras", column], column
    assert after.loc["rentals", "refused_total"] == 0
    history = catalogue.loads(storage, allowed=PROVINCE)
    assert history["status"].tolist() == ["refused", "accepted"]
    refused_only = catalogue.loads(storage, allowed=PROVINCE, status="refused")
    assert refused_only["refusal"].tolist() == [text]


def test_the_api_lists_refusals(fresh_store, tmp_path, client):
    settings, _, _ = fresh_store
    refusal(fresh_store, write(tmp_path, "x.csv", ""), "rentals")
    previous = current()
    install(Context(settings))
    try:
        body = client.get("/api/v1/datasets").get_json()
    finally:
        install(previous)
    rentals = next(d for d in body["datasets"] if d["dataset"] == "rentals")
    assert rentals["refused_total"] == 1
    assert rentals["last_refusal"] == "the file is empty (0 bytes): expected a rentals file"
    assert rentals["last_refused_at"] and rentals["loads"] == 0 and rentals["stale"]


# ---------------------------------------------------------------- migration
OLD_COLUMNS = [(t.name, c) for t, c in store.MIGRATIONS]


def _drop_new_columns(engine) -> None:
    """Make the store look like one created before the refusal and message-key columns."""
    with engine.begin() as conn:
        for table in {t for t, _ in OLD_COLUMNS}:
            dropped = {c for t, c in OLD_COLUMNS if t == table}
            keep = [c.name for c in store.metadata.tables[table].c if c.name not in dropped]
            if store.is_duckdb(conn):  # DuckDB cannot drop a column of an indexed table
                cols = ", ".join(f'"{c}"' for c in keep)
                conn.exec_driver_sql(f'CREATE TABLE "old_{table}" AS SELECT {cols} FROM "{table}"')
                conn.exec_driver_sql(f'DROP TABLE "{table}"')
                conn.exec_driver_sql(f'ALTER TABLE "old_{table}" RENAME TO "{table}"')
            else:
                for column in sorted(dropped):
                    conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')


def test_a_store_created_before_the_new_columns_keeps_working(fresh_store, tmp_path):
    _, storage, _ = fresh_store
    good = write(tmp_path, "good.csv", CAMERAS_ZH + CAMERA_ROWS + "C3,x,1,1,在线,是\n")
    load_id = load(fresh_store, good).load_id
    with storage.writer() as engine:
        pass  # a fresh version to make old
    path = storage.current_version()
    engine = store.make_engine(f"duckdb:///{path}")
    _drop_new_columns(engine)
    with engine.connect() as conn:
        assert "status" not in store.table_columns(conn, store.loads)
    engine.dispose()
    # readers (the web server, `cityops quarantine`) read the old store as it is
    reader = storage
    assert catalogue.loads(reader, allowed=PROVINCE)["status"].tolist() == ["accepted"]
    assert (
        catalogue.datasets(reader, allowed=PROVINCE, now=NOW)
        .set_index("dataset")
        .loc["cameras", "refused_total"]
        == 0
    )
    old_issues = catalogue.issues(reader, allowed=PROVINCE, load_id=load_id)
    assert old_issues["message_key"].isna().all() and len(old_issues) == 2
    # the next writer adds the columns; refusals are recorded from then on
    refusal(fresh_store, write(tmp_path, "e.csv", ""))
    reader = storage
    with storage.reader_engine().connect() as conn:
        have = store.table_columns(conn, store.loads) | store.table_columns(conn, store.load_issues)
    assert {c for _, c in OLD_COLUMNS} <= have
    assert catalogue.loads(reader, allowed=PROVINCE)["status"].tolist() == ["refused", "accepted"]
    with storage.writer() as engine:
        assert store.migrate(engine) == []  # idempotent


@pytest.mark.postgres
def test_the_migration_runs_on_postgresql():
    engine, cleanup = pg_engine()
    try:
        store.create_schema(engine)
        _drop_new_columns(engine)
        assert sorted(store.migrate(engine)) == sorted(f"{t}.{c}" for t, c in OLD_COLUMNS)
        assert store.migrate(engine) == []
        store.create_schema(engine)  # what every writer session runs
        with engine.connect() as conn:
            assert "refusal" in store.table_columns(conn, store.loads)
    finally:
        engine.dispose()
        cleanup()


# ---------------------------------------------------------------- 16: personal data
NAME, PHONE = "欧阳小明", "13912345678"


def rentals_with_personal_bad_rows(tmp_path):
    """A rentals file whose quarantined rows hold a landlord's full name and phone."""
    frame = _localise(canonical()["rentals"], FilePlan("rentals", "r.csv", fmt="csv", chinese=True))
    frame = frame.astype(object)
    frame.loc[0, "房东姓名"], frame.loc[0, "房东电话"] = NAME, PHONE
    frame.loc[0, "房间数"] = "两间"  # quarantined: type
    text = frame.to_csv(index=False)
    extra = f"R9,某路9号,118.797,32.07,50,1,1,{NAME},{PHONE},,正常,,多余\n"  # malformed
    path = tmp_path / "出租屋.csv"
    path.write_text(text + extra, encoding="utf-8")
    return path


def test_quarantined_rows_are_masked_at_the_read_boundary(fresh_store, tmp_path):
    _, storage, _ = fresh_store
    report = load(fresh_store, rentals_with_personal_bad_rows(tmp_path), "rentals")
    assert report.quarantined == 2
    with storage.reader_engine().connect() as conn:  # the quarantine keeps the row as read
        stored = conn.execute(sa.select(store.load_issues.c.raw)).scalars().all()
    assert all(NAME in raw for raw in stored)
    malformed = next(json.loads(r) for r in stored if "(extra 1)" in r)
    assert malformed["房东电话"] == PHONE  # keyed by the file's headers
    shown = catalogue.issues(storage, allowed=PROVINCE, load_id=report.load_id)
    assert set(shown["reason"]) == {"type", "malformed"}
    text = shown.to_json(force_ascii=False)
    assert NAME not in text and PHONE not in text
    for raw in shown["raw"]:
        row = json.loads(raw)
        assert (row["房东姓名"], row["房东电话"]) == ("欧**明", "139****5678")


def test_plates_are_masked_and_legacy_rows_masked_whole(fresh_store, tmp_path):
    _, storage, _ = fresh_store
    frame = canonical()["hazmat_tracks"].astype(object)
    frame.loc[0, "lon"] = "东经"
    path = tmp_path / "gps.csv"
    frame.rename(columns={"vehicle_plate": "车牌号"}).to_csv(path, index=False)
    report = load(fresh_store, path, "hazmat_tracks")
    shown = catalogue.issues(storage, allowed=PROVINCE, load_id=report.load_id)
    assert json.loads(shown["raw"][0])["车牌号"] == "苏A·1****"
    # a row stored before rows were keyed by header: every field masked
    with storage.writer() as engine, engine.begin() as conn:
        conn.execute(store.load_issues.insert().values(
            load_id="legacy", dataset="rentals", row_number=5, severity="quarantined",
            reason="malformed", message="row has 3 fields, more than the header",
            raw=json.dumps({"fields": ["R1", NAME, PHONE]}, ensure_ascii=False)))  # fmt: skip
    legacy = catalogue.issues(storage, allowed=PROVINCE, load_id="legacy")
    assert NAME not in legacy["raw"][0] and PHONE not in legacy["raw"][0]


def _page(settings, load_id: str, lang: str, dash_app):
    import dash

    layout_of = dash.page_registry["pages.data"]["layout"]
    previous = current()
    install(Context(settings))
    try:
        headers = {"Cookie": f"cityops_lang={lang}"}
        with request_as(dash_app, "/data", headers=headers):
            layout = layout_of(load=load_id)
    finally:
        install(previous)
    assert layout.className == "data-page", "the page failed"
    return json.dumps(layout.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder,
                      ensure_ascii=False)  # fmt: skip


def test_the_data_page_shows_quarantined_rows_masked_and_translated(fresh_store, tmp_path,
                                                                    dash_app):  # fmt: skip
    settings, _, _ = fresh_store
    report = load(fresh_store, rentals_with_personal_bad_rows(tmp_path), "rentals")
    zh = _page(settings, report.load_id, "zh", dash_app)
    en = _page(settings, report.load_id, "en", dash_app)
    for page in (zh, en):
        assert NAME not in page and PHONE not in page
        assert "欧**明" in page and "139****5678" in page
    assert "类型或格式错误" in zh and "rooms：'两间' 不是整数" in zh and "出租房屋" in zh
    assert "wrong type or form" in en and "rooms: '两间' is not a whole number" in en
    assert "Rental housing" in en and "malformed row" in en


def test_the_data_page_shows_refused_loads(fresh_store, tmp_path, dash_app):
    settings, storage, _ = fresh_store
    refusal(fresh_store, chinese_file("rentals", tmp_path, "r.csv"))
    refused_id = catalogue.loads(storage, allowed=PROVINCE)["load_id"][0]
    en = _page(settings, refused_id, "en", dash_app)
    assert "This file was refused and changed nothing: this looks like a rentals file" in en
    assert '"status": "refused"' in en and "Refused (all loads)" in en
    zh = _page(settings, refused_id, "zh", dash_app)
    assert "该文件被拒收，未写入任何数据：这看起来是 rentals 文件" in zh
    assert '"status": "已拒收"' in zh


def test_a_hand_written_semicolon_file_with_units_and_an_amap_title(fresh_store):
    from tests.unit.test_loaders import DATA

    path = DATA / "rentals_semicolon_amap.csv"
    as_wgs84 = load(fresh_store, path, "rentals")
    assert (as_wgs84.encoding, as_wgs84.delimiter) == ("gb18030", ";")
    assert (as_wgs84.inserted, as_wgs84.quarantined, as_wgs84.ignored_columns) == (2, 1, [])
    assert "mentions 高德 (gcj02 coordinates)" in as_wgs84.warnings[0]
    as_gcj02 = load(fresh_store, path, "rentals", crs="gcj02")
    assert (as_gcj02.updated, as_gcj02.warnings) == (2, [])
    stored = rows(fresh_store, store.rentals).set_index("unit_id")
    assert stored.loc["R1", "district_code"] == "320102"
    assert stored.loc["R1", ["lon", "lat"]].tolist() == pytest.approx([118.797, 32.070], abs=1e-5)
    shown = catalogue.issues(fresh_store[1], allowed=PROVINCE, load_id=as_gcj02.load_id)
    assert "欧阳小明" not in shown["raw"][0] and "13912345678" not in shown["raw"][0]
    assert json.loads(shown["raw"][0])["房东电话"] == "139****5678"
