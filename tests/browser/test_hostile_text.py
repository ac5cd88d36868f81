"""Hostile text from department files is shown as text, never run, never a formula.

Issue points 6 and 7. The session's demo store is copied and department files whose
every text column is markup, script, a template or a spreadsheet formula are loaded
into it through the real loader (``tests/hostile.py``), all placed in one grid cell
of 玄武区, with bad rows in the quarantine and one refused file. A real ``cityops
serve`` answers; Chromium visits every page at the province, 南京市, 玄武区, the
cell and each hostile entity, in Chinese and English, and the data catalogue with
the quarantined rows and the refusal. On every page it hovers every map marker,
cluster and area, every chart bar and heat-map cell, opens every selector, then
checks that

- no handler ran (``window.__xss`` stays undefined), no dialog opened, no console
  error (a rendered ``<img src=x>`` would log a failed request);
- no element carries a handler, a ``javascript:`` link or a script from the data;
- the payload is *visible* as text (font size > 0, not hidden) where the page shows
  that column, so the test cannot pass by dropping the data.

The downloads (CSV and Excel) of the tables holding hostile rows keep formulas as
text (OWASP CSV injection) and genuine negative numbers as numbers.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
from urllib.parse import urlencode

import openpyxl
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from cityops.clock import TZ
from cityops.text.i18n import t
from components.tables import is_formula_like, rows_to_xlsx
from tests import hostile as H
from tests.browser.conftest import LOCAL, SHOTS, serving, settle, shot

pytestmark = pytest.mark.browser
DAY = "2026-11-25"
LANGS = ("zh", "en")

#: What may not exist on a page, and the text a person can see (font size > 0,
#: not hidden, laid out). Tooltips, hover labels and open menus count while open.
AUDIT = r"""(root) => {
    const bad = [];
    for (const el of document.querySelectorAll('*')) {
        for (const a of el.attributes) {
            const v = a.value || '';
            if (a.name.startsWith('on') && v.includes('__xss')) {
                bad.push(el.tagName + '[' + a.name + ']');
            }
            if (/(^|:)href$|^src$|^action$|^formaction$/.test(a.name)
                    && /^\s*javascript:/i.test(v)) {
                bad.push(el.tagName + '[' + a.name + '=' + v + ']');
            }
        }
        if (el.tagName === 'SCRIPT' && (el.textContent || '').includes('__xss')) {
            bad.push('SCRIPT ' + el.textContent.slice(0, 60));
        }
        if (el.tagName.toLowerCase() === 'img' && el.getAttribute('src') === 'x') {
            bad.push('IMG src=x');
        }
    }
    const seen = [];
    const walk = document.createTreeWalker(document.querySelector(root || 'body'),
                                           NodeFilter.SHOW_TEXT);
    while (walk.nextNode()) {
        const node = walk.currentNode, el = node.parentElement;
        if (!el || !node.nodeValue.trim() || !el.getClientRects().length) { continue; }
        const style = getComputedStyle(el);
        if (style.visibility === 'hidden' || style.display === 'none'
                || parseFloat(style.fontSize) < 6 || style.opacity === '0') { continue; }
        seen.push(node.nodeValue);
    }
    return {xss: window.__xss === undefined ? null : String(window.__xss), bad,
            text: seen.join('\n')};
}"""

#: Hover every entity marker, cluster and area of every map (Leaflet listens on the
#: map container and finds the layer from the event's target). Areas get a mouseout
#: after, so the screenshots are not buried in tooltips.
HOVER_MAP = r"""() => {
    let n = 0;
    const fire = (el, type) => {
        const r = el.getBoundingClientRect();
        el.dispatchEvent(new MouseEvent(type, {bubbles: true, cancelable: true, view: window,
            clientX: r.left + r.width / 2, clientY: r.top + r.height / 2}));
    };
    for (const el of document.querySelectorAll('.leaflet-container path[data-area]')) {
        fire(el, 'mouseover'); fire(el, 'mousemove'); fire(el, 'mouseout'); n++;
    }
    const marks = '.leaflet-container path[data-entity], .leaflet-container .cluster-icon,'
        + ' .leaflet-container .leaflet-interactive:not([data-area])';
    for (const el of document.querySelectorAll(marks)) {
        fire(el, 'mouseover'); fire(el, 'mousemove'); n++;
    }
    return n;
}"""


#: Every chart has been drawn and every grid has its rows (or says it has none).
READY = r"""() => Array.from(document.querySelectorAll('.dash-graph'))
        .every(g => g.querySelector('.main-svg'))
    && Array.from(document.querySelectorAll('.ag-root'))
        .every(g => g.querySelector('.ag-row, .ag-overlay-no-rows-center'))"""

#: Where to hover each chart: every bar of a horizontal bar chart (at its middle; one
#: thinner than 3 px by ``Plotly.Fx.hover``, as {fx: [trace, point]}), the last bar of each series of a
#: stacked one (its name is in the label), each funnel stage, and each heat-map row
#: at its fullest slot. Plotly draws one hover label per 50 ms, so this is a sample;
#: labels and legends are checked as drawn.
CHART_POINTS = r"""(plot) => {
    const out = [], layout = plot._fullLayout, box = plot.getBoundingClientRect();
    const at = (xa, x, ya, y) => [box.left + xa._offset + xa.c2p(xa.d2c(x)),
                                  box.top + ya._offset + ya.c2p(ya.d2c(y))];
    const traces = plot._fullData || [];
    traces.forEach((t, c) => {
        const xa = layout.xaxis, ya = layout.yaxis;
        if (t.type === 'bar' && t.orientation === 'h') {
            (t.y || []).slice(0, 25).forEach((y, i) => {
                if (!t.x[i]) { return; }
                const p0 = at(xa, 0, ya, y), p = at(xa, t.x[i] / 2, ya, y);
                // a mouse moves by whole pixels: a thinner bar is hovered by Plotly's Fx
                out.push(Math.abs(p[0] - p0[0]) >= 1.5 ? p : {fx: [c, i]});
            });
        } else if (t.type === 'bar' || t.type === 'funnel') {
            const bars = Array.from(plot.querySelectorAll('g.trace')[c]
                ? plot.querySelectorAll('g.trace')[c].querySelectorAll('g.point path') : [])
                .map(b => b.getBoundingClientRect()).filter(r => r.width > 1 && r.height > 1)
                .map(r => [r.left + r.width / 2, r.top + r.height / 2]);
            out.push(...(traces.length > 1 ? bars.slice(-1) : bars.slice(0, 25)));
        } else if (t.type === 'heatmap') {
            (t.z || []).slice(0, 8).forEach((row, i) => {
                let best = -1;
                row.forEach((v, j) => {
                    if (v === v && v !== null && (best < 0 || v > row[best])) { best = j; }
                });
                if (best >= 0) {
                    out.push([box.left + xa._offset + xa.c2p(best),
                              box.top + ya._offset + ya.c2p(i)]);
                }
            });
        }
    });
    return out;
}"""


# ------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def hostile(demo_dir, tmp_path_factory) -> H.HostileStore:
    """The demo store plus the hostile files, loaded the real way."""
    now = dt.datetime.now(TZ).replace(tzinfo=None)
    return H.build_hostile_store(demo_dir, tmp_path_factory.mktemp("hostile-store"), now=now)


@pytest.fixture(scope="module")
def hostile_server(hostile):
    """``cityops serve`` over the hostile store; yields its base URL."""
    with serving(hostile.data_dir) as base:
        yield base


class Watch:
    """A browser page in one language that records what must never happen."""

    def __init__(self, browser, server: str, lang: str):
        self.server, self.lang = server, lang
        self.context = browser.new_context(
            viewport={"width": 1600, "height": 1000}, locale="zh-CN", accept_downloads=True
        )
        self.context.add_cookies([{"name": "cityops_lang", "value": lang, "url": server}])
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.external: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._guard)
        self.seen: dict[str, str] = {}  # url → visible text (pages, tooltips, menus, hovers)
        self.hovered = ""  # the chart hover labels of the last view

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _guard(self, route) -> None:
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def audit(self, where: str) -> str:
        """Check the page as it is now; return (and remember) its visible text."""
        found = self.page.evaluate(AUDIT, None)
        assert found["xss"] is None, f"{where}: a handler ran (window.__xss={found['xss']})"
        assert not found["bad"], f"{where}: markup from data became elements: {found['bad']}"
        assert not self.dialogs, f"{where}: a dialog opened: {self.dialogs}"
        assert not self.errors, f"{where}: console errors: {self.errors}"
        assert not self.external, f"{where}: requests left 127.0.0.1: {self.external}"
        self.seen[where] = self.seen.get(where, "") + "\n" + found["text"]
        return found["text"]

    def shown_in(self, selector: str) -> str:
        """Return the visible text inside ``selector`` (e.g. one chart: ticks, legend)."""
        return self.page.evaluate(AUDIT, selector)["text"]

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def watch_factory(browser, hostile_server):
    made: list[Watch] = []

    def make(lang: str) -> Watch:
        made.append(Watch(browser, hostile_server, lang))
        return made[-1]

    yield make
    for w in made:
        w.close()


# ------------------------------------------------------------- interactions
def open_view(w: Watch, path: str, **params) -> str:
    """Go to ``path`` with ``params`` (the date added) and wait until it has settled."""
    if path != "/data":
        params = {**params, "date": DAY}
    url = f"{path}?{urlencode(params)}" if params else path
    w.page.goto(w.server + url)
    w.page.wait_for_selector(".domain-page, .overview, .data-page, [data-state]", timeout=20_000)
    settle(w.page)
    assert not w.page.locator('[data-state="error"]').count(), f"{url}: the page failed"
    w.page.wait_for_function(READY, timeout=20_000)
    w.page.wait_for_timeout(150)  # geobuf and GeoJSON layers draw after the callbacks
    settle(w.page)
    return url


def hover_maps(w: Watch) -> int:
    """Hover every map layer; give an image that failed to load time to fire."""
    if not w.page.locator(".leaflet-container").count():
        return 0
    n = w.page.evaluate(HOVER_MAP)
    w.page.wait_for_timeout(100)
    return n


def hover_charts(w: Watch) -> int:
    """Move the mouse over the bars and heat-map cells of every chart; keep the labels."""
    page, n = w.page, 0
    for plot in page.locator(".js-plotly-plot").all():
        plot.scroll_into_view_if_needed()
        points = plot.evaluate(CHART_POINTS)
        layer = plot.locator(".hoverlayer").element_handle()
        texts = [""]
        for point in points:
            if isinstance(point, dict):
                plot.evaluate("(gd, p) => Plotly.Fx.hover(gd, [{curveNumber: p[0], "
                              "pointNumber: p[1]}])", point["fx"])  # fmt: skip
            else:
                page.mouse.move(*point)
            with contextlib.suppress(PlaywrightTimeout):  # the same label again
                page.wait_for_function(
                    "([el, before]) => el.textContent && el.textContent !== before",
                    arg=[layer, texts[-1]],
                    timeout=300,
                )
            texts.append(layer.text_content() or "")
            n += 1
        w.seen["hover"] = w.seen.get("hover", "") + "\n" + "\n".join(texts)
    page.mouse.move(1, 1)
    return n


def open_selectors(w: Watch, where: str) -> None:
    """Open every selector of the page, check its menu, close it."""
    for sel in w.page.locator("button.dash-dropdown").all():
        sel.scroll_into_view_if_needed()
        sel.click()
        w.page.wait_for_selector("[role=option]", timeout=5_000)
        w.audit(where)
        w.page.keyboard.press("Escape")
        w.page.wait_for_selector("[role=option]", state="detached", timeout=5_000)


def visit(w: Watch, path: str, name: str, *, expect: tuple[str, ...] = (), picture: str = "",
          **params) -> str:  # fmt: skip
    """Visit a view, hover everything, open every selector; check it each time.

    ``expect`` are texts of :data:`tests.hostile.TEXT` that must be visible on this
    view (in the page, a tooltip, a hover label or a menu).
    """
    url = open_view(w, path, **params)
    where = f"{w.lang} {name} {url}"
    assert "__xss" not in w.page.title(), f"{where}: data in the tab title"
    w.audit(where)
    hover_maps(w)
    w.audit(where)
    if picture:
        shot(w.page, f"hostile-{w.lang}-{picture}")
    hover_charts(w)
    w.audit(where)
    open_selectors(w, where)
    w.hovered = w.seen.pop("hover", "")
    text = w.seen[where] + w.hovered
    for key in expect:
        assert H.TEXT[key] in text, f"{where}: {key} is not shown as text"
    return text


def drag_playback(w: Watch) -> None:
    """Move the waybill's track playback along: its label and alarms follow."""
    slider = w.page.locator("#hazmat-slider")
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    for share in (0.05, 0.4, 0.7, 1.0):
        w.page.mouse.click(box["x"] + 8 + (box["width"] - 16) * share, box["y"] + box["height"] / 2)
        settle(w.page)
        hover_maps(w)
        w.audit(f"{w.lang} playback {share}")
    assert w.page.locator("#hazmat-now").inner_text().strip()


