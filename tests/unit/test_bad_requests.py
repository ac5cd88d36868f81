"""Bad requests get a clean 4xx, never a 500 — the API and Dash's callback endpoint.

README: "A repeated or malformed parameter is a JSON 400, an unknown entity a 404, any
unknown ``/api/v1/…`` path a JSON 404" and "A tampered or malformed callback request
gets a 400 (403 outside the permitted area) and one log line, never a 500 with a
traceback".

The callback requests are built from the app's own callback map, as the renderer
builds them (``{"output", "outputs", "inputs", "state", "changedPropIds"}``, see
dash/backends/_flask.py ``serve_callback``); one valid request per callback first
proves the format, then each input and state is replaced by a hostile value.
"""

from __future__ import annotations

import json
import logging

import h3
import pytest

from tests.conftest import sign_in, signed_client
from tests.walk import (
    DAY,
    MATCH_NAME,
    _concrete,
    _id_str,
    callback_body,
    personal_leaks,
    personal_values,
    render,
    rows,
    server_callbacks,
    walk,
)

CALLBACK_PATH = "/_dash-update-component"
WRONG_RES = h3.latlng_to_cell(32.05, 118.78, 7)
#: A grid-resolution cell in Shanghai, outside every enabled district.
OUTSIDE_CELL = h3.latlng_to_cell(31.23, 121.47, 8)


def quiet(caplog) -> list[str]:
    """Return what is wrong with the log of one bad request (more than one line, a trace)."""
    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    out = []
    if len(records) > 1:
        out.append(
            f"{len(records)} log lines: " + " | ".join(r.getMessage()[:100] for r in records)
        )
    if "Traceback" in caplog.text or any(r.exc_info for r in records):
        out.append("a traceback was logged: " + " | ".join(r.getMessage()[:100] for r in records))
    return out


# --------------------------------------------------------------------------- the API
API_CASES = [
    # malformed scopes
    ("/api/v1/kpis?scope=-1", {400}),
    ("/api/v1/kpis?scope=abc", {400}),
    ("/api/v1/kpis?scope=999999", {400}),
    ("/api/v1/kpis?scope=320300", {400}),  # a city that is switched off
    ("/api/v1/kpis?scope=3201000", {400}),
    (f"/api/v1/kpis?scope={WRONG_RES}", {400}),
    (f"/api/v1/kpis?scope={OUTSIDE_CELL}", {400}),
    ("/api/v1/kpis?scope=" + "9" * 5000, {400}),
    ("/api/v1/kpis?scope=%00", {400}),
    (
        "/api/v1/kpis?scope=%EF%BC%93%EF%BC%92%EF%BC%90%EF%BC%91%EF%BC%90%EF%BC%90",
        {400},
    ),  # full-width 320100
    # bad dates
    ("/api/v1/kpis?date=0001-01-01", {400}),
    ("/api/v1/kpis?date=9999-12-31", {400}),
    ("/api/v1/kpis?date=2026-13-40", {400}),
    ("/api/v1/kpis?date=2026-02-30", {400}),
    ("/api/v1/kpis?date=25/11/2026", {400}),
    ("/api/v1/kpis?date=2026-11-25T10:00", {400}),
    ("/api/v1/kpis?date=yesterday", {400}),
    # repeated parameters
    ("/api/v1/kpis?scope=320100&scope=320200", {400}),
    ("/api/v1/kpis?date=2026-11-25&date=2026-11-24", {400}),
    ("/api/v1/kpis?department=公安&department=水务", {400}),
    ("/api/v1/kpis?hazard_class=3&hazard_class=8", {400}),
    ("/api/v1/kpis?camera=a&camera=b", {400}),
    # unknown entities
    ("/api/v1/kpis?camera=NO-SUCH", {404}),
    ("/api/v1/kpis?waybill=NO-SUCH", {404}),
    ("/api/v1/kpis?unit=NO-SUCH", {404}),
    ("/api/v1/kpis?spot=NO-SUCH", {404}),
    # unknown API paths and methods
    ("/api/v1/nothing/here", {404}),
    ("/api/v1/kpis/extra", {404}),
    ("/api/v1/geo", {404}),
    ("/api/v1/geo/320100", {404}),
    ("/api/v1/geo/320100/children.json", {404}),
    ("/api/v1/points/rentals.pbf", {404}),
    # boundaries of bad areas
    ("/api/v1/geo/-1/children.geojson", {400, 404}),
    ("/api/v1/geo/999999/children.geojson", {400, 404}),
    ("/api/v1/geo/abc/children.geojson", {400, 404}),
    ("/api/v1/geo/320300/children.geojson", {400, 404}),
    (f"/api/v1/geo/{WRONG_RES}/children.geojson", {400, 404}),
    (f"/api/v1/geo/{OUTSIDE_CELL}/children.geojson", {400, 404}),
    ("/api/v1/geo/" + "9" * 3000 + "/children.geojson", {400, 404}),
    # camera points of bad areas
    ("/api/v1/points/cameras.pbf?scope=bad", {400}),
    ("/api/v1/points/cameras.pbf?scope=-1", {400}),
    ("/api/v1/points/cameras.pbf?scope=999999", {400}),
    ("/api/v1/points/cameras.pbf?scope=320100&scope=320200", {400}),
    ("/api/v1/points/cameras.pbf?department=公安&department=水务", {400}),
]


