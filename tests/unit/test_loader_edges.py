"""Edge cases found in review: each once lost or shifted data, or crashed a load."""

from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa

from cityops.datasets import DATASETS
from loaders.load import load_file
from loaders.read import read_file

CAMERAS = DATASETS["cameras"]
HEADER = "camera_id,lon,lat,status,ai_enabled"


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def load(fresh_store, path, dataset="cameras"):
    _, storage, geo = fresh_store
    with storage.writer() as engine:
        return load_file(engine, geo, dataset, path)


def cameras(fresh_store) -> pd.DataFrame:
    with fresh_store[1].reader_engine().connect() as conn:
        return pd.read_sql(sa.text("SELECT * FROM cameras ORDER BY camera_id"), conn)


def test_a_trailing_delimiter_does_not_shift_columns(tmp_path):
    path = write(
        tmp_path, "t.csv", f"{HEADER}\nC1,118.797,32.07,online,1,\nC2,118.8,32.07,fault,0,\n"
    )
    table = read_file(path, CAMERAS)
    assert table.frame["camera_id"].tolist() == ["C1", "C2"]
    assert table.frame["status"].tolist() == ["online", "fault"]
    assert table.malformed == []


def test_rows_with_extra_fields_keep_exact_line_numbers(fresh_store, tmp_path):
    text = f"{HEADER}\nC1,118.797,32.07,online,1\nC2,118.797,32.07,online,1,x\nC3,118.797,32.07,online,1\n"
    report = load(fresh_store, write(tmp_path, "x.csv", text))
    assert (report.inserted, report.quarantined) == (2, 1)
    with fresh_store[1].reader_engine().connect() as conn:
        row = conn.execute(sa.text("SELECT row_number, raw FROM load_issues")).one()
    assert row.row_number == 3
    # keyed by the file's headers (so personal columns can be masked when shown)
    assert json.loads(row.raw) == {"camera_id": "C2", "lon": "118.797", "lat": "32.07",
                                   "status": "online", "ai_enabled": "1", "(extra 1)": "x"}  # fmt: skip


def test_a_multi_line_title_and_unicode_line_breaks_do_not_hide_the_header(tmp_path):
    text = '"标题\n第二行\u2028续",,,,\n' + f"{HEADER}\nC1,118.797,32.07,online,1\n"
    table = read_file(write(tmp_path, "m.csv", text), CAMERAS)
    assert table.frame["camera_id"].tolist() == ["C1"]
    assert table.row_numbers == [4]


def test_short_offsets_parse_and_bad_times_are_quarantined_not_fatal(fresh_store, tmp_path):
    text = (f"{HEADER},last_seen\nC1,118.797,32.07,online,1,2026-11-25T08:00:00+08\n"
            f"C2,118.797,32.07,online,1,2026-11-25 08:00\nC3,118.797,32.07,online,1,soon\n")  # fmt: skip
    report = load(fresh_store, write(tmp_path, "t.csv", text))
    assert (report.inserted, report.quarantined) == (2, 1)
    assert set(cameras(fresh_store)["last_seen"]) == {pd.Timestamp("2026-11-25 08:00")}


def test_whole_numbers_beyond_the_store_are_quarantined(fresh_store, tmp_path):
    text = "district_code,year,population\n320102,2024,1e20\n320104,2024,3000000000\n320105,2024,500000\n"
    report = load(fresh_store, write(tmp_path, "p.csv", text), "district_population")
    assert (report.inserted, report.quarantined, report.reasons) == (1, 2, {"quarantined:range": 2})


def test_a_file_without_an_optional_column_keeps_the_stored_values(fresh_store, tmp_path):
    load(fresh_store, write(tmp_path, "a.csv", "camera_id,name,department,lon,lat,status,ai_enabled\n"
                                               "C1,东门,公安,118.797,32.07,online,1\n"))  # fmt: skip
    report = load(fresh_store, write(tmp_path, "b.csv", f"{HEADER}\nC1,118.797,32.07,offline,1\n"))
    assert report.updated == 1
    row = cameras(fresh_store).iloc[0]
    assert (row["name"], row["department"], row["status"]) == ("东门", "公安", "offline")


def test_geojson_geometry_wins_over_coordinate_like_properties(fresh_store, tmp_path):
    doc = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [118.797, 32.07]},
        "properties": {"camera_id": "C1", "status": "online", "ai_enabled": True,
                       "x": 13224000.5, "y": 3774000.1, "经度": 0}}]}  # fmt: skip
    path = tmp_path / "g.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    report = load(fresh_store, path)
    assert (report.inserted, report.quarantined) == (1, 0)
    assert cameras(fresh_store)["district_code"].tolist() == ["320102"]
