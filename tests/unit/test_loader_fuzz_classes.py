"""Nothing lost, nothing garbled, nothing executed: the classes a fuzz run of 854 files found.

Each class is reproduced by a hand-made file: every clean row must be stored with
its intended values, every bad row quarantined with a reason and its line number,
and a file that cannot be read right refused with a specific message. The last
test generates malformed variants of valid files in every format (seeded) and
checks that each is accepted with every row accounted for, or refused in words.
"""

from __future__ import annotations

import io
import json
import random
import time
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from openpyxl import Workbook

from cityops import store
from cityops.datasets import DATASETS
from cityops.text.i18n import TABLE, t
from cli import cli
from loaders.load import load_file, load_into
from loaders.read import FileRefused
from tests.loader_fixtures import canonical

HEADER = "camera_id,name,lon,lat,status,ai_enabled"
RAW_TEXT = ("Error:", "Exception", "Traceback", "Error(", "errno", "codec can't")


def rows_text(n: int, start: int = 1) -> list[str]:
    """Return ``n`` good camera rows (in 玄武区) as CSV lines: C1,门1,…"""
    return [f"C{i},门{i},118.797,32.07,online,1" for i in range(start, start + n)]


def write(tmp_path: Path, name: str, data: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def load(fresh_store, path, dataset="cameras", **kwargs):
    _, storage, geo = fresh_store
    return load_into(storage, dataset, path, geography=lambda _engine: geo, **kwargs)


def refused(fresh_store, path, dataset="cameras", **kwargs) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        load(fresh_store, path, dataset, **kwargs)
    exc = caught.value
    assert exc.key in TABLE and "\n" not in str(exc), str(exc)
    assert not any(word in str(exc) for word in RAW_TEXT), str(exc)
    assert t(exc.key, "zh", **exc.params)  # it reads in Chinese too
    return exc


def table(fresh_store, dataset="cameras") -> pd.DataFrame:
    spec = DATASETS[dataset]
    with fresh_store[1].reader_engine().connect() as conn:
        frame = pd.read_sql(sa.select(spec.table), conn)
    return frame.set_index(spec.key[0]) if len(spec.key) == 1 else frame


def issues(fresh_store, load_id: str) -> pd.DataFrame:
    with fresh_store[1].reader_engine().connect() as conn:
        return pd.read_sql(
            sa.select(store.load_issues).where(store.load_issues.c.load_id == load_id), conn
        ).sort_values("row_number", ignore_index=True)


def accounted(report) -> None:
    """Every row read is inserted, updated, quarantined or collapsed."""
    total = report.inserted + report.updated + report.quarantined + report.collapsed
    assert total == report.rows_read, report


# ---------------------------------------------------------------- 1. a stray quote
def test_a_stray_quote_quarantines_its_line_and_every_row_after_it_loads(fresh_store, tmp_path):
    lines = rows_text(1200)
    lines[2] = 'C3,"西门 12寸,118.797,32.07,online,1'  # line 4 of the file
    report = load(fresh_store, write(tmp_path, "stray.csv", "\n".join([HEADER, *lines]) + "\n"))
    assert (report.rows_read, report.inserted, report.quarantined) == (1200, 1199, 1)
    stored = table(fresh_store)
    assert len(stored) == 1199 and "C3" not in stored.index
    assert stored.loc["C4", "name"] == "门4" and stored.loc["C1200", "name"] == "门1200"
    bad = issues(fresh_store, report.load_id)
    assert bad[["row_number", "reason"]].values.tolist() == [[4, "malformed"]]
    assert 'the quote (") opening the column "name" is never closed' in bad["message"][0]
    assert json.loads(bad["raw"][0])["name"] == '"西门 12寸'


def test_a_stray_quote_closed_by_a_later_quoted_value(fresh_store, tmp_path):
    lines = rows_text(8)
    lines[2] = 'C3,"西门 12寸,118.797,32.07,online,1'
    lines[6] = 'C7,"东门, 北侧",118.797,32.07,online,1'  # a proper quoted value
    lines[7] = 'C8,"多行\n名称",118.797,32.07,online,1'  # a proper value on two lines
    report = load(fresh_store, write(tmp_path, "s.csv", "\n".join([HEADER, *lines]) + "\n"))
    assert (report.rows_read, report.inserted, report.quarantined) == (8, 7, 1)
    stored = table(fresh_store)
    assert stored.loc["C7", "name"] == "东门, 北侧" and stored.loc["C8", "name"] == "多行\n名称"
    assert issues(fresh_store, report.load_id)["row_number"].tolist() == [4]


def test_a_quote_left_open_on_the_last_line(fresh_store, tmp_path):
    lines = [*rows_text(3), 'C4,门4,118.797,32.07,online,"1']
    report = load(fresh_store, write(tmp_path, "e.csv", "\n".join([HEADER, *lines])))
    assert (report.rows_read, report.inserted, report.quarantined) == (4, 3, 1)
    assert issues(fresh_store, report.load_id)["row_number"].tolist() == [5]


def test_every_physical_line_is_a_row_or_a_quarantined_line(fresh_store, tmp_path):
    """Lines 2..N: each is stored (its id is its line) or quarantined with that line."""
    rng = random.Random(11)
    lines = []
    for n in range(2, 402):
        line = f"L{n},名{n},118.797,32.07,online,1"
        if rng.random() < 0.03:
            line = line.replace(f"名{n}", f'"名{n}')  # a stray quote
        elif rng.random() < 0.03:
            line = f"L{n},名{n},118.797"  # a short row
        lines.append(line)
    report = load(fresh_store, write(tmp_path, "l.csv", "\n".join([HEADER, *lines]) + "\n"))
    accounted(report)
    stored = set(table(fresh_store).index)
    bad = set(issues(fresh_store, report.load_id)["row_number"])
    assert {int(i[1:]) for i in stored} | bad == set(range(2, 402))
    assert not {int(i[1:]) for i in stored} & bad
    assert report.rows_read == 400


# ---------------------------------------------------------------- 2. sheets
def test_a_three_sheet_workbook_with_data_on_sheet_two(fresh_store, tmp_path):
    book = Workbook()
    notes = book.active
    notes.title = "说明"
    notes.append(["填表说明"])
    notes.append(["坐标为 WGS84"])
    data = book.create_sheet("点位")
    frame = canonical()["cameras"]
    data.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        data.append(list(row))
    summary = book.create_sheet("汇总")
    summary.append(["区县", "点位数"])
    summary.append(["玄武区", 1])
    path = tmp_path / "three.xlsx"
    book.save(path)
    report = load(fresh_store, path)
    assert (report.sheet, report.skipped_sheets) == ("点位", ["说明", "汇总"])
    assert (report.rows_read, report.inserted, report.quarantined) == (3, 3, 0)
    assert report.to_dict()["sheet"] == "点位"
    assert table(fresh_store).loc["C2", "name"] == "平江路口"


# ---------------------------------------------------------------- 3. line endings, long fields
def test_a_bare_cr_inside_a_value_is_a_line_break_in_it_not_a_row(fresh_store, tmp_path):
    lines = rows_text(4)
    lines[1] = "C2,门\r二,118.797,32.07,online,1"  # unquoted
    lines[2] = 'C3,"门\r三",118.797,32.07,online,1'  # quoted
    report = load(fresh_store, write(tmp_path, "cr.csv", "\n".join([HEADER, *lines]) + "\n"))
    assert (report.rows_read, report.inserted, report.quarantined) == (4, 4, 0)
    stored = table(fresh_store)
    assert stored.loc["C2", "name"] == "门\n二" and stored.loc["C3", "name"] == "门\n三"
    assert report.normalised["line_breaks_in_values"] == 1
    assert any("carriage returns (CR) inside values" in w for w in report.warnings)


@pytest.mark.parametrize("ending", ["\r", "\r\n", "mixed"])
def test_cr_only_crlf_and_mixed_line_endings_load(ending, fresh_store, tmp_path):
    lines = [HEADER, *rows_text(5), "C6,门6,118.797,32.07,broken,1", *rows_text(2, start=7)]
    if ending == "mixed":
        breaks = ["\r\n", "\n", "\r"] * 3
        text = "".join(line + breaks[i] for i, line in enumerate(lines))
    else:
        text = ending.join(lines) + ending
    report = load(fresh_store, write(tmp_path, "e.csv", text))
    assert (report.rows_read, report.inserted, report.quarantined) == (8, 7, 1)
    assert issues(fresh_store, report.load_id)["row_number"].tolist() == [7]  # C6's line


def test_an_overlong_field_quarantines_its_row_never_the_file(fresh_store, tmp_path):
    lines = rows_text(40)
    lines[1] = f"C2,{'长' * 200_000},118.797,32.07,online,1"  # in the header area's 30 records
    lines[35] = f"C36,{'x' * 5_000_000},118.797,32.07,online,1"  # 5 MB, later
    lines[5] = f"{'C' * 101},门6,118.797,32.07,online,1"  # an id longer than ids may be
    report = load(fresh_store, write(tmp_path, "long.csv", "\n".join([HEADER, *lines]) + "\n"))
    assert (report.rows_read, report.inserted, report.quarantined) == (40, 37, 3)
    assert report.reasons == {"quarantined:too_long": 3}
    bad = issues(fresh_store, report.load_id)
    assert bad["row_number"].tolist() == [3, 7, 37]
    assert bad["column_name"].tolist() == ["name", "camera_id", "name"]
    assert "5000000 characters, more than the 2000 allowed" in bad["message"][2]
    assert "101 characters, more than the 100 allowed" in bad["message"][1]
    assert bad["raw"].str.len().max() < 3_000  # the quarantine keeps the row, cut
    assert table(fresh_store)["name"].str.len().max() < 10


def test_the_field_limit_is_a_setting(fresh_store, tmp_path, monkeypatch):
    from cityops.settings import SETTINGS

    assert any(s.name == "max_field_chars" and s.default == 2000 for s in SETTINGS)
    monkeypatch.setenv("CITYOPS_MAX_FIELD_CHARS", "10")
    text = f"{HEADER}\nC1,门1,118.797,32.07,online,1\nC2,{'名' * 11},118.797,32.07,online,1\n"
    path = write(tmp_path, "c.csv", text)
    _, storage, geo = fresh_store
    with storage.writer() as engine:
        report = load_file(engine, geo, "cameras", path)
    assert (report.inserted, report.quarantined) == (1, 1)


# ---------------------------------------------------------------- 4. encodings
BIG5_TEXT = (
    "camera_id,name,department,lon,lat,status,ai_enabled\n"
    "C1,東門廣場,公安,118.797,32.07,online,1\nC2,西門口,交通,118.797,32.07,offline,0\n"
    "C3,項王故里,文旅,118.797,32.07,fault,1\n"
)
SJIS_TEXT = BIG5_TEXT.replace("東門廣場", "東京駅前カメラ").replace("項王故里", "大阪城公園")


@pytest.mark.parametrize(("encoding", "text"), [("big5", BIG5_TEXT), ("shift_jis", SJIS_TEXT)])
def test_big5_and_shift_jis_are_refused_naming_them_then_load_when_named(encoding, text,
                                                                         fresh_store, tmp_path):  # fmt: skip
    path = write(tmp_path, f"{encoding}.csv", text, encoding)
    exc = refused(fresh_store, path)
    assert exc.key == "refusal.encoding_likely" and exc.params["encoding"] == encoding
    assert "line 2" in str(exc) and f"--encoding {encoding}" in str(exc)
    assert table(fresh_store).empty
    report = load(fresh_store, path, encoding=encoding)
    assert (report.encoding, report.inserted, report.quarantined) == (encoding, 3, 0)
    want = pd.read_csv(io.StringIO(text), dtype=str).set_index("camera_id")
    stored = table(fresh_store)
    assert stored["name"].to_dict() == want["name"].to_dict()
    assert stored["department"].to_dict() == want["department"].to_dict()


def test_utf8_with_one_stray_byte_is_refused_naming_the_line(fresh_store, tmp_path):
    text = "点位编号,点位名称,经度,纬度,状态,是否智能分析\nC1,玄武湖东门,118.797,32.07,在线,是\n"
    data = (text + "C2,平江路口,120.62,31.31,离线,否\n").encode()
    data = data.replace("平江".encode(), b"\xe9" + "平江".encode())  # a Latin-1 é
    exc = refused(fresh_store, write(tmp_path, "u.csv", data))
    assert exc.key == "refusal.utf8_stray"
    assert str(exc).startswith(
        "the file is UTF-8 except for 1 byte(s) that are not (the first on line 3"
    )


def test_an_encoding_given_is_strict_and_an_unknown_one_is_named(fresh_store, tmp_path):
    path = write(
        tmp_path, "g.csv", "点位编号,经度,纬度,状态,是否智能分析\nC1,118.797,32.07,在线,是\n", "gbk"
    )
    exc = refused(fresh_store, path, encoding="utf-8")
    assert str(exc) == "the file is not valid utf-8 text: line 1 (byte 0) cannot be decoded"
    assert refused(fresh_store, path, encoding="klingon").key == "refusal.unknown_encoding"
    assert load(fresh_store, path, encoding="gbk").inserted == 1
    report = load(fresh_store, path)  # detected as before
    assert (report.encoding, report.updated) == ("gb18030", 1)


def test_cli_takes_an_encoding(fresh_store, tmp_path):
    settings, _, _ = fresh_store
    path = write(tmp_path, "big5.csv", BIG5_TEXT, "big5")
    runner = CliRunner()
    base = ["--data-dir", settings.data_dir, "load", "cameras", str(path)]
    no = runner.invoke(cli, base)
    assert no.exit_code == 2 and "--encoding big5" in no.stderr
    yes = runner.invoke(cli, [*base, "--encoding", "big5", "--json"])
    assert yes.exit_code == 0, yes.output
    assert json.loads(yes.stdout)["encoding"] == "big5"


# ---------------------------------------------------------------- 5. numbers, invisible characters
def test_decimal_commas_and_thousands_separators_are_read_ambiguity_quarantined(fresh_store,
                                                                               tmp_path):  # fmt: skip
    semicolons = ("unit_id;lon;lat;floor_area_m2;rooms;occupants;inspection_status\n"
                  "R1;118,797;32,07;60,5;2;2;\nR2;118,797;32,07;1.234,5;3;1;\n")  # fmt: skip
    report = load(fresh_store, write(tmp_path, "r.csv", semicolons), "rentals")
    assert (report.inserted, report.quarantined) == (2, 0)
    stored = table(fresh_store, "rentals")
    assert stored.loc["R1", ["lon", "lat", "floor_area_m2"]].tolist() == [118.797, 32.07, 60.5]
    assert stored.loc["R2", "floor_area_m2"] == 1234.5
    assert report.normalised["decimal_commas"] == 6
    assert any("decimal comma (60,5 as 60.5)" in w for w in report.warnings)
    commas = ("unit_id,lon,lat,floor_area_m2,rooms,occupants,inspection_status\n"
              'R3,118.797,32.07,"60,5",2,2,\nR4,118.797,32.07,"1,234",2,2,\n'
              'R5,118.797,32.07,"5,5,5",2,2,\n')  # fmt: skip
    report = load(fresh_store, write(tmp_path, "q.csv", commas), "rentals")
    assert (report.inserted, report.quarantined) == (2, 1)
    stored = table(fresh_store, "rentals")
    assert stored.loc["R3", "floor_area_m2"] == 60.5 and stored.loc["R4", "floor_area_m2"] == 1.234
    bad = issues(fresh_store, report.load_id)
    assert bad[["row_number", "reason", "column_name"]].values.tolist() == [
        [4, "ambiguous_number", "floor_area_m2"]
    ]
    alone = ("unit_id,lon,lat,floor_area_m2,rooms,occupants,inspection_status\n"
             'R6,118.797,32.07,"1,234",2,2,\n')  # fmt: skip
    report = load(fresh_store, write(tmp_path, "a.csv", alone), "rentals")
    assert report.reasons == {"quarantined:ambiguous_number": 1}  # 1.234 m² or 1234 m²?
    population = 'district_code,year,population\n320102,2024,"1,234,567"\n320104,2024,"537,825"\n'
    report = load(fresh_store, write(tmp_path, "p.csv", population), "district_population")
    assert report.inserted == 2
    assert sorted(table(fresh_store, "district_population")["population"]) == [537825, 1234567]


def test_a_bom_nul_and_zero_width_characters_are_removed_and_counted(fresh_store, tmp_path):
    lines = rows_text(4)
    lines[1] = "\ufeffC2,门\x002,118.797,32.07,online,1"  # a BOM in mid-file, a NUL
    lines[2] = "C3\u200b,门3\u200d,118.797,32.07,online,1"
    text = "camera_id,\u200bname,lon,lat,status,ai_enabled\n" + "\n".join(lines) + "\n"
    report = load(fresh_store, write(tmp_path, "z.csv", text))
    assert (report.inserted, report.quarantined, report.flagged) == (4, 0, 2)
    stored = table(fresh_store)
    assert sorted(stored.index) == ["C1", "C2", "C3", "C4"]
    assert stored.loc["C2", "name"] == "门2" and stored.loc["C3", "name"] == "门3"
    assert report.normalised == {"invisible_characters": 5, "nul_bytes": 1}
    assert report.warnings == [
        "removed 5 invisible or control characters (U+200B ×2, U+FEFF ×1, NUL ×1, U+200D ×1) "
        "from headers, camera_id, name"
    ]
    bad = issues(fresh_store, report.load_id)
    assert bad[["row_number", "severity", "reason", "column_name"]].values.tolist() == [
        [3, "flagged", "invisible", "camera_id"],
        [4, "flagged", "invisible", "camera_id"],
    ]


@pytest.mark.postgres
def test_nul_bytes_load_the_same_on_postgresql(tmp_path, areas_frame):
    from cityops.geo import Geography
    from tests.pg import pg_engine

    engine, cleanup = pg_engine()
    try:
        store.create_schema(engine)
        with engine.begin() as conn:
            store.bulk_insert(conn, store.areas, areas_frame)
        geo = Geography(areas_frame, ("320100",), 8)
        lines = rows_text(3)
        lines[1] = "C2\x00,门\x002,118.797,32.07,online,1"
        lines[2] = "C3,门3,118.797,32.07,bad\x00,1"  # quarantined: its message, its raw row
        path = write(tmp_path, "n.csv", "\n".join([HEADER, *lines]) + "\n")
        report = load_file(engine, geo, "cameras", path)
        assert (report.inserted, report.quarantined, report.flagged) == (2, 1, 1)
        with engine.connect() as conn:
            found = conn.execute(sa.select(store.cameras.c.camera_id, store.cameras.c.name))
            names = dict(found.all())
        assert names == {"C1": "门1", "C2": "门2"}
    finally:
        engine.dispose()
        cleanup()


# ---------------------------------------------------------------- 5. Parquet, Excel
def cameras_parquet(path: Path, **columns) -> Path:
    base = {"camera_id": ["C1", "C2"], "name": ["东门", "西门"], "lon": [118.797, 118.797],
            "lat": [32.07, 32.07], "status": ["online", "offline"], "ai_enabled": [True, False]}  # fmt: skip
    base.update(columns)
    pq.write_table(pa.table(base), path)
    return path


def test_parquet_binary_text_decodes_as_utf8_or_refuses_naming_the_column(fresh_store, tmp_path):
    names = pa.array(["东门".encode(), "西门".encode()], pa.binary())
    report = load(fresh_store, cameras_parquet(tmp_path / "b.parquet", name=names))
    assert report.inserted == 2
    assert table(fresh_store)["name"].to_dict() == {"C1": "东门", "C2": "西门"}
    gbk = pa.array(["东门".encode(), "西门".encode("gbk")], pa.binary())
    exc = refused(fresh_store, cameras_parquet(tmp_path / "g.parquet", name=gbk))
    assert str(exc) == ("column name of the Parquet file holds bytes that are not UTF-8 text "
                        "(row 2): expected text columns as UTF-8 strings")  # fmt: skip
    nested = pa.array([["东门"], None], pa.list_(pa.string()))
    report = load(fresh_store, cameras_parquet(tmp_path / "n.parquet", name=nested))
    assert (report.updated, report.quarantined) == (1, 1)
    assert "a list or object where a single value belongs" in issues(
        fresh_store, report.load_id)["message"][0]  # fmt: skip


def workbook(path: Path, rows: list[list], merges=(), cells=None) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["点位编号", "点位名称", "所属部门", "经度", "纬度", "状态", "是否智能分析"])
    for row in rows:
        sheet.append(row)
    for span in merges:
        sheet.merge_cells(span)
    for ref, value in (cells or {}).items():
        sheet[ref] = value
    book.save(path)
    return path


