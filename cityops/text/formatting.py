"""Numbers, dates and personal data, formatted the way UX.md asks.

Chinese: 7.0万, 1.2亿, 98.3%, 12.3 吨, 2026年11月25日.
English: 70.0k, 120M, 98.3%, 12.3 t, 25 Nov 2026. ``None`` shows as an em dash.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from cityops.text.i18n import t

MISSING = "—"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_count(value: float | None, lang: str = "zh") -> str:
    """Return a count with Chinese (万/亿) or English (k/M) units."""
    if _missing(value):
        return MISSING
    v = float(value)
    a = abs(v)
    if lang == "en":
        for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if a >= size * (10 if size == 1e3 else 1):
                scaled = v / size
                return f"{scaled:.0f}{unit}" if abs(scaled) >= 100 else f"{scaled:.1f}{unit}"
        return f"{v:,.0f}"
    for size, unit in ((1e8, "亿"), (1e4, "万")):
        if a >= size:
            return f"{v / size:.1f}{unit}"
    return f"{v:,.0f}"


def _trim(value: float) -> str:
    """Return ``value`` with as few decimals (at most 3) as keep it exact, separated."""
    for digits in range(4):
        if abs(round(value, digits) - value) <= 1e-9 * max(1.0, abs(value)):
            return f"{value:,.{digits}f}"
    return f"{value:,.3f}"


def fmt_tick(value: float, lang: str = "zh") -> str:
    """Return an axis tick: units as :func:`fmt_count` (万/亿, k/M/B) but no needless zeros.

    20000 → 2万 / 20k, 25000 → 2.5万 / 25k, 5000 → 5,000, 0.5 → 0.5.
    """
    v = float(value)
    a = abs(v)
    if lang == "en":
        units = ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k"))
    else:
        units = ((1e8, 1e8, "亿"), (1e4, 1e4, "万"))
    for threshold, size, unit in units:
        if a >= threshold:
            return f"{_trim(v / size)}{unit}"
    return _trim(v)


def nice_ticks(high: float, count: int = 5, *, integer: bool = False) -> list[float]:
    """Return about ``count`` round tick values from 0 up to at least ``high`` (> 0).

    With ``integer`` the step is a whole number (for counts).
    """
    if not high or high <= 0 or math.isnan(high):
        return [0.0, 1.0]
    raw = high / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if integer:
        step = max(1.0, float(math.ceil(step)))
    n = math.ceil(high / step - 1e-9)
    return [float(round(i * step, 10)) for i in range(n + 1)]


def fmt_rate(value: float | None, lang: str = "zh") -> str:
    """Return a fraction as a percentage with one decimal (0.983 → 98.3%)."""
    if _missing(value):
        return MISSING
    return f"{float(value) * 100:.1f}%"


def fmt_tonnes(value: float | None, lang: str = "zh") -> str:
    """Return a tonnage with one decimal and its unit (吨 / t)."""
    if _missing(value):
        return MISSING
    v = float(value)
    number = fmt_count(v, lang) if abs(v) >= 1e4 else f"{v:,.1f}"
    return f"{number} {t('unit.tonnes', lang)}"


def fmt_value(value: float | None, unit: str, lang: str = "zh") -> str:
    """Return ``value`` formatted for its KPI unit (``count``, ``rate``, ``tonnes``)."""
    return {"count": fmt_count, "rate": fmt_rate, "tonnes": fmt_tonnes}[unit](value, lang)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def fmt_date(day: dt.date, lang: str = "zh") -> str:
    """Return a date as 2026年11月25日 or 25 Nov 2026."""
    if lang == "en":
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def mask_name(name: str | None) -> str:
    """Mask a personal name: 张三 → 张*, 张小明 → 张*明."""
    if not name:
        return MISSING
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str | None) -> str:
    """Mask a phone number: 13912341234 → 139****1234."""
    if not phone:
        return MISSING
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


#: Where a Chinese address's building ends: what follows (unit, floor, room) identifies a
#: household and is masked.
_BUILDING_END = re.compile(r"[0-9０-９一二三四五六七八九十百零〇]+\s*(号楼|号院|号|栋|幢|弄)")


def mask_address(address: str | None) -> str:
    """Mask the household part of an address: 中山路12号3单元502室 → 中山路12号****.

    Kept: the text up to the building number (号/栋/幢/弄); without one, the first
    half. The street and building stay readable for the inspectors' work.
    """
    if not address:
        return MISSING
    found = _BUILDING_END.search(address)
    keep = found.end() if found else max(1, len(address) // 2)
    return address[:keep] + ("****" if keep < len(address) else "")


def mask_plate(plate: str | None) -> str:
    """Mask a vehicle plate: 苏F12345 → 苏F·1****."""
    if not plate:
        return MISSING
    if len(plate) < 3:
        return plate
    return f"{plate[:2]}·{plate[2]}{'*' * (len(plate) - 3)}"


def fmt_times(values, fmt: str = "%Y-%m-%d %H:%M") -> list[str | None]:
    """Return timestamps as text (24-hour, local time as stored); missing ones as None."""
    import pandas as pd

    if isinstance(values, pd.Series) and values.dtype.kind == "M":
        stamps = values  # typed by the read door: format the column at once
    else:
        stamps = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce")
    text = stamps.dt.strftime(fmt)
    return [None if isinstance(v, float) or v is None or v is pd.NA else v for v in text]


#: Leading characters that make a spreadsheet read a cell as a formula (OWASP),
#: plus their full-width forms, which Chinese input methods produce. Keep in step
#: with TRIGGERS in assets/cityops-i18n.js.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def is_formula_like(value: object) -> bool:
    """Return whether ``value`` is text a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)
