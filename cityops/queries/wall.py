"""What the wall (大屏) shows: its pages, declared once, and each page's data as plain values.

A wall page is one composed screen per domain (plus the overview): its KPI cards
(with the trend against yesterday), the map of the scope's areas coloured by
one KPI, its live points, its top problems and a trend strip. Everything comes
from the named questions of the other query modules — the KPIs from
:func:`cityops.queries.kpis.compute_kpis` through :func:`~cityops.queries.snapshots.kpi_trend`
— so a wall number is the same number as the analyst page's.

The values returned are plain (numbers, text, ISO times): the wall's callback
compares them with what the screen shows and sends only what changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from cityops.domains import DOMAIN_BY_NAME, DOMAIN_NAMES
from cityops.geo import Scope, ensure_allowed
from cityops.queries import child_kpis, hazmat, live, snapshots, tourism, video
from cityops.queries.context import Context
from cityops.queries.kpis import KPI_BY_NAME, kpi_group

Problems = Literal["alarms", "hazmat_alarms", "worst_online", "suspected", "crowded"]
Trend = Literal["overview_days", "events_days", "alarms_days", "suspected_areas", "slot_load"]
Points = Literal["severe", "events", "vehicles", "spots", "none"]

#: Severity from which an alarm reaches the ticker; a severity-3 one interrupts the rotation.
TICKER_SEVERITY = 2
INTERRUPT_SEVERITY = 3
#: How far back the ticker and the interrupt look for new alarms.
RECENT = dt.timedelta(hours=2)
#: Crowding that raises a ticker item: this share of a spot's instant capacity (UX.md: red).
CROWDED = 0.8
#: Rows of a page's top-problems list.
PROBLEM_ROWS = 8


@dataclass(frozen=True)
class WallPage:
    """One wall screen: its cards, the KPI its map shows, its ranking, trend and points."""

    name: str
    cards: tuple[str, ...]
    map_kpi: str
    problems: Problems
    trend: Trend
    points: Points

    @property
    def domains(self) -> tuple[str, ...]:
        """Return the domains whose data this page shows (the overview: every one)."""
        return DOMAIN_NAMES if self.name == "overview" else (self.name,)

    @property
    def datasets(self) -> tuple[str, ...]:
        """Return the datasets whose freshness this page reports."""
        return tuple(ds for d in self.domains for ds in DOMAIN_BY_NAME[d].datasets)


#: The datasets each panel reads, so each says its own freshness (the KPI cards and the
#: map use :data:`cityops.queries.kpis.KPI_SOURCES` of their KPI).
PROBLEM_SOURCES: dict[str, tuple[str, ...]] = {
    "alarms": ("hazmat_alarms", "video_events"), "hazmat_alarms": ("hazmat_alarms",),
    "worst_online": ("cameras",), "suspected": ("rentals",), "crowded": ("bookings",),
}  # fmt: skip
TREND_SOURCES: dict[str, tuple[str, ...]] = {
    "overview_days": ("video_events", "hazmat_alarms"), "events_days": ("video_events",),
    "alarms_days": ("hazmat_alarms",), "suspected_areas": ("rentals",), "slot_load": ("bookings",),
}  # fmt: skip


def _cards(domain: str) -> tuple[str, ...]:
    return tuple(k.name for k in kpi_group(domain))


#: The wall's pages in rotation order (``/wall?pages=`` picks and orders them).
WALL_PAGES: dict[str, WallPage] = {
    p.name: p
    for p in (
        WallPage(
            "overview",
            (
                "cameras_online_rate",
                "video_events_open",
                "waybills_in_transit",
                "hazmat_alarms_open",
                "rentals_suspected",
                "bookings_visitors",
            ),
            "hazmat_alarms_open",
            "alarms",
            "overview_days",
            "severe",
        ),
        WallPage(
            "video", _cards("video"), "cameras_online_rate", "worst_online", "events_days", "events"
        ),
        WallPage(
            "hazmat",
            _cards("hazmat"),
            "waybills_in_transit",
            "hazmat_alarms",
            "alarms_days",
            "vehicles",
        ),
        WallPage(
            "rentals",
            _cards("rentals"),
            "rentals_suspected",
            "suspected",
            "suspected_areas",
            "none",
        ),
        WallPage("tourism", _cards("tourism"), "peak_slot_load", "crowded", "slot_load", "spots"),
    )
}


def _iso(value) -> str | None:
    """Return a timestamp as ISO text (None for a missing one)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    return pd.Timestamp(value).isoformat()