# ----------------------------------------------------------------- the tests
@pytest.mark.parametrize("lang", LANGS)
def test_hx001_hostile_text_is_shown_as_text_on_every_page(watch_factory, hostile, lang):
    w = watch_factory(lang)
    cell, scopes = hostile.cell, ("320000", "320100", "320102", hostile.cell)
    dept = H.TEXT["camera.department"]

    for scope in scopes:
        visit(w, "/", f"overview {scope}", scope=scope)

    # video: departments (selector, chart), events, camera names (tooltips, tables)
    for scope in scopes:
        expect = ("camera.department",)
        if scope in ("320102", cell):
            expect += ("event.event_type", "camera.name")
        visit(w, "/video", "video", scope=scope, expect=expect,
              picture="video-cell" if scope == cell else "")  # fmt: skip
        assert dept in w.shown_in("#video-by-department"), f"{scope}: the chart's tick label"
        assert dept in w.hovered, f"{scope}: the department bar's hover label"
        if scope == "320102":  # a series' name in the legend and its hover label (%{data.name})
            assert H.TEXT["event.event_type"] in w.shown_in(".legend")
            assert H.TEXT["event.event_type"] in w.hovered
    visit(w, "/video", "video filtered", scope=cell, department=dept,
          expect=("camera.department", "camera.name", "event.event_type"))  # fmt: skip
    # the filter reaches the map (the layer's URL encodes the department): one cluster
    # of the three hostile cameras; opened, each shows its name on hover
    for _ in range(4):
        if w.page.locator("path[data-entity]").count():
            break
        box = w.page.locator(".cluster-icon").first.bounding_box()
        w.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        w.page.wait_for_timeout(300)
        settle(w.page)
    shown = w.page.eval_on_selector_all(
        "path[data-entity]", "els => els.map(e => e.dataset.entity)"
    )
    assert set(shown) == {H.CAMERA, H.CAMERA2, H.CAMERA3}, shown
    hover_maps(w)
    w.audit(f"{lang} camera tooltips")
    tips = w.page.locator(".leaflet-tooltip").all_text_contents()
    assert H.TEXT["camera.name"] in tips and H.SCRIPT + "C2" in tips, tips
    shot(w.page, f"hostile-{lang}-camera-tooltips")
    visit(w, "/video", "camera", scope=cell, camera=H.CAMERA, picture="camera",
          expect=("camera.name", "camera.department", "camera.kind", "event.event_type"))  # fmt: skip

    # hazmat: cargo in the vehicle tooltip and the table; the waybill's card and playback
    for scope in scopes:
        expect = ("waybill.cargo_name",) if scope in ("320102", cell) else ()
        visit(w, "/hazmat", "hazmat", scope=scope, expect=expect)
    visit(w, "/hazmat", "waybill", scope=cell, waybill=H.WAYBILL, picture="waybill",
          expect=("waybill.cargo_name", "waybill.carrier", "waybill.origin_name",
                  "waybill.dest_name"))  # fmt: skip
    drag_playback(w)

    # rentals: addresses in the suspected units, one flat
    for scope in scopes:
        visit(w, "/rentals", "rentals", scope=scope,
              expect=("rental.address",) if scope == cell else (),
              picture="rentals-cell" if scope == cell else "")  # fmt: skip
    visit(w, "/rentals", "unit", scope=cell, unit=H.UNIT, expect=("rental.address",))

    # tourism: spot names (selector, tooltip, heat map), visitor origins (chart)
    for scope in scopes:
        expect = ("spot.name", "booking.visitor_origin") if scope != "320000" else ()
        visit(w, "/tourism", "tourism", scope=scope, expect=expect,
              picture="tourism-district" if scope == "320102" else "")  # fmt: skip
        if scope != "320000":  # the heat map's row and the origin's bar, drawn and hovered
            assert H.TEXT["spot.name"] in w.shown_in("#tourism-heatmap")
            assert (
                H.TEXT["spot.name"] in w.hovered and H.TEXT["booking.visitor_origin"] in w.hovered
            )
    visit(w, "/tourism", "spot", scope=cell, spot=H.SPOT, picture="spot",
          expect=("spot.name", "booking.visitor_origin"))  # fmt: skip

    # the catalogue: departments, the refused file and its reason, quarantined raw rows
    text = visit(w, "/data", "data", expect=("camera.department",), picture="data")
    assert H.REFUSED_NAME in text and H.IMG in text  # the refusal names the hostile header
    cell_tip = w.page.locator("#data-loads .ag-row", has_text=H.REFUSED_NAME).first
    cell_tip.locator("[col-id='refusal']").hover()
    w.page.wait_for_selector(".ag-tooltip, .ag-tooltip-custom", timeout=5_000)
    assert H.SVG in w.audit(f"{lang} /data tooltip")
    text = visit(w, "/data", "quarantine", load=hostile.quarantine_load, picture="quarantine")
    assert H.SCRIPT + "坏地址1号" in text and H.IMG in text  # raw row and the enum message
    text = visit(w, "/data", "cameras quarantine", load=hostile.load_ids["cameras"])
    assert H.A_JS + "状态" in text
    text = visit(w, "/data", "refusal", load=hostile.refused_load)
    assert H.IMG in text and H.SVG in text
    assert w.page.title() == t("title.data", lang)  # tab titles are labels, never data


