"""The one theme: colours with a meaning (UX.md), domain accents and map styles.

Red is reserved for what needs action now; every other colour is calm.
"""

from __future__ import annotations

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

#: One accent per domain; sequential map ramps run from PALE to the accent.
DOMAIN_ACCENT = {
    "video": "#0369a1",  # sky
    "hazmat": "#7e22ce",  # purple
    "rentals": "#0f766e",  # teal
    "tourism": "#4338ca",  # indigo
}
PALE = "#eef2f7"
NO_DATA = "#e5e7eb"
DISABLED_AREA = "#f3f4f6"
MAP_BACKGROUND = "#f8fafc"
BORDER = "#475569"
SELECTED_BORDER = "#111827"
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
