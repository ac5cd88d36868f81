"""Helpers of the every-view and bad-request tests: render a page, walk its tree, read the store.

A page's ``layout(**params)`` is called as Dash calls it for a URL (inside a request),
serialised to plain JSON and read through the ``data-*`` attributes the pages promise:
``data-state`` on every message, ``data-scope``/``data-level``/``data-entity`` on the
page root, ``data-kpi``/``data-value`` on the KPI cards.

Nothing here imports the app at import time: the test modules use these helpers to
build their parameters at collection time, before the demo store exists.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cityops.domains import DOMAIN_NAMES

DAY = "2026-11-25"
#: The values ``data-state`` may take (components/states.py).
STATES = ("error", "empty", "not-found", "denied")
#: Page name → path, in the order of the navigation.
PAGES = {
    "overview": "/",
    "video": "/video",
    "hazmat": "/hazmat",
    "rentals": "/rentals",
    "tourism": "/tourism",
    "data": "/data",
}
#: Pages drawn by ``domain_page`` (scope, cards, map, entity).
DOMAIN_PAGES = DOMAIN_NAMES
#: The entity each page opens from its URL.
ENTITY = {"video": "camera", "hazmat": "waybill", "rentals": "unit", "tourism": "spot"}
#: The filter each page takes from its URL (the API takes the same names).
FILTER = {"video": "department", "hazmat": "hazard_class", "tourism": "spot"}


# ----------------------------------------------------------------- collection time
def enabled_districts() -> list[tuple[str, str]]:
    """Return ``(city, district)`` of every district of the enabled cities, sorted.

    Read from the ``cnmaps`` index (no geometry) at collection time, as
    ``cityops init`` names them; a test compares this list with the store's.
    """
    from cnmaps.provider import get_data_provider

    from cityops.settings import get_settings
    from loaders.boundaries import PROVINCE_NAME

    cities = set(get_settings().city_codes)
    provider = get_data_provider()
    with sqlite3.connect(provider.get_index_db("administrative")) as index:
        rows = index.execute(
            "SELECT level, path FROM ADMINISTRATIVE WHERE province = ? AND kind = ?",
            (PROVINCE_NAME, "陆地"),
        ).fetchall()
    codes = sorted(Path(path).stem for level, path in rows if level == "区县")
    return [(code[:4] + "00", code) for code in codes if code[:4] + "00" in cities]


def enabled_cities() -> list[str]:
    """Return the enabled city codes that have districts, in code order."""
    return sorted({city for city, _ in enabled_districts()})


# ------------------------------------------------------------------------ rendering
def layout_of(path: str):
    """Return the registered ``layout`` callable of the page at ``path``."""
    import dash

    return next(p["layout"] for p in dash.page_registry.values() if p["path"] == path)


def render(dash_app, path: str, lang: str | None = None, **params) -> View:
    """Return the layout of ``path`` for URL ``params`` as a :class:`View` (``lang``: the cookie)."""
    import plotly.utils

    from cityops.queries.context import current
    from cityops.text.i18n import LANG_COOKIE
    from tests.conftest import request_as

    headers = {"Cookie": f"{LANG_COOKIE}={lang}"} if lang else {}
    with request_as(dash_app, "/", headers=headers):
        out = layout_of(path)(**params)
    text = json.dumps(out.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder)
    view = View(path, params, json.loads(text))
    # the admin renders, a role CITYOPS_PERSONAL_ROLES does not name by default
    view.leaks = personal_leaks(view.text, personal_values(current()))
    return view


_CACHE: dict[tuple, View] = {}


def render_cached(dash_app, path: str, **params) -> View:
    """Like :func:`render`, remembered for the module (the same view asked twice)."""
    key = (path, tuple(sorted((k, json.dumps(v)) for k, v in params.items())))
    if key not in _CACHE:
        _CACHE[key] = render(dash_app, path, **params)
    return _CACHE[key]


def walk(node, ancestors: tuple = ()):
    """Yield ``(component, ancestors)`` for every component of a serialised layout."""
    if isinstance(node, list | tuple):
        for child in node:
            yield from walk(child, ancestors)
    elif isinstance(node, dict) and "props" in node and "type" in node:
        yield node, ancestors
        props = node["props"]
        for key in ("children",):
            yield from walk(props.get(key), (*ancestors, node))


def text_of(node) -> str:
    """Return the visible text under a component (its string children, joined)."""
    if isinstance(node, str):
        return node
    if isinstance(node, int | float) and not isinstance(node, bool):
        return str(node)
    if isinstance(node, list | tuple):
        return " ".join(t for t in (text_of(c) for c in node) if t)
    if isinstance(node, dict) and "props" in node:
        return text_of(node["props"].get("children"))
    return ""


def failure_texts() -> list[str]:
    """Return the generic failure messages, both languages (what must never show)."""
    from cityops.text.i18n import t

    return [
        t(key, lang) for key in ("error.unavailable", "error.page_failed") for lang in ("zh", "en")
    ]


#: The messages that say "nothing here" or "not found" (cityops/i18n.py): wherever one
#: shows, it must carry (or sit inside) a ``data-state``.
QUIET_KEYS = ("empty.no_rows", "empty.no_events", "empty.not_found", "data.no_issues",
              "data.no_loads", "hazmat.no_track", "tourism.no_bookings", "entity.not_found")  # fmt: skip


def quiet_messages() -> list[str]:
    """Return the fixed part (before any ``{placeholder}``) of each quiet message, both languages."""
    from cityops.text.i18n import TABLE

    out = []
    for key in QUIET_KEYS:
        for text in TABLE[key]:
            fixed = text.split("{")[0].strip()
            if len(fixed) >= 4:
                out.append(fixed)
    return out


def _own_text(node) -> str:
    """Return the text a component holds itself (its string children, not its children's)."""
    children = node["props"].get("children")
    if isinstance(children, str):
        return children
    if isinstance(children, list | tuple):
        return " ".join(c for c in children if isinstance(c, str))
    return ""


def card_text(value) -> str:
    """Return what a card's ``data-value`` says for an API value (``''`` for null)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


@dataclass
class View:
    """One rendered page: the JSON tree and what the tests read from it."""

    path: str
    params: dict
    tree: dict
    #: raw personal values the view shows unmasked (:func:`personal_leaks`)
    leaks: list[str] = field(default_factory=list)

    @cached_property
    def nodes(self) -> list[tuple[dict, tuple]]:
        return list(walk(self.tree))

    @cached_property
    def text(self) -> str:
        return json.dumps(self.tree, ensure_ascii=False)

    @property
    def states(self) -> list[str]:
        return [n["props"]["data-state"] for n, _ in self.nodes if "data-state" in n["props"]]

    def messages(self, state: str | None = None) -> list[str]:
        """Return the text of every ``data-state`` element (of one ``state`` if given)."""
        return [
            f"{n['props']['data-state']}: {text_of(n)}"
            for n, _ in self.nodes
            if "data-state" in n["props"] and state in (None, n["props"]["data-state"])
        ]

    @property
    def root(self) -> dict | None:
        """Return the props of the page root (the element with data-scope and data-level)."""
        return next(
            (
                n["props"]
                for n, _ in self.nodes
                if "data-scope" in n["props"] and "data-level" in n["props"]
            ),
            None,
        )

    @property
    def scope(self) -> str | None:
        return (self.root or {}).get("data-scope")

    @property
    def entity(self) -> str | None:
        return (self.root or {}).get("data-entity")

    @property
    def cards(self) -> dict[str, str]:
        return {
            n["props"]["data-kpi"]: n["props"]["data-value"]
            for n, _ in self.nodes
            if "data-kpi" in n["props"]
        }

    @property
    def has_breadcrumb(self) -> bool:
        return any(n["props"].get("className") == "breadcrumb" for n, _ in self.nodes)

    def problems(self) -> list[str]:
        """Return what breaks the page contract whatever the view asked for.

        - a ``data-state`` outside error|empty|not-found|denied;
        - ``data-state="error"`` anywhere (a failure, said as such);
        - the generic failure text (error.unavailable, error.page_failed);
        - an empty state outside a panel (an empty table/chart stays in its panel);
        - a chart with no points or a table with no rows instead of an empty state;
        - a "nothing here" / "not found" message (QUIET_KEYS) without ``data-state``;
        - a raw personal value (phone, plate, room number) shown unmasked.
        """
        out = [f"personal data unmasked: {leak}" for leak in self.leaks[:5]]
        for node, ancestors in self.nodes:
            props = node["props"]
            state = props.get("data-state")
            if state is not None and state not in STATES:
                out.append(f"unknown data-state {state!r}: {text_of(node)[:120]}")
            if state == "error":
                out.append(f"data-state=error: {text_of(node)[:160]}")
            if state == "empty" and not any(
                "panel" in str(a["props"].get("className", "")).split() for a in ancestors
            ):
                out.append(f"empty state outside a panel: {text_of(node)[:120]}")
            if node["type"] == "Graph" and _bare_figure(props.get("figure")):
                out.append(f"chart {props.get('id')!r} has no data and no empty state")
            if node["type"] == "AgGrid" and props.get("rowData") == []:
                out.append(f"table {props.get('id')!r} has no rows and no empty state")
        for text in failure_texts():
            if text in self.text:
                out.append(f"generic failure text shown: {text[:40]}…")
        for node, ancestors in self.nodes:
            own = _own_text(node)
            if not own or any("data-state" in n["props"] for n in (*ancestors, node)):
                continue
            said = next((m for m in quiet_messages() if m in own), None)
            if said:
                out.append(f"a message without data-state: {own[:120]!r}")
        return out


def _bare_figure(figure) -> bool:
    """Return True for a figure without any trace that carries points."""
    if not isinstance(figure, dict):
        return False
    keys = ("x", "y", "z", "values", "lat", "lon", "r", "theta", "labels")

    def has_points(trace: dict) -> bool:
        return any(_size(trace.get(k)) for k in keys)

    return not any(has_points(tr) for tr in figure.get("data") or [])


def _size(value) -> int:
    if isinstance(value, dict) and "bdata" in value:  # plotly's typed arrays
        return 1
    if isinstance(value, list | tuple):
        return len(value)
    return 0


# ---------------------------------------------------------------------------- store
def rows(ctx, sql: str, **params) -> list[tuple]:
    """Return every row of ``sql`` against the store as published now."""
    import sqlalchemy as sa

    with ctx.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params)]


# ------------------------------------------------------------------ personal data
#: How personal values look in text: a mobile number, a plate (with or without the
#: "·" a page may put after the province letter), the household part of an address.
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
PLATE = re.compile(r"[\u4e00-\u9fff][A-Z]·?[A-Z0-9]{5,6}")
ROOM = re.compile(r"\d+号\d+室")
_PERSONAL: dict[str, dict[str, frozenset[str]]] = {}


def personal_values(ctx) -> dict[str, frozenset[str]]:
    """Return the store's raw personal values (read past the read door), by kind.

    ``phone``: landlords' phones; ``plate``: vehicle plates; ``room``: the household
    part (``1号101室``) of full addresses. Cached per data directory.
    """
    key = str(ctx.settings.data_dir)
    if key not in _PERSONAL:
        found = {"phone": set(), "plate": set(), "room": set()}
        for phone, address in rows(ctx, "select landlord_phone, address from rentals"):
            if phone:
                found["phone"].add(str(phone))
            if address:
                found["room"].update(ROOM.findall(str(address)))
        for table in ("hazmat_waybills", "hazmat_alarms"):
            found["plate"].update(
                p for (p,) in rows(ctx, f"select vehicle_plate from {table}") if p
            )
        _PERSONAL[key] = {kind: frozenset(values) for kind, values in found.items()}
    return _PERSONAL[key]


def personal_leaks(text: str, values: dict[str, frozenset[str]]) -> list[str]:
    """Return the raw personal values of ``values`` that ``text`` holds unmasked."""
    out = [p for p in PHONE.findall(text) if p in values["phone"]]
    out += [p for p in PLATE.findall(text) if p.replace("·", "") in values["plate"]]
    out += [r for r in ROOM.findall(text) if r in values["room"]]
    return out


#: Per domain, the located rows (``grid_cell, district_code``) that give a cell data.
DATA_ROWS = {
    "video": "select grid_cell, district_code from cameras",
    "rentals": "select grid_cell, district_code from rentals",
    "tourism": "select grid_cell, district_code from scenic_spots",
    "hazmat": (
        "select grid_cell, district_code from hazmat_alarms union all "
        "select grid_cell, district_code from hazmat_tracks union all "
        "select origin_grid_cell, origin_district_code from hazmat_waybills"
    ),
}


def cells_with_rows(ctx) -> dict[str, dict[str, list[str]]]:
    """Return ``{domain: {district: sorted cells with rows of that domain}}``."""
    out: dict[str, dict[str, set]] = {}
    for domain, sql in DATA_ROWS.items():
        per = out.setdefault(domain, {})
        for cell, district in rows(ctx, sql):
            if cell and district:
                per.setdefault(district, set()).add(cell)
    return {d: {k: sorted(v) for k, v in per.items()} for d, per in out.items()}


def api_kpis(client, scope: str | None, day: str = DAY, **filters) -> tuple[int, dict]:
    """Return ``(status, body)`` of ``GET /api/v1/kpis`` for a scope, day and filters."""
    query = {"date": day, **{k: v for k, v in filters.items() if v}}
    if scope:
        query["scope"] = scope
    response = client.get("/api/v1/kpis", query_string=query)
    return response.status_code, (response.get_json(silent=True) or {})


def card_mismatches(view: View, api: dict) -> list[str]:
    """Return the cards of ``view`` whose ``data-value`` differs from the API's KPIs."""
    kpis = api.get("kpis") or {}
    out = []
    if not view.cards:
        return ["the page shows no KPI cards"]
    for name, shown in sorted(view.cards.items()):
        if name not in kpis:
            out.append(f"{name}: page {shown!r}, API has no such KPI")
        elif shown != card_text(kpis[name]):
            out.append(f"{name}: page {shown!r} != API {card_text(kpis[name])!r}")
    return out


# ------------------------------------------------------------------ Dash callbacks
#: The pattern-matched tables' concrete name used in callback requests.
MATCH_NAME = "hazmat-open-alarms"


def _concrete(id_str: str, match: str = MATCH_NAME):
    """Return a component id as the browser sends it (``MATCH``/``ALL`` given a value)."""
    if not id_str.startswith("{"):
        return id_str
    parsed = json.loads(id_str)
    return {k: (match if isinstance(v, list) else v) for k, v in parsed.items()}


def _id_str(component_id) -> str:
    from dash._utils import stringify_id

    return stringify_id(component_id)


def short_id(id_str: str) -> str:
    """Return a readable name of a component id (``video-date``, ``table-csv[MATCH]``)."""
    if not id_str.startswith("{"):
        return id_str
    parsed = json.loads(id_str)
    name = parsed.get("name")
    return f"{parsed.get('type')}[{'MATCH' if isinstance(name, list) else name}]"


def callback_name(cb: dict) -> str:
    """Return a readable, stable name of a callback: its inputs (``video-date.date``)."""
    return "+".join(f"{short_id(i['id'])}.{i['property']}" for i in cb["inputs"])


def server_callbacks(dash_app) -> dict[str, tuple[str, dict]]:
    """Return ``{name: (output key, callback spec)}`` of the app's server-side callbacks."""
    out = {}
    for key, cb in dash_app.callback_map.items():
        if cb.get("callback") is None:  # clientside: never reaches the server
            continue
        out[callback_name(cb)] = (key, cb)
    return out


def _outputs(key: str) -> list[dict]:
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    out = []
    for part in parts:
        id_str, prop = part.rsplit(".", 1)
        out.append({"id": _concrete(id_str), "property": prop})
    return out


def callback_body(key: str, cb: dict, values: dict[tuple[str, str], object], changed=None) -> dict:
    """Return the JSON body the renderer POSTs to ``/_dash-update-component``.

    ``values`` maps ``(id string as in the callback map, property)`` to the value sent;
    ``changed`` is that key of the input that fired (default: the first input).
    """
    outputs = _outputs(key)

    def deps(specs):
        return [
            {
                "id": _concrete(s["id"]),
                "property": s["property"],
                "value": values[(s["id"], s["property"])],
            }
            for s in specs
        ]

    inputs = deps(cb["inputs"])
    fired = changed or (cb["inputs"][0]["id"], cb["inputs"][0]["property"])
    return {
        "output": key,
        "outputs": outputs if key.startswith("..") else outputs[0],
        "inputs": inputs,
        "state": deps(cb["state"]),
        "changedPropIds": [f"{_id_str(_concrete(fired[0]))}.{fired[1]}"],
    }
