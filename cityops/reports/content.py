"""What a report of one scope over one period says, asked of the query layer.

:func:`build` is the only place a report's numbers come from, and every one of
them comes from a named query with the caller's ``allowed`` scope: the KPI
summary from :func:`cityops.queries.periods.period_kpis` (the same answer as
``/api/v1/kpis?scope=&from=&to=``), the map and the area rankings from the
same KPI statement by area, the domain charts from the domain pages'
questions over the period's days. Breakdowns that exist only as the store is
*now* (cameras by department, tonnage by class, the rentals funnel, what is
open) say so in their note when the report's period has ended.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pandas as pd

from cityops import theme
from cityops.clock import TZ
from cityops.domains import DOMAINS
from cityops.geo import Scope, ScopeError, ensure_allowed
from cityops.periods import Period
from cityops.queries import catalogue
from cityops.queries import hazmat as hz
from cityops.queries import rentals as rq
from cityops.queries import tourism as tq
from cityops.queries import video as vq
from cityops.queries.context import Context
from cityops.queries.kpis import KPI_BY_NAME, KPIS
from cityops.queries.live import freshness
from cityops.queries.periods import (
    PeriodKpis,
    StatusBasis,
    area_kpis,
    period_child_kpis,
    period_kpis,
)
from cityops.reports.model import Chart, Column, KpiLine, Report, Section, Table
from cityops.text.formatting import fmt_date, fmt_value
from cityops.text.i18n import TABLE, t, t_value
from components import charts
from components import hazmat as hazmat_components
from components import rentals as rentals_components
from components import tourism as tourism_components
from components import video as video_components
from components.report import area_map

DEFAULT_MAP_KPI = "cameras_online_rate"
TOP = 10
#: Most bars a by-area chart draws (a district has hundreds of grid cells; the table has all).
BARS = 20
STEPS = ("kpis", "map", "sections", "problems", "appendix")


def _local_now() -> dt.datetime:
    return dt.datetime.now(TZ).replace(tzinfo=None, microsecond=0)


def _stamp(moment: dt.datetime | None, lang: str) -> str:
    return "—" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def period_words(period: Period, lang: str) -> str:
    """Return the period in words: 2026年11月, 2026年11月25日 or 2026-11-01 至 2026-11-07."""
    if period.kind == "monthly":
        return t("report.period.month", lang, year=period.start.year, month=period.start.month)
    if period.kind == "daily":
        return fmt_date(period.start, lang)
    return t(
        "report.period.range",
        lang,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        days=period.days,
    )


def _delta_text(name: str, delta: float | int | None, lang: str) -> str:
    """Return a change as +12 / −3 / +1.2 个百分点 (rates change in percentage points)."""
    if delta is None:
        return "—"
    kpi = KPI_BY_NAME[name]
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    if kpi.unit == "rate":
        return t("report.delta.points", lang, sign=sign, value=f"{abs(delta) * 100:.1f}")
    return f"{sign}{fmt_value(abs(delta), kpi.unit, lang)}"


def kpi_lines(
    found: PeriodKpis, lang: str, names: tuple[str, ...] | None = None
) -> tuple[KpiLine, ...]:
    """Return the KPI summary lines of ``found`` (every KPI, or ``names``), in declared order."""
    lines = []
    for kpi in KPIS:
        if names is not None and kpi.name not in names:
            continue
        value, previous = found.values[kpi.name], found.previous[kpi.name]
        delta = found.delta[kpi.name]
        lines.append(
            KpiLine(
                name=kpi.name,
                label=t(f"kpi.{kpi.name}", lang),
                domain=kpi.domain,
                unit=kpi.unit,
                kind="period" if kpi.per_day else "status",
                value=value,
                previous=previous,
                delta=delta,
                value_text=fmt_value(value, kpi.unit, lang),
                previous_text=fmt_value(previous, kpi.unit, lang),
                delta_text=_delta_text(kpi.name, delta, lang),
            )
        )
    return tuple(lines)


def status_note(basis: StatusBasis, period: Period, lang: str) -> str:
    """Return the sentence that says when the report's status KPIs were true."""
    if basis.basis == "current":
        return t("report.status.current", lang, as_of=_stamp(basis.as_of, lang))
    if basis.basis == "snapshot":
        return t(
            "report.status.snapshot",
            lang,
            end=period.end.isoformat(),
            as_of=_stamp(basis.as_of, lang),
        )
    return t("report.status.unrecorded", lang, end=period.end.isoformat())


