"""Hostile department files: every text column holds markup, script or a formula.

:func:`build_hostile_store` copies a store (the session's demo store), writes
department files whose text cells are payloads (``<img onerror>``, ``<svg onload>``,
``javascript:`` links, ``<script>``, ``{{7*7}}``, spreadsheet formulas) for rows
placed in one grid cell of 玄武区, and loads them through the real loader
(:func:`loaders.load.load_into`, the path of ``cityops load``), with a few bad rows
that end in the quarantine and one file that is refused. A page that renders any of
these as HTML runs ``window.__xss``; a spreadsheet that reads them as formulas
shows ``f`` cells.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import h3
import pandas as pd

from cityops.geo import geography
from cityops.settings import get_settings
from cityops.store.versions import Storage
from loaders.load import load_into
from loaders.read import FileRefused

# ---------------------------------------------------------------- the payloads
#: Each handler counts in ``window.__xss``: the test asserts it stays undefined.
IMG = '<img src=x onerror="window.__xss=(window.__xss||0)+1">'
SVG = "<svg onload=window.__xss=1>"
A_JS = '<a href="javascript:window.__xss=1">x</a>'
SCRIPT = '"><script>window.__xss=1</script>'
TEMPLATE = "{{7*7}}"
FORMULA = '=HYPERLINK("http://x","y")'
BOLD = "<b onmouseover=window.__xss=1>b</b>"
SPAN = '<span style="font-size:0" onmouseover="window.__xss=1">s</span>'
PAYLOADS = (IMG, SVG, A_JS, SCRIPT, TEMPLATE, FORMULA, BOLD, SPAN)

#: The text of every hostile column (a marker word after the payload, so a test can
#: tell which column's text it sees; personal columns are masked, so not listed here).
TEXT = {
    "camera.name": IMG + "摄像头",
    # "+", "&" and "#" also break a query string built without encoding
    "camera.department": A_JS + "部门 +1&2#3",
    "camera.kind": SVG + "枪机",
    "event.event_type": BOLD + "事件",
    "waybill.cargo_name": IMG + "货物",
    "waybill.carrier": SCRIPT + "承运",
    "waybill.origin_name": TEMPLATE + "起运",
    "waybill.dest_name": FORMULA,
    "rental.address": IMG + "地址1号",  # up to the building number: shown whole once masked
    "spot.name": SPAN + A_JS + "景区",
    "booking.visitor_origin": SPAN + "客源",
    "booking.channel": TEMPLATE + "渠道",
    "feedback.category": IMG + "类别",
}

#: Addresses a spreadsheet would run (OWASP CSV injection), each on a suspected unit.
#: The loader strips surrounding whitespace, so the tab and CR variants arrive as
#: "=1+1" and "=2+2" (still formulas).
#: Each ends in a building number ("…1号"), where address masking stops, so the page and
#: the downloads show the whole formula-like text (the household part would be masked).
FORMULA_ADDRESSES = {
    "XSS-R2": FORMULA + "1号",
    "XSS-R3": "+1号",
    "XSS-R4": "-1+2号",
    "XSS-R5": "@SUM(A1)1号",
    "XSS-R6": "\t=1+1号",
    "XSS-R7": "\r=2+2号",
    "XSS-R8": "＝1+1号",  # full-width, as Chinese input methods type it
}
#: A landlord name that stays a formula once masked (=*******0).
DDE_NAME = "=cmd|' /C calc'!A0"

PLATE = "苏A" + IMG  # masked on every page: 苏A·<****…
# Ids stay plain: they travel in URLs and are checked as short texts.
CAMERA, CAMERA2, CAMERA3 = "XSS-C1", "XSS-C2", "XSS-C3"
WAYBILL = "XSS-W1"
UNIT = "XSS-R1"
SPOT = "XSS-S1"

#: 玄武湖, well inside 玄武区 (WGS84); every hostile row stands within ~60 m of it.
CENTRE = (118.797, 32.070)
DAY = dt.date(2026, 11, 25)
T = dt.datetime(2026, 11, 25, 9, 30)


@dataclass
class HostileStore:
    """What :func:`build_hostile_store` made: the data dir and where to look."""

    data_dir: Path
    cell: str
    district: str = "320102"
    city: str = "320100"
    load_ids: dict[str, str] = field(default_factory=dict)  # dataset → accepted load
    quarantine_load: str = ""  # a load with quarantined hostile rows
    refused_load: str = ""  # the refused file's load
    refused_file: str = ""
    reports: dict[str, dict] = field(default_factory=dict)


def _near(i: int) -> tuple[float, float]:
    """Return the i-th point of a small spiral around :data:`CENTRE` (same H3 cell)."""
    dx = ((i % 3) - 1) * 0.0003
    dy = ((i // 3) % 3 - 1) * 0.0003
    return round(CENTRE[0] + dx, 6), round(CENTRE[1] + dy, 6)


def frames(now: dt.datetime) -> dict[str, pd.DataFrame]:
    """Return the hostile rows of each dataset (canonical headers, WGS84).

    ``now`` is the server's clock: one open event is stamped after it, so its
    age is a genuine negative number that downloads must keep as a number.
    """
    h = dt.timedelta(hours=1)
    cams = [CAMERA, CAMERA2, CAMERA3]
    cameras = pd.DataFrame({
        "camera_id": cams,
        "name": [TEXT["camera.name"], SCRIPT + "C2", TEMPLATE + "C3"],
        "department": [TEXT["camera.department"]] * 3,
        "kind": [TEXT["camera.kind"]] * 3,
        "lon": [_near(i)[0] for i in range(3)], "lat": [_near(i)[1] for i in range(3)],
        "status": ["online", "offline", "fault"],
        "last_seen": [T, T - h, T - 2 * h], "ai_enabled": [True, False, True],
    })  # fmt: skip
    # a bad row: an unknown status (quarantined, its raw row shown on /data)
    bad_camera = pd.DataFrame({
        "camera_id": ["XSS-C9"], "name": [IMG + "坏行"], "department": [SVG],
        "kind": [BOLD], "lon": [CENTRE[0]], "lat": [CENTRE[1]], "status": [A_JS + "状态"],
        "last_seen": [T], "ai_enabled": [True],
    })  # fmt: skip
    events = pd.DataFrame({
        "event_id": ["XSS-E1", "XSS-E2", "XSS-E3"],
        "camera_id": [CAMERA, CAMERA, CAMERA2],
        "ts": [T - 2 * h, T - 26 * h, (now + dt.timedelta(days=3)).replace(microsecond=0)],
        "event_type": [TEXT["event.event_type"], TEXT["event.event_type"], FORMULA],
        "status": ["open", "open", "open"], "closed_at": [None, None, None],
    })  # fmt: skip
    olon, olat = _near(4)
    waybills = pd.DataFrame({
        "waybill_id": [WAYBILL], "vehicle_plate": [PLATE], "carrier": [TEXT["waybill.carrier"]],
        "un_number": ["1203"], "hazard_class": ["3"], "cargo_name": [TEXT["waybill.cargo_name"]],
        "tonnage": [20.5], "origin_name": [TEXT["waybill.origin_name"]],
        "origin_lon": [olon], "origin_lat": [olat], "dest_name": [TEXT["waybill.dest_name"]],
        "dest_lon": [118.9], "dest_lat": [32.1], "depart_at": [T - 3 * h], "arrive_at": [None],
        "status": ["in_transit"],
    })  # fmt: skip
    fixes = [_near(i) for i in (4, 5, 7, 8)]
    tracks = pd.DataFrame({
        "vehicle_plate": [PLATE] * len(fixes),
        "ts": [T - 2 * h + i * dt.timedelta(minutes=10) for i in range(len(fixes))],
        "lon": [p[0] for p in fixes], "lat": [p[1] for p in fixes],
        "speed_kmh": [40.0, 55.0, 61.5, 30.0],
    })  # fmt: skip
    alarms = pd.DataFrame({
        "alarm_id": ["XSS-A1", "XSS-A2"], "vehicle_plate": [PLATE, PLATE],
        "waybill_id": [WAYBILL, WAYBILL],
        "ts": [T - 2 * h + dt.timedelta(minutes=10), T - 2 * h + dt.timedelta(minutes=20)],
        "alarm_type": ["speeding", "sensor"], "severity": [3, 2],
        "lon": [fixes[1][0], fixes[2][0]], "lat": [fixes[1][1], fixes[2][1]],
        "status": ["open", "acknowledged"], "closed_at": [None, None],
    })  # fmt: skip
    units = [UNIT, *FORMULA_ADDRESSES]
    addresses = [TEXT["rental.address"], *FORMULA_ADDRESSES.values()]
    rentals = pd.DataFrame({
        "unit_id": units, "address": addresses,
        "lon": [_near(i)[0] for i in range(len(units))],
        "lat": [_near(i)[1] for i in range(len(units))],
        "floor_area_m2": [20.0] * len(units), "rooms": [1] * len(units),
        "occupants": [6] * len(units),  # 3.3 m² a person: suspected everywhere
        "landlord_name": [DDE_NAME] + [SVG] * (len(units) - 1),
        "landlord_phone": [SCRIPT + "13912341234"] * len(units),
        "registered_at": [T] * len(units), "inspection_status": ["rectify"] * len(units),
        "inspected_at": [T] * len(units),
    })  # fmt: skip
    bad_rentals = pd.DataFrame({
        "unit_id": ["XSS-R90", "XSS-R91"], "address": [SCRIPT + "坏地址1号", FORMULA + "1号"],
        "lon": [CENTRE[0], 121.4737], "lat": [CENTRE[1], 31.2304],  # the second: Shanghai
        "floor_area_m2": [20.0, 20.0], "rooms": [1, 1], "occupants": [6, 6],
        "landlord_name": ["张三", "李四"], "landlord_phone": ["13912341234", "13800001111"],
        "registered_at": [T, T], "inspection_status": [IMG, "rectify"], "inspected_at": [T, T],
    })  # fmt: skip
    slon, slat = _near(2)
    spots = pd.DataFrame({
        "spot_id": [SPOT], "name": [TEXT["spot.name"]], "lon": [slon], "lat": [slat],
        "grade": ["5A"], "daily_capacity": [1000], "instant_capacity": [100],
    })  # fmt: skip
    slots = ["09:00", "10:00", "11:00"]
    bookings = pd.DataFrame({
        "booking_id": [f"XSS-B{i}" for i in range(len(slots))],
        "spot_id": [SPOT] * len(slots), "visit_date": [DAY] * len(slots),
        "slot_start": slots, "slot_end": ["10:00", "11:00", "12:00"],
        "party_size": [50, 70, 90],
        "visitor_origin": [TEXT["booking.visitor_origin"]] * len(slots),
        "channel": [TEXT["booking.channel"]] * len(slots),
        "status": ["checked_in", "booked", "checked_in"], "booked_at": [T - 24 * h] * len(slots),
    })  # fmt: skip
    feedback = pd.DataFrame({
        "feedback_id": ["XSS-F1", "XSS-F2"], "spot_id": [SPOT, SPOT], "ts": [T, T],
        "kind": ["complaint", "evaluation"], "rating": [None, 2],
        "category": [TEXT["feedback.category"]] * 2, "status": ["open", "resolved"],
        "resolved_at": [None, T],
    })  # fmt: skip
    return {
        "cameras": pd.concat([cameras, bad_camera], ignore_index=True),
        "video_events": events,
        "hazmat_waybills": waybills,
        "hazmat_tracks": tracks,
        "hazmat_alarms": alarms,
        "rentals": pd.concat([rentals, bad_rentals], ignore_index=True),
        "scenic_spots": spots,
        "bookings": bookings,
        "feedback": feedback,
    }


#: A rentals file whose headers are payloads: refused, its reason and name on /data.
REFUSED_NAME = "<svg onload=window.__xss=1>出租屋.csv"
_QUOTED_IMG = '"' + IMG.replace('"', '""') + '"'
REFUSED_BODY = f"房屋编号,地址,经度,纬度,{_QUOTED_IMG},{SVG}\r\nXSS-R99,{SVG},118.797,32.07,1,2\r\n"


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as a department would: UTF-8 CSV with a BOM, ISO times."""
    out = frame.copy()
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, dt.datetime)).any():
            out[col] = pd.to_datetime(out[col]).dt.strftime("%Y-%m-%dT%H:%M:%S")
    # every cell quoted: a carriage return inside a cell stays in its cell
    path.write_text(out.to_csv(index=False, quoting=csv.QUOTE_ALL), encoding="utf-8-sig")
    return path