def _number(value) -> float | int | None:
    """Return a plain number (None for null/NaN); integers stay integers."""
    if value is None or pd.isna(value):
        return None
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        return int(value)
    return float(value)


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Return ``columns`` of ``frame`` as plain records (times as ISO text, NaN as None)."""
    out = []
    for row in frame[columns].itertuples(index=False):
        item = {}
        for name, value in zip(columns, row, strict=True):
            if isinstance(value, (pd.Timestamp, dt.datetime)):
                item[name] = _iso(value)
            elif isinstance(value, dt.date):
                item[name] = value.isoformat()
            elif isinstance(value, float) and value != value:
                item[name] = None
            elif hasattr(value, "item"):  # numpy scalar
                item[name] = value.item()
            else:
                item[name] = value
        out.append(item)
    return out


def _enabled(ctx: Context, code: str) -> bool:
    """Return True for an area that is switched on, or a grid cell (of a district shown)."""
    return code not in ctx.geo.areas or ctx.geo.is_enabled(code)


def _ranked(ctx: Context, areas: dict, *, ascending: bool) -> pd.Series:
    """Return the map's values of the areas switched on, without nulls, ranked (stable)."""
    enabled = {c: v for c, v in areas["values"].items() if _enabled(ctx, c)}
    values = pd.Series(enabled, dtype=float).dropna()
    return values.sort_values(ascending=ascending, kind="stable")


# ----------------------------------------------------------------- one page
def page_cards(
    ctx: Context, *, page: str, scope: Scope, allowed: Scope, day: dt.date, now: dt.datetime
) -> list[dict]:
    """Return the page's KPI cards.

    Each: ``kpi, domain, unit, value, previous, previous_at, basis, delta``.

    ``basis`` is ``yesterday`` (the day before, or the value recorded 24 h ago),
    ``since`` (the oldest value recorded in the last 23 h: the wall says "vs 06:12") or ``none``.
    """
    trend = snapshots.kpi_trend(ctx, scope=scope, day=day, allowed=allowed, now=now)
    cards = []
    for name in WALL_PAGES[page].cards:
        row = trend.loc[name] if name in trend.index else None
        meta = KPI_BY_NAME[name]
        cards.append(
            {
                "kpi": name,
                "domain": meta.domain,
                "unit": meta.unit,
                "value": None if row is None else _number(row["value"]),
                "previous": None if row is None else _number(row["previous"]),
                "previous_at": None if row is None else _iso(row["previous_at"]),
                "basis": "none" if row is None else str(row["basis"]),
                "delta": None if row is None else _number(row["delta"]),
            }
        )
    return cards


def page_areas(ctx: Context, *, page: str, scope: Scope, allowed: Scope, day: dt.date) -> dict:
    """Return the map's areas: ``container``, ``level``, ``kpi`` and ``values`` (code → number).

    The areas are the children the analyst map shows for ``scope`` (cities of the
    province, districts of a city, grid cells of a district), every one of them.
    """
    kpi = WALL_PAGES[page].map_kpi
    container, level, frame = child_kpis(ctx, scope=scope, day=day, allowed=allowed)
    values = {str(code): _number(v) for code, v in frame[kpi].items()}
    return {"container": container.code, "level": level, "kpi": kpi, "values": values}


