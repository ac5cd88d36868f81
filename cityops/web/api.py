"""The JSON API (data sharing): ``/api/v1/...``, backed by the same queries as the pages."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import lru_cache

import flask
import geobuf
import h3

from cityops.clock import TZ, today
from cityops.geo import ScopeDenied, ScopeError, ensure_allowed
from cityops.periods import parse_period
from cityops.queries import catalogue, find_entity, scope_kpis
from cityops.queries.context import current
from cityops.queries.kpis import Filters, kpi_record
from cityops.queries.periods import period_kpis
from cityops.urls import parse_day

blueprint = flask.Blueprint("api_v1", __name__, url_prefix="/api/v1")


def _error(status: int, message: str) -> flask.Response:
    return flask.Response(
        json.dumps({"error": message}, ensure_ascii=False),
        status=status,
        mimetype="application/json",
    )


@blueprint.errorhandler(ScopeError)
def _bad_scope(exc: ScopeError):
    return _error(400, str(exc))


@blueprint.errorhandler(ScopeDenied)
def _denied(exc: ScopeDenied):
    return _error(403, str(exc))


class BadParameter(ValueError):
    """A query parameter that is repeated, unknown in its vocabulary or malformed."""


@blueprint.errorhandler(BadParameter)
def _bad_parameter(exc: BadParameter):
    return _error(400, str(exc))


def _arg(name: str) -> str | None:
    """Return query parameter ``name`` (None when absent); a repeated one is a 400."""
    values = flask.request.args.getlist(name)
    if len(values) > 1:
        raise BadParameter(f"parameter {name!r} is given {len(values)} times; give it once")
    return values[0] if values else None


def _scope(name: str = "scope"):
    """Return the scope named by a query parameter.

    Without one: the caller's own area (the province for an account without a
    scope, or with login off), as the pages open the user's own area.
    """
    ctx = current()
    code = _arg(name)
    return ctx.geo.scope(code) if code and code.strip() else ctx.allowed_scope()


@blueprint.get("/")
def index():
    """Return the API's routes: ``{"routes": [{"path", "about"}, …]}``."""
    return {
        "routes": [
            {"path": "/api/v1/kpis", "about": "the 14 KPIs of a scope, day and filters"},
            {"path": "/api/v1/datasets", "about": "the data catalogue: freshness and loads"},
            {"path": "/api/v1/geo/<code>/children.geojson", "about": "boundaries below an area"},
            {"path": "/api/v1/points/cameras.pbf", "about": "cameras of a scope, geobuf"},
            {
                "path": "/api/v1/layers/rentals-heat.pbf",
                "about": "H3 cells of a scope holding suspected group rentals, geobuf",
            },
            {"path": "/api/v1/health", "about": "whether the store answers"},
            {"path": "/api/v1/openapi.json", "about": "this API as an OpenAPI 3.1 document"},
        ]
    }


@blueprint.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_found(rest: str):
    """Answer any unknown ``/api/v1/…`` path with a JSON 404 (never the dashboard's HTML)."""
    return _error(404, f"no such API route: /api/v1/{rest}")


@blueprint.get("/openapi.json")
def openapi():
    """Return the OpenAPI 3.1 document of this API (:mod:`cityops.web.openapi`)."""
    from cityops.web.openapi import document

    return document()


@blueprint.get("/health")
def health():
    """Return ``{"status": "ok"}`` when the store answers."""
    ctx = current()
    return {"status": "ok", "areas": len(ctx.geo.areas)}


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


