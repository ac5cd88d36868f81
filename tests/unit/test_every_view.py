"""Every page for every area: the province, each city, every district, sampled grid cells.

Each case calls a page's ``layout(**params)`` as Dash does for a URL and reads the
contract the pages promise (README, "Every state is said, and marked"):

- no element says ``data-state="error"`` and the generic failure text never shows;
- every message carries ``data-state`` = error|empty|not-found|denied, and an empty
  table or chart is an empty state inside its panel;
- an unknown id says ``not-found`` inside the page frame (breadcrumb kept);
- an id given at a broader scope opens at its own grid cell (``data-scope`` is the
  cell, ``data-entity`` the id);
- a malformed link (area, cell, date, KPI) is a clear message naming what is wrong;
- the KPI cards' ``data-value`` equal ``GET /api/v1/kpis`` for the same URL.

The demo store's "now" is 2026-11-25 10:30, so every view asks for that day.
Ids name page and area (``hazmat-320104``, ``video-320102-cell-empty``).
"""

from __future__ import annotations

import h3
import pytest

from cityops.datasets import HAZARD_CLASSES
from cityops.queries.kpis import KPI_NAMES
from loaders.demo import DEPARTMENTS, SCENIC_SPOTS
from tests.walk import (
    DAY,
    DOMAIN_PAGES,
    ENTITY,
    FILTER,
    PAGES,
    api_kpis,
    card_mismatches,
    cells_with_rows,
    enabled_cities,
    enabled_districts,
    render,
    render_cached,
    rows,
)

PROVINCE = "320000"
CITIES = enabled_cities()
DISTRICTS = enabled_districts()  # [(city, district)], from the boundaries' index
#: One district of each city: where the cards are compared with the API.
CARD_DISTRICTS = [next(d for c, d in DISTRICTS if c == city) for city in CITIES]

#: (page, scope, level); scope None = the province (parameter omitted).
AREAS = (
    [(page, None, "province") for page in PAGES]
    + [(page, city, "city") for city in CITIES for page in PAGES]
    + [(page, d, "district") for _, d in DISTRICTS for page in PAGES]
)
#: Per district: for every page a cell with rows of the page's domain, and a cell with no
#: rows for three of the five pages (rotating with the district, so every page sees the
#: empty cells of most districts: the module stays within ~3 minutes on 2 cores). The
#: catalogue (/data) does not depend on the scope: it is checked once per area above.
CELL_PAGES = [p for p in PAGES if p != "data"]
CELLS = [
    (page, d, kind)
    for i, (_, d) in enumerate(DISTRICTS)
    for j, page in enumerate(CELL_PAGES)
    for kind in ("data", "empty")
    if kind == "data" or (j - i) % len(CELL_PAGES) < 3
]
#: The domain whose rows make a "cell with data" for each page.
CELL_DOMAIN = {"overview": "video", "video": "video", "hazmat": "hazmat",
               "rentals": "rentals", "tourism": "tourism"}  # fmt: skip


def _area_id(case) -> str:
    page, scope, _ = case
    return f"{page}-{scope or PROVINCE}"


