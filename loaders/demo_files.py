"""The demo as department files: mixed formats, encodings, headers and coordinate systems.

Each dataset is written the way a real department would hand it over (GBK CSV
with a title line and Chinese headers, Excel with a title row, Parquet, GeoJSON,
Amap GCJ-02 or Baidu BD-09 coordinates), with a few typical bad rows, and then
loaded through :func:`loaders.load.load_file` — the same path as ``cityops load``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from cityops import store
from cityops.datasets import DATASETS
from cityops.geo import Geography
from loaders.crs import from_wgs84
from loaders.demo import build_demo
from loaders.load import LoadReport, load_file


@dataclass(frozen=True)
class FilePlan:
    """How one dataset (or one city's part of it) is written."""

    dataset: str
    name: str
    fmt: str  # csv, xlsx, parquet, geojson
    encoding: str = "utf-8"
    chinese: bool = False  # Chinese headers and values
    crs: str = "wgs84"
    title: str | None = None  # a title line above the header
    city: str | None = None  # only rows of this city (their key starts with ``city_prefix``)
    city_prefix: str = ""  # the key's prefix before a city code's first four digits
    slashed_times: bool = False  # 2026/11/25 08:00 instead of ISO 8601
    yesterday: bool = False  # yesterday's export loaded first (a status history)


def plans(cities: list[str], scale: str) -> list[FilePlan]:
    """Return the files of a demo, in load order (referenced datasets first)."""
    big = scale != "small"
    out = []
    for city in cities:  # each city's public-security bureau exports its own cameras
        if city == "321300" and not big:
            out.append(
                FilePlan(
                    "cameras",
                    f"cameras_{city}.xlsx",
                    "xlsx",
                    chinese=True,
                    title="宿迁市视频监控点位台账",
                    city=city,
                    city_prefix="CAM",
                    yesterday=True,
                )
            )
        else:
            out.append(
                FilePlan(
                    "cameras",
                    f"cameras_{city}.csv",
                    "csv",
                    "gbk",
                    chinese=True,
                    crs="gcj02",
                    title="视频点位导出（高德坐标）",
                    city=city,
                    city_prefix="CAM",
                    slashed_times=True,
                    yesterday=True,
                )
            )
    out += [
        FilePlan("video_events", "video_events.parquet", "parquet"),
        FilePlan(
            "hazmat_waybills",
            "hazmat_waybills." + ("csv" if big else "xlsx"),
            "csv" if big else "xlsx",
            "gb18030",
            chinese=True,
            title="危险货物道路运输电子运单",
        ),
        FilePlan("hazmat_tracks", "hazmat_tracks.csv", "csv"),
        FilePlan("hazmat_alarms", "hazmat_alarms.geojson", "geojson"),
        FilePlan("rentals", "rentals.csv", "csv", "utf-8-sig", chinese=True, crs="bd09"),
        FilePlan("scenic_spots", "scenic_spots.csv", "csv", chinese=True, crs="gcj02"),
        FilePlan("bookings", "bookings.parquet", "parquet"),
        FilePlan(
            "feedback",
            "feedback." + ("csv" if big else "xlsx"),
            "csv" if big else "xlsx",
            chinese=True,
        ),
    ]
    return out


def _spoil(frame: pd.DataFrame, dataset: str, rng: np.random.Generator) -> pd.DataFrame:
    """Append the typical mistakes of department exports (about 0.5 %, at least a few)."""
    spec = DATASETS[dataset]
    n = max(3, min(200, len(frame) // 200))
    bad = frame.sample(n=min(n, len(frame)), random_state=int(rng.integers(1 << 30))).copy()
    key = spec.key[0]
    if not spec.collapse_duplicates:
        bad[key] = [f"{v}-X{i}" for i, v in enumerate(bad[key].astype(str))]
    kinds = ["missing"]
    if spec.point:
        kinds += ["outside", "not_a_number"]
    if "status" in frame:
        kinds.append("bad_status")
    if spec.references:
        kinds.append("unknown_reference")
    rows = []
    for i, (_, row) in enumerate(bad.iterrows()):
        row = row.copy()
        kind = kinds[i % len(kinds)]
        if kind == "missing":
            row[key] = None  # the id is missing
        elif kind == "outside":
            row[spec.point[0]], row[spec.point[1]] = 121.4737, 31.2304  # a point in Shanghai
        elif kind == "not_a_number":
            row[spec.point[1]] = "N/A"
        elif kind == "bad_status":
            row["status"] = "维修中"  # not a status of the contract
        else:
            col, table, _ = spec.references[0]
            row[col] = f"UNKNOWN-{table.name}"
        rows.append(row)
    extra = pd.DataFrame(rows)
    if spec.collapse_duplicates:  # GPS devices resend fixes: exact repeats collapse
        extra = pd.concat([extra, frame.head(n)])
    # a column turns object only where a bad row put another type in it
    return pd.concat([frame, extra.astype(frame.dtypes.to_dict(), errors="ignore")],
                     ignore_index=True)  # fmt: skip


def _localise(frame: pd.DataFrame, plan: FilePlan) -> pd.DataFrame:
    """Express a frame the way the plan's department writes it."""
    spec = DATASETS[plan.dataset]
    out = frame.copy()
    for lon_col, lat_col in [p for p in (spec.point, *spec.extra_points) if p]:
        lon = pd.to_numeric(out[lon_col], errors="coerce").to_numpy(float)
        lat = pd.to_numeric(out[lat_col], errors="coerce").to_numpy(float)
        x, y = from_wgs84(lon, lat, plan.crs)
        ok = np.isfinite(lon) & np.isfinite(lat)
        out[lon_col] = np.where(ok, np.round(x, 6), out[lon_col]).astype(object)
        out[lat_col] = np.where(ok, np.round(y, 6), out[lat_col]).astype(object)
    for col in spec.columns:
        if col.name not in out:
            continue
        if plan.chinese and col.kind == "enum" and col.choices:
            chinese = {}
            for spelling, value in col.choices.items():
                if any("\u4e00" <= ch <= "\u9fff" for ch in spelling):
                    chinese.setdefault(value, spelling)
            out[col.name] = out[col.name].map(lambda v, m=chinese: m.get(v, v))
        if plan.chinese and col.kind == "bool":
            out[col.name] = out[col.name].map({True: "是", False: "否"}).fillna(out[col.name])
        if col.kind == "timestamp" and plan.fmt in ("csv", "geojson"):
            fmt = "%Y/%m/%d %H:%M:%S" if plan.slashed_times else "%Y-%m-%dT%H:%M:%S"
            out[col.name] = pd.to_datetime(out[col.name], errors="coerce").dt.strftime(fmt)
    if plan.chinese:
        out = out.rename(columns={c.name: c.aliases[0] for c in spec.columns if c.aliases})
    return out


def write_file(frame: pd.DataFrame, plan: FilePlan, folder: Path) -> Path:
    """Write ``frame`` (already localised) as the plan says; return the path."""
    path = folder / plan.name
    if plan.fmt == "csv":
        body = frame.to_csv(index=False, lineterminator="\r\n" if plan.chinese else "\n")
        if plan.title:
            body = plan.title + "\r\n" + f"导出时间：{dt.date.today():%Y-%m-%d}\r\n\r\n" + body
        encoding = {"utf-8-sig": "utf-8-sig", "gbk": "gbk", "gb18030": "gb18030"}.get(
            plan.encoding, "utf-8"
        )
        path.write_bytes(body.encode(encoding))
    elif plan.fmt == "xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as xl:
            start = 2 if plan.title else 0
            frame.to_excel(xl, index=False, startrow=start)
            if plan.title:
                xl.sheets["Sheet1"].cell(row=1, column=1, value=plan.title)
    elif plan.fmt == "parquet":
        clean = frame.copy()
        for col in clean.columns:
            if clean[col].dtype == object:
                as_num = pd.to_numeric(clean[col], errors="coerce")
                if as_num.notna().sum() == clean[col].notna().sum() and clean[col].notna().any():
                    clean[col] = as_num
                elif not clean[col].map(lambda v: isinstance(v, dt.datetime | pd.Timestamp)).all():
                    clean[col] = clean[col].map(lambda v: None if v is None or v != v else str(v))
        clean.to_parquet(path, index=False)
    else:
        spec = DATASETS[plan.dataset]
        lon_col, lat_col = spec.point
        features = []
        for rec in frame.to_dict("records"):
            lon, lat = rec.pop(lon_col), rec.pop(lat_col)
            try:
                geometry = {"type": "Point", "coordinates": [float(lon), float(lat)]}
            except (TypeError, ValueError):
                geometry = None
            props = {
                k: (None if v is None or (isinstance(v, float) and v != v) else v)
                for k, v in rec.items()
            }
            features.append({"type": "Feature", "geometry": geometry, "properties": props})
        path.write_text(
            json.dumps(
                {"type": "FeatureCollection", "features": features}, ensure_ascii=False, default=str
            ),
            encoding="utf-8",
        )
    return path


def write_demo_files(
    tables: dict[str, pd.DataFrame], folder: Path, *, scale: str, seed: int, cities: list[str]
) -> list[tuple[FilePlan, Path]]:
    """Write every dataset as department files; return them in load order."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed + 1)
    written = []
    for plan in plans(cities, scale):
        frame = tables[plan.dataset]
        if plan.city:
            key = DATASETS[plan.dataset].key[0]
            frame = frame[frame[key].str.startswith(f"{plan.city_prefix}{plan.city[:4]}")]
        frame = frame.reset_index(drop=True)
        if plan.yesterday:  # yesterday's export first, so the entities have a history
            earlier = replace(plan, name=plan.name.replace(".", "_yesterday.", 1))
            written.append((earlier, write_file(_localise(_yesterday(frame, rng), earlier),
                                                earlier, folder)))  # fmt: skip
        frame = _spoil(frame, plan.dataset, rng)
        written.append((plan, write_file(_localise(frame, plan), plan, folder)))
    return written


def _yesterday(cameras: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Return the cameras as exported a day earlier: some statuses differed then."""
    out = cameras.copy()
    out["last_seen"] = pd.to_datetime(out["last_seen"]) - pd.Timedelta(days=1)
    flip = rng.random(len(out)) < 0.08
    out.loc[flip, "status"] = rng.choice(["online", "offline", "fault"], int(flip.sum()),
                                         p=[0.5, 0.35, 0.15])  # fmt: skip
    return out


def run_demo(
    engine: Engine,
    geo: Geography,
    folder: Path,
    *,
    seed: int,
    scale: str,
    today: dt.date,
    now: dt.datetime,
    progress=None,
) -> list[LoadReport]:
    """Replace the city datasets with a demo: generate, write files, load them all.

    ``engine`` is a writer's engine; the caller publishes (or discards) the result.
    """
    tables = build_demo(geo, seed=seed, today=today, now=now, scale=scale)
    files = write_demo_files(
        tables, folder, scale=scale, seed=seed, cities=list(geo.enabled_cities)
    )
    with engine.begin() as conn:
        store.truncate(
            conn,
            [store.load_issues, store.loads, store.camera_status_history,
             *reversed(store.DATASET_TABLES)],
        )  # fmt: skip
    reports = []
    for plan, path in files:
        if progress:
            progress(f"loading {path.name}")
        reports.append(load_file(engine, geo, plan.dataset, path, crs=plan.crs))
    return reports
