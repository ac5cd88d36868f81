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


def hazard_colour(hazard_class: str) -> str:
    """Return the placard colour of a class or division (1.4 → class 1)."""
    key = str(hazard_class)
    return HAZARD_CLASS.get(key) or HAZARD_CLASS.get(key.split(".")[0], "#94a3b8")


def crowding(load: float | None) -> str:
    """Return the crowding class of a load (a fraction of instant capacity).

    ``ok`` below 60 %, ``busy`` from 60 %, ``full`` from 80 % (UX.md).
    """
    busy, full = CROWDING_THRESHOLDS
    if load is None or load != load:
        return "ok"
    return "full" if load >= full else ("busy" if load >= busy else "ok")