def test_merged_cells_fill_down_where_the_spec_says_so_else_quarantine(fresh_store, tmp_path):
    rows = [[f"C{i}", f"门{i}", "公安" if i in (1, 4) else None, 118.797, 32.07, "在线", "是"]
            for i in range(1, 7)]  # fmt: skip
    path = workbook(tmp_path / "m.xlsx", rows, merges=["C2:C4", "B6:B7", "A5:A6"])
    report = load(fresh_store, path)
    # department (a grouping column) fills C3:C4; name and camera_id never do
    assert (report.rows_read, report.inserted, report.quarantined) == (6, 4, 2)
    assert report.normalised["merged_cells_filled"] == 2
    stored = table(fresh_store)
    assert stored.loc[["C1", "C2", "C3", "C4"], "department"].tolist() == ["公安"] * 4
    assert sorted(stored.index) == ["C1", "C2", "C3", "C4"]
    bad = issues(fresh_store, report.load_id)
    assert bad[["row_number", "reason", "column_name"]].values.tolist() == [
        [6, "merged", "camera_id"],
        [7, "merged", "name"],
    ]
    assert "cell B7 lies inside the merged range B6:B7" in bad["message"][1]


def test_formulas_without_a_value_and_error_values_are_quarantined(fresh_store, tmp_path):
    rows = [[f"C{i}", f"门{i}", "公安", 118.797, 32.07, "在线", "是"] for i in range(1, 6)]
    cells = {"C3": "#N/A", "G4": "=1+1", "B5": "#DIV/0!", "C6": "=A1"}
    report = load(fresh_store, workbook(tmp_path / "f.xlsx", rows, cells=cells))
    assert (report.rows_read, report.inserted, report.quarantined) == (5, 1, 4)
    bad = issues(fresh_store, report.load_id)
    assert bad[["row_number", "reason", "column_name"]].values.tolist() == [
        [3, "spreadsheet_error", "department"],
        [4, "formula_without_value", "ai_enabled"],
        [5, "spreadsheet_error", "name"],
        [6, "formula_without_value", "department"],
    ]
    assert "cell C3 holds the spreadsheet error #N/A" in bad["message"][0]
    text = (
        f"{HEADER},department\nC1,门1,118.797,32.07,online,1,#N/A\nC2,门2,118.797,32.07,online,1,\n"
    )
    report = load(fresh_store, write(tmp_path, "e.csv", text))
    assert report.reasons == {"quarantined:spreadsheet_error": 1}


