"""The naive baseline: the 14 KPIs of one scope in plain pandas over the raw tables.

What a team without cityops's read side would write: read every raw table into
pandas once (not timed), then per question filter and group in memory. No derived
table, no cache: the waybills in transit are placed at their last GPS fix by a
merge of the tracks, as :func:`cityops.store.derived.live_positions` defines it.
The formulas are DATA_CONTRACTS.md's; :func:`compare` checks the answers equal
the app's, so the ratio compares the same questions.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

#: The raw columns each question needs (what is read into memory once).
COLUMNS: dict[str, str] = {
    "cameras": "camera_id, status, ai_enabled, department, city_code, district_code, grid_cell",
    "video_events": "camera_id, status",
    "hazmat_waybills": "waybill_id, vehicle_plate, hazard_class, tonnage, depart_at, status, "
    "origin_city_code, origin_district_code, origin_grid_cell",
    "hazmat_tracks": "vehicle_plate, ts, city_code, district_code, grid_cell",
    "hazmat_alarms": "status, city_code, district_code, grid_cell",
    "rentals": "floor_area_m2, rooms, occupants, inspection_status, "
    "city_code, district_code, grid_cell",
    "scenic_spots": "spot_id, instant_capacity, city_code, district_code, grid_cell",
    "bookings": "spot_id, visit_date, slot_start, party_size, status",
    "feedback": "spot_id, kind, status",
}
AREA = {"city": "city_code", "district": "district_code", "grid": "grid_cell"}
COUNTED = ("booked", "checked_in", "no_show")
PRESENT = ("booked", "checked_in")
OPEN_ALARM = ("open", "acknowledged")
ORDERED = ("rectify", "rectified")


@dataclass(frozen=True)
class Tables:
    """The raw tables in memory, as pandas frames."""

    frames: dict[str, pd.DataFrame]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]

    @property
    def rows(self) -> int:
        """Return the rows held in memory, all tables together."""
        return sum(len(f) for f in self.frames.values())


def read_tables(sql: Callable[[str], pd.DataFrame]) -> Tables:
    """Read the raw tables the KPIs need into pandas; ``sql`` runs one SELECT into a frame."""
    frames = {name: sql(f"SELECT {cols} FROM {name}")
              for name, cols in COLUMNS.items()}  # fmt: skip
    frames["bookings"]["visit_date"] = pd.to_datetime(frames["bookings"]["visit_date"])
    return Tables(frames)


def _in_scope(frame: pd.DataFrame, level: str, code: str, enabled, prefix: str = "") -> pd.Series:
    if level == "province":
        return frame[f"{prefix}city_code"].isin(enabled)
    return frame[f"{prefix}{AREA[level]}"] == code


def _semi(frame: pd.DataFrame, keys: pd.DataFrame, on: str) -> pd.DataFrame:
    """Return the rows of ``frame`` whose ``on`` is among ``keys[on]`` (a semi-join).

    A merge, not ``Series.isin``: with pandas 3's Arrow strings, ``isin`` against
    100k+ values takes seconds, which would measure a library quirk, not the question.
    """
    return frame.merge(keys[[on]].drop_duplicates(), on=on)


def _rate(num: float, den: float):
    return None if not den else num / den


def kpis(
    t: Tables,
    *,
    level: str,
    code: str,
    day: dt.date,
    enabled: tuple[str, ...],
    rule: tuple[float, float] = (5.0, 2.0),
    city_rules: dict[str, tuple[float, float]] | None = None,
    timings: dict[str, float] | None = None,
) -> dict[str, float | int | None]:
    """Return the 14 KPIs of one scope, computed in pandas from the raw tables.

    With ``timings``, adds the milliseconds each family of questions took to it.
    """
    out: dict[str, float | int | None] = {}
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + (now - clock[0]) * 1000
        clock[0] = now

    cam = t["cameras"]
    cam = cam[_in_scope(cam, level, code, enabled)]
    out["cameras_total"] = len(cam)
    online = int((cam["status"] == "online").sum())
    out["cameras_online_rate"] = _rate(online, len(cam))
    out["cameras_ai"] = int(cam["ai_enabled"].fillna(False).astype(bool).sum())
    ev = t["video_events"]
    ev = ev[ev["status"] == "open"]
    out["video_events_open"] = len(_semi(ev, cam, "camera_id"))
    lap("video")

    # waybills in transit at their last fix since departure (else their origin)
    w = t["hazmat_waybills"]
    w = w[w["status"] == "in_transit"]
    fixes = t["hazmat_tracks"].merge(
        w[["waybill_id", "vehicle_plate", "depart_at"]], on="vehicle_plate"
    )
    fixes = fixes[fixes["ts"] >= fixes["depart_at"]]
    last = fixes.loc[fixes.groupby("waybill_id")["ts"].idxmax()]
    pos = w.merge(last[["waybill_id", "city_code", "district_code", "grid_cell"]],
                  on="waybill_id", how="left")  # fmt: skip
    for col in ("city_code", "district_code", "grid_cell"):
        pos[col] = pos[col].where(pos[col].notna(), pos[f"origin_{col}"])
    pos = pos[_in_scope(pos, level, code, enabled)]
    out["waybills_in_transit"] = len(pos)
    out["tonnage_in_transit"] = float(pos["tonnage"].sum())
    lap("waybill_positions")
    al = t["hazmat_alarms"]
    al = al[al["status"].isin(OPEN_ALARM) & _in_scope(al, level, code, enabled)]
    out["hazmat_alarms_open"] = len(al)
    lap("alarms")

    r = t["rentals"]
    r = r[_in_scope(r, level, code, enabled)]
    min_area, per_room = rule
    if city_rules:  # per-city overrides of the group-rental rule
        min_area = r["city_code"].map(lambda c: city_rules.get(c, rule)[0])
        per_room = r["city_code"].map(lambda c: city_rules.get(c, rule)[1])
    suspected = (r["floor_area_m2"] < min_area * r["occupants"]) | (
        r["occupants"] > per_room * r["rooms"]
    )
    out["rentals_registered"] = len(r)
    out["rentals_suspected"] = int(suspected.sum())
    rectified = int((r["inspection_status"] == "rectified").sum())
    ordered = int(r["inspection_status"].isin(ORDERED).sum())
    out["rentals_rectify_rate"] = _rate(rectified, ordered)
    lap("rentals")

    spots = t["scenic_spots"]
    spots = spots[_in_scope(spots, level, code, enabled)]
    b = t["bookings"]
    b = _semi(b[b["visit_date"] == pd.Timestamp(day)], spots, "spot_id")
    visitors = float(b.loc[b["status"].isin(COUNTED), "party_size"].sum())
    checked = float(b.loc[b["status"] == "checked_in", "party_size"].sum())
    out["bookings_visitors"] = int(visitors)
    out["bookings_checkin_rate"] = _rate(checked, visitors)
    slots = (
        b[b["status"].isin(PRESENT)]
        .groupby(["spot_id", "slot_start"], as_index=False)["party_size"]
        .sum()
        .merge(spots[["spot_id", "instant_capacity"]], on="spot_id")
    )
    cap = slots["instant_capacity"].where(slots["instant_capacity"] > 0)
    load = (slots["party_size"] / cap).dropna()
    out["peak_slot_load"] = float(load.max()) if len(load) else None
    fb = t["feedback"]
    fb = fb[(fb["kind"] == "complaint") & (fb["status"] == "open")]
    out["complaints_open"] = len(_semi(fb, spots, "spot_id"))
    lap("tourism")
    return out


def compare(naive: dict, app: dict, tolerance: float = 1e-6) -> list[str]:
    """Return the KPI names whose naive and app values differ (empty: the same answers)."""
    differ = []
    for name, value in app.items():
        other = naive.get(name)
        if value is None or other is None:
            if (value is None) != (other is None):
                differ.append(name)
        elif not math.isclose(float(value), float(other), rel_tol=tolerance, abs_tol=tolerance):
            differ.append(name)
    return differ
