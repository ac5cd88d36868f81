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
import functools
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityops import store
from cityops.geo import Geography, Level, Scope, ensure_allowed
from cityops.store.executor import execute
from cityops.store.measures import (
    CAMERA_CELL_MEASURES,
    camera_measures,
)
from cityops.store.measures import (
    count_if as _count_if,
)
from cityops.store.measures import (
    sum_if as _sum_if,
)

Unit = Literal["count", "rate", "tonnes"]


@dataclass(frozen=True)
class Kpi:
    """A KPI declared as data: what it counts, over which population, in which unit.

    ``numerator`` (and for rates ``denominator``) name *measures*: raw sums that
    the SQL of :func:`_family_queries` produces per area. A count or a tonnage is
    its numerator; a rate is numerator / denominator, ``None`` when the
    denominator is 0. ``population`` is the translation key of the population the
    KPI describes (a panel that shows another population names its own).
    ``digits`` is the significant digits kept by the API and the reports (enough for
    any real count, few enough to drop float noise); ``breaks`` fixes
    the map classes of a rate (quantiles are used for counts).
    """

    name: str
    domain: str  # a name in cityops.domains.DOMAINS
    unit: Unit
    numerator: str
    denominator: str | None = None
    population: str = ""
    per_day: bool = False
    digits: int = 0
    breaks: tuple[float, ...] | None = None


#: Map classes of rates: fixed, so a grid of 0 %, 50 % and 100 % cells keeps three colours.
RATE_BREAKS = (0.2, 0.4, 0.6, 0.8, 1.0)
ONLINE_BREAKS = (0.6, 0.8, 0.9, 0.95, 1.0)
LOAD_BREAKS = (0.2, 0.4, 0.6, 0.8, 1.0)

KPIS: tuple[Kpi, ...] = (
    Kpi("cameras_total", "video", "count", "cameras_total", population="pop.cameras"),
    Kpi("cameras_online_rate", "video", "rate", "cameras_online", "cameras_total",
        population="pop.cameras", digits=10, breaks=ONLINE_BREAKS),
    Kpi("cameras_ai", "video", "count", "cameras_ai", population="pop.cameras"),
    Kpi("video_events_open", "video", "count", "video_events_open",
        population="pop.video_events"),
    Kpi("waybills_in_transit", "hazmat", "count", "waybills_in_transit",
        population="pop.waybills"),
    Kpi("tonnage_in_transit", "hazmat", "tonnes", "tonnage_in_transit",
        population="pop.waybills", digits=10),
    Kpi("hazmat_alarms_open", "hazmat", "count", "hazmat_alarms_open", population="pop.alarms"),
    Kpi("rentals_registered", "rentals", "count", "rentals_registered",
        population="pop.rentals"),
    Kpi("rentals_suspected", "rentals", "count", "rentals_suspected", population="pop.rentals"),
    Kpi("rentals_rectify_rate", "rentals", "rate", "rentals_rectified", "rentals_ordered",
        population="pop.rentals_ordered", digits=10, breaks=RATE_BREAKS),
    Kpi("bookings_visitors", "tourism", "count", "bookings_visitors", per_day=True,
        population="pop.bookings"),
    Kpi("bookings_checkin_rate", "tourism", "rate", "bookings_checked_in", "bookings_visitors",
        per_day=True, population="pop.bookings", digits=10, breaks=RATE_BREAKS),
    Kpi("peak_slot_load", "tourism", "rate", "peak_slot_load", per_day=True,
        population="pop.slots", digits=10, breaks=LOAD_BREAKS),
    Kpi("complaints_open", "tourism", "count", "complaints_open", population="pop.complaints"),
)  # fmt: skip
KPI_BY_NAME = {k.name: k for k in KPIS}


def kpi_group(domain: str) -> tuple[Kpi, ...]:
    """Return the KPIs of ``domain`` (a name in :data:`cityops.domains.DOMAINS`), in order."""
    return tuple(k for k in KPIS if k.domain == domain)


KPI_NAMES = tuple(KPI_BY_NAME)

