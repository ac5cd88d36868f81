"""The fast paths of loading give exactly what the careful paths give.

Loading at city scale reads clean CSV with pyarrow, parses text columns with
Arrow's vectorised kernels, places points grid cell first and writes DuckDB
straight from the frame. Each is checked here against the path it shortcuts:
the same file through both (rows stored, quarantine, report), and each
vectorised function against the code it replaced, on generated input.
"""

from __future__ import annotations

import datetime as dt

import h3
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cityops import store
from cityops.datasets import DATASETS
from loaders import clean, load, read
from loaders.load import load_into
from tests.loader_fixtures import canonical

TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # what CSV columns are


# ------------------------------------------------------------------ whole loads
def _noisy_cameras() -> str:
    """A camera CSV with most of what departments get wrong, in rows of every kind."""
    rows = ["camera_id,name,department,kind,lon,lat,status,last_seen,ai_enabled,district_code"]
    statuses = ["online", "离线", "fault", "在线"]
    times = ["2026-11-25T08:00:00", "2026/11/5 8:00", "2026-11-25 09:00+08:00",
             "2026-11-25T01:00:00Z"]  # fmt: skip
    flags = ["是", "否", "true", "0"]
    for i in range(1, 301):
        district = "320102" if i % 7 else "320104"
        rows.append(f"C{i},门{i},公安,枪机,{118.76 + i / 20000:.6f},{32.05 + i / 30000:.6f},"
                    f"{statuses[i % 4]},{times[i % 4]},{flags[i % 4]},{district}")  # fmt: skip
    rows += [
        "C7,重复,公安,枪机,118.797,32.07,online,2026-11-25T08:00:00,1,",  # a repeated key
        ",没有编号,公安,枪机,118.797,32.07,online,,1,",  # missing id
        "C900,坏纬度,公安,枪机,118.797,N/A,online,,1,",  # not a number
        "C901,上海,公安,枪机,121.4737,31.2304,online,,1,",  # outside every district
        "C902,坏状态,公安,枪机,118.797,32.07,维修中,,1,",  # not a status
        "C903,坏时间,公安,枪机,118.797,32.07,online,2026-13-45,1,",  # not a time
        "C904,越界,公安,枪机,200,32.07,online,,1,",  # out of range
        "C905,错误值,公安,#N/A,118.797,32.07,online,,1,",  # a spreadsheet error
        "C906,空格, 公安 , 球机 , 118.797 , 32.07 , online , 2026-11-25 08:00 , yes ,",
        "C907,负数,公安,枪机,-118.797,32.07,online,,1,",
        "C908,科学,公安,枪机,1.18797e2,3.207E1,online,,1,",
        "C909,加号,公安,枪机,+118.797,32.07,online,,1,",
        "C910,\u200b隐形,公安,枪机,118.797,32.07,online,,1,",  # an invisible character
        "C911,长名," + "长" * 3000 + ",枪机,118.797,32.07,online,,1,",  # too long
        "C912,整数,公安,枪机,118,32,online,,1,",
    ]
    return "\n".join(rows) + "\n"


def _files(tmp_path) -> list[tuple[str, object, str]]:
    """Return ``(dataset, path, crs)`` of files the fast reader takes (no quotes, whole rows)."""
    out = []
    for name, frame in canonical().items():
        path = tmp_path / f"{name}.csv"
        frame.to_csv(path, index=False)
        if '"' not in path.read_text(encoding="utf-8"):
            out.append((name, path, "wgs84"))
    noisy = tmp_path / "noisy_cameras.csv"
    noisy.write_text(_noisy_cameras(), encoding="utf-8")
    out.append(("cameras", noisy, "wgs84"))
    gbk = tmp_path / "gbk_cameras.csv"
    gbk.write_bytes(("视频点位导出（高德坐标）\r\n\r\n" + _noisy_cameras().replace("\n", "\r\n").replace("\u200b", ""))
                    .encode("gbk"))  # fmt: skip
    out.append(("cameras", gbk, "gcj02"))
    return out