def _now_note(basis: StatusBasis, now: dt.datetime, lang: str) -> str:
    """Return the note of a breakdown the store knows only as it is now."""
    if basis.basis == "current":
        return t("report.note.status_now", lang, as_of=_stamp(now, lang))
    return t("report.note.status_now_not_end", lang, as_of=_stamp(now, lang))


class _Names:
    """Area names for codes (districts, cities; a grid cell is its own name)."""

    def __init__(self, ctx: Context):
        self.geo = ctx.geo

    def __call__(self, code: object) -> str:
        if code is None or (isinstance(code, float) and pd.isna(code)):
            return "—"
        code = str(code)
        try:
            return self.geo.area(code).name
        except (KeyError, ScopeError):  # a grid cell is named by its own code
            return code


def _table(
    key: str,
    lang: str,
    frame: pd.DataFrame,
    columns: list[tuple[str, str, str]],
    *,
    note: str = "",
    empty: str | None = None,
) -> Table:
    """Return a Table of ``frame``'s ``columns`` given as (key, label key, kind)."""
    cols = tuple(Column(k, t(label, lang), kind) for k, label, kind in columns)  # type: ignore[arg-type]
    shown = (
        frame[[c.key for c in cols]].reset_index(drop=True)
        if len(frame)
        else pd.DataFrame(
            {c.key: pd.Series(dtype=frame[c.key].dtype if c.key in frame else object) for c in cols}
        )
    )
    return Table(
        key,
        t(f"report.table.{key}", lang),
        cols,
        shown,
        note=note,
        empty=empty or t("report.empty", lang),
    )


def _chart(key: str, lang: str, figure, table: Table, note: str = "") -> Chart:
    return Chart(
        key,
        t(f"report.chart.{key}", lang),
        figure if len(table.frame) else None,
        table,
        note=note or table.note,
    )


def _areas_with(frame: pd.DataFrame, names: _Names, count: str, other: str) -> pd.DataFrame:
    """Return ``area, name, <count>, <other>`` of the areas with any ``count``."""
    out = frame[[count, other]].reset_index()
    out.insert(1, "name", [names(a) for a in out["area"]])
    return out[pd.to_numeric(out[count], errors="coerce").fillna(0) > 0]


# ---------------------------------------------------------------- sections
def _video(ctx, scope, allowed, period, children, names, lang, now, basis) -> Section:
    rates = _areas_with(children, names, "cameras_total", "cameras_online_rate")
    by_area = _table(
        "video.by_area",
        lang,
        rates,
        [
            ("name", "report.col.area", "text"),
            ("cameras_total", "kpi.cameras_total", "count"),
            ("cameras_online_rate", "kpi.cameras_online_rate", "rate"),
        ],
    )
    # a district has hundreds of grid cells: the chart draws the worst, the table keeps all
    drawn = rates.sort_values(["cameras_online_rate", "area"]).head(BARS)
    if len(rates) <= BARS:
        drawn = rates
    area_fig = charts.rate_bars(
        list(drawn["name"]),
        list(drawn["cameras_online_rate"]),
        list(drawn["area"]),
        _accent("video"),
        axis_title=t("kpi.cameras_online_rate", lang),
    )
    area_note = _status_note_short(basis, lang)
    if len(rates) > BARS:
        area_note = t("report.note.worst", lang, n=BARS, total=len(rates)) + " " + area_note
    events = vq.events_by_day(ctx, scope=scope, allowed=allowed, day=period.end, days=period.days)
    events = events.assign(
        type_label=[t_value("event_type", e, lang) for e in events["event_type"]]
    )
    events_table = _table(
        "video.events",
        lang,
        events,
        [
            ("day", "report.col.day", "date"),
            ("type_label", "report.col.event_type", "text"),
            ("events", "unit.events", "count"),
        ],
    )
    events_fig = video_components.events_figure(events, lang)
    depts = vq.online_by_department(ctx, scope=scope, allowed=allowed)
    depts = depts.assign(
        dept_label=[t_value("department", d, lang) if d else "—" for d in depts["department"]]
    )
    dept_table = _table(
        "video.departments",
        lang,
        depts,
        [
            ("dept_label", "report.col.department", "text"),
            ("cameras", "kpi.cameras_total", "count"),
            ("online", "report.col.online", "count"),
            ("online_rate", "kpi.cameras_online_rate", "rate"),
            ("ai", "kpi.cameras_ai", "count"),
        ],
        note=_now_note(basis, now, lang),
    )
    return Section(
        "video",
        t("domain.video", lang),
        (),
        (
            _chart("video.by_area", lang, area_fig, by_area, note=area_note),
            _chart(
                "video.events", lang, events_fig, events_table, note=t("report.note.period", lang)
            ),
        ),
        (dept_table,),
    )