#: The datasets each KPI is computed from (names in ``cityops.datasets``): how fresh a
#: KPI is, is how fresh these are (the wall's "更新于 3 分钟前" on each card).
KPI_SOURCES: dict[str, tuple[str, ...]] = {
    "cameras_total": ("cameras",), "cameras_online_rate": ("cameras",), "cameras_ai": ("cameras",),
    "video_events_open": ("video_events",),
    "waybills_in_transit": ("hazmat_waybills", "hazmat_tracks"),
    "tonnage_in_transit": ("hazmat_waybills", "hazmat_tracks"),
    "hazmat_alarms_open": ("hazmat_alarms",),
    "rentals_registered": ("rentals",), "rentals_suspected": ("rentals",),
    "rentals_rectify_rate": ("rentals",),
    "bookings_visitors": ("bookings",), "bookings_checkin_rate": ("bookings",),
    "peak_slot_load": ("bookings", "scenic_spots"), "complaints_open": ("feedback",),
}  # fmt: skip


@dataclass(frozen=True)
class Filters:
    """What narrows the KPIs besides the scope; each filter belongs to one domain.

    ``department`` (video), ``hazard_class`` (hazmat) and ``spot`` (tourism)
    narrow their domain's KPIs inside the scope. An *entity* — ``camera``,
    ``waybill``, ``unit`` or ``spot`` — makes its domain's KPIs describe that
    one entity wherever its rows lie (an open alarm of a waybill counts even
    where the vehicle no longer is), still inside the permitted area. Filters of
    one domain leave the other domains' KPIs unchanged.
    """

    department: str | None = None
    hazard_class: str | None = None
    spot: str | None = None
    camera: str | None = None
    waybill: str | None = None
    unit: str | None = None

    #: The URL / API parameter names, in order.
    NAMES: ClassVar[tuple[str, ...]] = (
        "department", "hazard_class", "spot", "camera", "waybill", "unit"
    )  # fmt: skip
    #: The domain each filter narrows.
    DOMAIN: ClassVar[dict[str, str]] = {
        "department": "video",
        "camera": "video",
        "hazard_class": "hazmat",
        "waybill": "hazmat",
        "unit": "rentals",
        "spot": "tourism",
    }
    ENTITIES: ClassVar[tuple[str, ...]] = ("camera", "waybill", "unit", "spot")

    @classmethod
    def of(cls, values: dict | None) -> Filters:
        """Return the filters named in ``values`` (empty strings and None are no filter)."""
        values = values or {}
        return cls(**{k: (str(values[k]).strip() or None) if values.get(k) else None
                      for k in cls.NAMES})  # fmt: skip

    def as_dict(self) -> dict[str, str]:
        """Return the filters that are set, as ``{name: value}``."""
        return {k: getattr(self, k) for k in self.NAMES if getattr(self, k)}

    def entity_domains(self) -> set[str]:
        """Return the domains whose KPIs describe one entity."""
        return {self.DOMAIN[k] for k in self.ENTITIES if getattr(self, k)}

    def without_entities(self) -> Filters:
        """Return these filters less the entities (what the map's areas are coloured by)."""
        return Filters(department=self.department, hazard_class=self.hazard_class)


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


def scope_clause(cols, scope: Scope, enabled_cities: tuple[str, ...], allowed: Scope | None = None):
    """Return the WHERE clause placing rows with area columns ``cols`` in ``scope``.

    A grid cell belongs to the district holding its centre, but a cell on a border
    also holds points of the neighbouring district. A cell's rows are those of the
    cell inside ``allowed`` (what the asker may see: the province or a city sees the
    whole cell, a district user its own district's part of it); without ``allowed``
    the cell's own district's. So asking for a cell never shows a district user
    another district's rows.
    """
    if scope.level == "province":
        return cols.city_code.in_(enabled_cities)
    if scope.level == "grid":
        cell = cols.grid_cell == scope.code
        if allowed is None:
            return sa.and_(cell, cols.district_code == scope.district_code)
        return sa.and_(cell, scope_clause(cols, allowed, enabled_cities))
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