def _everything(storage) -> dict:
    """Return every dataset table and the quarantine of a store, in a stable order."""
    out = {}
    with storage.reader_engine().connect() as conn:
        for table in (*store.DATASET_TABLES, store.camera_status_history):
            frame = pd.read_sql(sa.select(table), conn)
            if "changed_at" in frame:  # a camera without last_seen changed at the load's time
                recent = frame["changed_at"] > pd.Timestamp.now() - pd.Timedelta(days=2)
                frame["changed_at"] = frame["changed_at"].astype(object).where(~recent, "now")
            cols = [c for c in frame.columns if c != "load_id"]
            out[table.name] = frame[cols].astype(str).sort_values(cols).reset_index(drop=True)
        issues = pd.read_sql(sa.select(store.load_issues), conn).drop(columns="load_id")
        out["load_issues"] = (
            issues.astype(str).sort_values(list(issues.columns)).reset_index(drop=True)
        )
    return out


def _careful(monkeypatch) -> None:
    """Switch the fast paths off: pandas/csv reading, pandas parsing, staged upsert."""
    monkeypatch.setattr(read, "_read_csv_arrow", lambda *a, **k: None)
    monkeypatch.setattr(clean, "_text_numbers",
                        lambda text: pd.to_numeric(text.astype(object), errors="coerce"))  # fmt: skip
    monkeypatch.setattr(load, "_upsert_duckdb", lambda *a, **k: None)


def _load_all(fresh, files) -> list[dict]:
    _, storage, geo = fresh
    reports = []
    for dataset, path, crs in files:
        r = load_into(storage, dataset, path, crs=crs, geography=lambda _e: geo).to_dict()
        reports.append({k: v for k, v in r.items() if k not in ("seconds", "load_id", "file")})
    return reports


def test_a_file_through_the_fast_and_the_careful_paths_loads_the_same(
    boundaries_store, tmp_path, monkeypatch
):
    """Same files, both ways, in two fresh stores: same rows, same quarantine, same reports."""
    import shutil

    from cityops.geo import geography
    from cityops.settings import get_settings
    from cityops.store.versions import Storage

    def fresh(name):
        shutil.copytree(boundaries_store / "store", tmp_path / name / "store")
        s = get_settings(data_dir=str(tmp_path / name), database_url="")
        st_ = Storage(s)
        return s, st_, geography(st_.reader_engine(), s.city_codes, s.grid_resolution)

    files = _files(tmp_path)
    fast_store = fresh("fast")
    fast_reports = _load_all(fast_store, files)
    fast_reports += _load_all(fast_store, files)  # again: every row now an update
    with monkeypatch.context() as m:
        _careful(m)
        careful_store = fresh("careful")
        careful_reports = _load_all(careful_store, files)
        careful_reports += _load_all(careful_store, files)
    assert fast_reports == careful_reports
    fast, careful = _everything(fast_store[1]), _everything(careful_store[1])
    assert fast.keys() == careful.keys()
    for name in fast:
        pd.testing.assert_frame_equal(fast[name], careful[name], obj=name)
    assert len(fast["cameras"]) > 300 and len(fast["load_issues"]) > 10


def test_the_fast_reader_gives_the_careful_readers_table(tmp_path):
    """Cells, row numbers and malformed rows of the pyarrow reader equal the pandas reader's."""
    path = tmp_path / "c.csv"
    path.write_text("标题\n\n" + _noisy_cameras(), encoding="utf-8")
    spec = DATASETS["cameras"]
    fast = read.read_file(path, spec)
    data = path.read_bytes()
    text = data.decode("utf-8")
    header_line = 3
    start = text.index("\n", text.index("camera_id")) + 1
    assert read._read_csv_arrow(data, len(text[:start].encode()), ",", list(fast.frame.columns),
                                header_line) is not None  # fmt: skip
    careful = read._read_csv_fast(text[start:], ",", list(fast.frame.columns),
                                  len(fast.frame.columns), header_line)  # fmt: skip
    pd.testing.assert_frame_equal(fast.frame, careful.frame)
    assert fast.row_numbers == careful.row_numbers and fast.malformed == careful.malformed


