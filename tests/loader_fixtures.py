"""Canonical rows of every dataset, and helpers to write them the way departments do.

Each frame has three good rows placed in 玄武区 (320102), 姑苏区 (320508) and
宿城区 (321302), in WGS84. Tests write them in every format, encoding, header
language and coordinate system, load them, and compare with these values.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

#: Points well inside three districts of three cities (WGS84).
XUANWU = (118.797, 32.070)  # 玄武湖
GUSU = (120.620, 31.310)  # 姑苏区
SUCHENG = (118.290, 33.955)  # 宿城区
PLACES = (XUANWU, GUSU, SUCHENG)
DISTRICTS = ("320102", "320508", "321302")
T = dt.datetime(2026, 11, 25, 9, 30)


def _lonlat(prefix: str = "") -> dict:
    return {f"{prefix}lon": [p[0] for p in PLACES], f"{prefix}lat": [p[1] for p in PLACES]}


def canonical() -> dict[str, pd.DataFrame]:
    """Return three good rows per dataset, keyed by dataset name."""
    h = dt.timedelta(hours=1)
    return {
        "cameras": pd.DataFrame({
            "camera_id": ["C1", "C2", "C3"], "name": ["玄武湖东门", "平江路口", "项王故里"],
            "department": ["公安", "城管", "文旅"], "kind": ["枪机", "球机", "高空瞭望"],
            **_lonlat(), "status": ["online", "offline", "fault"],
            "last_seen": [T, T - h, T - 2 * h], "ai_enabled": [True, False, True],
        }),
        "video_events": pd.DataFrame({
            "event_id": ["E1", "E2", "E3"], "camera_id": ["C1", "C1", "C3"],
            "ts": [T, T - h, T - 2 * h], "event_type": ["占道经营", "烟火", "人群聚集"],
            "status": ["open", "closed", "open"], "closed_at": [None, T, None],
        }),
        "hazmat_waybills": pd.DataFrame({
            "waybill_id": ["W1", "W2", "W3"], "vehicle_plate": ["苏A12345", "苏E54321", "苏N11111"],
            "carrier": ["甲公司", "乙公司", "丙公司"], "un_number": ["1203", "1005", "1830"],
            "hazard_class": ["3", "2.3", "8"], "cargo_name": ["汽油", "液氨", "硫酸"],
            "tonnage": [20.5, 12.0, 30.0], "origin_name": ["园区A", "园区B", "园区C"],
            **_lonlat("origin_"), "dest_name": ["客户A", "客户B", "客户C"],
            "dest_lon": [118.8, 120.6, 118.3], "dest_lat": [32.0, 31.3, 33.9],
            "depart_at": [T, T - h, T + h], "arrive_at": [None, T, None],
            "status": ["in_transit", "arrived", "planned"],
        }),
        "hazmat_tracks": pd.DataFrame({
            "vehicle_plate": ["苏A12345", "苏A12345", "苏E54321"],
            "ts": [T, T + h / 60, T], **_lonlat(), "speed_kmh": [52.5, 48.0, 0.0],
        }),
        "hazmat_alarms": pd.DataFrame({
            "alarm_id": ["A1", "A2", "A3"], "vehicle_plate": ["苏A12345", "苏E54321", "苏N11111"],
            "waybill_id": ["W1", "W2", None], "ts": [T, T, T],
            "alarm_type": ["speeding", "fatigue", "sensor"], "severity": [3, 2, 1],
            **_lonlat(), "status": ["open", "acknowledged", "closed"], "closed_at": [None, None, T],
        }),
        "rentals": pd.DataFrame({
            "unit_id": ["R1", "R2", "R3"], "address": ["玄武区某路1号", "姑苏区某巷2号", "宿城区某街3号"],
            **_lonlat(), "floor_area_m2": [60.0, 20.0, 45.5], "rooms": [2, 1, 3],
            "occupants": [2, 6, 0], "landlord_name": ["张三", "李小明", "王五"],
            "landlord_phone": ["13912341234", "13800001111", "15900002222"],
            "registered_at": [T, T, T], "inspection_status": ["none", "rectify", "rectified"],
            "inspected_at": [None, T, T],
        }),
        "scenic_spots": pd.DataFrame({
            "spot_id": ["S1", "S2", "S3"], "name": ["玄武湖景区", "拙政园", "项王故里"],
            **_lonlat(), "grade": ["4A", "5A", "4A"], "daily_capacity": [30000, 30000, 15000],
            "instant_capacity": [8000, 7500, 4000],
        }),
        "bookings": pd.DataFrame({
            "booking_id": ["B1", "B2", "B3"], "spot_id": ["S1", "S2", "S2"],
            "visit_date": [T.date(), T.date(), T.date() + dt.timedelta(days=1)],
            "slot_start": ["09:00", "10:00", "14:00"], "slot_end": ["10:00", "11:00", "15:00"],
            "party_size": [2, 4, 1], "visitor_origin": ["上海", "江苏", "浙江"],
            "channel": ["小程序", "官网", "OTA"], "status": ["checked_in", "booked", "cancelled"],
            "booked_at": [T - 24 * h, T - 48 * h, T],
        }),
        "feedback": pd.DataFrame({
            "feedback_id": ["F1", "F2", "F3"], "spot_id": ["S1", "S2", "S2"],
            "ts": [T, T, T], "kind": ["evaluation", "complaint", "evaluation"],
            "rating": [5, None, 3], "category": ["综合", "排队", "综合"],
            "status": ["resolved", "open", "resolved"], "resolved_at": [T, None, T],
        }),
        "district_population": pd.DataFrame({
            "district_code": ["320102", "320508", "321302"], "year": [2024, 2024, 2024],
            "population": [537825, 922000, 780000],
        }),
    }  # fmt: skip


#: The datasets a dataset's rows refer to, loaded first.
PREREQUISITES = {
    "video_events": ("cameras",),
    "bookings": ("scenic_spots",),
    "feedback": ("scenic_spots",),
}