@pytest.mark.parametrize(
    ("url", "expected"), API_CASES, ids=[u[len("/api/v1/") :][:60] for u, _ in API_CASES]
)
def test_a_bad_api_request_is_a_clean_json_4xx(client, caplog, url, expected):
    caplog.set_level(logging.INFO)
    response = client.get(url)
    assert response.status_code in expected, (
        response.status_code,
        response.get_data(as_text=True)[:200],
    )
    assert response.is_json, f"{response.mimetype}: {response.get_data(as_text=True)[:120]!r}"
    assert isinstance(response.get_json().get("error"), str)
    assert not quiet(caplog), quiet(caplog)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_a_wrong_method_on_the_api_is_a_json_4xx(client, caplog, method):
    caplog.set_level(logging.INFO)
    response = client.open("/api/v1/kpis", method=method)
    assert 400 <= response.status_code < 500, response.status_code
    assert response.is_json, f"{response.mimetype}: {response.get_data(as_text=True)[:120]!r}"
    assert not quiet(caplog), quiet(caplog)


def test_the_good_api_requests_still_answer(client):
    """The cases above are bad for the right reason: their good twins answer 200."""
    for url in (f"/api/v1/kpis?scope=320100&date={DAY}", "/api/v1/geo/320100/children.geojson",
                "/api/v1/points/cameras.pbf?scope=320102", f"/api/v1/kpis?department=公安&date={DAY}"):  # fmt: skip
        assert client.get(url).status_code == 200, url
    index = client.get("/api/v1/")  # the API's index: JSON, never the dashboard's HTML
    assert index.status_code == 200 and index.is_json and index.get_json()["routes"]