# ---------------------------------------------------------------- 10. fuzz
SEED = 20261125


def _valid_files(folder: Path) -> dict[str, Path]:
    """Return a valid cameras file per format: Chinese headers, a title, 40 rows."""
    frame = pd.concat([canonical()["cameras"]] * 14, ignore_index=True).iloc[:40]
    frame["camera_id"] = [f"F{i}" for i in range(len(frame))]
    zh = frame.rename(columns={"camera_id": "点位编号", "name": "点位名称", "lon": "经度",
                               "lat": "纬度", "status": "状态", "ai_enabled": "是否智能分析"})  # fmt: skip
    out = {}
    out["csv"] = folder / "valid.csv"
    out["csv"].write_bytes(("视频点位台账\n" + zh.to_csv(index=False)).encode("gb18030"))
    out["xlsx"] = folder / "valid.xlsx"
    with pd.ExcelWriter(out["xlsx"]) as writer:
        zh.to_excel(writer, index=False, startrow=1)
    out["parquet"] = folder / "valid.parquet"
    frame.to_parquet(out["parquet"], index=False)
    out["geojson"] = folder / "valid.geojson"
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
                 "properties": {"camera_id": r.camera_id, "name": r.name, "status": r.status,
                                "ai_enabled": bool(r.ai_enabled)}}
                for r in frame.itertuples()]  # fmt: skip
    out["geojson"].write_text(json.dumps({"type": "FeatureCollection", "features": features},
                                         ensure_ascii=False), encoding="utf-8")  # fmt: skip
    return out


