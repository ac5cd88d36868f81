"""The one theme: colours with a meaning (UX.md), domain accents and map styles.

Red is reserved for what needs action now; every other colour is calm.
"""

from __future__ import annotations

from cityops.domains import DOMAINS

#: Colours that carry a meaning everywhere (UX.md, "Colour meanings").
STATUS = {
    "online": "#16a34a",  # green: online / ok
    "offline": "#9ca3af",  # grey
    "fault": "#dc2626",  # red: fault / open alarm / severity 3
    "acknowledged": "#f59e0b",  # amber: acknowledged / severity 2
}
SEVERITY = {1: "#60a5fa", 2: STATUS["acknowledged"], 3: STATUS["fault"]}
CROWDING = {"ok": "#16a34a", "busy": STATUS["acknowledged"], "full": STATUS["fault"]}
CROWDING_THRESHOLDS = (0.6, 0.8)  # ≥ 60% amber, ≥ 80% red of instant capacity

#: Accents a domain may take (``cityops.domains.Domain.accent`` names one).
ACCENTS = {
    "sky": "#0369a1",
    "purple": "#7e22ce",
    "teal": "#0f766e",
    "indigo": "#4338ca",
    "amber": "#b45309",
    "rose": "#be123c",
}
#: One accent per domain; sequential map ramps run from PALE to the accent.
DOMAIN_ACCENT = {d.name: ACCENTS[d.accent] for d in DOMAINS}
PALE = "#eef2f7"
NO_DATA = "#e5e7eb"
ZERO = "#f8fafc"  # a count of zero
DISABLED_AREA = "#f3f4f6"
MAP_BACKGROUND = "#f8fafc"
BORDER = "#475569"
SELECTED_BORDER = "#111827"
DISABLED_BORDER = "#cbd5e1"  # outline of a switched-off area
OUTLINE_FILL = "#ffffff"  # the faint fill of an area layer drawn as outlines only
POINT_BORDER = "#ffffff"  # outline of an entity dot (a camera, an alarm)
#: A camera cluster: its share of cameras offline or faulty, ≤ 5 % / ≤ 15 % / more.
CLUSTER_BAD_SHARE = (0.05, 0.15)
CLUSTER_COLOURS = [STATUS["online"], STATUS["acknowledged"], STATUS["fault"]]
SHARE_REST = "#e5e7eb"  # the rest of a share (a donut's other part: cameras without AI)
RAMP_STEPS = 5


def _hex_to_rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def ramp(accent: str, steps: int = RAMP_STEPS, start: str = PALE) -> list[str]:
    """Return ``steps`` colours from ``start`` to ``accent``, evenly mixed."""
    a, b = _hex_to_rgb(start), _hex_to_rgb(accent)
    out = []
    for i in range(steps):
        f = (i + 1) / steps
        rgb = (round(a[k] + (b[k] - a[k]) * f) for k in range(3))
        out.append("#{:02x}{:02x}{:02x}".format(*rgb))
    return out


#: Hazard classes in their UN / GB 190 placard colours (UX.md): 2.1 and 3 red,
#: 2.2 green, 2.3 and 6.x white, 4.3 blue, 5.x yellow, 7 yellow-white, 8 black, 9 grey.
HAZARD_CLASS = {
    "1": "#f97316", "2.1": "#dc2626", "2.2": "#16a34a", "2.3": "#f8fafc", "3": "#dc2626",
    "4.1": "#fca5a5", "4.2": "#f87171", "4.3": "#2563eb", "5.1": "#facc15", "5.2": "#eab308",
    "6.1": "#f8fafc", "6.2": "#e2e8f0", "7": "#fde047", "8": "#111827", "9": "#94a3b8",
}  # fmt: skip


#: A class with no placard colour of its own (grey, like class 9).
UNKNOWN_HAZARD = "#94a3b8"


def hazard_colour(hazard_class: str) -> str:
    """Return the placard colour of a class or division (1.4 → class 1)."""
    key = str(hazard_class)
    return HAZARD_CLASS.get(key) or HAZARD_CLASS.get(key.split(".")[0], UNKNOWN_HAZARD)