@blueprint.get("/kpis")
def kpis():
    """Return ``{"scope", "scope_name", "scope_level", "date", "filters", "kpis": {14 KPIs}}``.

    ``scope`` is an area code or H3 cell (default: the province); ``date`` is
    YYYY-MM-DD (default: today, Asia/Shanghai). The pages' filters are accepted
    with the same names and meaning (:class:`cityops.queries.kpis.Filters`):
    ``department``, ``hazard_class``, ``spot``, ``camera``, ``waybill``,
    ``unit`` — so a page's cards equal this answer for the same URL. Undefined
    rates are null; rates and tonnage keep 10 significant digits.
    An entity outside the caller's area is a 403, an unknown one a 404.

    With ``from`` (and ``to``, default ``from``) instead of ``date``, the answer
    describes a period as the reports do (:func:`cityops.queries.periods.period_kpis`):
    day KPIs over the period, status KPIs at its end (``status_basis``:
    ``current``, ``snapshot`` or ``unrecorded``, with ``status_as_of``), and
    ``previous`` / ``delta`` for the period of the same length before it.
    """
    ctx = current()
    scope = _scope()
    period = None
    try:
        if _arg("from") or _arg("to"):
            if _arg("date"):
                raise ValueError("give either date or from/to, not both")
            period = parse_period(_arg("from"), _arg("to"))
        day = parse_day(_arg("date"), today())
    except ValueError as exc:  # PeriodError too
        return _error(400, str(exc))
    allowed = ctx.allowed_scope()
    ensure_allowed(scope, allowed)
    filters = Filters.of({name: _arg(name) for name in Filters.NAMES})
    for kind in Filters.ENTITIES:
        key = getattr(filters, kind)
        if key:
            found = find_entity(ctx, kind, key, allowed=allowed)
            if found.state == "denied":
                return _error(403, f"{kind} {key} is outside the permitted area")
            if found.state == "not-found":
                return _error(404, f"no {kind} {key}")
    if period is not None:
        found = period_kpis(ctx, scope=scope, period=period, allowed=allowed, filters=filters)
        return {
            "scope": scope.code,
            "scope_name": ctx.geo.scope_name(scope),
            "scope_level": scope.level,
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "filters": filters.as_dict(),
            "kpis": found.values,
            "status_basis": found.status.basis,
            "status_as_of": _iso(found.status.as_of),
            "previous": {
                "from": found.period.previous().start.isoformat(),
                "to": found.period.previous().end.isoformat(),
                "kpis": found.previous,
                "status_basis": found.previous_status.basis,
                "status_as_of": _iso(found.previous_status.as_of),
            },
            "delta": found.delta,
        }
    frame = scope_kpis(ctx, scope=scope, day=day, allowed=allowed, filters=filters)
    return {
        "scope": scope.code,
        "scope_name": ctx.geo.scope_name(scope),
        "scope_level": scope.level,
        "date": day.isoformat(),
        "filters": filters.as_dict(),
        "kpis": kpi_record(frame, scope.code),
    }


@blueprint.get("/datasets")
def datasets():
    """Return the data catalogue: per dataset its rows, last load, freshness and quarantine.

    ``{"generated_at", "store_version", "datasets": [{dataset, label, department,
    rows, last_loaded_at, last_file, latest_record_at, age_hours,
    stale_after_hours, stale, loads, quarantined_last, quarantined_total,
    flagged_total, last_refused_at, last_refused_file, last_refusal, refused_total},
    …]}``; times are Asia/Shanghai local time. A refused file counts in
    ``refused_total`` and never makes a dataset look fresh.
    """
    ctx = current()
    now = dt.datetime.now(TZ).replace(tzinfo=None, microsecond=0)
    frame = catalogue.datasets(ctx.storage, allowed=ctx.allowed_scope(), now=now)
    records = json.loads(frame.to_json(orient="records", date_format="iso", date_unit="s"))
    return {
        "generated_at": now.isoformat(),
        "store_version": ctx.storage.version_label(),
        "datasets": records,
    }


@lru_cache(maxsize=256)
def _children_geojson(code: str) -> bytes:
    ctx = current()
    return json.dumps(
        ctx.geo.children_geojson(ctx.geo.scope(code)), ensure_ascii=False, separators=(",", ":")
    ).encode()