def _zip_damaged(data: bytes, rng: random.Random) -> bytes:
    """Rewrite an xlsx with one member spoiled: cut, garbled or missing."""
    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    victim = rng.choice(names)
    how = rng.choice(["cut", "garble", "drop"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name in names:
            body = src.read(name)
            if name == victim:
                if how == "drop":
                    continue
                if how == "cut":
                    body = body[: rng.randrange(len(body) + 1)]
                else:
                    body = bytes(b ^ 0x5A if rng.random() < 0.05 else b for b in body)
            out.writestr(name, body)
    return buffer.getvalue()


def _variants(files: dict[str, Path], rng: random.Random):
    """Yield ``(name, suffix, bytes)``: malformed variants of each valid file."""
    for fmt, path in files.items():
        data = path.read_bytes()
        ext = f".{fmt}"
        yield f"{fmt}-zero", ext, b""
        for k in range(6):
            yield f"{fmt}-truncated{k}", ext, data[: rng.randrange(1, len(data))]
        for k in range(6):
            spot = rng.randrange(len(data))
            noise = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
            yield f"{fmt}-inserted{k}", ext, data[:spot] + noise + data[spot:]
        for k in range(4):
            spoiled = bytearray(data)
            for _ in range(rng.randrange(1, 6)):
                spoiled[rng.randrange(len(spoiled))] = rng.randrange(256)
            yield f"{fmt}-flipped{k}", ext, bytes(spoiled)
        for other in (".csv", ".xlsx", ".parquet", ".geojson"):
            if other != ext:
                yield f"{fmt}-named{other}", other, data
    text = files["csv"].read_bytes().decode("gb18030")
    lines = text.split("\n")
    csv_cases = {
        "stray-quotes": "\n".join(
            line.replace(",", ',"', 1) if rng.random() < 0.1 else line for line in lines
        ),
        "cr-inside": text.replace("门", "门\r", 3),
        "cr-only": text.replace("\n", "\r"),
        "mixed-endings": "".join(line + rng.choice(["\n", "\r\n", "\r"]) for line in lines),
        "nul-and-bom": text.replace("F1,", "\ufeffF1,").replace("东门", "东\x00门"),
        "huge-line": text + "F99," + "长" * 300_000 + ",118.797,32.07,在线,是\n",
        "huge-single-line": "长" * 400_000,
        "semicolons-and-commas": text.replace(",", ";").replace("118.797", "118,797"),
        "short-and-long-rows": "\n".join(
            line + ",x,y" if i % 7 == 3 else line.rsplit(",", 2)[0] if i % 11 == 5 else line
            for i, line in enumerate(lines)
        ),
    }
    for name, body in csv_cases.items():
        yield f"csv-{name}", ".csv", body.encode("utf-8")
    yield "csv-big5", ".csv", text.replace("在线", "在線").encode("big5", "replace")
    yield "csv-utf16", ".csv", text.encode("utf-16")
    doc = json.loads(files["geojson"].read_text(encoding="utf-8"))
    garbage = [
        {"type": "FeatureCollection", "features": {"a": 1}},
        {"type": "FeatureCollection", "features": [1, "x", None, [], {"properties": [1, 2]}]},
        {
            "type": "FeatureCollection",
            "features": [{"geometry": {"type": "Point", "coordinates": {"x": 1}}}],
        },
        {
            "type": "FeatureCollection",
            "features": [
                *doc["features"][:3],
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [[1, 2], "a"]},
                    "properties": {"camera_id": {"nested": [1, 2]}, "status": ["online"]},
                },
            ],
        },
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"camera_id": "G1", "status": "online", "ai_enabled": True},
                    "geometry": None,
                }
            ],
        },
        [[[[[[[[[[]]]]]]]]]],
    ]
    for k, body in enumerate(garbage):
        yield f"geojson-garbage{k}", ".geojson", json.dumps(body).encode()
    yield "geojson-deep", ".geojson", b'{"type": "FeatureCollection", "features": ' + b"[" * 5000
    frame = pd.read_parquet(files["parquet"])
    wrong = {
        "lon-as-text": frame.assign(lon=frame["lon"].astype(str) + "°"),
        "ts-as-int": frame.assign(last_seen=frame["last_seen"].astype("int64")),
        "status-as-list": frame.assign(status=[[s] for s in frame["status"]]),
        "ai-as-struct": frame.assign(ai_enabled=[{"v": bool(v)} for v in frame["ai_enabled"]]),
        "id-as-float": frame.assign(camera_id=[float(i) for i in range(len(frame))]),
        "name-as-gbk-bytes": frame.assign(name=[n.encode("gbk") for n in frame["name"]]),
        "all-null": frame.assign(lon=None, lat=None),
    }
    for name, body in wrong.items():
        buffer = io.BytesIO()
        body.to_parquet(buffer, index=False)
        yield f"parquet-{name}", ".parquet", buffer.getvalue()
    xlsx = files["xlsx"].read_bytes()
    for k in range(6):
        yield f"xlsx-zip-damage{k}", ".xlsx", _zip_damaged(xlsx, rng)
    empty = io.BytesIO()
    book = Workbook()
    book.active.title = "空表"
    book.create_sheet("也空")
    book.save(empty)
    yield "xlsx-empty-sheets", ".xlsx", empty.getvalue()
    header_only = io.BytesIO()
    book = Workbook()
    book.active.append(["点位编号", "经度", "纬度", "状态", "是否智能分析"])
    book.save(header_only)
    yield "xlsx-header-only", ".xlsx", header_only.getvalue()


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            tbl.name: conn.execute(sa.select(sa.func.count()).select_from(tbl)).scalar()
            for tbl in (*store.DATASET_TABLES, store.load_issues)
        }


