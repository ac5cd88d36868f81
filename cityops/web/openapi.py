"""The OpenAPI 3.1 document of ``/api/v1`` (served at ``/api/v1/openapi.json``).

Built from data, not written by hand: the KPI names come from
:data:`cityops.queries.kpis.KPIS` (counts are integers, rates and tonnage
numbers, each nullable), the filter parameters from
:attr:`cityops.queries.kpis.Filters.NAMES`, the scope levels from
:data:`cityops.geo.Level`, the status bases from
:data:`cityops.queries.periods.Basis`. Each route is one :class:`Operation`
in :data:`OPERATIONS`; a test checks that every rule of the blueprint is
described here, so a new route cannot be forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, get_args

from cityops.geo import Level
from cityops.periods import MAX_DAYS
from cityops.queries.kpis import KPIS, Filters
from cityops.queries.periods import Basis

JSON = "application/json"
Schema = dict[str, Any]

#: An area code (6 digits) or an H3 cell (15 hex digits); empty is the default, and the
#: server strips surrounding blanks.
#: The padding the server strips (``str.strip``: Unicode spaces and the ASCII separators
#: \x1c–\x1f, which a JSON-schema ``\s`` does not cover).
_PAD = r"[\s\x1c-\x1f\x85]*"
SCOPE_PATTERN = rf"^{_PAD}([0-9]{{6}}|[0-9a-f]{{15}})?{_PAD}$"
#: YYYY-MM-DD; empty is the default. A well-formed impossible day is a 400.
DATE_PATTERN = rf"^{_PAD}([0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})?{_PAD}$"

#: What each filter means, by name in :attr:`Filters.NAMES`.
FILTER_ABOUT = {
    "department": "video: cameras of one department",
    "hazard_class": "hazmat: waybills of one hazard class",
    "spot": "tourism: one scenic spot (an entity)",
    "camera": "video: one camera (an entity)",
    "waybill": "hazmat: one waybill (an entity)",
    "unit": "rentals: one rental unit (an entity)",
}

#: A local time (Asia/Shanghai) without offset, so not an RFC 3339 date-time.
LOCAL_TIME: Schema = {
    "type": ["string", "null"],
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$",
    "description": "Asia/Shanghai local time, YYYY-MM-DDTHH:MM:SS",
}

ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}},
}


def _nullable(schema: Schema) -> Schema:
    """Return ``schema`` that also admits null."""
    return {**schema, "type": [schema["type"], "null"]}


def kpi_values_schema() -> Schema:
    """Return the schema of ``{kpi name: value}``: one property per KPI, each nullable."""
    return {
        "type": "object",
        "required": [k.name for k in KPIS],
        "additionalProperties": False,
        "properties": {
            k.name: _nullable({"type": "integer" if k.unit == "count" else "number"}) for k in KPIS
        },
    }


def filters_schema() -> Schema:
    """Return the schema of the ``filters`` echoed by ``/kpis``: the set filters only."""
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: {"type": "string"} for name in Filters.NAMES},
    }


def _scope_fields() -> Schema:
    return {
        "scope": {"type": "string"},
        "scope_name": {"type": "string"},
        "scope_level": {"type": "string", "enum": list(get_args(Level))},
        "filters": filters_schema(),
        "kpis": kpi_values_schema(),
    }


def _basis_fields() -> Schema:
    return {
        "status_basis": {"type": "string", "enum": list(get_args(Basis))},
        "status_as_of": LOCAL_TIME,
    }


def kpis_schema() -> Schema:
    """Return the schema of ``/kpis``: one day's answer, or a period's with ``previous``."""
    date = {"type": "string", "format": "date"}
    day = {
        "type": "object",
        "required": ["scope", "scope_name", "scope_level", "date", "filters", "kpis"],
        "properties": {**_scope_fields(), "date": date},
    }
    period = {
        "type": "object",
        "required": [
            *["scope", "scope_name", "scope_level", "from", "to", "filters", "kpis"],
            *["status_basis", "status_as_of", "previous", "delta"],
        ],
        "properties": {
            **_scope_fields(),
            "from": date,
            "to": date,
            **_basis_fields(),
            "previous": {
                "type": "object",
                "required": ["from", "to", "kpis", "status_basis", "status_as_of"],
                "properties": {
                    "from": date,
                    "to": date,
                    "kpis": kpi_values_schema(),
                    **_basis_fields(),
                },
            },
            "delta": kpi_values_schema(),
        },
    }
    return {"oneOf": [day, period]}


def _string(fmt: str | None = None, nullable: bool = False) -> Schema:
    schema: Schema = {"type": ["string", "null"] if nullable else "string"}
    return {**schema, "format": fmt} if fmt else schema


#: The fields of one dataset in ``/datasets`` and their schema.
DATASET_FIELDS: dict[str, Schema] = {
    "dataset": _string(),
    "label": _string(nullable=True),
    "department": _string(nullable=True),
    "rows": {"type": ["integer", "null"]},
    "last_loaded_at": _string(nullable=True),
    "last_file": _string(nullable=True),
    "latest_record_at": _string(nullable=True),
    "age_hours": {"type": ["number", "null"]},
    "stale_after_hours": {"type": ["number", "null"]},
    "stale": {"type": ["boolean", "null"]},
    "loads": {"type": ["integer", "null"]},
    "quarantined_last": {"type": ["integer", "null"]},
    "quarantined_total": {"type": ["integer", "null"]},
    "flagged_total": {"type": ["integer", "null"]},
    "last_refused_at": _string(nullable=True),
    "last_refused_file": _string(nullable=True),
    "last_refusal": _string(nullable=True),
    "refused_total": {"type": ["integer", "null"]},
}


def datasets_schema() -> Schema:
    """Return the schema of ``/datasets``."""
    return {
        "type": "object",
        "required": ["generated_at", "store_version", "datasets"],
        "properties": {
            "generated_at": _string(),
            "store_version": _string(),
            "datasets": {
                "type": "array",
                "items": {"type": "object", "required": ["dataset"], "properties": DATASET_FIELDS},
            },
        },
    }


def _param(name: str, about: str, schema: Schema, where: str = "query") -> Schema:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": about,
        "schema": schema,
    }


SCOPE = _param(
    "scope",
    "area code (6 digits) or H3 cell; default the caller's own area (the province for an "
    "account without a scope)",
    {"type": "string", "pattern": SCOPE_PATTERN},
)
DAY: Schema = {"type": "string", "pattern": DATE_PATTERN}
DATE = _param("date", "YYYY-MM-DD, default today (Asia/Shanghai)", DAY)
FROM = _param("from", f"period start, YYYY-MM-DD (at most {MAX_DAYS} days)", DAY)
TO = _param("to", "period end, YYYY-MM-DD (default: from)", DAY)
CODE = _param("code", "area code or H3 cell", {"type": "string", "pattern": SCOPE_PATTERN}, "path")
FILTERS = [_param(name, FILTER_ABOUT.get(name, name), _string()) for name in Filters.NAMES]
IF_NONE_MATCH = _param("If-None-Match", "an ETag of an earlier answer", _string(), "header")


@dataclass(frozen=True)
class Operation:
    """One GET route: its Flask rule, what it returns and which errors it may answer."""

    rule: str  # the Flask rule, without the /api/v1 prefix
    summary: str
    body: Schema | None = None  # the 200 body, None for the JSON document itself
    media: str = JSON
    parameters: list[Schema] = field(default_factory=list)
    errors: tuple[int, ...] = ()
    not_modified: bool = False
    public: bool = False  # answered without a login (the liveness probe)

    @property
    def path(self) -> str:
        """Return the OpenAPI path: ``<code>`` becomes ``{code}``."""
        return "/api/v1" + self.rule.replace("<", "{").replace(">", "}")


GEOJSON: Schema = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {"type": {"const": "FeatureCollection"}, "features": {"type": "array"}},
}
BINARY: Schema = {"type": "string", "format": "binary"}

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "/",
        "the API's routes",
        {
            "type": "object",
            "required": ["routes"],
            "properties": {
                "routes": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["path", "about"],
                        "properties": {"path": _string(), "about": _string()},
                    },
                }
            },
        },
    ),
    Operation("/openapi.json", "this document", None),
    Operation(
        "/health",
        "whether the store answers (no login needed: a monitor's liveness probe)",
        {
            "type": "object",
            "required": ["status", "areas"],
            "properties": {"status": {"const": "ok"}, "areas": {"type": "integer"}},
        },
        public=True,
    ),
    Operation(
        "/kpis",
        "the KPIs of a scope, day (or period) and filters",
        kpis_schema(),
        parameters=[SCOPE, DATE, FROM, TO, *FILTERS],
        errors=(400, 403, 404),
    ),
    Operation("/datasets", "the data catalogue: freshness and loads", datasets_schema()),
    Operation(
        "/geo/<code>/children.geojson",
        "boundaries one level below an area",
        GEOJSON,
        "application/geo+json",
        [CODE, IF_NONE_MATCH],
        (400, 403),
        not_modified=True,
    ),
    Operation(
        "/points/cameras.pbf",
        "cameras of a scope (optionally one department), geobuf points",
        BINARY,
        "application/x-protobuf",
        [SCOPE, FILTERS[Filters.NAMES.index("department")]],
        (400, 403),
    ),
    Operation(
        "/layers/rentals-heat.pbf",
        "H3 cells of a scope holding suspected group rentals, geobuf polygons",
        BINARY,
        "application/x-protobuf",
        [SCOPE],
        (400, 403),
    ),
)

#: What an error answer says, by status.
ERROR_ABOUT = {
    400: "a malformed, repeated or unknown parameter",
    401: "no or a bad bearer token (when login is on)",
    403: "outside the caller's area or role",
    404: "no such entity or route",
}


def _responses(op: Operation) -> Schema:
    ok_schema = op.body if op.body is not None else {"type": "object"}
    responses: Schema = {
        "200": {"description": op.summary, "content": {op.media: {"schema": ok_schema}}}
    }
    if op.not_modified:
        responses["304"] = {"description": "unchanged since the ETag in If-None-Match"}
    # every route but a public one needs a token when login is on
    statuses = set(op.errors) if op.public else {*op.errors, 401, 403, 404}
    for status in sorted(statuses):
        responses[str(status)] = {
            "description": ERROR_ABOUT[status],
            "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return responses


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of ``/api/v1`` (built once)."""
    paths = {
        op.path: {
            "get": {
                "operationId": op.rule.strip("/")
                .replace("/", "_")
                .replace("<", "")
                .replace(">", "")
                or "index",
                "summary": op.summary,
                "parameters": op.parameters,
                "responses": _responses(op),
                **({"security": []} if op.public else {}),
            }
        }
        for op in OPERATIONS
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "cityops read API",
            "version": "1",
            "description": (
                "Read-only JSON and geobuf answers backed by the same queries as the pages. "
                "Login is on by default (CITYOPS_AUTH=on): every call but `/health` needs "
                "`Authorization: Bearer cot_…` (`cityops token create`) or a signed-in session; "
                "an area outside the token's scope is a 403."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "cot_…"}
            },
        },
        "security": [{"bearer": []}],
    }
