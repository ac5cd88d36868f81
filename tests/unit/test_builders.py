"""Pure builders: choropleth styling, KPI cards, breadcrumb."""

import pandas as pd

from cityops import theme
from components.breadcrumb import breadcrumb
from components.choropleth import choropleth_hideout, class_breaks, legend
from components.kpi import kpi_card, kpi_groups


def test_class_breaks_ignore_missing_values():
    assert class_breaks(pd.Series([None, None], dtype=object)) == []
    assert class_breaks(pd.Series([1.0, 1.0, None])) == [1.0]
    breaks = class_breaks(pd.Series(range(100)))
    assert len(breaks) == 5 and breaks == sorted(breaks) and breaks[-1] == 99


def test_hideout_carries_values_labels_and_colours():
    values = pd.Series({"320102": 0.95, "320104": None, "320105": 0.5}, dtype=object)
    names = {"320102": "玄武区", "320104": "秦淮区", "320105": "建邺区"}
    h = choropleth_hideout(values, kpi="cameras_online_rate", names=names, lang="zh",
                           selected="320102")  # fmt: skip
    assert h["values"] == {"320102": 0.95, "320104": None, "320105": 0.5}
    assert h["labels"]["320102"] == "玄武区\n95.0%"
    assert h["labels"]["320104"] == "秦淮区\n—"
    assert len(h["breaks"]) == len(h["colors"])
    assert h["colors"][-1] == theme.DOMAIN_ACCENT["video"]
    assert h["selected"] == "320102"
    rows = legend(h, "zh").children
    assert len(rows) == len(h["breaks"]) + 1  # classes, then "no data"


def test_kpi_card_carries_raw_value_attributes():
    card = kpi_card("cameras_online_rate", 0.983, "zh")
    assert card.to_plotly_json()["props"]["data-kpi"] == "cameras_online_rate"
    assert card.to_plotly_json()["props"]["data-value"] == "0.983"
    null = kpi_card("peak_slot_load", None, "en")
    assert null.to_plotly_json()["props"]["data-value"] == ""


def walk(component):
    """Yield every component of a tree, depth first."""
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from walk(child)


def test_kpi_groups_show_every_kpi_once():
    from cityops.queries.kpis import KPI_NAMES

    cards = [c.to_plotly_json()["props"].get("data-kpi") for c in walk(kpi_groups({}, "zh"))]
    assert sorted(c for c in cards if c) == sorted(KPI_NAMES)


def test_breadcrumb_links_every_crumb_but_the_last():
    nav = breadcrumb(
        [("province", "320000", "江苏省"), ("city", "320100", "南京市"),
         ("grid", "88309a0001fffff", "88309a0001fffff")],
        lambda code: f"/?scope={code}", "zh",
    )  # fmt: skip
    text = " ".join(str(c.to_plotly_json()["props"]) for c in walk(nav))
    assert "/?scope=320000" in text and "/?scope=320100" in text
    assert "/?scope=88309a0001fffff" not in text
    assert "网格 88309a0…" in text


def test_map_has_no_tile_layer_unless_configured():
    import dash_leaflet as dl

    from components.choropleth import area_map

    bare = area_map(geojson_url="/x", hideout={}, bounds=(118, 31, 119, 32))
    assert not [c for c in bare.children if isinstance(c, dl.TileLayer)]
    assert bare.viewport == {"bounds": [[31, 118], [32, 119]]}
    tiled = area_map(geojson_url="/x", hideout={}, bounds=(118, 31, 119, 32),
                     tile_url="http://tiles.local/{z}/{x}/{y}.png", tile_attribution="内网")  # fmt: skip
    layers = [c for c in tiled.children if isinstance(c, dl.TileLayer)]
    assert layers and layers[0].url == "http://tiles.local/{z}/{x}/{y}.png"


def test_header_links_are_addressable_labelled_and_cover_every_page(dash_app):
    from cityops.domains import DOMAIN_NAMES
    from cityops.text.i18n import t
    from components.shell import header, nav_link_id, nav_pages

    # Built from the page registry: the overview, each declared domain in order, the
    # catalogue, the reports, the wall, the admin page.
    pages = ["overview", *DOMAIN_NAMES, "data", "reports", "wall", "admin"]
    assert [name for name, _ in nav_pages()] == pages

    nav = next(c for c in header("en").children if c.to_plotly_json()["type"] == "Nav")
    links = nav.children
    assert [link.id for link in links] == [nav_link_id(page) for page, _ in nav_pages()]
    assert [link.href for link in links] == [path for _, path in nav_pages()]
    assert [link.children for link in links] == [t(f"nav.{p}", "en") for p, _ in nav_pages()]
    assert nav.to_plotly_json()["props"]["aria-label"] == t("nav.label", "en")