def waybill_positions() -> sa.Table:
    """Return the waybills in transit at their current position (a derived table).

    The position is the vehicle's last track point since departure, or else the
    waybill's origin (:func:`cityops.store.derived.live_positions`, rebuilt at every load
    of waybills or tracks). Columns: ``waybill_id, vehicle_plate, hazard_class,
    tonnage, lon, lat, ts, city_code, district_code, grid_cell``.
    """
    return store.hazmat_positions


def _family_queries(
    scope: Scope,
    by: Level | None,
    day: dt.date,
    rules: RentalRules,
    enabled: tuple[str, ...],
    filters: Filters,
    allowed: Scope,
    until: dt.date | None = None,
) -> list[sa.Select]:
    """Return one SELECT per data family; each yields an ``area`` column and its measures.

    Day KPIs cover ``day`` to ``until`` (inclusive; ``None``: the one day): the
    visitors and check-ins summed over the days, the peak load the highest of
    any spot's slot on any of them.

    A family whose domain has an entity filter is placed in ``allowed`` (the
    entity's rows wherever they lie in the permitted area), the others in
    ``scope``.
    """
    entity_domains = filters.entity_domains()

    def grouped(domain, cols, *aggregates, from_=None):
        where = scope_clause(cols, allowed if domain in entity_domains else scope, enabled,
                             allowed)  # fmt: skip
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
    # bookings are read from their load-time sums per spot, day, slot and status
    spots, book, fb = store.scenic_spots, store.booking_slots, store.feedback
    pos = waybill_positions()

    cam_filter = camera_filter(filters)
    pos_filter = waybill_filter(pos.c, filters)
    alarm_filter = alarm_filter_clause(filters)
    rent_filter = rent.c.unit_id == filters.unit if filters.unit else sa.true()
    spot_filter = spots.c.spot_id == filters.spot if filters.spot else sa.true()

    on_days = book.c.visit_date == day if until is None else book.c.visit_date.between(day, until)
    slot_sums = (
        sa.select(
            book.c.spot_id,
            book.c.slot_start,
            sa.func.sum(book.c.party).label("party"),
        )
        .where(on_days, book.c.status.in_(PRESENT))
        .group_by(book.c.spot_id, book.c.visit_date, book.c.slot_start)
        .subquery("slot_sums")
    )
    slot_load = sa.cast(slot_sums.c.party, sa.Double) / sa.func.nullif(spots.c.instant_capacity, 0)

    counted = book.c.status.in_(COUNTED)
    if filters.camera:  # one camera: its own rows
        video = [
            grouped("video", cam.c, *camera_measures()).where(cam_filter),
            grouped(
                "video",
                cam.c,
                sa.func.count().label("video_events_open"),
                from_=ev.join(cam, cam.c.camera_id == ev.c.camera_id),
            ).where(ev.c.status == "open", cam_filter),
        ]
    else:  # areas: the load-time sums per cell and department (the same measures)
        cc = store.camera_cells
        video = [
            grouped(
                "video",
                cc.c,
                *[sa.func.sum(cc.c[m]).label(m) for m in CAMERA_CELL_MEASURES],
            ).where(cc.c.department == filters.department if filters.department else sa.true())
        ]
    return [
        *video,
        grouped(
            "hazmat",
            pos.c,
            sa.func.count().label("waybills_in_transit"),
            sa.func.sum(pos.c.tonnage).label("tonnage_in_transit"),
        ).where(pos_filter),
        grouped("hazmat", alarms.c, sa.func.count().label("hazmat_alarms_open")).where(
            alarms.c.status.in_(OPEN_ALARM), alarm_filter
        ),
        grouped(
            "rentals",
            rent.c,
            sa.func.count().label("rentals_registered"),
            _count_if(suspected_clause(rent, rules)).label("rentals_suspected"),
            _count_if(rent.c.inspection_status == "rectified").label("rentals_rectified"),
            _count_if(rent.c.inspection_status.in_(ORDERED)).label("rentals_ordered"),
        ).where(rent_filter),
        grouped(
            "tourism",
            spots.c,
            _sum_if(book.c.party, counted).label("bookings_visitors"),
            _sum_if(book.c.party, book.c.status == "checked_in").label("bookings_checked_in"),
            from_=book.join(spots, spots.c.spot_id == book.c.spot_id),
        ).where(on_days, spot_filter),
        grouped(
            "tourism",
            spots.c,
            sa.func.max(slot_load).label("peak_slot_load"),
            from_=slot_sums.join(spots, spots.c.spot_id == slot_sums.c.spot_id),
        ).where(spot_filter),
        grouped(
            "tourism",
            spots.c,
            sa.func.count().label("complaints_open"),
            from_=fb.join(spots, spots.c.spot_id == fb.c.spot_id),
        ).where(fb.c.kind == "complaint", fb.c.status == "open", spot_filter),
    ]