def page_problems(
    ctx: Context,
    *,
    page: str,
    scope: Scope,
    allowed: Scope,
    day: dt.date,
    areas: dict | None = None,
) -> list[dict]:
    """Return the page's top problems, worst first (at most :data:`PROBLEM_ROWS`).

    Alarms: ``key, kind, severity, ts, label, subject, district_code``; areas:
    ``code, value``; slots: ``spot_id, name, slot_start, load, district_code``.
    ``areas`` is :func:`page_areas`' answer when the caller has it (ranked, not asked again).
    """
    ensure_allowed(scope, allowed)
    kind = WALL_PAGES[page].problems
    if kind in ("alarms", "hazmat_alarms"):
        frame = live.open_alarms(ctx, scope=scope, allowed=allowed, limit=200)
        if kind == "hazmat_alarms":
            frame = frame[frame["kind"] == "hazmat_alarm"]
        frame = frame.sort_values(["severity", "ts"], ascending=[False, True]).head(PROBLEM_ROWS)
        return _records(
            frame, ["key", "kind", "severity", "ts", "label", "subject", "district_code"]
        )
    if kind in ("worst_online", "suspected"):
        areas = areas or page_areas(ctx, page=page, scope=scope, allowed=allowed, day=day)
        values = _ranked(ctx, areas, ascending=kind == "worst_online")
        if kind == "suspected":
            values = values[values > 0]
        return [{"code": c, "value": float(v)} for c, v in values.head(PROBLEM_ROWS).items()]
    slots = tourism.slot_load(ctx, scope=scope, allowed=allowed, day=day)
    slots = slots.dropna(subset=["load"]).sort_values("load", ascending=False, kind="stable")
    return _records(slots.head(PROBLEM_ROWS), ["spot_id", "name", "slot_start", "load"])


def page_trend(
    ctx: Context,
    *,
    page: str,
    scope: Scope,
    allowed: Scope,
    day: dt.date,
    areas: dict | None = None,
) -> dict:
    """Return the trend strip: ``kind``, ``x`` (labels) and ``series`` (name → numbers).

    Days are the 14 days up to ``day``; areas are ranked by value; slots are
    today's slots with the highest load over the scope's spots.
    """
    ensure_allowed(scope, allowed)
    kind = WALL_PAGES[page].trend
    days = [day - dt.timedelta(days=i) for i in range(13, -1, -1)]
    x = [d.isoformat() for d in days]
    series: dict[str, list] = {}
    if kind in ("overview_days", "events_days"):
        ev = video.events_by_day(ctx, scope=scope, allowed=allowed, day=day, days=14)
        per_day = ev.groupby("day")["events"].sum() if not ev.empty else pd.Series(dtype=float)
        series["video_events"] = [int(per_day.get(d, 0)) for d in days]
    if kind in ("overview_days", "alarms_days"):
        al = hazmat.alarms_by_day(ctx, scope=scope, allowed=allowed, day=day, days=14)
        per_day = al.set_index("day")["alarms"] if not al.empty else pd.Series(dtype=float)
        series["hazmat_alarms"] = [int(per_day.get(d, 0)) for d in days]
    if kind == "suspected_areas":
        areas = areas or page_areas(ctx, page=page, scope=scope, allowed=allowed, day=day)
        values = _ranked(ctx, areas, ascending=False)
        values = values[values > 0].head(15)
        x = list(values.index)
        series["rentals_suspected"] = [int(v) for v in values]
    if kind == "slot_load":
        slots = tourism.slot_load(ctx, scope=scope, allowed=allowed, day=day).dropna(
            subset=["load"]
        )
        peak = slots.groupby("slot_start")["load"].max().sort_index()
        x = list(peak.index)
        series["load"] = [float(v) for v in peak]
    return {"kind": kind, "x": x, "series": series}


