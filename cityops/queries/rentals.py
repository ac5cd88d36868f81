"""Questions of the rental-housing page (群租房智慧管控).

A unit is a suspected group rental by the rule of its city
(:func:`cityops.queries.kpis.suspected_clause`), the same rule as the KPI.
"""

from __future__ import annotations

import h3
import pandas as pd
import sqlalchemy as sa

from cityops import store
from cityops.geo import Scope, ensure_allowed
from cityops.queries import entity, read
from cityops.queries.context import Context
from cityops.queries.kpis import ORDERED, scope_clause, suspected_clause

r = store.rentals


def _where(ctx: Context, scope: Scope, allowed: Scope):
    ensure_allowed(scope, allowed)
    return scope_clause(r.c, scope, ctx.geo.enabled_cities, allowed)


#: The H3 resolution of the suspected-rentals heat map per scope level (None: no heat map).
HEAT_RESOLUTION = {"province": 6, "city": 7}


def suspected_cells(
    ctx: Context, *, scope: Scope, allowed: Scope, resolution: int | None = None
) -> pd.DataFrame:
    """Return the H3 cells holding suspected group rentals: ``grid_cell, suspected``.

    With ``resolution`` coarser than the grid's, the grid cells are summed into
    their parent cells (a readable heat map at city or province level).
    """
    query = (
        sa.select(r.c.grid_cell, sa.func.count().label("suspected"))
        .where(_where(ctx, scope, allowed), suspected_clause(r, ctx.rules))
        .group_by(r.c.grid_cell)
    )
    frame = read(ctx, query)
    if resolution is None or resolution >= ctx.geo.resolution or frame.empty:
        return frame
    frame["grid_cell"] = [h3.cell_to_parent(c, resolution) for c in frame["grid_cell"]]
    return frame.groupby("grid_cell", as_index=False)["suspected"].sum()


def funnel(ctx: Context, *, scope: Scope, allowed: Scope) -> dict[str, int]:
    """Return the rectification funnel: registered → suspected → ordered → rectified.

    ``ordered`` and ``rectified`` count *suspected* units ever ordered to rectify
    (``rectify`` or ``rectified``) and those that did — a narrower population
    than the KPI ``rentals_rectify_rate`` (every unit ever ordered), which the
    panel's title says.
    """
    suspected = suspected_clause(r, ctx.rules)
    ordered = r.c.inspection_status.in_(ORDERED)

    def count_if(cond):  # 0, not NULL, for an area without rentals
        return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)

    query = sa.select(
        sa.func.count().label("registered"),
        count_if(suspected).label("suspected"),
        count_if(sa.and_(suspected, ordered)).label("ordered"),
        count_if(sa.and_(suspected, r.c.inspection_status == "rectified")).label("rectified"),
    ).where(_where(ctx, scope, allowed))
    row = read(ctx, query).iloc[0]
    return {k: int(row[k]) for k in ("registered", "suspected", "ordered", "rectified")}


def suspected_units(
    ctx: Context, *, scope: Scope, allowed: Scope, limit: int = 5000
) -> pd.DataFrame:
    """Return suspected units, most crowded first.

    Columns: ``unit_id, address, floor_area_m2, rooms, occupants, area_per_person,
    per_room, inspection_status, district_code, grid_cell, landlord_name,
    landlord_phone`` (personal data masked by the read boundary).
    """
    query = (
        sa.select(
            r.c.unit_id,
            r.c.address,
            r.c.floor_area_m2,
            r.c.rooms,
            r.c.occupants,
            r.c.inspection_status,
            r.c.district_code,
            r.c.grid_cell,
            r.c.landlord_name,
            r.c.landlord_phone,
        )
        .where(_where(ctx, scope, allowed), suspected_clause(r, ctx.rules))
        .order_by((r.c.occupants * 1.0 / r.c.rooms).desc(), r.c.unit_id)
        .limit(limit)
    )
    frame = read(ctx, query)
    frame.insert(
        5,
        "area_per_person",
        (frame["floor_area_m2"] / frame["occupants"].where(frame["occupants"] > 0)).round(1),
    )
    frame.insert(6, "per_room", (frame["occupants"] / frame["rooms"]).round(1))
    return frame


def unit(ctx: Context, *, unit_id: str, allowed: Scope) -> pd.Series | None:
    """Return one rental unit (personal data masked), or None."""
    return entity(ctx, r, "unit_id", unit_id, allowed=allowed, what="unit")
