"""The KPIs of a period: what reports and ``/api/v1/kpis?from=&to=`` answer.

Day KPIs (visitors, check-in rate, peak slot load) are computed over the
period's days by :func:`cityops.queries.kpis.compute_kpis` — the one KPI
definition the pages use. Status KPIs (cameras, events, waybills, alarms,
rentals, complaints) describe a moment, and a period's is its *end*:

* a period that has not ended yet (its end is now or later) takes the store as
  it is now — basis ``current``;
* a period that has ended takes the newest KPI snapshot recorded at or before
  its end (:mod:`cityops.queries.snapshots`; kept 14 days, districts and up) —
  basis ``snapshot``, with the snapshot's time;
* otherwise nothing is known about that moment — basis ``unrecorded``, values
  null (never today's values passed off as last month's).

The previous period (:meth:`cityops.periods.Period.previous`) is described the
same way, so each KPI's change is like for like.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import pandas as pd
import sqlalchemy as sa

from cityops import store
from cityops.geo import Level, Scope, ensure_allowed
from cityops.periods import Period
from cityops.queries import child_kpis, read, scope_kpis
from cityops.queries.context import Context
from cityops.queries.kpis import KPI_NAMES, KPIS, Filters, compute_kpis, kpi_value
from cityops.queries.snapshots import STATUS_KPIS, local_now
from cityops.store.executor import execute

Basis = Literal["current", "snapshot", "unrecorded"]
PERIOD_KPIS: tuple[str, ...] = tuple(k.name for k in KPIS if k.per_day)


@dataclass(frozen=True)
class StatusBasis:
    """Where a period's status KPIs come from: ``basis`` and the moment they describe."""

    basis: Basis
    as_of: dt.datetime | None  # now (current), the snapshot's time, or None (unrecorded)


@dataclass(frozen=True)
class PeriodKpis:
    """The KPIs of one scope over one period and the previous one.

    ``values`` and ``previous`` map every KPI name to a plain rounded number or
    None; ``delta`` is value − previous (None when either is None).
    """

    scope: Scope
    period: Period
    values: dict[str, float | int | None]
    previous: dict[str, float | int | None]
    delta: dict[str, float | int | None]
    status: StatusBasis
    previous_status: StatusBasis


def _status_basis(ctx: Context, *, scope: Scope, period: Period, now: dt.datetime) -> StatusBasis:
    """Return how the status KPIs at the end of ``period`` are known (see the module)."""
    end = period.end_time()
    if end >= now:
        return StatusBasis("current", now)
    if scope.level == "grid":
        return StatusBasis("unrecorded", None)
    snaps = store.kpi_snapshots
    frame = read(
        ctx,
        sa.select(sa.func.max(snaps.c.taken_at).label("taken_at")).where(
            snaps.c.code == scope.code, snaps.c.taken_at < end
        ),
    )
    taken = frame["taken_at"].iloc[0] if len(frame) else None
    if taken is None or pd.isna(taken):
        return StatusBasis("unrecorded", None)
    return StatusBasis("snapshot", pd.Timestamp(taken).to_pydatetime())


def _snapshot_values(ctx: Context, codes: list[str], taken_at: dt.datetime) -> pd.DataFrame:
    """Return the status KPIs of ``codes`` recorded at ``taken_at``: one row per code."""
    snaps = store.kpi_snapshots
    frame = read(
        ctx,
        sa.select(snaps.c.code, snaps.c.kpi, snaps.c.value).where(
            snaps.c.taken_at == taken_at, snaps.c.code.in_(codes)
        ),
    )
    wide = frame.pivot_table(index="code", columns="kpi", values="value", aggfunc="first")
    return wide.reindex(index=codes, columns=list(STATUS_KPIS))


def _status_frame(
    ctx: Context, frame: pd.DataFrame, basis: StatusBasis, codes: list[str]
) -> pd.DataFrame:
    """Return ``frame`` (KPIs now, one row per code) with its status KPIs as ``basis`` says."""
    out = frame.copy()
    if basis.basis == "current":
        return out
    status = list(STATUS_KPIS)
    out[status] = out[status].astype(object)
    if basis.basis == "snapshot" and basis.as_of is not None:
        snap = _snapshot_values(ctx, codes, basis.as_of)
        for name in status:
            out[name] = [None if pd.isna(v) else float(v) for v in snap[name].reindex(out.index)]
    else:
        out[status] = None
    return out