@functools.lru_cache(maxsize=1024)
def kpi_statement(
    scope: Scope,
    by: Level | None,
    day: dt.date,
    rules: RentalRules,
    enabled: tuple[str, ...],
    filters: Filters,
    allowed: Scope,
    until: dt.date | None = None,
) -> sa.Select:
    """Return the one SELECT of every KPI measure for these arguments (built once, kept).

    Building the statement costs more than the database's answer from the
    rollups, and a page asks the same few questions again and again.
    """
    return one_statement(_family_queries(scope, by, day, rules, enabled, filters, allowed, until))


def one_statement(queries: list[sa.Select]) -> sa.Select:
    """Return the family SELECTs as one statement: ``area`` and every measure, as floats.

    One round trip instead of one per family (the database runs the branches in
    parallel); each branch fills its own measures and leaves the others null.
    """
    measures: list[str] = []
    for q in queries:
        measures += [c.key for c in q.selected_columns if c.key != "area" and c.key not in measures]
    branches = []
    for q in queries:
        sub = q.subquery()
        branches.append(
            sa.select(
                sa.cast(sub.c.area, sa.String).label("area"),
                *[
                    sa.cast(sub.c[m] if m in sub.c else sa.null(), sa.Double).label(m)
                    for m in measures
                ],
            )
        )
    union = sa.union_all(*branches).subquery("families")
    return sa.select(*union.c)


#: Statuses the KPI definitions count (DATA_CONTRACTS.md), shared with the domain queries.
COUNTED = ("booked", "checked_in", "no_show")  # visitors of a day
PRESENT = ("booked", "checked_in")  # people expected in a slot
OPEN_ALARM = ("open", "acknowledged")
ORDERED = ("rectify", "rectified")  # ever ordered to rectify


def camera_filter(filters: Filters):
    """Return the condition the video filters put on ``cameras`` rows."""
    cam = store.cameras
    parts = []
    if filters.department:
        parts.append(cam.c.department == filters.department)
    if filters.camera:
        parts.append(cam.c.camera_id == filters.camera)
    return sa.and_(sa.true(), *parts)


def waybill_filter(cols, filters: Filters):
    """Return the condition the hazmat filters put on waybill rows (columns ``cols``)."""
    parts = []
    if filters.hazard_class:
        parts.append(cols.hazard_class == filters.hazard_class)
    if filters.waybill:
        parts.append(cols.waybill_id == filters.waybill)
    return sa.and_(sa.true(), *parts)


def alarm_filter_clause(filters: Filters):
    """Return the condition the hazmat filters put on alarms (through their waybill)."""
    al, w = store.hazmat_alarms, store.hazmat_waybills
    parts = []
    if filters.hazard_class:
        parts.append(
            al.c.waybill_id.in_(
                sa.select(w.c.waybill_id).where(w.c.hazard_class == filters.hazard_class)
            )
        )
    if filters.waybill:
        parts.append(al.c.waybill_id == filters.waybill)
    return sa.and_(sa.true(), *parts)


def ratio(num, den) -> pd.Series:
    """Return num / den as floats, ``None`` where den is 0 or missing (the rate rule)."""
    index = num.index if isinstance(num, pd.Series) else None
    return _rate(_floats(num), _floats(den), index)


