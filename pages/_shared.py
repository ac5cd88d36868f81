"""Helpers shared by the pages (Dash does not load ``_``-prefixed modules as pages)."""

from __future__ import annotations

import datetime as dt

from cityops import queries
from cityops.context import Context
from cityops.geo import Scope
from cityops.i18n import t
from components.choropleth import choropleth_hideout


def map_state(ctx: Context, where: Scope, day: dt.date, kpi_name: str, lang: str):
    """Return ``(container, level, hideout)`` of the area map for ``where``: one query."""
    container, level, children = queries.child_kpis(
        ctx, scope=where, day=day, allowed=ctx.allowed_scope()
    )
    hideout = choropleth_hideout(
        children[kpi_name],
        kpi=kpi_name,
        names={c: ctx.geo.areas[c].name if c in ctx.geo.areas else c for c in children.index},
        lang=lang,
        selected=where.code if where.level == "grid" else None,
    )
    return container, level, hideout


def crumbs(ctx: Context, where: Scope, entity: tuple[str, str] | None = None, lang: str = "zh"):
    """Return breadcrumb items from the province to ``where``, then the entity if any."""
    items = [(s.level, s.code, ctx.geo.scope_name(s)) for s in ctx.geo.lineage(where)]
    if entity:
        kind, key = entity
        items.append(("entity", key, f"{t(f'entity.{kind}', lang)} {key}"))
    return items


def level_label(level: str, lang: str) -> str:
    """Return the name of a level for titles ("区县", "district")."""
    label = t(f"level.{level}", lang)
    return label.lower() if lang == "en" else label


def area_name(ctx: Context, code: str | None) -> str:
    """Return an area's (Chinese) name, or the code itself for a grid cell."""
    if not code:
        return "—"
    return ctx.geo.areas[code].name if code in ctx.geo.areas else code
