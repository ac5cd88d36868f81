"""Administrative boundaries of Jiangsu from the ``cnmaps`` package into the store.

``cnmaps`` ships Amap-derived boundaries (GCJ-02) named by GB/T 2260 code and
converts them to WGS84 when read. ``cityops init`` runs this once, so no web
request ever reads the package.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from sqlalchemy.engine import Engine

from cityops import store

PROVINCE_NAME = "江苏省"
PROVINCE_CODE = "320000"
SOURCE = "cnmaps (Amap boundaries, GCJ-02 converted to WGS84)"

#: Simplification tolerance (degrees) of the browser geometry, by level.
SIMPLIFY_TOLERANCE = {"province": 0.003, "city": 0.003, "district": 0.0015}
#: Coordinates sent to the browser are rounded to this many decimals (~1 m).
BROWSER_PRECISION = 1e-5

_LEVELS = {"省": "province", "市": "city", "区县": "district"}


def read_cnmaps_boundaries(province: str = PROVINCE_NAME) -> pd.DataFrame:
    """Read the province, its cities and their districts from ``cnmaps``.

    Returns
    -------
    pandas.DataFrame
        Columns ``code, name, level, parent_code, geometry`` (shapely, WGS84),
        one row per area.
    """
    from cnmaps.maps import read_mapjson
    from cnmaps.provider import get_data_provider

    provider = get_data_provider()
    with sqlite3.connect(provider.get_index_db("administrative")) as index:
        rows = index.execute(
            "SELECT province, city, district, level, path FROM ADMINISTRATIVE "
            "WHERE province = ? AND kind = ?",
            (province, "陆地"),
        ).fetchall()
    if not rows:
        raise LookupError(f"cnmaps has no boundaries for {province}")
    records = []
    for prov, city, district, level, path in rows:
        code = Path(path).stem
        geom = read_mapjson(provider.resolve_dataset_path("administrative", path), wgs84=True)
        lvl = _LEVELS[level]
        records.append(
            {
                "code": code,
                "name": {"province": prov, "city": city, "district": district}[lvl],
                "level": lvl,
                "parent_code": None
                if lvl == "province"
                else (PROVINCE_CODE if lvl == "city" else code[:4] + "00"),
                "geometry": shapely.make_valid(geom.geom),
            }
        )
    return pd.DataFrame.from_records(records).sort_values("code", ignore_index=True)


def simplify_for_browser(frame: pd.DataFrame) -> pd.Series:
    """Simplify each level as a coverage, so neighbours keep shared edges.

    Returns
    -------
    pandas.Series
        Simplified shapely geometries aligned with ``frame``.
    """
    out = pd.Series(index=frame.index, dtype=object)
    groups = frame.groupby(["level", "parent_code"], dropna=False).groups
    for (level, _parent), index in groups.items():
        geoms = np.empty(len(index), dtype=object)
        geoms[:] = list(frame.loc[index, "geometry"])
        simple = shapely.coverage_simplify(geoms, SIMPLIFY_TOLERANCE[level])
        simple = shapely.set_precision(simple, BROWSER_PRECISION)
        out.loc[index] = list(simple)
    return out


def boundaries_frame(province: str = PROVINCE_NAME) -> pd.DataFrame:
    """Return the ``areas`` table rows for ``province``, ready to insert."""
    frame = read_cnmaps_boundaries(province)
    simple = simplify_for_browser(frame)
    geoms = frame["geometry"].to_numpy()
    bounds = shapely.bounds(geoms)
    centroids = shapely.point_on_surface(geoms)
    return pd.DataFrame(
        {
            "code": frame["code"],
            "name": frame["name"],
            "level": frame["level"],
            "parent_code": frame["parent_code"],
            "centroid_lon": shapely.get_x(centroids),
            "centroid_lat": shapely.get_y(centroids),
            "min_lon": bounds[:, 0],
            "min_lat": bounds[:, 1],
            "max_lon": bounds[:, 2],
            "max_lat": bounds[:, 3],
            "geometry": shapely.to_geojson(geoms),
            "geometry_simple": shapely.to_geojson(simple.to_numpy()),
            "source": SOURCE,
        }
    )


def load_boundaries(engine: Engine, *, replace: bool = False) -> int:
    """Write the boundaries into ``areas`` in one transaction.

    Does nothing when the table already has rows, unless ``replace``.

    Returns
    -------
    int
        The number of areas written (0 when they were already there).
    """
    import sqlalchemy as sa

    with engine.begin() as conn:
        present = conn.execute(sa.select(sa.func.count()).select_from(store.areas)).scalar()
        if present and not replace:
            return 0
        frame = boundaries_frame()
        conn.execute(store.areas.delete())
        store.bulk_insert(conn, store.areas, frame)
        rev = hashlib.sha1("".join(frame["geometry"]).encode()).hexdigest()
        conn.execute(store.meta.delete().where(store.meta.c.key == "areas_rev"))
        conn.execute(store.meta.insert().values(key="areas_rev", value=rev))
    return len(frame)