# ------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def samples(demo_ctx):
    """Per district: for each domain the first cell with its rows, and one empty cell.

    A "data" cell is taken among cells whose rows lie in the district and whose
    centre lies in it too (the cell the district's map drills into); the empty cell
    is the middle one (by H3 index) of the district's cells without any row.
    """
    geo = demo_ctx.geo
    with_rows = cells_with_rows(demo_ctx)
    used = {cell for per in with_rows.values() for cells in per.values() for cell in cells}
    out: dict[tuple[str, str], str | None] = {}
    for _, district in DISTRICTS:
        grid = geo.grid_cells(district)
        own = set(grid)
        for domain, per in with_rows.items():
            cells = per.get(district, [])
            inside = [c for c in cells if c in own]
            out[(domain, district)] = (inside or cells or [None])[0]
        free = sorted(own - used)
        out[("empty", district)] = free[len(free) // 2] if free else None
    return out


def _cell(samples, page: str, district: str, kind: str) -> str:
    if kind == "empty":
        cell = samples[("empty", district)]
        if cell is None:
            pytest.skip(f"every grid cell of {district} has rows")
        return cell
    cell = samples[(CELL_DOMAIN[page], district)] or samples[("video", district)]
    assert cell, f"no row of any domain lies in {district}"
    return cell


def check_frame(view, page: str, scope: str, level: str) -> None:
    """Assert a valid view of ``scope``: no failure, no message but empties, the frame."""
    problems = view.problems()
    assert not problems, problems
    unexpected = [m for m in view.messages() if not m.startswith("empty:")]
    assert not unexpected, unexpected
    if page == "data":
        return
    assert view.root is not None, "the page root (data-scope, data-level) is missing"
    assert (view.scope, view.root.get("data-level")) == (scope, level)
    assert view.has_breadcrumb
    if page in DOMAIN_PAGES:
        assert view.entity == ""


# --------------------------------------------------------------------- the areas
def test_the_parametrised_districts_are_the_stores(demo_ctx):
    """The districts named at collection are exactly the enabled ones (none missed)."""
    geo = demo_ctx.geo
    assert sorted(a.code for a in geo.cities()) == CITIES
    assert sorted(d.code for c in CITIES for d in geo.districts(c)) == sorted(
        d for _, d in DISTRICTS
    )


@pytest.mark.parametrize(("page", "scope", "level"), AREAS, ids=[_area_id(a) for a in AREAS])
def test_every_page_for_every_area(dash_app, page, scope, level):
    params = {"date": DAY} if scope is None else {"scope": scope, "date": DAY}
    # the views the card test compares with the API are kept for it
    keep = page in ("overview", *DOMAIN_PAGES) and scope in (None, *CITIES, *CARD_DISTRICTS)
    view = (render_cached if keep else render)(dash_app, PAGES[page], **params)
    check_frame(view, page, scope or PROVINCE, level)


@pytest.mark.parametrize(
    ("page", "district", "kind"), CELLS, ids=[f"{p}-{d}-cell-{k}" for p, d, k in CELLS]
)
def test_every_page_for_grid_cells_of_every_district(
    dash_app, demo_ctx, samples, page, district, kind
):
    cell = _cell(samples, page, district, kind)
    view = render(dash_app, PAGES[page], scope=cell, date=DAY)
    check_frame(view, page, cell, "grid")
    crumbs = [n["props"].get("data-scope") for n, _ in view.nodes
              if "crumb" in str(n["props"].get("className", "")).split()]  # fmt: skip
    assert district in crumbs, f"{cell} drilled from {district}, breadcrumb {crumbs}"


# ------------------------------------------------------------------ filter values
FILTER_CASES = (
    [("overview", "kpi", k) for k in KPI_NAMES]
    + [("video", "department", d) for d in DEPARTMENTS]
    + [("hazmat", "hazard_class", c) for c in sorted(set(HAZARD_CLASSES.values()), key=lambda c: tuple(map(int, c.split("."))))]
    + [("tourism", "spot", s[0]) for s in SCENIC_SPOTS]
)  # fmt: skip
SELECTOR = {"overview": "ov-kpi-select", "video": "video-department",
            "hazmat": "hazmat-class", "tourism": "tourism-spot"}  # fmt: skip


def test_the_filter_values_are_the_stores(demo_ctx):
    """Every department and spot in the store is one the filter cases cover."""

    def values(sql):
        return {v for (v,) in rows(demo_ctx, sql) if v}

    assert values("select distinct department from cameras") <= set(DEPARTMENTS)
    assert values("select spot_id from scenic_spots") <= {s[0] for s in SCENIC_SPOTS}
    assert values("select distinct hazard_class from hazmat_waybills") <= set(
        HAZARD_CLASSES.values()
    )


@pytest.mark.parametrize(
    ("page", "name", "value"), FILTER_CASES, ids=[f"{p}-{n}={v}" for p, n, v in FILTER_CASES]
)
def test_every_filter_value_at_the_province(dash_app, client, demo_ctx, page, name, value):
    view = render(dash_app, PAGES[page], date=DAY, **{name: value})
    problems = view.problems()
    assert not problems, problems
    unexpected = [m for m in view.messages() if not m.startswith("empty:")]
    assert not unexpected, unexpected
    assert view.has_breadcrumb
    chosen = [
        n["props"].get("value") for n, _ in view.nodes if n["props"].get("id") == SELECTOR[page]
    ]
    assert chosen == [value], f"the selector shows {chosen}, the URL asked {value!r}"
    if page == "tourism":  # a spot is an entity: it opens at its own cell
        sql = "select grid_cell from scenic_spots where spot_id = :s"
        cell = rows(demo_ctx, sql, s=value)[0][0]
        assert (view.scope, view.entity) == (cell, value)
    api_filters = {} if name == "kpi" else {name: value}
    status, api = api_kpis(client, None, **api_filters)
    assert status == 200, api
    assert not card_mismatches(view, api), card_mismatches(view, api)


# ---------------------------------------------------------------------- entities
ENTITY_SQL = {
    "camera": "select camera_id, grid_cell, district_code, city_code from cameras order by 1",
    "unit": "select unit_id, grid_cell, district_code, city_code from rentals order by 1",
    "spot": "select spot_id, grid_cell, district_code, city_code from scenic_spots order by 1",
    # a waybill in transit is where its vehicle's last fix since departure is, else at its origin
    "waybill": """
        select w.waybill_id,
               coalesce(t.grid_cell, w.origin_grid_cell),
               coalesce(t.district_code, w.origin_district_code),
               coalesce(t.city_code, w.origin_city_code)
        from hazmat_waybills w
        left join (
            select w2.waybill_id, max(t2.ts) as ts
            from hazmat_waybills w2
            join hazmat_tracks t2 on t2.vehicle_plate = w2.vehicle_plate and t2.ts >= w2.depart_at
            where w2.status = 'in_transit' group by w2.waybill_id
        ) last on last.waybill_id = w.waybill_id
        left join hazmat_tracks t on t.vehicle_plate = w.vehicle_plate and t.ts = last.ts
        where w.status = 'in_transit'
        order by 1
    """,
}
PAGE_OF = {kind: page for page, kind in ENTITY.items()}
#: first: the first id whose cell lies in its own district; edge: the first whose cell's
#: centre lies outside every enabled district; neighbour: whose cell's centre lies in
#: another district than its row.
SAMPLES = ("first", "edge", "neighbour")
WHERE = ("own-cell", "province", "city", "district")
ENTITY_CASES = [(k, s, w) for k in ENTITY_SQL for s in SAMPLES for w in WHERE]


@pytest.fixture(scope="module")
def entities(demo_ctx):
    """Return ``{(kind, sample): (id, cell, district, city)}`` (None when there is none)."""
    from cityops.geo import ScopeError

    geo = demo_ctx.geo
    out = {}
    for kind, sql in ENTITY_SQL.items():
        found = dict.fromkeys(SAMPLES)
        for row in rows(demo_ctx, sql):
            _key, cell, district, _city = row
            if not cell or not district:
                continue
            try:
                home = geo.scope(cell).district_code
            except ScopeError:
                home = None
            sample = "first" if home == district else "edge" if home is None else "neighbour"
            if found[sample] is None:
                found[sample] = row
            if all(found.values()):
                break
        out.update({(kind, s): r for s, r in found.items()})
    return out


@pytest.mark.parametrize(
    ("kind", "sample", "where"),
    ENTITY_CASES,
    ids=[f"{PAGE_OF[k]}-{k}-{s}-at-{w}" for k, s, w in ENTITY_CASES],
)
def test_a_real_id_opens_at_its_own_cell(dash_app, client, entities, kind, sample, where):
    row = entities[(kind, sample)]
    if row is None:
        pytest.skip(f"the demo has no {kind} of kind {sample!r}")
    key, cell, district, city = row
    scope = {"own-cell": cell, "province": None, "city": city, "district": district}[where]
    params = {"date": DAY, kind: key, **({"scope": scope} if scope else {})}
    view = render(dash_app, PAGES[PAGE_OF[kind]], **params)
    problems = view.problems()
    assert not problems, problems
    unexpected = [m for m in view.messages() if not m.startswith("empty:")]
    assert not unexpected, unexpected
    assert (view.scope, view.entity) == (cell, key), f"{kind} {key} asked at {scope or PROVINCE}"
    assert view.has_breadcrumb
    status, api = api_kpis(client, scope, **{kind: key})
    assert status == 200, api
    assert not card_mismatches(view, api), card_mismatches(view, api)


UNKNOWN_IDS = ("NO-SUCH-ID", "x' or '1'='1")
UNKNOWN_CASES = [(page, key, scope) for page in DOMAIN_PAGES for key in UNKNOWN_IDS
                 for scope in (None, "320100", "320102")]  # fmt: skip


@pytest.mark.parametrize(
    ("page", "key", "scope"),
    UNKNOWN_CASES,
    ids=[f"{p}-{ENTITY[p]}={'unknown' if k == UNKNOWN_IDS[0] else 'quote'}-at-{s or PROVINCE}"
         for p, k, s in UNKNOWN_CASES],
)  # fmt: skip
def test_an_unknown_id_says_not_found_inside_the_frame(dash_app, page, key, scope):
    params = {"date": DAY, ENTITY[page]: key, **({"scope": scope} if scope else {})}
    view = render(dash_app, PAGES[page], **params)
    problems = view.problems()
    assert not problems, problems
    assert "not-found" in view.states, view.messages()
    assert view.has_breadcrumb
    assert (view.scope, view.entity) == (scope or PROVINCE, "")
    assert any(n["props"].get("id") == f"{page}-date" for n, _ in view.nodes), (
        "the date picker is gone"
    )


def test_every_load_of_the_catalogue_opens(dash_app, demo_ctx):
    """``/data?load=<id>`` for every load: its quarantined rows, or an empty state."""
    failures = {}
    for (load,) in rows(demo_ctx, "select load_id from loads order by 1"):
        view = render(dash_app, "/data", load=load)
        bad = view.problems() + [m for m in view.messages() if not m.startswith("empty:")]
        if bad:
            failures[load] = bad
    assert not failures, failures


def test_an_unknown_load_says_not_found(dash_app):
    view = render(dash_app, "/data", load="NO-SUCH-LOAD")
    assert not view.problems(), view.problems()
    assert "not-found" in view.states, view.messages()


# ---------------------------------------------------------------- malformed links
WRONG_RES = (h3.latlng_to_cell(32.05, 118.78, 7), h3.latlng_to_cell(32.05, 118.78, 9))
MALFORMED = [
    ("scope", "-1"),
    ("scope", "999999"),
    ("scope", "abc"),
    ("scope", WRONG_RES[0]),
    ("scope", WRONG_RES[1]),
    ("date", "0001-01-01"),
    ("date", "2026-13-40"),
    ("date", "9999-12-31"),
]
MALFORMED_CASES = [(page, name, value) for page in PAGES for name, value in MALFORMED]


@pytest.mark.parametrize("page", [p for p in PAGES if p != "data"])
def test_an_empty_date_or_an_unknown_map_kpi_falls_back_quietly(dash_app, page):
    """``date=`` is "today" and an unknown map KPI the default, as when they are omitted.

    These are what a shortened or old link holds, not a mistake worth a message.
    """
    view = render(dash_app, PAGES[page], date="")
    assert not view.problems() and not view.states
    if page == "overview":
        view = render(dash_app, PAGES[page], date=DAY, kpi="nope")
        assert not view.problems() and not view.states


@pytest.mark.parametrize(
    ("page", "name", "value"),
    MALFORMED_CASES,
    ids=[f"{p}-{n}={v if not v.startswith('8') else f'h3res{h3.get_resolution(v)}'}"
         for p, n, v in MALFORMED_CASES],
)  # fmt: skip
def test_a_malformed_link_is_a_clear_message(dash_app, page, name, value):
    view = render(dash_app, PAGES[page], **{"date": DAY, name: value})
    problems = view.problems()
    assert not problems, problems
    if page == "data":  # the catalogue takes neither scope nor date: nothing to say
        return
    said = view.messages()
    assert said and set(view.states) == {"not-found"}, f"no clear message: {said}"
    named = value if value else "YYYY-MM-DD"
    assert any(named in m for m in said), f"the message does not name {named!r}: {said}"


# --------------------------------------------------------------- cards == the API
def _card_cases():
    out = []
    for scope in [None, *CITIES, *CARD_DISTRICTS]:
        for page in ("overview", *DOMAIN_PAGES):
            out.append((page, scope, None))
            if page in FILTER:
                out.append((page, scope, FILTER[page]))
    return out


CARD_CASES = _card_cases()
#: A filter value with rows in most areas, per filter.
FILTER_VALUE = {"department": "公安", "hazard_class": "3"}


@pytest.mark.parametrize(
    ("page", "scope", "name"),
    CARD_CASES,
    ids=[f"{p}-{s or PROVINCE}" + (f"-{n}" if n else "") for p, s, n in CARD_CASES],
)
def test_the_cards_equal_the_api(dash_app, client, demo_ctx, page, scope, name):
    filters = {}
    if name == "spot":
        geo = demo_ctx.geo
        area = geo.scope(scope)
        inside = [s for s, cell in rows(demo_ctx, "select spot_id, grid_cell from scenic_spots order by 1")
                  if area.contains(geo.scope(cell))]  # fmt: skip
        if not inside:
            pytest.skip(f"no scenic spot in {scope}")
        filters = {"spot": inside[0]}
    elif name:
        filters = {name: FILTER_VALUE[name]}
    params = {"date": DAY, **({"scope": scope} if scope else {}), **filters}
    view = render_cached(dash_app, PAGES[page], **params)
    status, api = api_kpis(client, scope, **filters)
    assert status == 200, api
    if name and name != "spot":
        assert api.get("filters") == filters, f"the API ignored {filters}: {api.get('filters')}"
    assert not card_mismatches(view, api), card_mismatches(view, api)


# ------------------------------------------------------------------------ English
EN_CASES = [(page, scope) for page in PAGES for scope in (None, "320102", "cell")]


@pytest.mark.parametrize(
    ("page", "scope"), EN_CASES, ids=[f"{p}-{s or PROVINCE}-en" for p, s in EN_CASES]
)
def test_the_views_in_english(dash_app, samples, page, scope):
    """The same contract with the English labels (cookie ``cityops_lang=en``)."""
    if scope == "cell":
        scope = samples[("empty", "320102")]
    params = {"date": DAY, **({"scope": scope} if scope else {})}
    view = render(dash_app, PAGES[page], lang="en", **params)
    problems = view.problems()
    assert not problems, problems
    unexpected = [m for m in view.messages() if not m.startswith("empty:")]
    assert not unexpected, unexpected
    if page != "data":
        assert view.scope == (scope or PROVINCE)