def _accent(domain: str) -> str:
    """Return the domain's accent colour (cityops.theme)."""
    return theme.DOMAIN_ACCENT[domain]


def _status_note_short(basis: StatusBasis, lang: str) -> str:
    """Return "状态截至 <time>" (now or the snapshot's time), or that it was not recorded."""
    if basis.basis == "unrecorded":
        return t("report.note.status_unrecorded", lang)
    return t("report.note.status_at", lang, as_of=_stamp(basis.as_of, lang))


def _hazmat(ctx, scope, allowed, period, lang, now, basis) -> Section:
    per_day = hz.alarms_by_day(ctx, scope=scope, allowed=allowed, day=period.end, days=period.days)
    day_table = _table(
        "hazmat.alarms_by_day",
        lang,
        per_day,
        [("day", "report.col.day", "date"), ("alarms", "unit.alarms", "count")],
    )
    day_fig = (
        charts.stacked_days(
            per_day.assign(series=t("unit.alarms", lang)),
            x="day",
            y="alarms",
            colour="series",
            palette=[charts.PALETTE[3]],
            lang=lang,
            axis_title=t("unit.alarms", lang),
        )
        if len(per_day)
        else None
    )
    counts = hz.alarm_counts(
        ctx, scope=scope, allowed=allowed, since=period.start_time(), until=period.end_time()
    )
    by_type = (
        counts.groupby("alarm_type", as_index=False)["alarms"]
        .sum()
        .sort_values("alarms", ascending=False)
    )
    by_type["type_label"] = [t_value("alarm", a, lang) for a in by_type["alarm_type"]]
    type_table = _table(
        "hazmat.alarm_types",
        lang,
        by_type,
        [("type_label", "report.col.alarm_type", "text"), ("alarms", "unit.alarms", "count")],
    )
    type_fig = hazmat_components.alarm_type_figure(counts, lang)
    tonnage = hz.tonnage_by_class(ctx, scope=scope, allowed=allowed)
    tonnage["class_label"] = [t_value("hazard", c, lang) for c in tonnage["hazard_class"]]
    ton_table = _table(
        "hazmat.tonnage",
        lang,
        tonnage,
        [
            ("class_label", "report.col.hazard_class", "text"),
            ("waybills", "kpi.waybills_in_transit", "count"),
            ("tonnage", "kpi.tonnage_in_transit", "tonnes"),
        ],
        note=_now_note(basis, now, lang),
    )
    ton_fig = hazmat_components.tonnage_figure(tonnage, lang)
    return Section(
        "hazmat",
        t("domain.hazmat", lang),
        (),
        (
            _chart(
                "hazmat.alarms_by_day", lang, day_fig, day_table, note=t("report.note.period", lang)
            ),
            _chart(
                "hazmat.alarm_types", lang, type_fig, type_table, note=t("report.note.period", lang)
            ),
            _chart("hazmat.tonnage", lang, ton_fig, ton_table),
        ),
    )


