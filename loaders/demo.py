"""Deterministic demo data for the enabled cities, at two scales.

Points are drawn inside the real district boundaries (denser in urban
districts); hazmat vehicles run trips between chemical parks and customers;
tourism bookings peak on weekends and Chinese public holidays; the timeline
ends today (Asia/Shanghai), so "today" always has data. The frames built here
are written as department files and loaded through the real loaders
(:mod:`loaders.demo_files`).

``small`` runs scenic-spot capacities and booking volumes at one tenth of real
size and finishes in seconds; ``city`` is Suqian-scale for benchmarks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from cityops.clock import is_holiday
from cityops.geo import Geography

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


@dataclass(frozen=True)
class Scale:
    """How much data a demo scale generates."""

    name: str
    cameras: dict[str, int]  # per city; Suqian is the video city of the article
    rentals_per_city: int
    vehicles_per_city: int
    trips_per_vehicle: int
    track_interval_s: int
    events_per_ai_camera: float
    capacity_factor: float  # scenic-spot capacities and booking volumes
    booking_days_back: int
    feedback_per_spot: int


SCALES = {
    "small": Scale(
        "small",
        {"320100": 1200, "320500": 1200, "320200": 800, "320600": 700, "321300": 2000},
        rentals_per_city=1500,
        vehicles_per_city=12,
        trips_per_vehicle=5,
        track_interval_s=120,
        events_per_ai_camera=3,
        capacity_factor=0.1,
        booking_days_back=30,
        feedback_per_spot=40,
    ),
    "city": Scale(
        "city",
        {"320100": 40000, "320500": 45000, "320200": 25000, "320600": 20000, "321300": 70000},
        rentals_per_city=40000,
        vehicles_per_city=450,
        trips_per_vehicle=12,
        track_interval_s=30,
        events_per_ai_camera=2,
        capacity_factor=1.0,
        booking_days_back=10,
        feedback_per_spot=400,
    ),
}
ORIGINS = {"江苏": 0.45, "上海": 0.18, "浙江": 0.12, "安徽": 0.08, "山东": 0.05, "北京": 0.04}
CHANNELS = {"苏心游小程序": 0.5, "景区官网": 0.2, "OTA平台": 0.25, "现场扫码": 0.05}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
STREETS = ("人民路", "中山路", "解放路", "建设路", "长江路", "新华路", "和平路", "文化路")


def _choice(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(weights))
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(keys, size=n, p=p / p.sum())


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


def _names(rng: np.random.Generator, n: int) -> np.ndarray:
    s = rng.choice(list(SURNAMES), n)
    g1 = rng.choice(list(GIVEN), n)
    g2 = np.where(rng.random(n) < 0.6, rng.choice(list(GIVEN), n), "")
    return np.char.add(np.char.add(s, g1), g2)


def _minutes_before(now: dt.datetime, minutes: np.ndarray) -> pd.Series:
    return pd.Series(pd.Timestamp(now) - pd.to_timedelta(minutes, unit="m")).dt.floor("s")


def build_demo(
    geo: Geography, *, seed: int = 7, today: dt.date, now: dt.datetime, scale: str = "small"
) -> dict[str, pd.DataFrame]:
    """Generate the demo datasets.

    Returns
    -------
    dict[str, pandas.DataFrame]
        One frame per dataset, with the canonical columns of DATA_CONTRACTS.md and
        WGS84 coordinates (no area columns: the loaders assign those).
    """
    size = SCALES[scale]
    rng = np.random.default_rng(seed)
    placer = _Placer(geo, rng)
    cities = list(geo.enabled_cities)
    out: dict[str, pd.DataFrame] = {}
    out["cameras"] = _cameras(geo, rng, placer, cities, size, now)
    out["video_events"] = _events(rng, out["cameras"], size, now)
    out.update(_hazmat(geo, rng, placer, cities, size, now))
    out["rentals"] = _rentals(geo, rng, placer, cities, size, now)
    spots = pd.DataFrame(
        SCENIC_SPOTS,
        columns=["spot_id", "name", "lon", "lat", "grade", "daily_capacity", "instant_capacity"],
    )
    for col in ("daily_capacity", "instant_capacity"):
        spots[col] = (spots[col] * size.capacity_factor).round().astype(int)
    inside = geo.locate(spots["lon"].to_numpy(), spots["lat"].to_numpy())["district_code"].notna()
    spots = spots[inside.to_numpy()].reset_index(drop=True)
    out["scenic_spots"] = spots
    out["bookings"] = _bookings(rng, spots, size, today=today, now=now)
    out["feedback"] = _feedback(rng, spots, size, now=now)
    return out


def _cameras(geo, rng, placer, cities, size: Scale, now) -> pd.DataFrame:
    frames = []
    for city in cities:
        n = size.cameras.get(city, 800)
        lon, lat = placer.points_in_city(city, n)
        status = rng.choice(["online", "offline", "fault"], n, p=[0.93, 0.05, 0.02])
        minutes = np.where(status == "online", rng.integers(0, 5, n), rng.integers(60, 7 * 1440, n))
        name = geo.areas[city].name
        frames.append(
            pd.DataFrame(
                {
                    "camera_id": [f"CAM{city[:4]}{i:06d}" for i in range(n)],
                    "name": [f"{name}{STREETS[i % 8]}{i % 97 + 1}号点位" for i in range(n)],
                    "department": _choice(rng, DEPARTMENTS, n),
                    "kind": _choice(rng, CAMERA_KINDS, n),
                    "lon": lon,
                    "lat": lat,
                    "status": status,
                    "last_seen": _minutes_before(now, minutes),
                    "ai_enabled": rng.random(n) < 0.35,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _events(rng, cams: pd.DataFrame, size: Scale, now) -> pd.DataFrame:
    ai = cams.loc[cams["ai_enabled"], "camera_id"].to_numpy()
    n = int(len(ai) * size.events_per_ai_camera)
    age_min = rng.integers(1, 30 * 1440, n)
    ts = _minutes_before(now, age_min)
    open_ = rng.random(n) < np.where(age_min < 24 * 60, 0.45, 0.03)
    closed = ts + pd.to_timedelta(rng.integers(10, 600, n), unit="m")
    return pd.DataFrame(
        {
            "event_id": [f"EV{i:08d}" for i in range(n)],
            "camera_id": rng.choice(ai, n),
            "ts": ts,
            "event_type": _choice(rng, EVENT_TYPES, n),
            "status": np.where(open_, "open", "closed"),
            "closed_at": closed.where(~open_),
        }
    )


def _hazmat(geo, rng, placer, cities, size: Scale, now) -> dict[str, pd.DataFrame]:
    """Vehicles run consecutive trips from their city's chemical park to customers."""
    waybills, track_parts, alarms = [], [], []
    now_ts = pd.Timestamp(now)
    for ci, city in enumerate(cities):
        park, plon, plat = CHEMICAL_PARKS.get(
            city, (geo.areas[city].name, *geo.areas[city].centroid)
        )
        n_trips = size.vehicles_per_city * size.trips_per_vehicle
        dlon, dlat = placer.points_in_city(city, n_trips)
        letter = "ABCDEFGHJKLMN"[ci % 13]
        for v in range(size.vehicles_per_city):
            plate = f"苏{letter}{rng.integers(10000, 99999)}"
            # the latest trip departs between 3.5 h ago and 1.5 h from now; earlier ones before it
            t = now_ts + pd.Timedelta(hours=float(rng.uniform(-3.5, 1.5)))
            for k in range(size.trips_per_vehicle):
                j = v * size.trips_per_vehicle + k
                hours = float(rng.uniform(0.5, 3.0))
                depart = t.floor("s")
                arrive = (depart + pd.Timedelta(hours=hours)).floor("s")
                t = depart - pd.Timedelta(hours=float(rng.uniform(4, 40)))
                if depart > now_ts:
                    status = "cancelled" if rng.random() < 0.05 else "planned"
                elif arrive > now_ts:
                    status = "in_transit"
                else:
                    status = "cancelled" if rng.random() < 0.03 else "arrived"
                un, hazard, cargo = CARGOES[int(rng.integers(0, len(CARGOES)))]
                wid = f"WB{city[:4]}{j:06d}"
                waybills.append(
                    {
                        "waybill_id": wid,
                        "vehicle_plate": plate,
                        "carrier": f"{geo.areas[city].name[:2]}危运物流有限公司",
                        "un_number": un,
                        "hazard_class": hazard,
                        "cargo_name": cargo,
                        "tonnage": round(float(rng.uniform(5, 32)), 1),
                        "origin_name": park,
                        "origin_lon": plon,
                        "origin_lat": plat,
                        "dest_name": f"{geo.areas[city].name}客户{j + 1}",
                        "dest_lon": float(dlon[j]),
                        "dest_lat": float(dlat[j]),
                        "depart_at": depart,
                        "arrive_at": arrive if status == "arrived" else pd.NaT,
                        "status": status,
                    }
                )
                if status not in ("in_transit", "arrived"):
                    continue
                end = min(arrive, now_ts)
                steps = max(2, int((end - depart).total_seconds() // size.track_interval_s))
                frac = np.arange(steps) * size.track_interval_s / (hours * 3600)
                bend = 0.08 * np.sin(np.pi * frac)  # roads are not straight lines
                lon = plon + (dlon[j] - plon) * frac - (dlat[j] - plat) * bend
                lat = plat + (dlat[j] - plat) * frac + (dlon[j] - plon) * bend
                lon += rng.normal(0, 0.0004, steps)
                lat += rng.normal(0, 0.0004, steps)
                ts = depart + pd.to_timedelta(np.arange(steps) * size.track_interval_s, unit="s")
                speed = np.clip(rng.normal(55, 12, steps), 0, 95).round(1)
                track_parts.append((plate, ts, lon.round(6), lat.round(6), speed))
                for _ in range(int(rng.poisson(0.8))):
                    i = int(rng.integers(0, steps))
                    age_h = (now_ts - ts[i]).total_seconds() / 3600
                    p = [0.5, 0.3, 0.2] if age_h < 6 else [0.03, 0.05, 0.92]
                    st = str(rng.choice(["open", "acknowledged", "closed"], p=p))
                    alarms.append(
                        {
                            "alarm_id": f"AL{city[:4]}{len(alarms):07d}",
                            "vehicle_plate": plate,
                            "waybill_id": wid,
                            "ts": ts[i],
                            "alarm_type": str(_choice(rng, ALARM_TYPES, 1)[0]),
                            "severity": int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15])),
                            "lon": round(float(lon[i]), 6),
                            "lat": round(float(lat[i]), 6),
                            "status": st,
                            "closed_at": ts[i] + pd.Timedelta(minutes=30)
                            if st == "closed"
                            else pd.NaT,
                        }
                    )
    tracks = pd.DataFrame(  # one frame at the end: ~30k small ones cost seconds
        {
            "vehicle_plate": np.repeat(
                [p[0] for p in track_parts], [len(p[1]) for p in track_parts]
            ),
            "ts": np.concatenate([p[1].to_numpy() for p in track_parts]),
            "lon": np.concatenate([p[2] for p in track_parts]),
            "lat": np.concatenate([p[3] for p in track_parts]),
            "speed_kmh": np.concatenate([p[4] for p in track_parts]),
        }
    )
    # a track leaving the enabled districts (a trip across a county line) is cut there
    inside = geo.locate(tracks["lon"].to_numpy(), tracks["lat"].to_numpy())["district_code"]
    tracks = tracks[inside.notna().to_numpy()].reset_index(drop=True)
    alarm_frame = pd.DataFrame(alarms)
    inside = geo.locate(alarm_frame["lon"].to_numpy(), alarm_frame["lat"].to_numpy())
    alarm_frame = alarm_frame[inside["district_code"].notna().to_numpy()].reset_index(drop=True)
    return {
        "hazmat_waybills": pd.DataFrame(waybills),
        "hazmat_tracks": tracks,
        "hazmat_alarms": alarm_frame,
    }