def build_hostile_store(template: Path, folder: Path, *, now: dt.datetime) -> HostileStore:
    """Copy ``template``'s store into ``folder`` and load the hostile files into it.

    Returns where the hostile rows are (their grid cell) and the load ids of the
    quarantine and of the refused file, for /data.
    """
    shutil.copytree(template / "store", folder / "store")
    files = folder / "files"
    files.mkdir()
    settings = get_settings(data_dir=str(folder), database_url="")
    storage = Storage(settings)
    geo = geography(storage.reader_engine(), settings.city_codes, settings.grid_resolution)
    cell = h3.latlng_to_cell(CENTRE[1], CENTRE[0], settings.grid_resolution)
    made = HostileStore(folder, cell)
    for dataset, frame in frames(now).items():
        path = write_csv(frame, files / f"{dataset}.csv")
        report = load_into(storage, dataset, path, geography=lambda _engine: geo)
        made.load_ids[dataset] = report.load_id
        made.reports[dataset] = report.to_dict()
        if dataset == "rentals":
            made.quarantine_load = report.load_id
    refused = files / REFUSED_NAME
    refused.write_text(REFUSED_BODY, encoding="utf-8")
    try:
        load_into(storage, "rentals", refused, geography=lambda _engine: geo)
    except FileRefused as exc:
        made.refused_load = exc.load_id or ""
    made.refused_file = str(refused)
    return made