# ------------------------------------------------------------------- Dash callbacks
#: Every server-side callback of the app, named by its inputs (tests.walk.callback_name).
CALLBACKS = [
    "table-csv[MATCH].n_clicks",
    "table-xlsx[MATCH].n_clicks",
    "_pages_location.pathname+_pages_location.search",
    "ov-areas.clickData+ov-date.date",
    "video-state.data",
    "video-areas.clickData",
    "video-date.date",
    "video-department.value",
    "video-by-department.clickData",
    "video-points.clickData",
    "table[video-open-events].selectedRows",
    "hazmat-areas.clickData",
    "hazmat-date.date",
    "hazmat-class.value",
    "hazmat-by-class.clickData",
    "hazmat-vehicles.clickData",
    "table[hazmat-open-alarms].selectedRows",
    "table[hazmat-in-transit].selectedRows",
    "rentals-areas.clickData",
    "rentals-date.date",
    "table[rentals-suspected].selectedRows",
    "tourism-areas.clickData",
    "tourism-date.date",
    "tourism-spot.value",
    "tourism-spots.clickData",
    "data-loads.selectedRows",
    "wall-tick.n_intervals",
    "nav-location.pathname+nav-location.search",
    "reports-kind.value+reports-day.date+reports-from.date+reports-to.date",
    "reports-make.n_clicks",
    "reports-cancel.n_clicks",
    "admin-since.value+admin-actor.value+admin-action.value",
]
#: Answered by Dash itself (a background job's cancel): "no update" is its valid answer.
DASH_OWN = {"reports-cancel.n_clicks"}
#: The callbacks that take a page's state store (``<page>-state``.data).
WITH_PAGE_STATE = [c for c in CALLBACKS if c.startswith(("ov-", "video-", "hazmat-", "rentals-", "tourism-",
                                                         "table[video", "table[hazmat", "table[rentals"))]  # fmt: skip

VALUE_KINDS = {
    "none": None,
    "int": 7,
    "list": ["320100", "320200"],
    "dict": {"nested": {"a": [1, 2]}},
    "long-string": "x" * 100_000,
    "unknown-name": "no_such_kpi",
}
STATE_KINDS = (
    "state-missing-keys",
    "state-scope-999999",
    "state-scope-switched-off",
    "state-outside-area",
    "state-other-district",
    "state-other-cell",
)
#: The kinds sent by a user signed in to a district account (鼓楼区), asking for another area:
#: another city, a neighbouring district, a grid cell of that district (夫子庙, 秦淮区).
OUTSIDE = {"state-outside-area": "320500", "state-other-district": "320104",
           "state-other-cell": h3.latlng_to_cell(32.0228, 118.7889, 8)}  # fmt: skip
GULOU = "gulou-analyst"


@pytest.fixture(scope="module")
def gulou_account(demo_settings, demo_ctx) -> str:
    """A real analyst account limited to 鼓楼区 (320106) in the demo store's accounts."""
    from cityops.auth.accounts import AccountNotFound, add_account, get_account
    from cityops.auth.schema import auth_engine

    engine = auth_engine(demo_settings)
    try:
        get_account(engine, GULOU)
    except AccountNotFound:
        add_account(engine, GULOU, "analyst", "320106", "gulou analyst password", demo_ctx.geo)
    return GULOU


@pytest.fixture(scope="module")
def callbacks(dash_app):
    """The app's server-side callbacks, ``{name: (output key, spec)}`` (after Dash set up)."""
    signed_client(dash_app).get("/_dash-dependencies")  # merges the pages' callbacks
    return server_callbacks(dash_app)


