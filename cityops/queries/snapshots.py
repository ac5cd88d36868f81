"""KPI snapshots: each status KPI recorded over time, so the wall can show its trend.

Status KPIs (cameras online, open alarms, waybills in transit…) describe the
store *now*; what they were yesterday exists only if it was recorded. Every
writer session of the CLI (``cityops init | demo | load``, the live merge)
ends with :func:`record`, which writes the status KPIs of the province, every
enabled city and every district into ``kpi_snapshots`` — at most once per
``every_s`` (an hour), 14 days kept — computed by :func:`compute_kpis`, the one
KPI definition the pages use. :func:`kpi_trend` compares each KPI with
yesterday: a day KPI with the previous day, a status KPI with the snapshot
taken 24 h (± 1 h) before, or else the oldest snapshot since.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityops import store
from cityops.clock import TZ
from cityops.geo import Scope, ensure_allowed, geography
from cityops.queries import read, scope_kpis
from cityops.queries.context import Context
from cityops.queries.kpis import KPIS, RentalRules, compute_kpis, kpi_value
from cityops.settings import Settings
from cityops.store.executor import execute

#: The KPIs a snapshot records: those describing the store as it is (not a given day).
STATUS_KPIS: tuple[str, ...] = tuple(k.name for k in KPIS if not k.per_day)
#: A status snapshot compares as "yesterday" when taken this long before now, ± SLACK.
DAY = dt.timedelta(hours=24)
SLACK = dt.timedelta(hours=1)

Basis = Literal["yesterday", "since", "none"]


def local_now() -> dt.datetime:
    """Return the time now in Asia/Shanghai, naive, to the second (as the store keeps times)."""
    return dt.datetime.now(TZ).replace(tzinfo=None, microsecond=0)


def record(
    engine: Engine,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    every_s: int = 3600,
    keep_days: int = 14,
) -> int:
    """Record the status KPIs of the province, every enabled city and district, now.

    ``engine`` is a writer's read-write engine (:meth:`Storage.writer`); the
    KPIs are those of :func:`compute_kpis` on it, one statement per level. Does
    nothing when the newest snapshot is younger than ``every_s`` seconds, when
    the store has no boundaries yet, or when the province has nothing to
    describe (every status KPI 0 or null: no city data loaded yet). Deletes
    the snapshots older than ``keep_days`` days.

    Returns
    -------
    int
        The rows written: areas × :data:`STATUS_KPIS`, or 0.
    """
    now = now or local_now()
    snaps = store.kpi_snapshots
    state = execute(
        engine,
        sa.select(
            sa.select(sa.func.max(snaps.c.taken_at)).scalar_subquery().label("newest"),
            sa.select(sa.func.count()).select_from(store.areas).scalar_subquery().label("areas"),
        ),
    ).iloc[0]
    newest = state["newest"]
    if pd.notna(newest) and now - newest.to_pydatetime() < dt.timedelta(seconds=every_s):
        return 0
    if not state["areas"]:
        return 0
    geo = geography(engine, settings.city_codes, settings.grid_resolution)
    province = geo.scope(None)
    cities = list(geo.enabled_cities)
    districts = [a.code for city in cities for a in geo.districts(city)]
    rules = RentalRules.from_settings(settings)

    def kpis(by=None, areas=None) -> pd.DataFrame:
        return compute_kpis(engine, geo=geo, scope=province, day=now.date(), allowed=province,
                            rules=rules, by=by, areas=areas)  # fmt: skip

    top = kpis()[list(STATUS_KPIS)]
    if not pd.to_numeric(top.iloc[0], errors="coerce").fillna(0).any():
        return 0  # an empty store: a row of zeros would make the first load look like a surge
    frame = pd.concat([top, kpis("city", cities)[list(STATUS_KPIS)],
                       kpis("district", districts)[list(STATUS_KPIS)]])  # fmt: skip
    rows = (
        frame.rename_axis("code")
        .reset_index()
        .melt(id_vars="code", var_name="kpi", value_name="value")
    )
    rows["value"] = pd.to_numeric(rows["value"], errors="coerce").astype(float)  # None → NULL
    rows.insert(0, "taken_at", pd.Timestamp(now))
    with engine.begin() as conn:
        conn.execute(snaps.delete().where(snaps.c.taken_at < now - dt.timedelta(days=keep_days)))
        return store.bulk_insert(conn, snaps, rows)


def kpi_trend(
    ctx: Context,
    *,
    scope: Scope,
    day: dt.date,
    allowed: Scope,
    now: dt.datetime | None = None,
) -> pd.DataFrame:
    """Return each KPI of ``scope`` with what it was yesterday, for the wall's trend arrows.

    A day KPI is compared with the day before ``day``. A status KPI is compared
    with the newest snapshot taken at or before ``now`` − 23 h if that is 24 h
    ± 1 h before ``now`` (basis ``yesterday``), else with the oldest snapshot
    taken since (basis ``since``: "vs 06:12"), else with nothing (``none``: no
    snapshot, or a grid cell — snapshots stop at districts).

    Returns
    -------
    pandas.DataFrame
        Indexed by KPI name (every KPI of :data:`KPIS`, in order): ``value``
        (now, or on ``day``), ``previous`` (None when there is none or a rate had
        nothing to divide by), ``previous_at`` (the snapshot's time; None for a
        day KPI, which compares whole days, and for basis ``none``), ``basis``
        and ``delta`` (value − previous, None when either is None). Values are
        plain numbers rounded as each KPI declares (:func:`kpi_value`).
    """
    ensure_allowed(scope, allowed)
    now = now or local_now()
    current = scope_kpis(ctx, scope=scope, day=day, allowed=allowed).iloc[0]
    before = scope_kpis(ctx, scope=scope, day=day - dt.timedelta(days=1), allowed=allowed).iloc[0]
    compared = _compared(_recent_snapshots(ctx, scope, now), now)
    rows = []
    for kpi in KPIS:
        value = kpi_value(kpi.name, current[kpi.name])
        if kpi.per_day:
            previous, at, basis = kpi_value(kpi.name, before[kpi.name]), None, "yesterday"
        else:
            previous, at, basis = compared.get(kpi.name, (None, None, "none"))
            previous = kpi_value(kpi.name, previous)
        delta = None if value is None or previous is None else kpi_value(kpi.name, value - previous)
        rows.append((kpi.name, value, previous, at, basis, delta))
    columns = ["kpi", "value", "previous", "previous_at", "basis", "delta"]
    return pd.DataFrame(rows, columns=columns, dtype=object).set_index("kpi")


def _recent_snapshots(ctx: Context, scope: Scope, now: dt.datetime) -> pd.DataFrame:
    """Return ``taken_at, kpi, value`` of the scope's snapshots of the last 25 h up to ``now``.

    The SELECT's lower bound is whole hours (answers are cached per statement
    and parameters: a wall refreshing every few seconds asks one question an
    hour); the exact window is cut here. A grid cell has no snapshots.
    """
    snaps = store.kpi_snapshots
    if scope.level == "grid":
        return pd.DataFrame(
            {"taken_at": pd.Series(dtype="datetime64[ns]"), "kpi": pd.Series(dtype=object),
             "value": pd.Series(dtype=float)}
        )  # fmt: skip
    since = now.replace(minute=0, second=0, microsecond=0) - DAY - SLACK
    frame = read(
        ctx,
        sa.select(snaps.c.taken_at, snaps.c.kpi, snaps.c.value)
        .where(snaps.c.code == scope.code, snaps.c.taken_at >= since)
        .order_by(snaps.c.taken_at),
    )
    return frame[(frame["taken_at"] >= now - DAY - SLACK) & (frame["taken_at"] <= now)]


def _compared(snaps: pd.DataFrame, now: dt.datetime) -> dict[str, tuple[float, dt.datetime, Basis]]:
    """Return ``{kpi: (value, taken_at, basis)}``: the snapshot each status KPI is compared with.

    ``snaps`` holds the scope's snapshots of the last 25 h up to ``now``, oldest
    first: per KPI the newest taken at or before ``now`` − 23 h (``yesterday``),
    else the oldest taken since (``since``). A KPI with no snapshot is absent.
    """
    old = snaps["taken_at"] <= now - DAY + SLACK
    found: dict[str, tuple[float, dt.datetime, Basis]] = {}
    for basis, rows in (
        ("since", snaps[~old].drop_duplicates("kpi", keep="first")),
        ("yesterday", snaps[old].drop_duplicates("kpi", keep="last")),  # wins over "since"
    ):
        for row in rows.itertuples(index=False):
            found[row.kpi] = (row.value, row.taken_at.to_pydatetime(), basis)
    return found