def _rentals(geo, rng, placer, cities, size: Scale, now) -> pd.DataFrame:
    frames = []
    for city in cities:
        n = size.rentals_per_city
        lon, lat = placer.points_in_city(city, n)
        rooms = rng.integers(1, 5, n)
        area = np.round(rooms * rng.uniform(12, 30, n) + 10, 1)
        group = rng.random(n) < 0.08
        occupants = np.where(group, rooms * rng.integers(3, 6, n), rng.integers(0, rooms * 2 + 1))
        insp = rng.choice(["none", "ok", "rectify", "rectified"], n, p=[0.55, 0.3, 0.06, 0.09])
        insp = np.where(
            group & (rng.random(n) < 0.6), rng.choice(["rectify", "rectified"], n), insp
        )
        registered = _minutes_before(now, rng.integers(1, 3 * 365, n) * 1440)
        inspected = registered + pd.to_timedelta(rng.integers(1, 60, n), unit="D")
        name = geo.areas[city].name
        frames.append(
            pd.DataFrame(
                {
                    "unit_id": [f"RH{city[:4]}{i:06d}" for i in range(n)],
                    "address": [
                        f"{name}{STREETS[i % 8]}{i % 300 + 1}号{i % 30 + 1}0{i % 4 + 1}室"
                        for i in range(n)
                    ],
                    "lon": lon,
                    "lat": lat,
                    "floor_area_m2": area,
                    "rooms": rooms,
                    "occupants": occupants,
                    "landlord_name": _names(rng, n),
                    "landlord_phone": [
                        f"1{a}{b}"
                        for a, b in zip(
                            rng.choice([39, 38, 58, 87, 52], n),
                            rng.integers(10**7, 10**8, n),
                            strict=True,
                        )
                    ],
                    "registered_at": registered,
                    "inspection_status": insp,
                    "inspected_at": inspected.where(insp != "none"),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _bookings(
    rng, spots: pd.DataFrame, size: Scale, *, today: dt.date, now: dt.datetime
) -> pd.DataFrame:
    """Bookings from ``booking_days_back`` days ago to a week ahead; demand follows capacity."""
    days = [today + dt.timedelta(days=d) for d in range(-size.booking_days_back, 8)]
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
    frame["slot_end"] = frame["slot_start"].str[:2].astype(int).add(1).map("{:02d}:00".format)
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
    frame.insert(0, "booking_id", [f"BK{i:09d}" for i in range(n)])
    return frame


def _feedback(rng, spots: pd.DataFrame, size: Scale, *, now: dt.datetime) -> pd.DataFrame:
    n = size.feedback_per_spot * len(spots)
    age_min = rng.integers(1, 60 * 1440, n)
    ts = _minutes_before(now, age_min)
    complaint = rng.random(n) < 0.25
    open_ = complaint & (rng.random(n) < np.where(age_min < 3 * 1440, 0.6, 0.05))
    rating = pd.Series(rng.choice([3, 4, 5], n, p=[0.15, 0.4, 0.45])).astype("Int64")
    return pd.DataFrame(
        {
            "feedback_id": [f"FB{i:08d}" for i in range(n)],
            "spot_id": rng.choice(spots["spot_id"].to_numpy(), n),
            "ts": ts,
            "kind": np.where(complaint, "complaint", "evaluation"),
            "rating": rating.where(~complaint),
            "category": np.where(
                complaint,
                rng.choice(["排队时间长", "卫生", "服务态度", "停车难", "票务"], n),
                "综合评价",
            ),
            "status": np.where(open_, "open", "resolved"),
            "resolved_at": (ts + pd.to_timedelta(rng.integers(1, 72, n), unit="h")).where(~open_),
        }
    )