def _rentals(ctx, scope, allowed, children, names, lang, now, basis) -> Section:
    stages = rq.funnel(ctx, scope=scope, allowed=allowed)
    funnel = pd.DataFrame({"stage": list(stages), "units": list(stages.values())})
    funnel["stage_label"] = [t(f"funnel.{s}", lang) for s in funnel["stage"]]
    funnel_table = _table(
        "rentals.funnel",
        lang,
        funnel,
        [("stage_label", "report.col.stage", "text"), ("units", "unit.units", "count")],
        note=_now_note(basis, now, lang),
    )
    funnel_fig = rentals_components.funnel_figure(stages, lang)
    suspected = _areas_with(children, names, "rentals_registered", "rentals_suspected")
    suspected = suspected.sort_values("rentals_suspected", ascending=False)
    sus_table = _table(
        "rentals.by_area",
        lang,
        suspected,
        [
            ("name", "report.col.area", "text"),
            ("rentals_registered", "kpi.rentals_registered", "count"),
            ("rentals_suspected", "kpi.rentals_suspected", "count"),
        ],
        note=_status_note_short(basis, lang),
    )
    drawn = suspected.head(BARS)
    sus_fig = (
        charts.bars(
            list(drawn["name"]),
            list(drawn["rentals_suspected"].fillna(0)),
            list(drawn["area"]),
            [_accent("rentals")] * len(drawn),
            lang=lang,
            axis_title=t("unit.units", lang),
        )
        if len(drawn)
        else None
    )
    if len(suspected) > BARS:
        sus_table = dataclasses.replace(
            sus_table,
            note=t("report.note.most", lang, n=BARS, total=len(suspected)) + " " + sus_table.note,
        )
    return Section(
        "rentals",
        t("domain.rentals", lang),
        (),
        (
            _chart("rentals.funnel", lang, funnel_fig, funnel_table),
            _chart("rentals.by_area", lang, sus_fig, sus_table),
        ),
    )


def _tourism(ctx, scope, allowed, period, lang) -> Section:
    trend = tq.bookings_trend(
        ctx, scope=scope, allowed=allowed, day=period.end, back=period.days - 1, ahead=0
    )
    trend_all = trend
    trend = trend[trend["status"] != "cancelled"].copy()
    trend["status_label"] = [t_value("booking", s, lang) for s in trend["status"]]
    trend_table = _table(
        "tourism.trend",
        lang,
        trend,
        [
            ("visit_date", "report.col.day", "date"),
            ("status_label", "report.col.status", "text"),
            ("party", "unit.visitors", "count"),
        ],
    )
    trend_fig = tourism_components.trend_figure(trend_all, lang)
    origins = tq.origins(ctx, scope=scope, allowed=allowed, day=period.end, back=period.days - 1)
    origins = origins.head(TOP).copy()
    origins["origin_label"] = [
        t_value("origin", o, lang) if o else "—" for o in origins["visitor_origin"]
    ]
    origin_table = _table(
        "tourism.origins",
        lang,
        origins,
        [("origin_label", "report.col.origin", "text"), ("party", "unit.visitors", "count")],
    )
    origin_fig = tourism_components.origins_figure(origins, lang)
    fb = tq.feedback_summary(
        ctx, scope=scope, allowed=allowed, since=period.start_time(), until=period.end_time()
    )
    fb = fb.groupby(["kind", "status"], as_index=False)["items"].sum()
    fb["kind_label"] = [t(f"report.feedback.{k}", lang) for k in fb["kind"]]
    fb["status_label"] = [t(f"report.feedback_status.{s}", lang) for s in fb["status"]]
    fb_table = _table(
        "tourism.feedback",
        lang,
        fb,
        [
            ("kind_label", "report.col.kind", "text"),
            ("status_label", "report.col.status", "text"),
            ("items", "report.col.items", "count"),
        ],
        note=t("report.note.period", lang),
    )
    return Section(
        "tourism",
        t("domain.tourism", lang),
        (),
        (
            _chart(
                "tourism.trend", lang, trend_fig, trend_table, note=t("report.note.period", lang)
            ),
            _chart(
                "tourism.origins",
                lang,
                origin_fig,
                origin_table,
                note=t("report.note.period", lang),
            ),
        ),
        (fb_table,),
    )


