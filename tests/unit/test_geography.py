"""Geography: real boundaries with their GB/T 2260 codes, point location, the grid."""

import h3
import pytest

from cityops.geo import Geography, Scope, ScopeDenied, ScopeError, ensure_allowed

#: GB/T 2260 codes of every district of the five seed cities.
EXPECTED_DISTRICTS = {
    "320100": {  # 南京市
        "320102": "玄武区", "320104": "秦淮区", "320105": "建邺区", "320106": "鼓楼区",
        "320111": "浦口区", "320113": "栖霞区", "320114": "雨花台区", "320115": "江宁区",
        "320116": "六合区", "320117": "溧水区", "320118": "高淳区",
    },
    "320200": {  # 无锡市
        "320205": "锡山区", "320206": "惠山区", "320211": "滨湖区", "320213": "梁溪区",
        "320214": "新吴区", "320281": "江阴市", "320282": "宜兴市",
    },
    "320500": {  # 苏州市
        "320505": "虎丘区", "320506": "吴中区", "320507": "相城区", "320508": "姑苏区",
        "320509": "吴江区", "320581": "常熟市", "320582": "张家港市", "320583": "昆山市",
        "320585": "太仓市",
    },
    "320600": {  # 南通市
        "320612": "通州区", "320613": "崇川区", "320614": "海门区", "320623": "如东县",
        "320681": "启东市", "320682": "如皋市", "320685": "海安市",
    },
    "321300": {  # 宿迁市
        "321302": "宿城区", "321311": "宿豫区", "321322": "沭阳县", "321323": "泗阳县",
        "321324": "泗洪县",
    },
}  # fmt: skip
CITY_NAMES = {"320100": "南京市", "320200": "无锡市", "320500": "苏州市", "320600": "南通市",
              "321300": "宿迁市"}  # fmt: skip


@pytest.fixture(scope="module")
def geo(areas_frame) -> Geography:
    return Geography(areas_frame, tuple(CITY_NAMES), 8)


def test_every_district_of_the_five_cities_has_its_code(geo):
    for city, districts in EXPECTED_DISTRICTS.items():
        assert geo.areas[city].name == CITY_NAMES[city]
        got = {a.code: a.name for a in geo.districts(city)}
        assert got == districts, city
    assert sum(len(d) for d in EXPECTED_DISTRICTS.values()) == 39


def test_province_has_its_thirteen_cities(areas_frame):
    cities = areas_frame[areas_frame["level"] == "city"]
    assert len(cities) == 13
    assert set(cities["parent_code"]) == {"320000"}


def test_a_point_in_xuanwu_maps_to_320102(geo):
    # 玄武湖 (east) and a point 1 km west of it, across the 玄武/鼓楼 line
    assert geo.district_of(118.797, 32.070) == "320102"
    assert geo.district_of(118.768, 32.058) == "320106"


def test_points_outside_enabled_districts_are_not_placed(geo):
    placed = geo.locate([121.47, 119.0, float("nan")], [31.23, 34.5, 32.0])  # Shanghai, 徐州
    assert placed["district_code"].isna().all()
    assert placed["grid_cell"].isna().all()


def test_locate_is_vectorised_and_consistent(geo):
    placed = geo.locate([118.797, 120.62], [32.070, 31.31])
    assert list(placed["district_code"]) == ["320102", "320508"]
    assert list(placed["city_code"]) == ["320100", "320500"]
    assert placed["grid_cell"][0] == h3.latlng_to_cell(32.070, 118.797, 8)


def test_grid_cell_maps_to_its_district(geo):
    cell = h3.latlng_to_cell(32.070, 118.797, 8)
    assert geo.cell_district(cell) == "320102"
    scope = geo.scope(cell)
    assert scope == Scope("grid", cell, city_code="320100", district_code="320102")
    assert cell in geo.grid_cells("320102")


def test_grid_cells_belong_to_the_district_holding_their_centre(geo):
    cells = geo.grid_cells("320102")
    assert 80 < len(cells) < 200  # 玄武区 is about 75 km², a res-8 cell about 0.74 km²
    assert all(geo.cell_district(c) == "320102" for c in cells[::10])


def test_scope_parsing_and_errors(geo):
    assert geo.scope(None).level == "province"
    assert geo.scope("320100") == Scope("city", "320100", city_code="320100")
    assert geo.scope("320102").district_code == "320102"
    with pytest.raises(ScopeError, match="unknown area code"):
        geo.scope("999999")
    with pytest.raises(ScopeError, match="not switched on"):
        geo.scope("320300")  # 徐州市 is not a seed city
    with pytest.raises(ScopeError, match="resolution"):
        geo.scope(h3.latlng_to_cell(32.07, 118.797, 7))
    with pytest.raises(ScopeError, match="neither"):
        geo.scope("drop table")


def test_lineage_and_map_container(geo):
    cell = h3.latlng_to_cell(32.070, 118.797, 8)
    chain = geo.lineage(geo.scope(cell))
    assert [s.code for s in chain] == ["320000", "320100", "320102", cell]
    container, level = geo.map_container(geo.scope(cell))
    assert (container.code, level) == ("320102", "grid")
    assert geo.map_container(geo.scope(None))[1] == "city"


def test_allowed_scope_is_enforced(geo):
    district = geo.scope("320102")
    ensure_allowed(geo.scope("320102"), geo.scope("320100"))
    with pytest.raises(ScopeDenied):
        ensure_allowed(geo.scope("320100"), district)
    with pytest.raises(ScopeDenied):
        ensure_allowed(geo.scope("320508"), geo.scope("320100"))


def test_children_geojson_marks_switched_off_cities(geo):
    fc = geo.children_geojson(geo.scope(None))
    assert len(fc["features"]) == 13
    enabled = {f["id"] for f in fc["features"] if f["properties"]["enabled"]}
    assert enabled == set(CITY_NAMES)
    grid = geo.children_geojson(geo.scope("320102"))
    assert {f["id"] for f in grid["features"]} == set(geo.grid_cells("320102"))


def test_boundaries_are_converted_from_gcj02_to_wgs84(areas_frame):
    import json

    import shapely
    from cnmaps.provider import get_data_provider

    raw_path = get_data_provider().resolve_dataset_path(
        "administrative", "administrative/amap/land/320102.geojson"
    )
    with open(raw_path, encoding="utf-8") as f:
        raw = shapely.from_geojson(json.dumps(json.load(f)))
    row = areas_frame.set_index("code").loc["320102"]
    # around Nanjing, GCJ-02 lies about 0.005° east and 0.002° south of WGS84
    assert 0.003 < raw.bounds[0] - row["min_lon"] < 0.008
    assert 0.0005 < row["min_lat"] - raw.bounds[1] < 0.004


def test_a_point_on_a_district_boundary_is_placed_not_lost(geo):
    import shapely

    vertex = shapely.get_coordinates(geo._district_geom_by_code["320102"])[5]
    assert geo.district_of(*vertex) in {"320102", "320104", "320106", "320113", "320114"}