#: Entity layers on the maps (sent to the browser in each layer's ``hideout``).
VEHICLE_BORDER = "#111827"  # outline of a vehicle dot (white placards stay visible)
PLACARD_EDGE = "#111111"  # outline of a placard-colour dot in a waybill's card
TRACK_ROUTE = "#94a3b8"  # a waybill's whole track, grey under the part driven so far
TRACK_VEHICLE_EDGE = "#111827"  # the vehicle on its track: a white disc, dark rim
TRACK_VEHICLE_FILL = "#ffffff"
SPOT_BORDER = "#1e1b4b"  # outline of a scenic spot's circle (dark indigo)

#: Bookings by status, the day's stack from the bottom up: checked in in the tourism
#: accent, then ever paler (booked, no-show, cancelled).
BOOKING_STATUS = {
    "checked_in": DOMAIN_ACCENT["tourism"],
    "booked": "#818cf8",
    "no_show": "#94a3b8",
    "cancelled": "#e2e8f0",
}

#: Charts: background, grid lines, outlines and shading with no data meaning of their own.
CHART_BACKGROUND = "#ffffff"
CHART_GRID = "#eef2f7"
BAR_OUTLINE = "#111827"
FUNNEL_CONNECTOR = "#cbd5e1"
HOLIDAY_SHADE = "#fde68a"  # a public holiday behind a day chart (yellow)
WEEKEND_SHADE = "#e5e7eb"  # a weekend behind a day chart (grey)
LOAD_EMPTY = "#eef2ff"  # the pale end of the slot-load heat map (no one booked)
#: Series of a chart whose categories carry no meaning of their own (departments…).
SERIES = ["#0369a1", "#0891b2", "#4f46e5", "#7c3aed", "#0d9488", "#64748b", "#9333ea"]
#: Alarms counted by type: violet, calm (red is kept for severity and open alarms).
ALARM_TYPE_BAR = SERIES[3]

#: Excel downloads (openpyxl takes these without the ``#``).
EXPORT_HEADER_FILL = "#1e293b"
EXPORT_HEADER_TEXT = "#ffffff"
EXPORT_NOTE_TEXT = "#475569"


def crowding(load: float | None) -> str:
    """Return the crowding class of a load (a fraction of instant capacity).

    ``ok`` below 60 %, ``busy`` from 60 %, ``full`` from 80 % (UX.md).
    """
    busy, full = CROWDING_THRESHOLDS
    if load is None or load != load:
        return "ok"
    return "full" if load >= full else ("busy" if load >= busy else "ok")


#: The wall (大屏): a dark big-screen theme. Backgrounds recede, numbers are near white,
#: each domain keeps its accent (lightened to read on dark), red stays for action now.
WALL = {
    "background": "#050b18",
    "panel": "#0b1628",
    "panel_edge": "#1e3a5f",
    "ink": "#e8f0fb",
    "muted": "#8aa0bd",
    "grid": "#1c2c44",
    "stale": "#64748b",
    "map_background": "#07101f",
    "map_border": "#7c93b3",
    "map_nodata": "#1b2a40",
    "map_disabled": "#0d1727",
    "map_disabled_border": "#23344d",
    "label": "#f8fafc",
    "label_background": "rgba(5, 11, 24, 0.72)",
    "panel_glass": "rgba(11, 22, 40, 0.86)",
    "ok": "#4ade80",  # fresh, better
    "warn": "#fbbf24",  # stale, worse: amber (red stays for severity 3)
    "warn_background": "#78350f",
    "alert_background": "#1f0a10",
}
#: Domain accents on the wall (lighter tones of ACCENTS, readable on WALL["background"]).
WALL_ACCENT = {"overview": "#38bdf8", "video": "#38bdf8", "hazmat": "#c084fc",
               "rentals": "#2dd4bf", "tourism": "#818cf8"}  # fmt: skip
#: Map ramp on the wall: from a dark blue to the page's accent (low → high).
WALL_RAMP_START = "#13243d"


def wall_ramp(page: str, steps: int = RAMP_STEPS) -> list[str]:
    """Return the wall map's colours for ``page``: dark navy to the page's accent."""
    return ramp(WALL_ACCENT[page], steps, start=WALL_RAMP_START)