# ---------------------------------------------------------------- problems
def _problems(ctx, scope, allowed, period, names, lang, now, basis) -> tuple[Table, ...]:
    alarms = hz.open_alarms(ctx, scope=scope, allowed=allowed, now=now)
    alarms = alarms.sort_values(["ts", "alarm_id"]).head(TOP).copy()
    alarms["type_label"] = [t_value("alarm", a, lang) for a in alarms["alarm_type"]]
    alarms["severity_label"] = [t_value("severity", s, lang) for s in alarms["severity"]]
    alarms["status_label"] = [t_value("alarm_status", s, lang) for s in alarms["status"]]
    alarms["district"] = [names(d) for d in alarms["district_code"]]
    top_alarms = _table(
        "top.alarms",
        lang,
        alarms,
        [
            ("alarm_id", "report.col.alarm_id", "text"),
            ("ts", "report.col.raised", "datetime"),
            ("open_hours", "report.col.open_hours", "hours"),
            ("type_label", "report.col.alarm_type", "text"),
            ("severity_label", "report.col.severity", "text"),
            ("status_label", "report.col.status", "text"),
            ("vehicle_plate", "report.col.plate", "text"),
            ("district", "report.col.district", "text"),
        ],
        note=_now_note(basis, now, lang),
    )

    level, areas, area_basis = area_kpis(ctx, scope=scope, period=period, allowed=allowed, now=now)
    level_label = t(f"level.{level}", lang)
    online = _areas_with(areas, names, "cameras_total", "cameras_online_rate")
    online = online.sort_values(["cameras_online_rate", "area"]).head(TOP)
    top_online = _table(
        "top.online",
        lang,
        online,
        [
            ("name", "report.col.area", "text"),
            ("cameras_total", "kpi.cameras_total", "count"),
            ("cameras_online_rate", "kpi.cameras_online_rate", "rate"),
        ],
        note=t("report.note.level", lang, level=level_label)
        + " "
        + _status_note_short(area_basis, lang),
    )
    rentals = _areas_with(areas, names, "rentals_suspected", "rentals_registered")
    rentals = rentals.sort_values(["rentals_suspected", "area"], ascending=[False, True]).head(TOP)
    top_rentals = _table(
        "top.rentals",
        lang,
        rentals,
        [
            ("name", "report.col.area", "text"),
            ("rentals_suspected", "kpi.rentals_suspected", "count"),
            ("rentals_registered", "kpi.rentals_registered", "count"),
        ],
        note=t("report.note.level", lang, level=level_label)
        + " "
        + _status_note_short(area_basis, lang),
    )
    slots = tq.crowded_slots(
        ctx, scope=scope, allowed=allowed, start=period.start, end=period.end, limit=TOP
    )
    slots["district"] = [names(d) for d in slots["district_code"]]
    top_slots = _table(
        "top.slots",
        lang,
        slots,
        [
            ("name", "report.col.spot", "text"),
            ("district", "report.col.district", "text"),
            ("visit_date", "report.col.day", "date"),
            ("slot_start", "report.col.slot", "text"),
            ("party", "unit.visitors", "count"),
            ("instant_capacity", "report.col.capacity", "count"),
            ("load", "report.col.load", "rate"),
        ],
        note=t("report.note.period", lang),
    )
    complaints = tq.open_complaints(ctx, scope=scope, allowed=allowed, now=now, limit=TOP)
    complaints["district"] = [names(d) for d in complaints["district_code"]]
    top_complaints = _table(
        "top.complaints",
        lang,
        complaints,
        [
            ("feedback_id", "report.col.feedback_id", "text"),
            ("name", "report.col.spot", "text"),
            ("district", "report.col.district", "text"),
            ("ts", "report.col.raised", "datetime"),
            ("open_hours", "report.col.open_hours", "hours"),
            ("category", "report.col.category", "text"),
        ],
        note=_now_note(basis, now, lang),
    )
    return (top_alarms, top_online, top_rentals, top_slots, top_complaints)