def _geojson_response(body: bytes) -> flask.Response:
    etag = hashlib.sha1(body).hexdigest()
    if flask.request.if_none_match.contains(etag):
        return flask.Response(status=304)
    response = flask.Response(body, mimetype="application/geo+json")
    response.set_etag(etag)
    # private, revalidated (a 304 by the ETag is cheap): no shared cache hands one user's
    # permitted boundaries to another, and none outlives the user's session unasked
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response


@blueprint.get("/geo/<code>/children.geojson")
def children_geojson(code: str):
    """Return the boundaries one level below ``code`` (cities, districts or grid cells)."""
    ctx = current()
    scope = ctx.geo.scope(code)
    ensure_allowed(scope, ctx.allowed_scope())
    if scope.level == "grid":
        scope = ctx.geo.scope(scope.district_code)
    return _geojson_response(_children_geojson(scope.code))


def _geobuf_response(body: bytes) -> flask.Response:
    """Return a geobuf layer: private and not stored (it depends on the permitted area).

    The server keeps the encoded layer per store version and area, so asking again is cheap.
    """
    response = flask.Response(body, mimetype="application/x-protobuf")
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


@lru_cache(maxsize=64)
def _camera_geobuf(revision: str, allowed: str, scope_code: str, department: str) -> bytes:
    """Encode the cameras once per data revision, permitted area, scope and filter."""
    from cityops.queries import video

    ctx = current()
    scope = ctx.geo.scope(scope_code)
    frame = video.camera_points(
        ctx, scope=scope, allowed=ctx.geo.scope(allowed), department=department or None
    )
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"id": cid, "status": status, "label": f"{name or cid}"},
        }
        for cid, lon, lat, status, name in zip(
            frame["camera_id"],
            frame["lon"],
            frame["lat"],
            frame["status"],
            frame["name"],
            strict=True,
        )
    ]
    return geobuf.encode({"type": "FeatureCollection", "features": features}, 6)


@blueprint.get("/points/cameras.pbf")
def camera_points():
    """Return the cameras in ``scope`` (optionally one ``department``) as geobuf points.

    Properties: ``id``, ``status``, ``label``. Cached per store version.
    """
    ctx = current()
    scope = _scope()
    ensure_allowed(scope, ctx.allowed_scope())
    body = _camera_geobuf(
        ctx.storage.data_revision(),
        ctx.allowed_scope().code,
        scope.code,
        _arg("department") or "",
    )
    return _geobuf_response(body)


def _cell_features(cells) -> list[dict]:
    """Return one closed GeoJSON polygon per H3 cell (properties as the area maps')."""
    features = []
    for cell in cells:
        ring = [[round(lng, 6), round(lat, 6)] for lat, lng in h3.cell_to_boundary(cell)]
        features.append(
            {
                "type": "Feature",
                "id": cell,
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                "properties": {"code": cell, "name": cell, "level": "grid", "enabled": True},
            }
        )
    return features


@lru_cache(maxsize=64)
def _rentals_heat_geobuf(revision: str, allowed: str, scope_code: str) -> bytes:
    """Encode the heat cells once per data revision, permitted area and scope."""
    from cityops.queries import rentals

    ctx = current()
    scope = ctx.geo.scope(scope_code)
    resolution = rentals.HEAT_RESOLUTION.get(scope.level)
    if resolution is None:
        cells = []
    else:
        frame = rentals.suspected_cells(
            ctx, scope=scope, allowed=ctx.geo.scope(allowed), resolution=resolution
        )
        cells = frame["grid_cell"]
    return geobuf.encode({"type": "FeatureCollection", "features": _cell_features(cells)}, 6)


@blueprint.get("/layers/rentals-heat.pbf")
def rentals_heat():
    """Return the H3 cells of ``scope`` holding suspected group rentals, as geobuf polygons.

    The heat map of the province and of a city (coarser cells: resolution 6 and 7);
    a district or a cell has none (an empty collection). Cached per store version.
    """
    ctx = current()
    scope = _scope()
    ensure_allowed(scope, ctx.allowed_scope())
    body = _rentals_heat_geobuf(ctx.storage.data_revision(), ctx.allowed_scope().code, scope.code)
    return _geobuf_response(body)
