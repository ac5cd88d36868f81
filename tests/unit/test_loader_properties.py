"""Property tests: random bytes never crash a load; random rows never lose a valid row."""

from __future__ import annotations

import csv
import io
import uuid

import pandas as pd
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cityops import store
from loaders.load import load_file
from loaders.read import FileRefused

SUFFIXES = [".csv", ".xlsx", ".parquet", ".geojson"]
FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


@FAST
@given(data=st.binary(max_size=2000), suffix=st.sampled_from(SUFFIXES),
       header=st.booleans())  # fmt: skip
def test_random_bytes_are_refused_or_loaded_never_a_crash(
    fresh_store, tmp_path, data, suffix, header
):
    _, storage, geo = fresh_store
    path = tmp_path / f"random{suffix}"
    prefix = b"camera_id,lon,lat,status,ai_enabled\n" if header and suffix == ".csv" else b""
    path.write_bytes(prefix + data)
    version = storage.version_label()
    try:
        with storage.writer() as engine:
            report = load_file(engine, geo, "cameras", path)
    except FileRefused as exc:
        assert str(exc) and "\n" not in str(exc)
        assert storage.version_label() == version
    else:
        accounted = report.inserted + report.updated + report.quarantined + report.collapsed
        assert accounted == report.rows_read


valid_camera = st.fixed_dictionaries({
    "lon": st.floats(118.79, 118.80),  # inside 玄武区
    "lat": st.floats(32.06, 32.075),
    "status": st.sampled_from(["online", "offline", "fault", "在线", "离线", "故障", "ONLINE"]),
    "ai_enabled": st.sampled_from(["true", "false", "1", "0", "是", "否", "Y", "n"]),
    "last_seen": st.sampled_from(["", "2026-11-25T09:00:00", "2026/11/25 09:00", "2026-11-25 09:00:00+08:00"]),
})  # fmt: skip
junk_cell = st.one_of(st.text(max_size=8), st.sampled_from(["", "nan", "N/A", "999", "-1", "是"]))
junk_camera = st.fixed_dictionaries(
    {k: junk_cell for k in ("lon", "lat", "status", "ai_enabled", "last_seen")}
)


@FAST
@given(rows=st.lists(st.tuples(st.booleans(), valid_camera, junk_camera), min_size=1, max_size=30))
def test_random_rows_never_lose_a_valid_row(fresh_store, tmp_path, rows):
    _, storage, geo = fresh_store
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["camera_id", "lon", "lat", "status", "ai_enabled", "last_seen"])
    valid_ids = []
    run = uuid.uuid4().hex[:8]  # the store is shared by the examples: ids must not repeat
    for i, (is_valid, good, junk) in enumerate(rows):
        cells = good if is_valid else junk
        camera_id = f"{run}V{i}" if is_valid else f"{run}J{i}"
        if is_valid:
            valid_ids.append(camera_id)
        writer.writerow([camera_id, cells["lon"], cells["lat"], cells["status"],
                         cells["ai_enabled"], cells["last_seen"]])  # fmt: skip
    path = tmp_path / "rows.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    with storage.writer() as engine:
        report = load_file(engine, geo, "cameras", path)
    assert report.rows_read == len(rows)
    assert report.inserted + report.updated + report.quarantined == len(rows)
    with storage.reader_engine().connect() as conn:
        loaded = set(conn.execute(sa.select(store.cameras.c.camera_id)).scalars())
        quarantined = conn.execute(
            sa.select(sa.func.count(sa.distinct(store.load_issues.c.row_number))).where(
                store.load_issues.c.load_id == report.load_id,
                store.load_issues.c.severity == "quarantined",
            )
        ).scalar()
    assert set(valid_ids) <= loaded, "a valid row was lost"
    assert quarantined == report.quarantined
    assert pd.Series(list(loaded)).is_unique