@pytest.fixture(scope="module")
def valid(dash_app, demo_ctx):
    """``(id string, property) -> value``: what the pages' own components would send.

    Stores, grids and their download details are taken from the rendered pages;
    clicks and selections name real rows of the demo store.
    """
    trees = [render(dash_app, path, scope="320100", date=DAY).tree
             for path in ("/", "/video", "/hazmat", "/rentals", "/tourism")]  # fmt: skip
    trees.append(render(dash_app, "/data").tree)
    trees.append(render(dash_app, "/wall", scope="320100").tree)
    trees.append(render(dash_app, "/reports", scope="320100").tree)
    stores, grids = {}, {}
    for tree in trees:
        for node, _ in walk(tree):
            props = node["props"]
            if "id" not in props:
                continue
            sid = _id_str(props["id"])
            if node["type"] == "Store":
                stores[sid] = props.get("data")
            if node["type"] == "AgGrid":
                grids[sid] = props

    def first(sql):
        return rows(demo_ctx, sql)[0][0]

    camera = first("select camera_id from cameras order by 1")
    waybill = first("select waybill_id from hazmat_waybills where status = 'in_transit' order by 1")
    unit = first("select unit_id from rentals order by 1")
    load = first("select load_id from loads order by 1")
    row = {"camera_id": camera, "waybill_id": waybill, "unit_id": unit, "load_id": load}
    feature = {"type": "Feature", "properties": {"code": "320102", "name": "玄武区", "level": "district",
                                                 "enabled": True}}  # fmt: skip
    point = {"video-points": camera, "hazmat-vehicles": waybill, "tourism-spots": "NJ001"}
    bar = {"video-by-department": "水务", "hazmat-by-class": "3"}
    select = {"ov-kpi-select": "cameras_total", "video-department": "水务", "hazmat-class": "3",
              "tourism-spot": "NJ001", "reports-scope": "320102", "reports-kind": "daily",
              "reports-kpi": "cameras_online_rate", "reports-lang": "zh",
              "reports-format": "xlsx", "admin-since": "2026-11-24", "admin-actor": "",
              "admin-action": "login.ok"}  # fmt: skip

    def value(id_str: str, prop: str):
        concrete = _concrete(id_str)
        sid = _id_str(concrete)
        if prop == "data" and sid in stores:
            return stores[sid]
        if prop == "virtualRowData":
            return (grids[sid].get("rowData") or [])[:5]
        if prop == "columnDefs":
            return grids[sid]["columnDefs"]
        if prop == "id":
            return concrete
        if prop in ("n_clicks", "n_intervals"):
            return 1
        if prop == "date":
            return "2026-11-24"
        if prop == "pathname":
            return "/video"
        if prop == "search":
            return f"?scope=320100&date={DAY}"
        if prop == "value":
            return select[id_str]
        if prop == "selectedRows":
            return [row]
        if prop == "clickData":
            if id_str.endswith("-areas"):
                return feature
            if id_str in bar:
                return {"points": [{"customdata": bar[id_str], "x": 1, "y": bar[id_str]}]}
            return {"type": "Feature", "properties": {"id": point[id_str], "cluster": False}}
        raise KeyError(f"no valid value known for {id_str}.{prop}: add one to this fixture")

    return value


def _valid_values(cb, value) -> dict:
    return {
        (s["id"], s["property"]): value(s["id"], s["property"])
        for s in [*cb["inputs"], *cb["state"]]
    }


def _changed(cb) -> tuple[str, str]:
    """Return the input that fires in the valid request (the date, where there are two)."""
    specs = [(s["id"], s["property"]) for s in cb["inputs"]]
    return next((s for s in specs if s[1] == "date"), specs[0])


def no_update(response) -> bool:
    """Return True for Dash's answer "nothing to change" (200 with no output, or 204)."""
    if response.status_code == 204:
        return True
    body = response.get_json(silent=True) or {}
    return response.status_code == 200 and body.get("response") == {}


def post(client, body):
    return client.post(CALLBACK_PATH, data=json.dumps(body), content_type="application/json")


def test_every_server_callback_is_covered(callbacks):
    """The list the cases are made from is the app's: a new callback gets cases too."""
    assert sorted(callbacks) == sorted(CALLBACKS)


@pytest.mark.parametrize("name", CALLBACKS)
def test_a_valid_callback_request_is_answered(client, callbacks, valid, caplog, demo_ctx, name):
    caplog.set_level(logging.INFO)
    key, cb = callbacks[name]
    cb_values = _valid_values(cb, valid)
    response = post(client, callback_body(key, cb, cb_values, changed=_changed(cb)))
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:300]
    assert name in DASH_OWN or not no_update(response), (
        "the valid request changed nothing: the payload is not what the page sends"
    )
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text[:500]
    # the admin asks, a role CITYOPS_PERSONAL_ROLES does not name by default: all masked
    leaks = personal_leaks(response.get_data(as_text=True), personal_values(demo_ctx))
    assert not leaks, f"personal data unmasked: {leaks[:5]}"