@pytest.mark.parametrize(
    "body",
    [
        "C1,a,118.8,32.07,online,1\n\nC2,b,118.8,32.07,online,1\n",  # a blank line
        "C1,a,118.8,32.07,online,1\nC2,b,118.8\n",  # a short row
        "C1,a,118.8,32.07,online,1,extra\n",  # a long row
        "C1,a,118.8,32.07,online,1\nC2,b,118.8,32.07,online,1",  # no final line feed
        " , , , , , \nC2,b,118.8,32.07,online,1\n",  # a row of spaces
    ],
)
def test_the_fast_reader_declines_or_agrees(tmp_path, body):
    """Anything but whole rows is left to the careful readers; what it reads, it reads alike."""
    header = "camera_id,name,lon,lat,status,ai_enabled\n"
    path = tmp_path / "c.csv"
    path.write_text(header + body, encoding="utf-8")
    spec = DATASETS["cameras"]
    got = read.read_file(path, spec)
    headers = list(got.frame.columns)
    fast = read._read_csv_arrow(body.encode(), 0, ",", headers, 1)
    if fast is not None:  # else declined: the careful readers had it (``got``)
        careful = read._read_csv_fast(body, ",", headers, len(headers), 1)
        pd.testing.assert_frame_equal(fast.frame, careful.frame)
        assert fast.row_numbers == careful.row_numbers == got.row_numbers
        assert not careful.malformed


# ----------------------------------------------------------------- the parsers
_CHARS = st.sampled_from([*list("0123456789-/:.+TZ ez,"), "\u3000", "\x1c", "１", "٣", "İ", "\xa0"])
_TIMES = st.one_of(
    st.text(_CHARS, max_size=25),
    st.builds(
        lambda d, f: d.strftime(f),
        st.datetimes(dt.datetime(1990, 1, 1)),
        st.sampled_from(
            [
                "%Y-%m-%dT%H:%M:%S",
                "%Y/%m/%d %H:%M",
                "%Y-%m-%d",
                "%Y-%m-%d %H:%M:%S+08:00",
                "%Y-%m-%dT%H:%MZ",
                "%Y/%-m/%-d",
                "%Y-%-m-%-d %H:%M",
                "%Y-%m-%d %H:%M -0500",
            ]
        ),
    ),
)


def _old_parse_timestamp(s: pd.Series) -> pd.Series:
    """The object path as it was: Python's regular expressions on stripped text."""
    text = s.str.strip().astype(object)
    odd = ~text.str.match(r"\d{4}-\d{2}-\d{2}", na=False)
    if odd.any():
        fixed = text[odd].str.replace(r"^(\d{4})/(\d{1,2})/(\d{1,2})", r"\1-\2-\3", regex=True)
        fixed = fixed.str.replace(r"^(\d{4})-(\d)(?=-)", r"\1-0\2", regex=True)
        fixed = fixed.str.replace(r"^(\d{4}-\d{2})-(\d)(?=\D|$)", r"\1-0\2", regex=True)
        text = text.copy()
        text[odd] = fixed
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    aware = text.str.contains(clean._OFFSET, na=False)
    if (~aware).any():
        out[text[~aware].index] = clean._parse_iso(text[~aware], utc=False)
    if aware.any():
        out[text[aware].index] = clean._parse_iso(text[aware], utc=True)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.none(), _TIMES), min_size=1, max_size=30))
def test_text_times_parse_as_the_object_path_did(values):
    s = pd.Series(values, dtype=TEXT)
    got, bad = clean.parse_timestamp(s)
    want = _old_parse_timestamp(s)
    pd.testing.assert_series_equal(got, want, check_names=False)
    assert (bad == want.isna()).all()


_NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=7).map(str),
    st.text(st.sampled_from([*list("0123456789+-.eE xin_fa,"), "１", "٣"]), max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "N/A",
            "nan",
            "inf",
            "-Infinity",
            "0x10",
            "1_000",
            ".5",
            "5.",
            "+1",
            "1e400",
            "-0",
            "00012",
        ]
    ),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.none(), _NUMBERS), min_size=1, max_size=40))
def test_text_numbers_are_pandas_numbers(values):
    s = pd.Series(values, dtype=TEXT).str.strip()
    got = clean._text_numbers(s).to_numpy(float)
    want = pd.to_numeric(s.astype(object), errors="coerce").to_numpy(float)
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    assert same.all(), [(v, g, w) for v, g, w, ok in zip(s, got, want, same, strict=True) if not ok]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(
    ["是", "否", "TRUE", "No", " y ", "1.0", "0", "İ", "maybe", ""])), min_size=1, max_size=20))  # fmt: skip
def test_text_booleans_read_as_the_object_path(values):
    s = pd.Series(values, dtype=TEXT)
    got, bad = clean.parse_bool(s)
    want, want_bad = clean.parse_bool(s.astype(object))
    assert [None if pd.isna(v) else v for v in got] == [None if pd.isna(v) else v for v in want]
    assert (bad.to_numpy() == want_bad.to_numpy()).all()


def test_enum_lower_case_is_pythons():
    s = pd.Series(["ONLINE", "İn_transit", "离线", None], dtype=TEXT)
    assert [v if isinstance(v, str) else None for v in clean._lower(s)] == [
        "online", "i̇n_transit", "离线", None]  # fmt: skip


# --------------------------------------------------------------- repeated keys
def _old_duplicates(frame, key, alive):
    parts = [frame[k].astype(object).where(frame[k].notna(), "").astype(str) for k in key]
    keys = parts[0]
    for part in parts[1:]:
        keys = keys + "\x1f" + part
    return keys.where(alive).duplicated(keep="last").to_numpy() & alive


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["苏A1", "苏A2", None]),
                          st.sampled_from([0, 1, None]), st.booleans()),
                min_size=1, max_size=40))  # fmt: skip
def test_repeated_keys_are_found_as_before(rows):
    base = dt.datetime(2026, 11, 25)
    frame = pd.DataFrame({
        "vehicle_plate": pd.array([r[0] for r in rows], dtype=TEXT),
        "ts": pd.Series([None if r[1] is None else base + dt.timedelta(minutes=r[1])
                         for r in rows], dtype="datetime64[us]"),
    })  # fmt: skip
    alive = np.array([r[2] for r in rows])
    spec = DATASETS["hazmat_tracks"]
    _, collapsed = load._duplicates(frame, spec, alive, list(range(len(rows))))
    assert (collapsed == _old_duplicates(frame, spec.key, alive)).all()


def test_repeated_keys_name_the_row_that_wins():
    frame = pd.DataFrame({"camera_id": pd.array(["C1", "C2", "C1", "C1"], dtype=TEXT)})
    alive = np.array([True, True, True, True])
    issues, _ = load._duplicates(frame, DATASETS["cameras"], alive, [5, 6, 7, 8])
    assert [(i.row, i.params["ids"], i.params["row"]) for i in issues] == [
        (0, "C1", "8"), (2, "C1", "8")]  # fmt: skip