def _appendix(ctx, allowed, lang, now) -> tuple[Table, ...]:
    sets = catalogue.datasets(ctx.storage, allowed=allowed, now=now)
    sets["name"] = [
        t(f"dataset.{d}", lang) if f"dataset.{d}" in TABLE else d for d in sets["dataset"]
    ]
    sets["stale_label"] = [t("report.stale" if s else "report.fresh", lang) for s in sets["stale"]]
    datasets = _table(
        "appendix.datasets",
        lang,
        sets,
        [
            ("name", "report.col.dataset", "text"),
            ("department", "report.col.department", "text"),
            ("rows", "report.col.rows", "count"),
            ("last_loaded_at", "report.col.last_load", "datetime"),
            ("latest_record_at", "report.col.latest_record", "datetime"),
            ("quarantined_total", "report.col.quarantined", "count"),
            ("refused_total", "report.col.refused", "count"),
            ("stale_label", "report.col.fresh", "text"),
        ],
        note=t("report.note.datasets", lang),
    )
    fresh = freshness(ctx, allowed=allowed, now=now)
    fresh["name"] = [
        t(f"dataset.{d}", lang) if f"dataset.{d}" in TABLE else d for d in fresh["dataset"]
    ]
    fresh["age_hours"] = (fresh["age_s"] / 3600).round(1)
    fresh["cadence_hours"] = (fresh["cadence_s"] / 3600).round(1)
    fresh["stale_label"] = [
        t("report.stale" if s else "report.fresh", lang) for s in fresh["stale"]
    ]
    fresh_table = _table(
        "appendix.freshness",
        lang,
        fresh,
        [
            ("name", "report.col.dataset", "text"),
            ("last_write", "report.col.last_write", "datetime"),
            ("age_hours", "report.col.age_hours", "hours"),
            ("cadence_hours", "report.col.cadence_hours", "hours"),
            ("stale_label", "report.col.fresh", "text"),
        ],
    )
    return (datasets, fresh_table)