def _hostile_requests(key, cb, value, kind):
    """Yield ``(slot, body)``: the valid request with one input or state made hostile."""
    base = _valid_values(cb, value)
    if kind in VALUE_KINDS:
        slots = [(s["id"], s["property"]) for s in [*cb["inputs"], *cb["state"]]]
    else:
        slots = [(s["id"], s["property"]) for s in cb["state"] if s["id"].endswith("-state")]
    inputs = [(s["id"], s["property"]) for s in cb["inputs"]]
    for slot in slots:
        if kind == "int" and isinstance(base[slot], int):
            continue  # a click count is an int: 7 clicks is no attack
        values = dict(base)
        if kind in VALUE_KINDS:
            values[slot] = VALUE_KINDS[kind]
        else:
            state = dict(base[slot])
            if kind == "state-missing-keys":
                state = {k: v for k, v in state.items() if k not in ("scope", "date")}
            elif kind == "state-scope-999999":
                state["scope"] = "999999"
            elif kind == "state-scope-switched-off":
                state["scope"] = "320300"
            else:  # another city, district or cell while the user may see 鼓楼区 only
                state["scope"] = OUTSIDE[kind]
            values[slot] = state
        changed = slot if slot in inputs else _changed(cb)
        yield f"{slot[0]}.{slot[1]}", callback_body(key, cb, values, changed=changed)


TAMPER_CASES = [(name, kind) for name in CALLBACKS for kind in VALUE_KINDS] + [
    (name, kind) for name in WITH_PAGE_STATE for kind in STATE_KINDS
]


@pytest.mark.parametrize(("name", "kind"), TAMPER_CASES, ids=[f"{n}-{k}" for n, k in TAMPER_CASES])
def test_a_tampered_callback_request_is_a_4xx_with_one_log_line(
    client, callbacks, valid, caplog, gulou_account, name, kind
):
    """Never a 500 or a traceback; a 400 (403 outside the area) or "no update" (204).

    A ``None`` may be an honest "nothing selected", so a 200 is accepted for it. The
    requests for another area are sent by a real 鼓楼区 account's session (raw HTTP).
    """
    if kind in OUTSIDE:
        sign_in(client, gulou_account)
    key, cb = callbacks[name]
    accepted = {400, 403, 204} | ({200} if kind == "none" else set())
    if kind in OUTSIDE:
        accepted = {403, 204}
    failures = []
    for slot, body in _hostile_requests(key, cb, valid, kind):
        caplog.clear()
        caplog.set_level(logging.INFO)
        response = post(client, body)
        said = response.get_data(as_text=True)[:160]
        if response.status_code >= 500:
            failures.append(f"{slot}: {response.status_code} {said}")
        elif response.status_code == 200 and no_update(response):
            pass
        elif response.status_code not in accepted:
            failures.append(f"{slot}: {response.status_code} (expected {sorted(accepted)}) {said}")
        failures += [f"{slot}: {p}" for p in quiet(caplog)]
    assert not failures, failures


def _restyle(callbacks, valid):
    key, cb = callbacks["ov-areas.clickData+ov-date.date"]
    return callback_body(key, cb, _valid_values(cb, valid))


MALFORMED_BODIES = {
    "no-output": lambda b: {k: v for k, v in b.items() if k != "output"},
    "unknown-output": lambda b: {**b, "output": "nothing.children"},
    "outputs-of-another-callback": lambda b: {
        **b,
        "outputs": [{"id": "ov-url-sink", "property": "data"}],
    },
    "missing-input": lambda b: {**b, "inputs": []},
    "missing-state": lambda b: {**b, "state": []},
    "extra-input": lambda b: {
        **b,
        "inputs": [*b["inputs"], {"id": "x", "property": "y", "value": 1}],
    },
    "inputs-not-a-list": lambda b: {**b, "inputs": "ov-kpi-select.value"},
    "input-not-a-dict": lambda b: {**b, "inputs": ["cameras_total"]},
    "input-without-id": lambda b: {
        **b,
        "inputs": [{"property": "value", "value": "cameras_total"}],
    },
    "changed-not-a-list": lambda b: {**b, "changedPropIds": 7},
    "body-a-list": lambda b: [b],
    "body-a-string": lambda b: "output",
}


