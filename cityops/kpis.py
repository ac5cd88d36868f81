"""The KPIs of DATA_CONTRACTS.md, each defined once.

Every page, the wall, the API and the reports call :func:`compute_kpis`; it
answers for one scope (one row) or for the areas one level below a scope (one
row per child area), so a card and the map colour of the same area can never
disagree. Status KPIs describe the store as it is now; day KPIs
(``bookings_visitors``, ``bookings_checkin_rate``, ``peak_slot_load``) describe
the given day. Rates are fractions in [0, 1]; a rate with nothing to divide by
is ``None``, never 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cityops import store
from cityops.geo import Geography, Level, Scope, ensure_allowed

Unit = Literal["count", "rate", "tonnes"]


@dataclass(frozen=True)
class Kpi:
    """What a KPI is: its name, domain, unit and whether it is about a day."""

    name: str
    domain: Literal["video", "hazmat", "rentals", "tourism"]
    unit: Unit
    per_day: bool = False


KPIS: tuple[Kpi, ...] = (
    Kpi("cameras_total", "video", "count"),
    Kpi("cameras_online_rate", "video", "rate"),
    Kpi("cameras_ai", "video", "count"),
    Kpi("video_events_open", "video", "count"),
    Kpi("waybills_in_transit", "hazmat", "count"),
    Kpi("tonnage_in_transit", "hazmat", "tonnes"),
    Kpi("hazmat_alarms_open", "hazmat", "count"),
    Kpi("rentals_registered", "rentals", "count"),
    Kpi("rentals_suspected", "rentals", "count"),
    Kpi("rentals_rectify_rate", "rentals", "rate"),
    Kpi("bookings_visitors", "tourism", "count", per_day=True),
    Kpi("bookings_checkin_rate", "tourism", "rate", per_day=True),
    Kpi("peak_slot_load", "tourism", "rate", per_day=True),
    Kpi("complaints_open", "tourism", "count"),
)
KPI_BY_NAME = {k.name: k for k in KPIS}
KPI_NAMES = tuple(KPI_BY_NAME)


@dataclass(frozen=True)
class RentalRule:
    """The group-rental rule of one city.

    A unit is suspected when its area per person is below ``min_area_per_person``
    or its occupants per room exceed ``max_per_room``.
    """

    min_area_per_person: float = 5.0
    max_per_room: float = 2.0


@dataclass(frozen=True)
class RentalRules:
    """The default rule and per-city overrides (by city code)."""

    default: RentalRule = RentalRule()
    by_city: tuple[tuple[str, RentalRule], ...] = ()

    @classmethod
    def from_settings(cls, settings) -> RentalRules:
        """Return the rules configured in ``settings``."""
        return cls(
            RentalRule(settings.rental_min_area_per_person, settings.rental_max_per_room),
            tuple(
                (code, RentalRule(area, per_room))
                for code, (area, per_room) in sorted(settings.rental_thresholds().items())
            ),
        )

    def for_city(self, code: str) -> RentalRule:
        """Return the rule in force in a city."""
        return dict(self.by_city).get(code, self.default)


GROUP_COLUMN = {"city": "city_code", "district": "district_code", "grid": "grid_cell"}


def scope_clause(cols, scope: Scope, enabled_cities: tuple[str, ...]):
    """Return the WHERE clause placing rows with area columns ``cols`` in ``scope``."""
    if scope.level == "province":
        return cols.city_code.in_(enabled_cities)
    return getattr(cols, GROUP_COLUMN[scope.level]) == scope.code


def suspected_clause(t, rules: RentalRules):
    """Return the SQL condition of the group-rental rule (no division, so no /0)."""

    def rule(r: RentalRule):
        return sa.or_(
            t.c.floor_area_m2 < r.min_area_per_person * t.c.occupants,
            t.c.occupants > r.max_per_room * t.c.rooms,
        )

    overridden = [code for code, _ in rules.by_city]
    parts = [sa.and_(t.c.city_code == code, rule(r)) for code, r in rules.by_city]
    default = rule(rules.default)
    parts.append(sa.and_(t.c.city_code.not_in(overridden), default) if overridden else default)
    return sa.or_(*parts)


def _count_if(cond):
    return sa.func.sum(sa.case((cond, 1), else_=0))


def _sum_if(value, cond):
    return sa.func.sum(sa.case((cond, value), else_=0))


def waybill_positions() -> sa.Subquery:
    """Return a subquery of waybills in transit placed at their current position.

    The position is the vehicle's last track point since departure, or else the
    waybill's origin. Columns: ``waybill_id, vehicle_plate, hazard_class,
    tonnage, lon, lat, ts, city_code, district_code, grid_cell``.
    """
    w, t = store.hazmat_waybills, store.hazmat_tracks
    in_transit = w.c.status == "in_transit"
    last = (
        sa.select(w.c.waybill_id, sa.func.max(t.c.ts).label("ts"))
        .select_from(
            w.join(t, sa.and_(t.c.vehicle_plate == w.c.vehicle_plate, t.c.ts >= w.c.depart_at))
        )
        .where(in_transit)
        .group_by(w.c.waybill_id)
        .subquery("last_fix")
    )
    tracked = last.c.ts.is_not(None)

    def pick(track_col, origin_col, name):
        return sa.case((tracked, track_col), else_=origin_col).label(name)

    return (
        sa.select(
            w.c.waybill_id,
            w.c.vehicle_plate,
            w.c.hazard_class,
            w.c.tonnage,
            pick(t.c.lon, w.c.origin_lon, "lon"),
            pick(t.c.lat, w.c.origin_lat, "lat"),
            last.c.ts,
            pick(t.c.city_code, w.c.origin_city_code, "city_code"),
            pick(t.c.district_code, w.c.origin_district_code, "district_code"),
            pick(t.c.grid_cell, w.c.origin_grid_cell, "grid_cell"),
        )
        .select_from(
            w.outerjoin(last, last.c.waybill_id == w.c.waybill_id).outerjoin(
                t, sa.and_(t.c.vehicle_plate == w.c.vehicle_plate, t.c.ts == last.c.ts)
            )
        )
        .where(in_transit)
        .subquery("positions")
    )


def _family_queries(
    scope: Scope, by: Level | None, day: dt.date, rules: RentalRules, enabled: tuple[str, ...]
) -> list[sa.Select]:
    """Return one SELECT per data family; each yields an ``area`` column and raw sums."""

    def grouped(cols, *aggregates, from_=None):
        where = scope_clause(cols, scope, enabled)
        if by is None:
            query = sa.select(sa.literal(scope.code).label("area"), *aggregates)
        else:
            key = getattr(cols, GROUP_COLUMN[by])
            query = sa.select(key.label("area"), *aggregates).group_by(key)
        if from_ is not None:
            query = query.select_from(from_)
        return query.where(where)

    cam, ev = store.cameras, store.video_events
    alarms, rent = store.hazmat_alarms, store.rentals
    spots, book, fb = store.scenic_spots, store.bookings, store.feedback
    pos = waybill_positions()

    slot_sums = (
        sa.select(
            book.c.spot_id,
            book.c.slot_start,
            sa.func.sum(book.c.party_size).label("party"),
        )
        .where(book.c.visit_date == day, book.c.status.in_(("booked", "checked_in")))
        .group_by(book.c.spot_id, book.c.slot_start)
        .subquery("slot_sums")
    )
    slot_load = sa.cast(slot_sums.c.party, sa.Double) / sa.func.nullif(spots.c.instant_capacity, 0)

    counted = book.c.status.in_(("booked", "checked_in", "no_show"))
    return [
        grouped(
            cam.c,
            sa.func.count().label("cameras_total"),
            _count_if(cam.c.status == "online").label("cameras_online"),
            _count_if(cam.c.ai_enabled).label("cameras_ai"),
        ),
        grouped(
            cam.c,
            sa.func.count().label("video_events_open"),
            from_=ev.join(cam, cam.c.camera_id == ev.c.camera_id),
        ).where(ev.c.status == "open"),
        grouped(
            pos.c,
            sa.func.count().label("waybills_in_transit"),
            sa.func.sum(pos.c.tonnage).label("tonnage_in_transit"),
        ),
        grouped(alarms.c, sa.func.count().label("hazmat_alarms_open")).where(
            alarms.c.status.in_(("open", "acknowledged"))
        ),
        grouped(
            rent.c,
            sa.func.count().label("rentals_registered"),
            _count_if(suspected_clause(rent, rules)).label("rentals_suspected"),
            _count_if(rent.c.inspection_status == "rectified").label("rentals_rectified"),
            _count_if(rent.c.inspection_status.in_(("rectify", "rectified"))).label(
                "rentals_ordered"
            ),
        ),
        grouped(
            spots.c,
            _sum_if(book.c.party_size, counted).label("bookings_visitors"),
            _sum_if(book.c.party_size, book.c.status == "checked_in").label("bookings_checked_in"),
            from_=book.join(spots, spots.c.spot_id == book.c.spot_id),
        ).where(book.c.visit_date == day),
        grouped(
            spots.c,
            sa.func.max(slot_load).label("peak_slot_load"),
            from_=slot_sums.join(spots, spots.c.spot_id == slot_sums.c.spot_id),
        ),
        grouped(
            spots.c,
            sa.func.count().label("complaints_open"),
            from_=fb.join(spots, spots.c.spot_id == fb.c.spot_id),
        ).where(fb.c.kind == "complaint", fb.c.status == "open"),
    ]


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """Return num / den as floats, ``None`` where den is 0 or missing."""
    num = pd.to_numeric(num, errors="coerce").astype(float)
    den = pd.to_numeric(den, errors="coerce").astype(float)
    out = num / den.where(den > 0)
    return out.astype(object).where(out.notna(), None)


def compute_kpis(
    conn: Connection | Engine,
    *,
    geo: Geography,
    scope: Scope,
    day: dt.date,
    allowed: Scope,
    rules: RentalRules | None = None,
    by: Level | None = None,
    areas: list[str] | None = None,
) -> pd.DataFrame:
    """Compute every KPI for ``scope`` on ``day``, as seen by a caller limited to ``allowed``.

    Parameters
    ----------
    by
        ``None`` for one row for the whole scope, or a level below the scope
        (``"city"``, ``"district"``, ``"grid"``) for one row per area there.
    areas
        With ``by``, the area codes to report (areas with no rows get counts of 0
        and null rates); default: the areas that have rows.

    Returns
    -------
    pandas.DataFrame
        Indexed by area code (the scope's own code when ``by`` is None), one
        column per name in :data:`KPI_NAMES`; counts are ints, tonnage and rates
        floats, undefined rates ``None``.
    """
    ensure_allowed(scope, allowed)
    rules = rules or RentalRules()
    queries = _family_queries(scope, by, day, rules, geo.enabled_cities)
    if isinstance(conn, Engine):
        with conn.connect() as c:
            parts = [pd.read_sql(q, c).set_index("area") for q in queries]
    else:
        parts = [pd.read_sql(q, conn).set_index("area") for q in queries]
    raw = pd.concat([p[~p.index.isna()] for p in parts], axis=1)
    if by is None:
        raw = raw.reindex([scope.code])
    elif areas is not None:
        raw = raw.reindex(areas)
    peak = raw["peak_slot_load"]
    counts = raw.drop(columns=["peak_slot_load"]).apply(pd.to_numeric).fillna(0)
    out = pd.DataFrame(index=raw.index)
    out.index.name = "area"
    for name in ("cameras_total", "cameras_ai", "video_events_open", "waybills_in_transit"):
        out[name] = counts[name].astype(np.int64)
    out["cameras_online_rate"] = _ratio(counts["cameras_online"], counts["cameras_total"])
    out["tonnage_in_transit"] = counts["tonnage_in_transit"].astype(float)
    for name in (
        "hazmat_alarms_open",
        "rentals_registered",
        "rentals_suspected",
        "bookings_visitors",
        "complaints_open",
    ):
        out[name] = counts[name].astype(np.int64)
    out["rentals_rectify_rate"] = _ratio(counts["rentals_rectified"], counts["rentals_ordered"])
    out["bookings_checkin_rate"] = _ratio(
        counts["bookings_checked_in"], counts["bookings_visitors"]
    )
    peak = pd.to_numeric(peak, errors="coerce").astype(float)
    out["peak_slot_load"] = peak.astype(object).where(peak.notna(), None)
    return out[list(KPI_NAMES)]


def kpi_record(frame: pd.DataFrame, area: str) -> dict[str, float | int | None]:
    """Return one area's KPIs as plain JSON-ready Python values."""
    row = frame.loc[area]
    out: dict[str, float | int | None] = {}
    for kpi in KPIS:
        value = row[kpi.name]
        if value is None or (isinstance(value, float) and np.isnan(value)):
            out[kpi.name] = None
        elif kpi.unit == "count":
            out[kpi.name] = int(value)
        else:
            out[kpi.name] = float(value)
    return out