# ---------------------------------------------------------------- the report
def build(
    ctx: Context,
    *,
    scope: Scope,
    period: Period,
    allowed: Scope,
    lang: str = "zh",
    map_kpi: str | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[int, str], None] | None = None,
) -> Report:
    """Return the report of ``scope`` over ``period`` for a caller limited to ``allowed``.

    ``now`` (local, naive) is when the report is made (default: now in
    Asia/Shanghai); ``progress(number, step)`` is told as each of :data:`STEPS`
    starts (numbered from 1). Raises :class:`cityops.geo.ScopeDenied` for a scope outside
    ``allowed`` and ``ValueError`` for an unknown ``map_kpi``.
    """
    ensure_allowed(scope, allowed)
    map_kpi = map_kpi or DEFAULT_MAP_KPI
    if map_kpi not in KPI_BY_NAME:
        raise ValueError(f"unknown KPI {map_kpi!r}; choose from {', '.join(KPI_BY_NAME)}")
    now = now or _local_now()
    tell = progress or (lambda done, step: None)
    geo = ctx.geo
    names = _Names(ctx)

    tell(1, "kpis")
    found = period_kpis(ctx, scope=scope, period=period, allowed=allowed, now=now)
    lines = kpi_lines(found, lang)

    tell(2, "map")
    container, level, children, child_basis = period_child_kpis(
        ctx, scope=scope, period=period, allowed=allowed, now=now
    )
    features = geo.children_geojson(container)["features"]
    kpi = KPI_BY_NAME[map_kpi]
    map_frame = children.reset_index()
    map_frame.insert(1, "name", [names(a) for a in map_frame["area"]])
    map_table = _table(
        "map",
        lang,
        map_frame,
        [
            ("area", "report.col.code", "text"),
            ("name", "report.col.area", "text"),
            *[(k.name, f"kpi.{k.name}", "count" if k.unit == "count" else k.unit) for k in KPIS],
        ],
        note=t(
            "report.note.map", lang, kpi=t(f"kpi.{map_kpi}", lang), level=t(f"level.{level}", lang)
        )
        + " "
        + _status_note_short(child_basis, lang),
    )
    figure = area_map(
        features,
        children[map_kpi],
        kpi=map_kpi,
        unit=kpi.unit,
        lang=lang,
        no_data=t("report.no_data", lang),
    )
    map_chart = Chart(
        "map",
        t("report.chart.map", lang, kpi=t(f"kpi.{map_kpi}", lang)),
        figure,
        map_table,
        note=map_table.note,
    )

    tell(3, "sections")
    sections = []
    for domain in DOMAINS:
        if domain.name == "video":
            section = _video(ctx, scope, allowed, period, children, names, lang, now, found.status)
        elif domain.name == "hazmat":
            section = _hazmat(ctx, scope, allowed, period, lang, now, found.status)
        elif domain.name == "rentals":
            section = _rentals(ctx, scope, allowed, children, names, lang, now, found.status)
        elif domain.name == "tourism":
            section = _tourism(ctx, scope, allowed, period, lang)
        else:  # a domain added to DOMAINS without a report section yet
            continue
        domain_lines = tuple(line for line in lines if line.domain == domain.name)
        sections.append(
            Section(section.domain, section.title, domain_lines, section.charts, section.tables)
        )

    tell(4, "problems")
    problems = _problems(ctx, scope, allowed, period, names, lang, now, found.status)

    tell(5, "appendix")
    appendix = _appendix(ctx, allowed, lang, now)
    # data as of: the newest write of any dataset (the appendix's freshness table)
    stamps = pd.to_datetime(appendix[1].frame["last_write"]).dropna()
    data_as_of = stamps.max().to_pydatetime() if len(stamps) else None

    scope_name = geo.scope_name(scope)
    path = " › ".join(geo.scope_name(s) for s in geo.lineage(scope, allowed))
    kind_label = t(f"report.kind.{period.kind}", lang)
    words = period_words(period, lang)
    note = status_note(found.status, period, lang)
    cover = (
        (t("report.cover.scope", lang), path),
        (
            t("report.cover.period", lang),
            t(
                "report.period.full",
                lang,
                words=words,
                start=period.start.isoformat(),
                end=period.end.isoformat(),
                days=period.days,
            ),
        ),
        (
            t("report.cover.previous", lang),
            t(
                "report.period.full",
                lang,
                words=period_words(period.previous(), lang),
                start=period.previous().start.isoformat(),
                end=period.previous().end.isoformat(),
                days=period.previous().days,
            ),
        ),
        (t("report.cover.generated_at", lang), _stamp(now, lang)),
        (t("report.cover.data_as_of", lang), _stamp(data_as_of, lang)),
        (t("report.cover.status", lang), note),
        (
            t("report.cover.filters", lang),
            t("report.cover.map_kpi", lang, kpi=t(f"kpi.{map_kpi}", lang)),
        ),
    )
    return Report(
        lang=lang,
        scope=scope,
        scope_name=scope_name,
        scope_path=path,
        period=period,
        previous=period.previous(),
        kind_label=kind_label,
        title=t("report.title", lang, scope=scope_name, kind=kind_label),
        subtitle=words,
        generated_at=now,
        data_as_of=data_as_of,
        status=found.status,
        status_note=note,
        cover=cover,
        kpis=lines,
        kpi_note=t("report.note.kpis", lang, previous=period_words(period.previous(), lang))
        + " "
        + note,
        map_kpi=map_kpi,
        map=map_chart,
        sections=tuple(sections),
        problems=problems,
        appendix=appendix,
        labels={key: t(f"report.label.{key}", lang) for key in LABELS},
    )


#: The headings renderers print (``Report.labels``), each ``report.label.<key>``.
LABELS = (
    "kpi_summary",
    "kpi",
    "value",
    "previous",
    "change",
    "kind",
    "unit",
    "period_kpi",
    "status_kpi",
    "map",
    "problems",
    "appendix",
    "contents",
    "page",
    "cover",
    "generated_at",
    "data_as_of",
    "no_chart",
    "sheet_cover",
    "sheet_kpis",
    "sheet_map",
    "sheet_problems",
    "sheet_appendix",
    "unit_count",
    "unit_rate",
    "unit_tonnes",
    "title",
    "scope",
    "period",
)

__all__ = ["DEFAULT_MAP_KPI", "LABELS", "STEPS", "build", "kpi_lines", "period_words"]