def page_points(
    ctx: Context, *, page: str, scope: Scope, allowed: Scope, day: dt.date, now: dt.datetime
) -> list[dict]:
    """Return the map's live points: ``id, lon, lat, colour_by`` value and ``severity``.

    Severe open alarms (overview), the last two hours' video events (video),
    vehicles in transit at their newest fix (hazmat), spots by today's peak load
    (tourism); none for rentals (its map is the message).
    """
    ensure_allowed(scope, allowed)
    kind = WALL_PAGES[page].points
    if kind == "severe":
        frame = live.open_alarms(ctx, scope=scope, allowed=allowed, limit=500)
        frame = frame[frame["severity"] >= INTERRUPT_SEVERITY]
        return [
            {"id": r["key"], "lon": r["lon"], "lat": r["lat"], "group": f"s{r['severity']}"}
            for r in _records(frame, ["key", "lon", "lat", "severity"])
        ]
    if kind == "events":
        frame = live.recent_alarms(ctx, scope=scope, allowed=allowed, since=now - RECENT)
        frame = frame[frame["kind"] == "video_event"]
        return [
            {"id": r["key"], "lon": r["lon"], "lat": r["lat"], "group": f"s{r['severity']}"}
            for r in _records(frame, ["key", "lon", "lat", "severity"])
        ]
    if kind == "vehicles":
        frame = live.vehicle_positions(ctx, scope=scope, allowed=allowed)
        return [
            {
                "id": r["waybill_id"],
                "lon": r["lon"],
                "lat": r["lat"],
                "group": str(r["hazard_class"]),
            }
            for r in _records(
                frame.dropna(subset=["lon", "lat"]), ["waybill_id", "lon", "lat", "hazard_class"]
            )
        ]
    if kind == "spots":
        spots = tourism.spots_day(ctx, scope=scope, allowed=allowed, day=day)
        slots = tourism.slot_load(ctx, scope=scope, allowed=allowed, day=day)
        peak = slots.groupby("spot_id")["load"].max() if not slots.empty else pd.Series()
        out = []
        for r in _records(spots, ["spot_id", "lon", "lat"]):
            load = peak.get(r["spot_id"])
            load = None if load is None or pd.isna(load) else float(load)
            band = (
                "ok"
                if load is None
                else ("full" if load >= 0.8 else "busy" if load >= 0.6 else "ok")
            )
            out.append({"id": r["spot_id"], "lon": r["lon"], "lat": r["lat"], "group": band})
        return out
    return []


# ----------------------------------------------------------------- live, every page
def ticker_items(
    ctx: Context, *, scope: Scope, allowed: Scope, day: dt.date, now: dt.datetime
) -> list[dict]:
    """Return what the ticker scrolls and the interrupt watches, newest first.

    New alarms and video events of severity ≥ :data:`TICKER_SEVERITY` from the
    last :data:`RECENT`, slots crowded to ≥ 80 % of instant capacity today, and
    stale datasets. Each item: ``key`` (stable), ``kind``, ``severity``, ``ts``,
    ``label``, ``subject``, ``district_code``, ``lon``, ``lat`` (alarms), ``load``,
    ``slot_start``, ``name`` (crowding), ``dataset`` (stale).
    """
    alarms = live.recent_alarms(ctx, scope=scope, allowed=allowed, since=now - RECENT, limit=200)
    alarms = alarms[alarms["severity"] >= TICKER_SEVERITY]
    items = _records(
        alarms,
        [
            "key",
            "kind",
            "severity",
            "ts",
            "status",
            "label",
            "subject",
            "district_code",
            "lon",
            "lat",
        ],
    )
    slots = tourism.slot_load(ctx, scope=scope, allowed=allowed, day=day)
    crowded = slots[slots["load"].fillna(0) >= CROWDED].sort_values("load", ascending=False)
    for r in _records(crowded.head(10), ["spot_id", "name", "slot_start", "load"]):
        items.append(
            {
                "key": f"crowding:{r['spot_id']}:{day.isoformat()}:{r['slot_start']}",
                "kind": "crowding",
                "severity": 2,
                "ts": None,
                **r,
            }
        )
    for r in freshness(ctx, allowed=allowed, now=now):
        if r["stale"] and r["last_write"] is not None:
            items.append(
                {
                    "key": f"stale:{r['dataset']}:{r['last_write']}",
                    "kind": "stale",
                    "severity": 2,
                    "ts": None,
                    "dataset": r["dataset"],
                    "last_write": r["last_write"],
                }
            )
    return items


def freshness(ctx: Context, *, allowed: Scope, now: dt.datetime) -> list[dict]:
    """Return each dataset's freshness: ``dataset, last_write, cadence_s, age_s, stale``.

    About sources, not areas: the same for every scope (``allowed`` is asked so the
    caller is one who may see the wall at all).
    """
    frame = live.freshness(ctx, allowed=allowed, now=now)
    return _records(frame, ["dataset", "last_write", "cadence_s", "age_s", "stale"])


def revision(ctx: Context, *, allowed: Scope) -> str:
    """Return what changes whenever the wall's data may have: store version and live batches."""
    return f"{ctx.storage.data_revision()}|{live.live_revision(ctx, allowed=allowed)}"
