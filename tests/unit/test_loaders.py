"""Loaders: every dataset in every format, encoding, header language and CRS; bad rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cityops import store
from cityops.datasets import DATASETS
from cli import cli
from loaders.crs import from_wgs84, to_wgs84
from loaders.demo_files import FilePlan, _localise, write_file
from loaders.load import load_file, load_into
from loaders.read import FileRefused
from tests.loader_fixtures import DISTRICTS, PREREQUISITES, canonical

DATA = Path(__file__).resolve().parents[1] / "data"

VARIANTS = {
    "csv-utf8-en": dict(fmt="csv"),
    "csv-bom-zh": dict(fmt="csv", encoding="utf-8-sig", chinese=True),
    "csv-gbk-zh-title": dict(fmt="csv", encoding="gbk", chinese=True, title="某部门导出",
                             slashed_times=True),
    "csv-gb18030-zh": dict(fmt="csv", encoding="gb18030", chinese=True),
    "xlsx-zh-title": dict(fmt="xlsx", chinese=True, title="台账"),
    "xlsx-en": dict(fmt="xlsx"),
    "parquet-en": dict(fmt="parquet"),
    "geojson-en": dict(fmt="geojson"),
    "csv-gcj02": dict(fmt="csv", crs="gcj02"),
    "xlsx-bd09-zh": dict(fmt="xlsx", crs="bd09", chinese=True),
}  # fmt: skip
EXT = {"csv": "csv", "xlsx": "xlsx", "parquet": "parquet", "geojson": "geojson"}


def _cases():
    for dataset, spec in DATASETS.items():
        for name, variant in VARIANTS.items():
            located = spec.point is not None
            if not located and (variant["fmt"] == "geojson" or "crs" in variant):
                continue
            yield pytest.param(dataset, name, id=f"{dataset}-{name}")


def write_variant(frame: pd.DataFrame, dataset: str, variant: str, folder: Path) -> FilePlan:
    v = VARIANTS[variant]
    plan = FilePlan(dataset, f"{dataset}-{variant}.{EXT[v['fmt']]}", **v)
    write_file(_localise(frame, plan), plan, folder)
    return plan


def load_prerequisites(dataset, storage, geo, folder):
    for pre in PREREQUISITES.get(dataset, ()):
        plan = write_variant(canonical()[pre], pre, "csv-utf8-en", folder)
        with storage.writer() as engine:
            assert load_file(engine, geo, pre, folder / plan.name).quarantined == 0


def stored(storage, dataset) -> pd.DataFrame:
    spec = DATASETS[dataset]
    with storage.reader_engine().connect() as conn:
        frame = pd.read_sql(sa.select(spec.table), conn)
    return frame.sort_values(list(spec.key)).reset_index(drop=True)


@pytest.mark.parametrize(("dataset", "variant"), list(_cases()))
def test_every_dataset_loads_from_every_format(dataset, variant, fresh_store, tmp_path):
    _, storage, geo = fresh_store
    load_prerequisites(dataset, storage, geo, tmp_path)
    expected = canonical()[dataset]
    plan = write_variant(expected, dataset, variant, tmp_path)
    with storage.writer() as engine:
        report = load_file(engine, geo, dataset, tmp_path / plan.name, crs=plan.crs)
    assert (report.rows_read, report.inserted, report.quarantined) == (3, 3, 0), report
    got = stored(storage, dataset)
    spec = DATASETS[dataset]
    expected = expected.sort_values(list(spec.key)).reset_index(drop=True)
    for col in expected.columns:
        want, have = expected[col], got[col]
        if col.endswith(("lon", "lat")):
            assert np.allclose(have.astype(float), want.astype(float), atol=2e-6), col
        elif pd.api.types.is_datetime64_any_dtype(have) or col.endswith("_at") or col == "ts":
            assert list(pd.to_datetime(have)) == list(pd.to_datetime(want)), col
        else:
            norm = lambda s: [None if pd.isna(x) else x for x in s]  # noqa: E731
            assert norm(have) == norm(want), col
    if spec.point:
        by_key = dict(zip(canonical()[dataset][spec.key[0]], DISTRICTS, strict=True))
        placed = got.set_index(spec.key[0])[f"{spec.area_prefix}district_code"]
        if not spec.collapse_duplicates:
            assert placed.to_dict() == by_key


def test_chinese_text_survives_gbk(fresh_store, tmp_path):
    _, storage, geo = fresh_store
    with storage.writer() as engine:
        report = load_file(engine, geo, "cameras", DATA / "cameras_gbk_title.csv")
    assert report.encoding == "gb18030"
    assert report.inserted == 3
    names = set(stored(storage, "cameras")["name"])
    assert names == {"玄武湖东门", "平江路口", "项王故里"}


def test_title_lines_blank_rows_and_extra_columns(fresh_store):
    _, storage, geo = fresh_store
    with storage.writer() as engine:
        report = load_file(engine, geo, "cameras", DATA / "cameras_gbk_title.csv")
    assert report.ignored_columns == ["备注"]
    assert report.rows_read == 3  # title lines, the blank line and the trailing blank row skipped


# ------------------------------------------------------------------ bad rows
BAD = {
    # reason: (dataset, the bad row as CSV cells after the header, column named)
    "missing": ("cameras", ",无编号,公安,枪机,118.797,32.07,在线,是", "camera_id"),
    "type": ("cameras", "C9,坏经度,公安,枪机,abc,32.07,在线,是", "lon"),
    "range": ("rentals", "R9,地址,118.797,32.07,-5,1,1,张三,139,,未核查,", "floor_area_m2"),
    "enum": ("cameras", "C9,状态坏,公安,枪机,118.797,32.07,维修,是", "status"),
    "outside": ("cameras", "C9,上海,公安,枪机,121.4737,31.2304,在线,是", "lon"),
    "reference": ("video_events", "E9,NOPE,2026-11-25T09:00:00,烟火,待处置,", "camera_id"),
    "duplicate": ("cameras", "C1,玄武湖东门(重复),公安,枪机,118.797,32.07,离线,否", "camera_id"),
    "malformed": ("cameras", "C9,多列,公安,枪机,118.797,32.07,在线,是,x,y,z", None),
}
HEADERS = {
    "cameras": "点位编号,点位名称,所属部门,类型,经度,纬度,状态,是否智能分析",
    "rentals": "房屋编号,地址,经度,纬度,建筑面积,房间数,登记人数,房东姓名,房东电话,登记时间,核查状态,核查时间",
    "video_events": "事件编号,点位编号,发生时间,事件类型,状态,处置时间",
}
GOOD = {
    "cameras": ["C1,玄武湖东门,公安,枪机,118.797,32.07,在线,是", "C2,平江路口,城管,球机,120.62,31.31,离线,否"],
    "rentals": ["R1,某路1号,118.797,32.07,60,2,2,张三,13912341234,2026-11-25,未核查,",
                "R2,某巷2号,120.62,31.31,20,1,6,李四,13800001111,2026-11-25,责令整改,2026-11-25"],
    "video_events": ["E1,C1,2026-11-25T09:00:00,占道经营,待处置,", "E2,C1,2026-11-25 08:00,烟火,已处置,2026-11-25 09:00"],
}  # fmt: skip


@pytest.mark.parametrize("reason", list(BAD))
def test_each_kind_of_bad_row_is_quarantined_with_its_reason(reason, fresh_store, tmp_path):
    _, storage, geo = fresh_store
    dataset, bad, column = BAD[reason]
    if dataset == "video_events":
        with storage.writer() as engine:
            load_file(engine, geo, "cameras", DATA / "cameras_gbk_title.csv")
    # the bad row is the file's 4th line; for "duplicate" it repeats C1 of line 2,
    # which it supersedes
    lines = [HEADERS[dataset], *GOOD[dataset], bad]
    path = tmp_path / f"{reason}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with storage.writer() as engine:
        report = load_file(engine, geo, dataset, path)
    assert report.quarantined == 1, report
    assert report.inserted == 2
    assert report.rows_read == 3
    assert report.reasons == {f"quarantined:{reason}": 1}
    with storage.reader_engine().connect() as conn:
        issue = conn.execute(sa.text(
            "SELECT row_number, reason, column_name, message, raw FROM load_issues WHERE load_id = :l"
        ), {"l": report.load_id}).one()  # fmt: skip
    assert issue.reason == reason
    assert issue.column_name == column
    if reason == "duplicate":
        assert issue.row_number == 2 and "row 4" in issue.message  # line numbers of the file
        assert stored(storage, "cameras").set_index("camera_id").loc["C1", "status"] == "offline"
    elif reason != "malformed":
        assert issue.row_number == 4
        assert json.loads(issue.raw)  # the raw row is kept, nothing is lost


def test_a_disagreeing_district_code_is_flagged_and_the_point_wins(fresh_store, tmp_path):
    _, storage, geo = fresh_store
    path = tmp_path / "c.csv"
    path.write_text("camera_id,lon,lat,status,ai_enabled,district_code\n"
                    "C1,118.797,32.07,online,1,320104\nC2,118.797,32.07,online,0,320102\n",
                    encoding="utf-8")  # fmt: skip
    with storage.writer() as engine:
        report = load_file(engine, geo, "cameras", path)
    assert (report.inserted, report.flagged, report.quarantined) == (2, 1, 0)
    assert set(stored(storage, "cameras")["district_code"]) == {"320102"}


def test_track_duplicates_collapse(fresh_store, tmp_path):
    _, storage, geo = fresh_store
    path = tmp_path / "t.csv"
    path.write_text("vehicle_plate,ts,lon,lat,speed_kmh\n"
                    "苏A1,2026-11-25T09:00:00,118.797,32.07,50\n"
                    "苏A1,2026-11-25T09:00:00,118.797,32.07,50\n"
                    "苏A1,2026-11-25T09:00:30,118.798,32.07,51\n", encoding="utf-8")  # fmt: skip
    with storage.writer() as engine:
        report = load_file(engine, geo, "hazmat_tracks", path)
    assert (report.rows_read, report.inserted, report.collapsed, report.quarantined) == (3, 2, 1, 0)


def test_times_with_offsets_are_converted_to_shanghai(fresh_store, tmp_path):
    _, storage, geo = fresh_store
    path = tmp_path / "c.csv"
    path.write_text("camera_id,lon,lat,status,ai_enabled,last_seen\n"
                    "C1,118.797,32.07,online,true,2026-11-25T01:00:00Z\n"
                    "C2,118.797,32.07,online,false,2026-11-25T09:00:00+08:00\n"
                    "C3,118.797,32.07,online,N,2026/11/25 09:00\n", encoding="utf-8")  # fmt: skip
    with storage.writer() as engine:
        load_file(engine, geo, "cameras", path)
    assert set(stored(storage, "cameras")["last_seen"]) == {pd.Timestamp("2026-11-25 09:00")}


# ---------------------------------------------------------- idempotence, updates
def test_loading_the_same_file_twice_leaves_the_same_store(fresh_store, tmp_path):
    _, storage, geo = fresh_store
    plan = write_variant(canonical()["rentals"], "rentals", "csv-bom-zh", tmp_path)
    with storage.writer() as engine:
        first = load_file(engine, geo, "rentals", tmp_path / plan.name)
    before = stored(storage, "rentals")
    with storage.writer() as engine:
        second = load_file(engine, geo, "rentals", tmp_path / plan.name)
    pd.testing.assert_frame_equal(before, stored(storage, "rentals"))
    assert (first.inserted, first.updated) == (3, 0)
    assert (second.inserted, second.updated) == (0, 3)


def test_a_newer_file_updates_rows_in_place(fresh_store, tmp_path):
    _, storage, geo = fresh_store
    frame = canonical()["cameras"]
    write_variant(frame, "cameras", "csv-utf8-en", tmp_path)
    with storage.writer() as engine:
        load_file(engine, geo, "cameras", tmp_path / "cameras-csv-utf8-en.csv")
    frame.loc[0, "status"] = "fault"
    newer = pd.concat([frame, frame.iloc[[0]].assign(camera_id="C4")], ignore_index=True)
    write_variant(newer, "cameras", "csv-utf8-en", tmp_path)
    with storage.writer() as engine:
        report = load_file(engine, geo, "cameras", tmp_path / "cameras-csv-utf8-en.csv")
    assert (report.inserted, report.updated) == (1, 3)
    got = stored(storage, "cameras").set_index("camera_id")
    assert len(got) == 4 and got.loc["C1", "status"] == "fault"


# ------------------------------------------------------------------- refusals
REFUSED = {
    "garbage.csv": (b"\x00\xff\xfe\x81\x82\x83" * 50, "not text"),
    "wrong_dataset.csv": (b"booking_id,spot_id,visit_date\nB1,S1,2026-11-25\n", "looks like a bookings file"),
    "missing_required.csv": (b"camera_id,name,lon,lat\nC1,x,118.8,32.0\n", "required columns missing"),
    "broken.xlsx": (b"PK\x03\x04 not really a zip", "cannot read xlsx"),
    "broken.parquet": (b"PAR1 nope", "cannot read parquet"),
    "not_features.geojson": (b'{"type": "Point", "coordinates": [1, 2]}', "FeatureCollection"),
    "cameras.txt": (b"camera_id\n", "unsupported file type"),
}  # fmt: skip


def data_counts(storage) -> dict[str, int]:
    """Return the row count of every dataset table and of the quarantine."""
    with storage.reader_engine().connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                for t in (*store.DATASET_TABLES, store.load_issues)}  # fmt: skip


@pytest.mark.parametrize("name", list(REFUSED))
def test_unreadable_files_are_refused_change_no_data_and_are_recorded(name, fresh_store, tmp_path):
    _, storage, geo = fresh_store
    data, message = REFUSED[name]
    path = tmp_path / name
    path.write_bytes(data)
    version = storage.version_label()
    with pytest.raises(FileRefused, match=message), storage.writer() as engine:
        load_file(engine, geo, "cameras", path)
    assert storage.version_label() == version  # the failed writer published nothing
    before = data_counts(storage)
    with pytest.raises(FileRefused, match=message) as refused:
        load_into(storage, "cameras", path, geography=lambda _engine: geo)
    assert "\n" not in str(refused.value)
    # no data row changed; one refusal row was added to the load history
    assert data_counts(storage) == before
    with storage.reader_engine().connect() as conn:
        rows = conn.execute(sa.select(store.loads)).mappings().all()
    assert len(rows) == 1
    row = rows[0]
    assert (row["status"], row["dataset"], row["file"]) == ("refused", "cameras", name)
    assert row["refusal"] == str(refused.value) and row["load_id"] == refused.value.load_id
    assert (row["rows_read"], row["inserted"], row["quarantined"]) == (0, 0, 0)
    assert row["refusal_key"] == refused.value.key


def test_cli_report_json_and_exit_codes(fresh_store, tmp_path):
    settings, _, _ = fresh_store
    runner = CliRunner()
    base = ["--data-dir", settings.data_dir]
    ok = runner.invoke(
        cli, [*base, "load", "cameras", str(DATA / "cameras_gbk_title.csv"), "--json"]
    )
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout)
    for key in (
        "dataset",
        "file",
        "rows_read",
        "inserted",
        "updated",
        "quarantined",
        "flagged",
        "seconds",
    ):
        assert key in report
    assert report["inserted"] == 3
    table = runner.invoke(cli, [*base, "load", "cameras", str(DATA / "cameras_gbk_title.csv")])
    assert table.exit_code == 0 and "updated" in table.stdout
    bad = tmp_path / "wrong.csv"
    bad.write_text("booking_id,spot_id\nB1,S1\n", encoding="utf-8")
    refused = runner.invoke(cli, [*base, "load", "cameras", str(bad)])
    assert refused.exit_code == 2
    assert refused.stderr.strip().count("\n") == 0 and refused.stderr.startswith("refused:")
    listed = runner.invoke(cli, [*base, "quarantine", "list"])
    assert "cameras_gbk_title.csv" in listed.stdout
    shown = runner.invoke(cli, [*base, "quarantine", "show", report["load_id"]])
    assert shown.exit_code == 0


# ------------------------------------------------------------------------ CRS
def test_crs_round_trips_and_matches_the_reference_formula():
    from cnmaps.geo import wgs84_to_gcj02 as reference

    lon = np.array([118.797, 120.62, 118.29, 121.0])
    lat = np.array([32.07, 31.31, 33.955, 32.5])
    for crs in ("gcj02", "bd09"):
        back = to_wgs84(*from_wgs84(lon, lat, crs), crs)
        assert np.allclose(back[0], lon, atol=1e-6) and np.allclose(back[1], lat, atol=1e-6)
    g = from_wgs84(lon, lat, "gcj02")
    for i in range(len(lon)):
        assert np.allclose((g[0][i], g[1][i]), reference(lon[i], lat[i]), atol=1e-9)
    # Baidu's published offset of 天安门 (BD-09 116.404, 39.915 ~ GCJ-02 116.3976, 39.9090)
    gcj = to_wgs84(*from_wgs84(np.array([116.404]), np.array([39.915]), "bd09"), "bd09")
    assert np.allclose(gcj, ([116.404], [39.915]), atol=1e-6)


def test_demo_files_exist_for_trying_by_hand(demo_dir):
    files = sorted(p.name for p in (demo_dir / "demo").iterdir())
    assert {"video_events.parquet", "hazmat_alarms.geojson", "rentals.csv"} <= set(files)
    assert any(f.endswith(".xlsx") for f in files)


def test_fixture_data_folder_is_small():
    assert sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file()) < 200_000


def test_personal_columns_are_declared_once_in_the_specs():
    from cityops.datasets import mask, personal_columns

    assert personal_columns() == {
        "vehicle_plate": "plate",
        "landlord_name": "name",
        "landlord_phone": "phone",
        "address": "address",  # the household part: unit, floor, room
    }
    for spec in DATASETS.values():
        if any(c.name == "vehicle_plate" for c in spec.columns):
            assert spec.column("vehicle_plate").personal == "plate"
    assert mask("name", "张小明") == "张*明"
    assert mask("phone", "13912341234") == "139****1234"
    assert mask("plate", "苏F12345") == "苏F·1****"
    assert mask("address", "玄武区中山路12号3单元502室") == "玄武区中山路12号****"
    assert mask("address", "某小区5栋") == "某小区5栋"  # the building alone is no household
    assert mask("phone", None) == "—"
    with pytest.raises(ValueError):
        mask("email", "a@b")