def _download(w: Watch, tmp_path, table: str, label_key: str):
    grid = w.page.locator(f'[data-table="{table}"]')
    grid.scroll_into_view_if_needed()
    with w.page.expect_download() as info:
        grid.get_by_role("button", name=t(label_key, w.lang)).click()
    name = info.value.suggested_filename
    assert name == os.path.basename(name) and "<" not in name and '"' not in name
    path = tmp_path / name
    info.value.save_as(path)
    return path


def _column(header_row, lang: str, col: str) -> int:
    return list(header_row).index(t(f"col.{col}", lang))


def test_hx002_downloads_keep_formulas_as_text_and_numbers_as_numbers(
    watch_factory, hostile, tmp_path
):
    w = watch_factory("zh")
    stored = {u: a.strip() for u, a in H.FORMULA_ADDRESSES.items()}  # the loader strips
    open_view(w, "/rentals", scope=hostile.cell)
    w.audit("rentals downloads")

    # Excel: every text cell is a string cell; formula-like ones keep a quote prefix
    book = openpyxl.load_workbook(_download(w, tmp_path, "rentals-suspected", "table.xlsx"))
    sheet = book.active
    rows = list(sheet.iter_rows())
    header = next(i for i, r in enumerate(rows) if r[0].value == t("col.unit_id", "zh"))
    head = [c.value for c in rows[header]]
    unit, address, name = (_column(head, "zh", c) for c in ("unit_id", "address", "landlord_name"))
    area = _column(head, "zh", "floor_area_m2")
    by_unit = {r[unit].value: r for r in rows[header + 1 :]}
    assert not [c.coordinate for r in rows for c in r if c.data_type == "f"], "no formula cells"
    for unit_id, text in stored.items():
        cell = by_unit[unit_id][address]
        assert (cell.value, cell.data_type) == (text, "s"), unit_id
        assert cell.quotePrefix, f"{unit_id}: Excel must keep {text!r} as text when edited"
    masked = by_unit[H.UNIT][name]
    assert masked.value.startswith("=") and masked.data_type == "s" and masked.quotePrefix
    assert by_unit[H.UNIT][address].value == H.TEXT["rental.address"]
    assert by_unit[H.UNIT][area].data_type == "n" and by_unit[H.UNIT][area].value == 20

    # CSV: formula-like text gets one leading quote (OWASP); other text and numbers as is
    body = _download(w, tmp_path, "rentals-suspected", "table.csv").read_text("utf-8-sig")
    table = list(csv.reader(io.StringIO(body)))
    head = table[0]
    unit, address, name = (_column(head, "zh", c) for c in ("unit_id", "address", "landlord_name"))
    area = _column(head, "zh", "floor_area_m2")
    by_unit = {r[unit]: r for r in table[1:]}
    for unit_id, text in stored.items():
        assert by_unit[unit_id][address] == "'" + text, unit_id
    assert by_unit[H.UNIT][name].startswith("'=")
    assert by_unit[H.UNIT][address] == H.TEXT["rental.address"]
    assert float(by_unit[H.UNIT][area]) == 20
    for row in table[1:]:
        for value in row:
            assert not is_formula_like(value), f"a live formula in the CSV: {value!r}"

    # an event stamped ahead of the clock: its age is a genuine negative number
    open_view(w, "/video", scope=hostile.cell)
    book = openpyxl.load_workbook(_download(w, tmp_path, "video-open-events", "table.xlsx"))
    rows = list(book.active.iter_rows())
    header = next(i for i, r in enumerate(rows) if r[0].value == t("col.ts", "zh"))
    head = [c.value for c in rows[header]]
    ident, hours, kind = (_column(head, "zh", c) for c in ("event_id", "open_hours", "event_type"))
    by_id = {r[ident].value: r for r in rows[header + 1 :]}
    ahead = by_id["XSS-E3"]
    assert ahead[hours].data_type == "n" and ahead[hours].value < 0
    assert ahead[kind].value == H.FORMULA and ahead[kind].data_type == "s"
    body = _download(w, tmp_path, "video-open-events", "table.csv").read_text("utf-8-sig")
    table = list(csv.reader(io.StringIO(body)))
    ident, hours, kind = (
        _column(table[0], "zh", c) for c in ("event_id", "open_hours", "event_type")
    )
    ahead = next(r for r in table[1:] if r[ident] == "XSS-E3")
    assert float(ahead[hours]) < 0 and not ahead[hours].startswith("'")
    assert ahead[kind] == "'" + H.FORMULA
    assert next(r for r in table[1:] if r[ident] == "XSS-E1")[kind] == H.TEXT["event.event_type"]

    # what the loader strips (a leading tab or CR) is still neutralised by both writers
    risky = ["\t=1+1", "\r=2+2", "-1+2", "@SUM(A1)", "+1", "＝1+1", H.FORMULA]
    safe = w.page.evaluate("(xs) => xs.map(x => window.cityops.safeCell(x))", [*risky, -3, 2.5])
    assert safe == ["'" + x for x in risky] + [-3, 2.5]
    book = openpyxl.load_workbook(io.BytesIO(rows_to_xlsx(
        [{"text": x, "n": -3} for x in risky],
        [{"field": "text", "context": {"kind": "text"}},
         {"field": "n", "context": {"kind": "count", "digits": 0}}],
    )))  # fmt: skip
    cells = list(book.active.iter_rows(min_row=2))
    assert [(r[0].value, r[0].data_type, r[0].quotePrefix) for r in cells] == [
        (x.replace("\r", "\n"), "s", True)  # XML reads a raw CR back as LF
        for x in risky
    ]
    assert all(r[1].value == -3 and r[1].data_type == "n" for r in cells)
    shot(w.page, "hostile-downloads")
    assert SHOTS.exists()
    w.audit("downloads")