def _floats(values) -> np.ndarray:
    """Return ``values`` as a float array (NaN for what is not a number)."""
    if isinstance(values, pd.Series) and values.dtype.kind == "f":
        return values.to_numpy()
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _rate(num: np.ndarray, den: np.ndarray, index) -> pd.Series:
    """Return num / den with ``None`` where den is 0, missing or not a number."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num / den, np.nan)
    values = np.array([None if v != v else float(v) for v in out], dtype=object)
    return pd.Series(values, index=index, dtype=object)


def derive(measures: pd.DataFrame, names: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Return the KPIs ``names`` (default: all) computed from a frame of measures.

    Counts become ints (missing measures count 0), tonnage a float, rates
    numerator / denominator with ``None`` where there is nothing to divide by.
    The one place where a KPI's formula is applied: the cards, the map, the API,
    the reports and every breakdown call it.
    """
    columns = {}
    for name in names or KPI_NAMES:
        kpi = KPI_BY_NAME[name]
        num = _numbers(measures, kpi.numerator)
        if kpi.denominator is not None:
            columns[name] = _rate(num, _numbers(measures, kpi.denominator), measures.index)
        elif kpi.unit == "rate":  # a measured rate (peak load): null stays null
            values = np.array([None if v != v else float(v) for v in num], dtype=object)
            columns[name] = pd.Series(values, index=measures.index, dtype=object)
        elif kpi.unit == "tonnes":
            columns[name] = pd.Series(np.nan_to_num(num, nan=0.0), index=measures.index)
        else:
            counts = np.nan_to_num(num, nan=0.0).astype(np.int64)
            columns[name] = pd.Series(counts, index=measures.index)
    return pd.DataFrame(columns, index=measures.index)


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Return a measure column as floats (NaN where missing; zeros if the column is absent)."""
    if column not in frame:
        return np.zeros(len(frame))
    return _floats(frame[column])


def compute_kpis(
    conn: Engine,
    *,
    geo: Geography,
    scope: Scope,
    day: dt.date,
    allowed: Scope,
    rules: RentalRules | None = None,
    by: Level | None = None,
    areas: list[str] | None = None,
    filters: Filters | None = None,
    until: dt.date | None = None,
    run=None,
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
    filters
        :class:`Filters` narrowing each domain's KPIs (see there).
    until
        The last day of a period starting on ``day`` (inclusive): the day KPIs
        then describe the whole period (visitors summed, check-in rate over the
        sum, peak load the highest slot of any day); status KPIs are unchanged.
    run
        How to run the SELECT; default: the read door
        (:func:`cityops.store.executor.execute`: cap, time-out, typed) on ``conn``.

    Returns
    -------
    pandas.DataFrame
        Indexed by area code (the scope's own code when ``by`` is None), one
        column per name in :data:`KPI_NAMES`; counts are ints, tonnage and rates
        floats, undefined rates ``None``.
    """
    ensure_allowed(scope, allowed)
    rules = rules or RentalRules()
    filters = filters or Filters()
    if until is not None and until < day:
        raise ValueError(f"a period cannot end ({until}) before it starts ({day})")
    if until == day:
        until = None  # one day is one day, however it is asked (one cached statement)
    query = kpi_statement(scope, by, day, rules, geo.enabled_cities, filters, allowed, until)
    rows = run(query) if run is not None else execute(conn, query)
    # each family gave one row per area with its own measures (the others null)
    raw = rows[rows["area"].notna()].groupby("area", sort=False).max()
    if by is None:
        raw = raw.reindex([scope.code])
    elif areas is not None:
        raw = raw.reindex(areas)
    out = derive(raw)
    out.index.name = "area"
    return out[list(KPI_NAMES)]


def kpi_record(frame: pd.DataFrame, area: str) -> dict[str, float | int | None]:
    """Return one area's KPIs as plain JSON-ready values, rounded as each KPI declares.

    Rates and tonnage keep 10 significant digits, counts are ints: no float noise
    such as 254.40000000000003 reaches the API, the cards or a report.
    """
    row = frame.loc[area]
    return {kpi.name: kpi_value(kpi.name, row[kpi.name]) for kpi in KPIS}


def kpi_value(name: str, value) -> float | int | None:
    """Return one KPI value as a plain, rounded Python number (None when undefined)."""
    kpi = KPI_BY_NAME[name]
    if value is None or (isinstance(value, float) and np.isnan(value)) or pd.isna(value):
        return None
    if kpi.unit == "count":
        return int(value)
    return float(f"{float(value):.{kpi.digits}g}")