def test_malformed_variants_are_accepted_whole_or_refused_in_words(fresh_store, tmp_path):
    """Seeded: the same variants every run; under a minute."""
    started = time.perf_counter()
    _, storage, geo = fresh_store
    rng = random.Random(SEED)
    files = _valid_files(tmp_path)
    outcomes: dict[str, str] = {}
    with storage.writer() as engine:
        for name, suffix, data in _variants(files, rng):
            path = tmp_path / f"{name}{suffix}"
            path.write_bytes(data)
            before = _counts(engine)
            try:
                report = load_file(engine, geo, "cameras", path)
            except FileRefused as exc:
                message = str(exc)
                assert exc.key in TABLE, (name, message)
                assert message and "\n" not in message, (name, message)
                assert not any(w in message for w in RAW_TEXT), (name, message)
                assert _counts(engine) == before, f"{name}: a refused file changed the store"
                outcomes[name] = f"refused: {exc.key}"
                continue
            accounted(report)
            with engine.connect() as conn:
                numbers = conn.execute(
                    sa.select(sa.func.count(sa.distinct(store.load_issues.c.row_number))).where(
                        store.load_issues.c.load_id == report.load_id,
                        store.load_issues.c.severity == "quarantined",
                    )
                ).scalar()
            assert numbers == report.quarantined, f"{name}: each bad row has its own line"
            outcomes[name] = f"accepted {report.rows_read} rows"
    assert len(outcomes) > 100
    refusals = [o for o in outcomes.values() if o.startswith("refused")]
    assert refusals and len(refusals) < len(outcomes)  # both outcomes are exercised
    assert outcomes["csv-stray-quotes"].startswith("accepted")
    assert outcomes["csv-cr-only"] == outcomes["csv-mixed-endings"] == "accepted 40 rows"
    assert outcomes["csv-big5"] == "refused: refusal.encoding_likely"
    assert outcomes["parquet-name-as-gbk-bytes"] == "refused: refusal.parquet_binary"
    assert outcomes["geojson-garbage1"] == "refused: refusal.geojson_no_features"
    assert time.perf_counter() - started < 60
