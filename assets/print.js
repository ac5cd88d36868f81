/* Printing an analyst page (issue 11): assets/print.css hides the chrome and sets the
 * paper (A4 landscape); this file makes what draws itself in JavaScript fit the paper.
 *
 * Before printing (the browser's `beforeprint`, or print media switched on, as by
 * Playwright's emulate_media) the root gets the class `printing`, which gives the app
 * the paper's width (print.css); then
 *   - every AG Grid shows all its rows: AG Grid's print layout (domLayout 'print': no
 *     scrollbars, as tall as its rows), pagination off, lower rows; its columns as
 *     wide as their values under wrapped headers, fitted to the paper, or the table
 *     scaled down when its columns are still wider than the paper;
 *   - every plotly chart is redrawn at its box's width on paper;
 *   - every Leaflet map shows the area it showed on screen, in its box on paper.
 * After printing (`afterprint`, or print media off) everything goes back as it was.
 *
 * The browser lays the page out for print as soon as `beforeprint` returns, so every
 * change is made before it returns: AG Grid draws rows through React, which would do
 * it later, so its changes are made inside ReactDOM.flushSync.
 * Nothing here reads or writes page data; it only changes how things are laid out. */
(function () {
    'use strict';
    const PRINT_ROW = 26;  // px: a table row on paper (12 px text, print.css)
    const NARROW = 44;  // px: the narrowest a column may be on paper (3 characters)
    const MIN_ZOOM = 0.75;  // the smallest a wide table is scaled on paper (9 px text)
    let saved = null;  // what was changed, while printing

    // Dash AgGrid elements carry the component's id (a pattern id, stringified).
    function grids() {
        const agGrid = window.dash_ag_grid;
        if (!agGrid || !agGrid.getApi) { return []; }
        const out = [];
        document.querySelectorAll('.ag-theme-alpine[id]').forEach(function (el) {
            try {
                const api = agGrid.getApi(el.id);
                if (api && !api.isDestroyed()) { out.push({api: api, el: el}); }
            } catch (e) { /* not drawn yet: nothing to change */ }
        });
        return out;
    }

    function charts() {
        return Array.from(document.querySelectorAll('.js-plotly-plot'))
            .filter(function (gd) { return gd._fullLayout; });
    }

    // The maps of the page: those of the area layers assets/cityops.js keeps.
    function maps() {
        const layers = ((window.cityops || {}).map || {}).layers || {};
        const found = new Set();
        Object.values(layers).forEach(function (layer) {
            const map = layer && layer._map;
            if (map && map._container && map._container.isConnected) { found.add(map); }
        });
        return Array.from(found);
    }

    function now(change) {
        const dom = window.ReactDOM;
        if (dom && dom.flushSync) { dom.flushSync(change); } else { change(); }
    }

    function visibleWidth(api) {
        return api.getColumns().filter(function (c) { return c.isVisible(); })
            .reduce(function (sum, c) { return sum + c.getActualWidth(); }, 0);
    }

    // Every visible column `factor` times as wide (AG Grid's sizeColumnsToFit is not
    // proportional: it would undo the widths measured from the values).
    function scaleColumns(api, factor) {
        if (Math.abs(factor - 1) < 0.005) { return; }
        api.setColumnWidths(api.getColumns().filter(function (c) { return c.isVisible(); })
            .map(function (c) {
                return {key: c, newWidth: Math.floor(c.getActualWidth() * factor)};
            }));
    }

    // Columns that may be as narrow as their values on paper, under wrapped headers.
    function narrow(defs) {
        return defs.map(function (d) {
            const out = Object.assign({}, d, {minWidth: NARROW, wrapHeaderText: true,
                                              autoHeaderHeight: true});
            if (d.children) { out.children = narrow(d.children); }
            return out;
        });
    }

    function setRowHeights(api, height) {
        api.forEachNode(function (node) { node.setRowHeight(height(node)); });
        api.onRowHeightChanged();
    }

    function printGrids() {
        const found = grids();
        now(function () {
            found.forEach(function (g) {
                const api = g.api;
                const heights = new Map();
                api.forEachNode(function (node) { heights.set(node, node.rowHeight); });
                saved.grids.push({
                    api: api,
                    el: g.el,
                    heights: heights,
                    defs: api.getColumnDefs(),
                    columns: api.getColumnState(),
                    domLayout: api.getGridOption('domLayout'),
                    pagination: api.getGridOption('pagination'),
                });
                api.setGridOption('pagination', false);
                api.setGridOption('domLayout', 'print');
                api.setGridOption('columnDefs', narrow(api.getColumnDefs()));
                // all columns narrow, so every one is drawn and can be measured
                api.setColumnWidths(api.getColumns().map(function (c) {
                    return {key: c, newWidth: NARROW};
                }));
            });
        });
        now(function () {
            found.forEach(function (g) {
                setRowHeights(g.api, function () { return PRINT_ROW; });  // lower rows on paper
            });
        });
        // every row and column is drawn now: columns as wide as their values, fitted to
        // the paper (given: the grid has not noticed its new width yet); a table still
        // wider is scaled down (to MIN_ZOOM at most, then its widest values are cut short)
        now(function () {
            found.forEach(function (g) {
                g.api.autoSizeAllColumns(true);
                const room = g.el.clientWidth - 2;
                const wide = visibleWidth(g.api);
                if (room <= 0 || wide <= 0) { return; }  // a grid not shown
                const zoom = wide > room ? Math.max(room / wide, MIN_ZOOM) : 1;
                if (zoom < 1) { g.el.style.zoom = String(zoom); }
                scaleColumns(g.api, Math.floor(room / zoom) / wide);
            });
        });
    }

    function enter() {
        if (saved) { return; }
        document.documentElement.classList.add('printing');
        saved = {grids: [], charts: [], maps: []};
        printGrids();
        if (window.Plotly) {
            charts().forEach(function (gd) {
                const width = gd.parentElement.clientWidth;
                if (width > 0 && Math.abs(width - gd._fullLayout.width) > 1) {
                    saved.charts.push(gd);
                    window.Plotly.relayout(gd, {width: width});
                }
            });
        }
        // the same area as on screen, at the fractional zoom that fits it (the tiles
        // already loaded serve, scaled)
        maps().forEach(function (map) {
            const was = {map: map, center: map.getCenter(), zoom: map.getZoom(),
                         bounds: map.getBounds(), snap: map.options.zoomSnap};
            saved.maps.push(was);
            map.options.zoomSnap = 0;
            map.invalidateSize({animate: false, pan: false});
            map.fitBounds(was.bounds, {animate: false});
        });
    }

    function leave() {
        if (!saved) { return; }
        const was = saved;
        saved = null;
        document.documentElement.classList.remove('printing');
        now(function () {
            was.grids.forEach(function (g) {
                g.el.style.zoom = '';
                if (g.api.isDestroyed()) { return; }
                setRowHeights(g.api, function (node) { return g.heights.get(node); });
                g.api.setGridOption('domLayout', g.domLayout);
                g.api.setGridOption('pagination', g.pagination);
                g.api.setGridOption('columnDefs', g.defs);
                g.api.applyColumnState({state: g.columns, applyOrder: true});
            });
        });
        was.charts.forEach(function (gd) {
            if (gd.isConnected && gd._fullLayout && window.Plotly) {
                window.Plotly.relayout(gd, {width: null, autosize: true});
            }
        });
        was.maps.forEach(function (m) {
            if (!m.map._container || !m.map._container.isConnected) { return; }
            m.map.options.zoomSnap = m.snap;
            m.map.invalidateSize({animate: false, pan: false});
            m.map.setView(m.center, m.zoom, {animate: false});
        });
    }

    window.addEventListener('beforeprint', enter);
    window.addEventListener('afterprint', leave);
    const media = window.matchMedia('print');
    media.addEventListener('change', function (e) { (e.matches ? enter : leave)(); });
})();