# ------------------------------------------------------------------ placement
def test_points_are_placed_as_by_their_polygons(fresh_store):
    """Cell-first placement equals a polygon test and an H3 call per point, also on edges."""
    _, _, geo = fresh_store
    rng = np.random.default_rng(3)
    lon = rng.uniform(116.3, 122.0, 60_000)
    lat = rng.uniform(30.7, 35.2, 60_000)
    # points within metres of district borders, where cells are shared
    edges = []
    for geom in geo._district_geoms[:12]:
        ring = np.asarray(geom.exterior.coords if hasattr(geom, "exterior")
                          else max(geom.geoms, key=lambda g: g.area).exterior.coords)  # fmt: skip
        take = ring[rng.integers(0, len(ring), 300)]
        edges.append(take + rng.normal(0, 2e-5, take.shape))
    edges = np.concatenate(edges)
    lon = np.concatenate([lon, edges[:, 0], [np.nan, 200.0, 118.8]])
    lat = np.concatenate([lat, edges[:, 1], [32.0, 32.0, np.nan]])
    got = geo.locate(lon, lat)
    hit = geo._polygon_hits(lon, lat)
    district = np.where(hit >= 0, geo._district_codes[np.maximum(hit, 0)], None)
    cells = [h3.latlng_to_cell(la, lo, geo.resolution) if k >= 0 else None
             for lo, la, k in zip(lon, lat, hit, strict=True)]  # fmt: skip
    assert [None if pd.isna(v) else v for v in got["district_code"]] == list(district)
    assert [None if pd.isna(v) else v for v in got["grid_cell"]] == cells
    assert [None if pd.isna(v) else v for v in got["city_code"]] == [
        None if d is None else d[:4] + "00" for d in district]  # fmt: skip


def test_a_single_point_outside_is_none(fresh_store):
    _, _, geo = fresh_store
    assert geo.district_of(121.4737, 31.2304) is None
    assert geo.district_of(118.797, 32.07) == "320102"


# ------------------------------------------------------------------ PostgreSQL
@pytest.mark.postgres
def test_copy_into_postgresql_stores_what_executemany_stores(tmp_path, areas_frame, monkeypatch):
    """The server store's COPY writes the same rows as parameterised inserts, updates too."""
    from cityops.geo import Geography
    from tests.pg import pg_engine

    files = _files(tmp_path)

    def load_everything(careful: bool) -> dict:
        engine, cleanup = pg_engine()
        try:
            store.create_schema(engine)
            with engine.begin() as conn:
                store.bulk_insert(conn, store.areas, areas_frame)
            geo = Geography(areas_frame, ("320100", "320500", "321300"), 8)
            with monkeypatch.context() as m:
                if careful:
                    m.setattr(load, "_copy_into", store.bulk_insert)
                for dataset, path, crs in files * 2:  # the second time, every row an update
                    load.load_file(engine, geo, dataset, path, crs=crs)
            with engine.connect() as conn:
                return {t.name: pd.read_sql(sa.select(t), conn).astype(str)
                        .sort_values(list(pd.read_sql(sa.select(t), conn).columns))
                        .reset_index(drop=True) for t in store.DATASET_TABLES}  # fmt: skip
        finally:
            cleanup()

    fast, careful = load_everything(False), load_everything(True)
    for name in fast:
        pd.testing.assert_frame_equal(fast[name], careful[name], obj=name)
    assert len(fast["cameras"]) > 300


# ------------------------------------------------------- per-value functions
_CELLS = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.sampled_from(["a", " a ", "1", "1.0", "True", "", "09:00", "是"]),
    st.sampled_from([1, 0, 2, 1.0, 0.0, 2.5, True, False]),
    st.just(pd.Timestamp("2026-11-25 09:00")),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_CELLS, min_size=1, max_size=12), st.integers(600, 1500), st.booleans())
def test_functions_of_cells_computed_per_value_equal_map(cells, n, skip):
    """A cell function applied once per distinct value equals ``Series.map`` (dtype included)."""
    s = pd.Series([cells[i % len(cells)] for i in range(n)], dtype=object)

    def fn(v):
        return f"{type(v).__name__}:{v!s}".strip()

    want = s.map(fn, na_action="ignore" if skip else None)
    got = clean._map_values(s, fn, skip_missing=skip)
    assert got.dtype == want.dtype
    assert [repr(v) for v in got] == [repr(v) for v in want]