@pytest.mark.parametrize("case", list(MALFORMED_BODIES))
def test_a_malformed_callback_body_is_a_4xx_with_one_log_line(
    client, callbacks, valid, caplog, case
):
    caplog.set_level(logging.INFO)
    body = MALFORMED_BODIES[case](_restyle(callbacks, valid))
    response = post(client, body)
    assert 400 <= response.status_code < 500, (
        response.status_code,
        response.get_data(as_text=True)[:200],
    )
    assert not quiet(caplog), quiet(caplog)


@pytest.mark.parametrize(
    ("case", "data", "content_type"),
    [("not-json", "scope=320100", "application/json"), ("form", "a=b", "application/x-www-form-urlencoded"),
     ("empty", "", "application/json")],
)  # fmt: skip
def test_a_callback_request_that_is_not_json_is_a_4xx(client, caplog, case, data, content_type):
    caplog.set_level(logging.INFO)
    response = client.post(CALLBACK_PATH, data=data, content_type=content_type)
    assert 400 <= response.status_code < 500, (
        response.status_code,
        response.get_data(as_text=True)[:200],
    )
    assert not quiet(caplog), quiet(caplog)


def test_the_match_tables_exist(valid):
    """The pattern-matched callbacks are sent for a table the hazmat page really has."""
    assert isinstance(valid('{"name":["MATCH"],"type":"table-meta"}', "data"), dict), MATCH_NAME


# ------------------------------------------------------------------ renamed ids (review F1)
ROUTER = ".._pages_content.children..._pages_store.data.."


def _router(path: str, input_id: str = "_pages_location") -> dict:
    return {"output": ROUTER, "outputs": [{"id": "_pages_content", "property": "children"},
                                          {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": input_id, "property": "pathname", "value": path},
                       {"id": input_id, "property": "search", "value": ""}],
            "changedPropIds": [f"{input_id}.pathname"]}  # fmt: skip


def test_a_callback_with_renamed_input_ids_is_refused(dash_app, demo_settings):
    """Dash hands a callback the values in order whatever their ids: renamed ids would get
    past the role and input checks, so a body must carry the callback's own ids. On the
    session's app (login on), with real accounts of its store."""
    from cityops.auth import accounts
    from cityops.auth.schema import auth_engine

    engine = auth_engine(demo_settings)
    for name, role in (("f1-analyst", "analyst"), ("f1-loader", "loader"),
                       ("f1-manager", "manager")):  # fmt: skip
        try:
            accounts.get_account(engine, name)
        except accounts.AccountNotFound:
            accounts.add_account(
                engine, name, role, None, "f1 account password", None, actor="test"
            )
    analyst = signed_client(dash_app, "f1-analyst")
    assert analyst.post("/_dash-update-component", json=_router("/video")).status_code == 200
    assert analyst.post("/_dash-update-component", json=_router("/admin")).status_code == 403
    renamed = analyst.post("/_dash-update-component", json=_router("/admin", "zz"))
    assert renamed.status_code == 400
    assert "admin-audit" not in renamed.get_data(as_text=True)
    loader = signed_client(dash_app, "f1-loader")
    assert loader.post("/_dash-update-component", json=_router("/rentals", "zz")).status_code == 400
    manager = signed_client(dash_app, "f1-manager")
    key = next(k for k in dash_app.callback_map if "table-download" in k)
    download = {"output": key, "outputs": [],
                "inputs": [{"id": {"type": "zzz", "name": "rentals-suspected"},
                            "property": "n_clicks", "value": 1}],
                "state": [], "changedPropIds": []}  # fmt: skip
    assert manager.post("/_dash-update-component", json=download).status_code == 403  # the page
    download["inputs"][0]["id"]["name"] = "x"
    assert manager.post("/_dash-update-component", json=download).status_code == 400  # the shape
    missing = {**_router("/video"), "inputs": _router("/video")["inputs"][:1]}
    assert analyst.post("/_dash-update-component", json=missing).status_code == 400
