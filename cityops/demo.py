"""A small, deterministic demo dataset for the five seed cities.

Points are drawn inside the real district boundaries (denser in urban
districts), tourism bookings peak on weekends and Chinese public holidays, and
the timeline ends today (Asia/Shanghai), so "today" always has data. The
department-file loaders replace the direct writes here in a later release;
the generators stay.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from sqlalchemy.engine import Engine

from cityops import store
from cityops.calendar import is_holiday
from cityops.geo import Geography

#: Cameras per city at the small scale; Suqian is the video city of the article.
CAMERAS_PER_CITY = {"320100": 1200, "320500": 1200, "320200": 800, "320600": 700, "321300": 2000}
RENTALS_PER_CITY = 1500
DEPARTMENTS = {
    "公安": 0.45,
    "交通": 0.2,
    "城管": 0.15,
    "应急管理": 0.08,
    "水务": 0.07,
    "文旅": 0.05,
}
CAMERA_KINDS = {"枪机": 0.55, "球机": 0.3, "卡口": 0.1, "高空瞭望": 0.05}
EVENT_TYPES = {"违章停车": 0.3, "占道经营": 0.25, "垃圾满溢": 0.2, "人群聚集": 0.15, "烟火": 0.1}
ALARM_TYPES = {
    "speeding": 0.3,
    "fatigue": 0.2,
    "route_deviation": 0.15,
    "restricted_zone": 0.1,
    "unplanned_stop": 0.15,
    "sensor": 0.1,
}
#: (UN number, hazard class, cargo) carried in Jiangsu's chemical corridors.
CARGOES = (
    ("1203", "3", "汽油"),
    ("1202", "3", "柴油"),
    ("1090", "3", "丙酮"),
    ("1075", "2.1", "液化石油气"),
    ("1005", "2.3", "液氨"),
    ("1017", "2.3", "氯气"),
    ("1789", "8", "盐酸"),
    ("1830", "8", "硫酸"),
    ("1823", "8", "氢氧化钠"),
    ("1230", "3", "甲醇"),
    ("2031", "8", "硝酸"),
    ("1066", "2.2", "氮气"),
    ("1942", "5.1", "硝酸铵"),
    ("3077", "9", "环境危害物质"),
)
#: Chemical parks (WGS84) from which hazmat waybills start, by city.
CHEMICAL_PARKS = {
    "320100": ("南京江北新材料科技园", 118.775, 32.262),
    "320500": ("张家港扬子江国际化学工业园", 120.485, 31.955),
    "320200": ("江阴临港化工园", 120.185, 31.925),
    "320600": ("如东洋口化学工业园", 120.995, 32.545),
    "321300": ("宿迁生态化工科技产业园", 118.418, 33.875),
}
#: Real scenic spots (WGS84, approximate), grade, daily and instant capacity.
SCENIC_SPOTS = (
    ("SZ001", "拙政园", 120.6270, 31.3247, "5A", 30000, 7500),
    ("SZ002", "虎丘", 120.5737, 31.3354, "5A", 40000, 10000),
    ("SZ003", "留园", 120.5917, 31.3152, "5A", 20000, 5000),
    ("SZ004", "狮子林", 120.6248, 31.3207, "4A", 15000, 4000),
    ("SZ005", "网师园", 120.6293, 31.2991, "4A", 8000, 2000),
    ("SZ006", "周庄古镇", 120.8464, 31.1141, "5A", 60000, 15000),
    ("SZ007", "同里古镇", 120.7151, 31.1561, "5A", 50000, 12000),
    ("SZ008", "寒山寺", 120.5627, 31.3109, "4A", 20000, 5000),
    ("SZ009", "金鸡湖景区", 120.6998, 31.3040, "5A", 80000, 20000),
    ("NJ001", "中山陵", 118.8437, 32.0625, "5A", 50000, 12000),
    ("NJ002", "夫子庙—秦淮风光带", 118.7837, 32.0196, "5A", 80000, 20000),
    ("WX001", "鼋头渚", 120.2245, 31.5132, "5A", 50000, 12000),
    ("WX002", "灵山胜境", 120.0985, 31.4258, "5A", 40000, 10000),
    ("NT001", "濠河风景区", 120.8625, 32.0035, "5A", 30000, 8000),
    ("NT002", "狼山风景区", 120.8790, 31.9482, "4A", 20000, 5000),
    ("SQ001", "项王故里", 118.2869, 33.9553, "4A", 15000, 4000),
    ("SQ002", "洪泽湖湿地公园", 118.5810, 33.3260, "5A", 20000, 5000),
)
SLOTS = tuple(f"{h:02d}:00" for h in range(8, 17))
PARTY_P = (0.2, 0.4, 0.2, 0.15, 0.05)
PARTY_MEAN = float(np.dot([1, 2, 3, 4, 5], PARTY_P))
#: The small demo runs at one tenth of real capacities and volumes.
SMALL_SCALE = 0.1
ORIGINS = {"江苏": 0.45, "上海": 0.18, "浙江": 0.12, "安徽": 0.08, "山东": 0.05, "北京": 0.04}
CHANNELS = {"苏心游小程序": 0.5, "景区官网": 0.2, "OTA平台": 0.25, "现场扫码": 0.05}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
STREETS = ("人民路", "中山路", "解放路", "建设路", "长江路", "新华路", "和平路", "文化路")


def _choice(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(weights))
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(keys, size=n, p=p / p.sum())


@dataclass
class DemoResult:
    """How many rows the demo wrote, per table."""

    rows: dict[str, int]


class _Placer:
    """Draws points inside districts, denser towards urban centres."""

    def __init__(self, geo: Geography, rng: np.random.Generator):
        self.geo = geo
        self.rng = rng

    def district_weights(self, city: str) -> tuple[list[str], np.ndarray]:
        districts = [a.code for a in self.geo.districts(city)]
        # urban districts (区) hold most of the points; counties and county-level cities fewer
        w = np.array([3.0 if self.geo.areas[d].name.endswith("区") else 1.0 for d in districts])
        return districts, w / w.sum()

    def points_in(self, district: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        geom = self.geo._district_geom_by_code[district]
        minx, miny, maxx, maxy = geom.bounds
        cx, cy = self.geo.areas[district].centroid
        lon, lat = np.empty(0), np.empty(0)
        sigma = 0.18 * max(maxx - minx, maxy - miny)
        while len(lon) < n:
            m = max(64, 2 * (n - len(lon)))
            clustered = self.rng.random(m) < 0.7
            x = np.where(clustered, self.rng.normal(cx, sigma, m), self.rng.uniform(minx, maxx, m))
            y = np.where(clustered, self.rng.normal(cy, sigma, m), self.rng.uniform(miny, maxy, m))
            inside = shapely.contains_xy(geom, x, y)
            lon, lat = np.concatenate([lon, x[inside]]), np.concatenate([lat, y[inside]])
        return lon[:n].round(6), lat[:n].round(6)

    def points_in_city(self, city: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        districts, w = self.district_weights(city)
        counts = self.rng.multinomial(n, w)
        parts = [self.points_in(d, c) for d, c in zip(districts, counts, strict=True) if c]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _located(geo: Geography, frame: pd.DataFrame, lon="lon", lat="lat", prefix="") -> pd.DataFrame:
    placed = geo.locate(frame[lon].to_numpy(), frame[lat].to_numpy())
    for col in placed.columns:
        frame[prefix + col] = placed[col].to_numpy()
    return frame


def _masked_free_names(rng: np.random.Generator, n: int) -> np.ndarray:
    s = rng.choice(list(SURNAMES), n)
    g1 = rng.choice(list(GIVEN), n)
    g2 = np.where(rng.random(n) < 0.6, rng.choice(list(GIVEN), n), "")
    return np.char.add(np.char.add(s, g1), g2)


def build_demo(geo: Geography, *, seed: int = 7, today: dt.date, now: dt.datetime) -> dict:
    """Generate the demo tables.

    Returns
    -------
    dict[str, pandas.DataFrame]
        One frame per table name of :mod:`cityops.store`, columns as stored.
    """
    rng = np.random.default_rng(seed)
    placer = _Placer(geo, rng)
    cities = [c for c in geo.enabled_cities]
    out: dict[str, pd.DataFrame] = {}

    # ---- cameras and their algorithm events
    frames = []
    for city in cities:
        n = CAMERAS_PER_CITY.get(city, 800)
        lon, lat = placer.points_in_city(city, n)
        status = rng.choice(["online", "offline", "fault"], n, p=[0.93, 0.05, 0.02])
        minutes = np.where(status == "online", rng.integers(0, 5, n), rng.integers(60, 7 * 1440, n))
        frames.append(
            pd.DataFrame(
                {
                    "camera_id": [f"CAM{city[:4]}{i:05d}" for i in range(n)],
                    "name": [
                        f"{geo.areas[city].name}{STREETS[i % 8]}{i % 97 + 1}号点位"
                        for i in range(n)
                    ],
                    "department": _choice(rng, DEPARTMENTS, n),
                    "kind": _choice(rng, CAMERA_KINDS, n),
                    "lon": lon,
                    "lat": lat,
                    "status": status,
                    "last_seen": [now - dt.timedelta(minutes=int(m)) for m in minutes],
                    "ai_enabled": rng.random(n) < 0.35,
                }
            )
        )
    cams = _located(geo, pd.concat(frames, ignore_index=True))
    out["cameras"] = cams

    ai = cams[cams["ai_enabled"]]
    n_ev = len(ai) * 3
    ev_ts = [now - dt.timedelta(minutes=int(m)) for m in rng.integers(1, 30 * 1440, n_ev)]
    age_h = np.array([(now - t).total_seconds() / 3600 for t in ev_ts])
    open_ = rng.random(n_ev) < np.where(age_h < 24, 0.45, 0.03)
    out["video_events"] = pd.DataFrame(
        {
            "event_id": [f"EV{i:07d}" for i in range(n_ev)],
            "camera_id": rng.choice(ai["camera_id"].to_numpy(), n_ev),
            "ts": ev_ts,
            "event_type": _choice(rng, EVENT_TYPES, n_ev),
            "status": np.where(open_, "open", "closed"),
            "closed_at": [
                None if o else t + dt.timedelta(minutes=int(rng.integers(10, 600)))
                for o, t in zip(open_, ev_ts, strict=True)
            ],
        }
    )

    # ---- hazardous-materials waybills, tracks and alarms
    waybills, tracks, alarms = [], [], []
    for city in cities:
        park, plon, plat = CHEMICAL_PARKS.get(
            city, (geo.areas[city].name, *geo.areas[city].centroid)
        )
        n = 60
        dlon, dlat = placer.points_in_city(city, n)
        status = rng.choice(
            ["in_transit", "arrived", "planned", "cancelled"], n, p=[0.3, 0.55, 0.1, 0.05]
        )
        cargo = [CARGOES[i] for i in rng.integers(0, len(CARGOES), n)]
        for i in range(n):
            plate = f"苏{'ANBHN'[cities.index(city) % 5]}{rng.integers(10000, 99999)}"
            wid = f"WB{city[:4]}{i:04d}"
            hours = float(rng.uniform(0.5, 3.0))
            if status[i] == "in_transit":
                depart = now - dt.timedelta(hours=hours * float(rng.uniform(0.2, 0.9)))
            elif status[i] == "planned":
                depart = now + dt.timedelta(hours=float(rng.uniform(1, 20)))
            else:
                depart = now - dt.timedelta(hours=float(rng.uniform(4, 20 * 24)))
            arrive = depart + dt.timedelta(hours=hours) if status[i] == "arrived" else None
            waybills.append(
                {
                    "waybill_id": wid,
                    "vehicle_plate": plate,
                    "carrier": f"{geo.areas[city].name[:2]}危运物流有限公司",
                    "un_number": cargo[i][0],
                    "hazard_class": cargo[i][1],
                    "cargo_name": cargo[i][2],
                    "tonnage": round(float(rng.uniform(5, 32)), 1),
                    "origin_name": park,
                    "origin_lon": plon,
                    "origin_lat": plat,
                    "dest_name": f"{geo.areas[city].name}客户{i + 1}",
                    "dest_lon": float(dlon[i]),
                    "dest_lat": float(dlat[i]),
                    "depart_at": depart,
                    "arrive_at": arrive,
                    "status": status[i],
                }
            )
            if status[i] in ("in_transit", "arrived"):
                end = now if status[i] == "in_transit" else arrive
                steps = max(2, int((end - depart).total_seconds() // 120))
                frac = np.linspace(
                    0, min(1.0, (end - depart).total_seconds() / (hours * 3600)), steps
                )
                jitter = rng.normal(0, 0.002, (steps, 2))
                for k, f in enumerate(frac):
                    tracks.append(
                        {
                            "vehicle_plate": plate,
                            "ts": depart + dt.timedelta(seconds=120 * k),
                            "lon": round(plon + (dlon[i] - plon) * f + jitter[k, 0], 6),
                            "lat": round(plat + (dlat[i] - plat) * f + jitter[k, 1], 6),
                            "speed_kmh": round(float(rng.normal(55, 12)), 1),
                        }
                    )
                for _ in range(int(rng.poisson(0.8))):
                    k = int(rng.integers(0, steps))
                    ts = depart + dt.timedelta(seconds=120 * k)
                    age = (now - ts).total_seconds() / 3600
                    st = rng.choice(
                        ["open", "acknowledged", "closed"],
                        p=[0.5, 0.3, 0.2] if age < 6 else [0.05, 0.05, 0.9],
                    )
                    alarms.append(
                        {
                            "alarm_id": f"AL{len(alarms):06d}",
                            "vehicle_plate": plate,
                            "waybill_id": wid,
                            "ts": ts,
                            "alarm_type": _choice(rng, ALARM_TYPES, 1)[0],
                            "severity": int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15])),
                            "lon": tracks[-steps + k]["lon"],
                            "lat": tracks[-steps + k]["lat"],
                            "status": st,
                            "closed_at": ts + dt.timedelta(minutes=30) if st == "closed" else None,
                        }
                    )
    wb = _located(geo, pd.DataFrame(waybills), "origin_lon", "origin_lat", prefix="origin_")
    out["hazmat_waybills"] = wb
    tr = _located(geo, pd.DataFrame(tracks))
    out["hazmat_tracks"] = tr[tr["district_code"].notna()].drop_duplicates(["vehicle_plate", "ts"])
    al = _located(geo, pd.DataFrame(alarms))
    out["hazmat_alarms"] = al[al["district_code"].notna()]

    # ---- rental housing
    frames = []
    for city in cities:
        n = RENTALS_PER_CITY
        lon, lat = placer.points_in_city(city, n)
        rooms = rng.integers(1, 5, n)
        area = np.round(rooms * rng.uniform(12, 30, n) + 10, 1)
        group = rng.random(n) < 0.08
        occupants = np.where(group, rooms * rng.integers(3, 6, n), rng.integers(0, rooms * 2 + 1))
        insp = rng.choice(["none", "ok", "rectify", "rectified"], n, p=[0.55, 0.3, 0.06, 0.09])
        insp = np.where(
            group & (rng.random(n) < 0.6), rng.choice(["rectify", "rectified"], n), insp
        )
        registered = [now - dt.timedelta(days=int(d)) for d in rng.integers(1, 3 * 365, n)]
        frames.append(
            pd.DataFrame(
                {
                    "unit_id": [f"RH{city[:4]}{i:06d}" for i in range(n)],
                    "address": [
                        f"{geo.areas[city].name}{STREETS[i % 8]}{i % 300 + 1}号"
                        f"{i % 30 + 1}0{i % 4 + 1}室"
                        for i in range(n)
                    ],
                    "lon": lon,
                    "lat": lat,
                    "floor_area_m2": area,
                    "rooms": rooms,
                    "occupants": occupants,
                    "landlord_name": _masked_free_names(rng, n),
                    "landlord_phone": [
                        f"1{rng.choice([39, 38, 58, 87, 52])}{rng.integers(10**7, 10**8)}"
                        for _ in range(n)
                    ],
                    "registered_at": registered,
                    "inspection_status": insp,
                    "inspected_at": [
                        None if s == "none" else r + dt.timedelta(days=int(rng.integers(1, 60)))
                        for s, r in zip(insp, registered, strict=True)
                    ],
                }
            )
        )
    out["rentals"] = _located(geo, pd.concat(frames, ignore_index=True))

    # ---- tourism: spots, bookings, feedback
    spots = pd.DataFrame(
        SCENIC_SPOTS,
        columns=["spot_id", "name", "lon", "lat", "grade", "daily_capacity", "instant_capacity"],
    )
    for col in ("daily_capacity", "instant_capacity"):
        spots[col] = (spots[col] * SMALL_SCALE).round().astype(int)
    spots = _located(geo, spots)
    spots = spots[spots["district_code"].notna()].reset_index(drop=True)
    out["scenic_spots"] = spots
    out["bookings"] = _bookings(rng, spots, today=today, now=now)
    out["feedback"] = _feedback(rng, spots, now=now)
    return out


def _bookings(rng, spots: pd.DataFrame, *, today: dt.date, now: dt.datetime) -> pd.DataFrame:
    """Bookings from 30 days ago to a week ahead; slot demand follows instant capacity."""
    days = [today + dt.timedelta(days=d) for d in range(-30, 8)]
    slot_shape = np.array([0.6, 1.0, 1.3, 1.2, 0.9, 1.0, 1.1, 0.8, 0.5])
    keys, counts = [], []
    for spot in spots.itertuples():
        for day in days:
            use = 0.6 if is_holiday(day) else (0.25 if day.weekday() >= 5 else 0.12)
            lam = spot.instant_capacity * use * slot_shape / PARTY_MEAN
            for slot, c in zip(SLOTS, rng.poisson(lam), strict=True):
                keys.append((spot.spot_id, day, slot))
                counts.append(int(c))
    frame = pd.DataFrame(keys, columns=["spot_id", "visit_date", "slot_start"])
    frame = frame.loc[frame.index.repeat(counts)].reset_index(drop=True)
    n = len(frame)
    frame["slot_end"] = [f"{int(s[:2]) + 1:02d}:00" for s in frame["slot_start"]]
    frame["party_size"] = rng.choice([1, 2, 3, 4, 5], n, p=PARTY_P)
    frame["visitor_origin"] = _choice(rng, ORIGINS, n)
    frame["channel"] = _choice(rng, CHANNELS, n)
    slot_dt = pd.to_datetime(frame["visit_date"].astype(str) + " " + frame["slot_start"])
    past = (slot_dt < pd.Timestamp(now)).to_numpy()
    r = rng.random(n)
    frame["status"] = np.where(
        r < 0.07,
        "cancelled",
        np.where(past, np.where(r < 0.15, "no_show", "checked_in"), "booked"),
    )
    frame["booked_at"] = slot_dt - pd.to_timedelta(rng.integers(1, 14 * 24, n), unit="h")
    frame.insert(0, "booking_id", [f"BK{i:08d}" for i in range(n)])
    return frame


def _feedback(rng, spots: pd.DataFrame, *, now: dt.datetime) -> pd.DataFrame:
    n = 40 * len(spots)
    ts = [now - dt.timedelta(minutes=int(m)) for m in rng.integers(1, 60 * 1440, n)]
    complaint = rng.random(n) < 0.25
    age_d = np.array([(now - t).days for t in ts])
    open_ = complaint & (rng.random(n) < np.where(age_d < 3, 0.6, 0.05))
    return pd.DataFrame(
        {
            "feedback_id": [f"FB{i:07d}" for i in range(n)],
            "spot_id": rng.choice(spots["spot_id"].to_numpy(), n),
            "ts": ts,
            "kind": np.where(complaint, "complaint", "evaluation"),
            "rating": [
                None if c else int(v)
                for c, v in zip(
                    complaint, rng.choice([3, 4, 5], n, p=[0.15, 0.4, 0.45]), strict=True
                )
            ],
            "category": np.where(
                complaint,
                rng.choice(["排队时间长", "卫生", "服务态度", "停车难", "票务"], n),
                "综合评价",
            ),
            "status": np.where(
                open_ | ~complaint, np.where(complaint, "open", "resolved"), "resolved"
            ),
            "resolved_at": [
                None if o else t + dt.timedelta(hours=int(rng.integers(1, 72)))
                for o, t in zip(open_, ts, strict=True)
            ],
        }
    )


def write_demo(engine: Engine, tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Replace the city datasets with ``tables`` in one transaction.

    Returns
    -------
    dict[str, int]
        Rows written per table.
    """
    by_name = {t.name: t for t in store.DATASET_TABLES}
    written = {}
    with engine.begin() as conn:
        store.truncate(conn, reversed(store.DATASET_TABLES))
        for name, frame in tables.items():
            written[name] = store.bulk_insert(conn, by_name[name], frame)
    return written