def _values(frame: pd.DataFrame, code: str) -> dict[str, float | int | None]:
    row = frame.loc[code]
    return {name: kpi_value(name, row[name]) for name in KPI_NAMES}


def period_kpis(
    ctx: Context,
    *,
    scope: Scope,
    period: Period,
    allowed: Scope,
    filters: Filters | None = None,
    now: dt.datetime | None = None,
) -> PeriodKpis:
    """Return the KPIs of ``scope`` over ``period`` and over the previous period.

    Day KPIs over each period's days; status KPIs at each period's end (module
    docstring). A filtered question about a past moment is ``unrecorded``
    (snapshots are of whole areas).
    """
    ensure_allowed(scope, allowed)
    now = now or local_now()
    filters = filters or Filters()
    rows: list[dict] = []
    bases: list[StatusBasis] = []
    for p in (period, period.previous()):
        basis = _status_basis(ctx, scope=scope, period=p, now=now)
        if basis.basis == "snapshot" and filters != Filters():
            basis = StatusBasis("unrecorded", None)
        frame = scope_kpis(
            ctx, scope=scope, day=p.start, until=p.end, allowed=allowed, filters=filters
        )
        rows.append(_values(_status_frame(ctx, frame, basis, [scope.code]), scope.code))
        bases.append(basis)
    values, previous = rows
    delta = {
        name: None
        if values[name] is None or previous[name] is None
        else kpi_value(name, values[name] - previous[name])
        for name in KPI_NAMES
    }
    return PeriodKpis(scope, period, values, previous, delta, bases[0], bases[1])


def period_child_kpis(
    ctx: Context,
    *,
    scope: Scope,
    period: Period,
    allowed: Scope,
    now: dt.datetime | None = None,
) -> tuple[Scope, Level, pd.DataFrame, StatusBasis]:
    """Return the KPIs over ``period`` of the areas the map shows for ``scope``.

    Returns
    -------
    tuple
        ``(container, level, frame, basis)`` as :func:`cityops.queries.child_kpis`
        (one row per child area, every KPI), with the status KPIs at the
        period's end as ``basis`` says (grid cells have no snapshots).
    """
    ensure_allowed(scope, allowed)
    now = now or local_now()
    container, level, frame = child_kpis(
        ctx, scope=scope, day=period.start, until=period.end, allowed=allowed
    )
    basis = _status_basis(ctx, scope=container, period=period, now=now)
    if basis.basis == "snapshot" and level == "grid":
        basis = StatusBasis("unrecorded", None)
    return container, level, _status_frame(ctx, frame, basis, list(frame.index)), basis


def area_kpis(
    ctx: Context,
    *,
    scope: Scope,
    period: Period,
    allowed: Scope,
    now: dt.datetime | None = None,
) -> tuple[Level, pd.DataFrame, StatusBasis]:
    """Return the KPIs over ``period`` of the smallest named areas inside ``scope``.

    The province and a city rank their *districts* (a report's "districts with
    the worst online rate"), a district its grid cells, a grid cell itself.

    Returns
    -------
    tuple
        ``(level, frame, basis)``: the areas' level, one row per area code (every
        area, rows of 0 where there is no data) with every KPI, status KPIs at
        the period's end as ``basis`` says.
    """
    ensure_allowed(scope, allowed)
    now = now or local_now()
    geo = ctx.geo
    if scope.level in ("province", "city"):
        cities = list(geo.enabled_cities) if scope.level == "province" else [scope.code]
        level: Level = "district"
        codes = [a.code for city in cities for a in geo.districts(city)]
    elif scope.level == "district":
        level, codes = "grid", geo.grid_cells(scope.code)
    else:
        level, codes = "grid", [scope.code]
    frame = compute_kpis(
        ctx.engine, geo=geo, scope=scope, day=period.start, until=period.end, allowed=allowed,
        rules=ctx.rules, by=level, areas=codes, run=lambda query: execute(ctx.storage, query),
    )  # fmt: skip
    basis = _status_basis(ctx, scope=scope, period=period, now=now)
    if basis.basis == "snapshot" and level == "grid":
        basis = StatusBasis("unrecorded", None)
    return level, _status_frame(ctx, frame, basis, codes), basis
