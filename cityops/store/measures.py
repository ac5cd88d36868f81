"""Raw measures as SQL: the sums every KPI is computed from.

One definition shared by the load-time rollups (:mod:`cityops.store.derived`) and
the KPI queries (:mod:`cityops.queries.kpis`), so a rolled-up count and a count
over the raw rows are the same expression.
"""

from __future__ import annotations

import sqlalchemy as sa

from cityops import store


def count_if(cond):
    """Return SUM(CASE WHEN cond THEN 1 ELSE 0 END): rows meeting ``cond`` (0 for none)."""
    return sa.func.sum(sa.case((cond, 1), else_=0))


def sum_if(value, cond):
    """Return SUM(CASE WHEN cond THEN value ELSE 0 END)."""
    return sa.func.sum(sa.case((cond, value), else_=0))


def camera_measures() -> list:
    """Return the camera measures (``cameras_total, cameras_online, cameras_ai``) as SQL.

    The one definition behind ``cameras_total``, ``cameras_online_rate`` and
    ``cameras_ai``; the video page's breakdowns and ``camera_cells`` group the
    same expressions.
    """
    cam = store.cameras
    return [
        sa.func.count().label("cameras_total"),
        count_if(cam.c.status == "online").label("cameras_online"),
        count_if(cam.c.ai_enabled).label("cameras_ai"),
    ]


#: The measures ``camera_cells`` keeps per grid cell and owning department.
CAMERA_CELL_MEASURES = ("cameras_total", "cameras_online", "cameras_ai", "video_events_open")
