/* cityops client-side map functions, referenced from Python as
 * {"variable": "cityops.map.<name>"}. They read the GeoJSON layer's `hideout`
 * (values, colours, labels), so changing the KPI never resends geometry.
 * Every colour comes from the hideout (cityops/theme.py); none is written here.
 *
 * A hideout describes one KPI (`values`, `labels`, `breaks`, `colors`: a domain
 * page's map) or every KPI (`kpis[name]` = `classes`, `texts`, `colors` over the
 * areas `codes`, with `kpi` the one shown: the overview, whose KPI switch only
 * changes `kpi`). */
window.cityops = Object.assign({}, window.cityops, {
    map: {
        layers: {},
        hideout: {},
        _index: new WeakMap(),

        colour: function (h, v) {
            if (v === null || v === undefined) { return h.nodata; }
            for (let i = 0; i < h.breaks.length; i++) {
                if (v <= h.breaks[i]) { return h.colors[i]; }
            }
            return h.colors[h.colors.length - 1] || h.nodata;
        },

        // The shown KPI of an every-KPI hideout and where each area sits in its lists
        // (null for a one-KPI hideout).
        shown: function (h) {
            if (!h.kpis || !h.codes) { return null; }
            const m = window.cityops.map;
            let index = m._index.get(h.codes);
            if (!index) {
                index = {};
                h.codes.forEach(function (code, i) { index[code] = i; });
                m._index.set(h.codes, index);
            }
            return {index: index, kpi: h.kpis[h.kpi] || {classes: [], texts: [], colors: []}};
        },

        fill: function (h, id) {
            const m = window.cityops.map;
            const s = m.shown(h);
            if (!s) { return m.colour(h, (h.values || {})[id]); }
            const i = s.index[id];
            const c = i === undefined ? -1 : s.kpi.classes[i];
            return c >= 0 ? s.kpi.colors[c] : h.nodata;
        },

        // Name and value on two lines (undefined where the hideout has none).
        labelText: function (h, id) {
            const s = window.cityops.map.shown(h);
            if (!s) { return (h.labels || {})[id]; }
            const i = s.index[id];
            if (i === undefined) { return undefined; }
            const text = s.kpi.texts[i];
            return h.names[i] + '\n' + (text === null || text === undefined ? h.missing : text);
        },

        // Labels are built as DOM text, never parsed as HTML: names come from data.
        label: function (feature) {
            const text = window.cityops.map.labelText(window.cityops.map.hideout, feature.id);
            const name = feature.properties.name;
            const lines = String((feature.properties.enabled && text) || name || '').split('\n');
            return window.cityops.text(lines);
        },

        style: function (feature, context) {
            const h = (context && context.hideout) || {};
            const m = window.cityops.map;
            m.hideout = h;
            const layer = m.layers[feature.id];
            if (layer && layer.getTooltip()) { layer.setTooltipContent(m.label(feature)); }
            if (!feature.properties.enabled) {
                return {fillColor: h.disabled, fillOpacity: 0.8, color: h.disabledBorder, weight: 1};
            }
            const selected = h.selected === feature.id;
            const grid = feature.properties.level === 'grid';
            if (h.outline) {  // outlines only: another layer carries the colours
                return {fillColor: h.outlineFill, fillOpacity: 0.15, color: h.border, weight: 1.2};
            }
            return {
                fillColor: m.fill(h, feature.id),
                fillOpacity: grid ? 0.75 : 0.85,
                color: selected ? h.selectedBorder : h.border,
                weight: selected ? 3.5 : (grid ? 0.4 : 1.2),
            };
        },

        // Permanent name + value labels where the area is big enough on screen
        // (nothing depends on hover); smaller areas and grid cells show it on hover.
        relabel: function (feature, layer) {
            const m = window.cityops.map;
            const map = layer._map;
            if (!map || !layer.getBounds) { return; }
            const b = layer.getBounds();
            const nw = map.latLngToContainerPoint(b.getNorthWest());
            const se = map.latLngToContainerPoint(b.getSouthEast());
            const grid = feature.properties.level === 'grid';
            const h = m.hideout || {};
            // a wall labels every area (nobody hovers there); of grid cells only those named
            const big = h.allLabels
                ? (!grid || (h.labelCodes || []).indexOf(feature.id) >= 0)
                : !grid && (se.x - nw.x) > 70 && (se.y - nw.y) > 40;
            const want = big ? 'permanent' : 'hover';
            if (layer._cityopsLabel === want) { return; }
            layer.unbindTooltip();
            layer.bindTooltip(m.label(feature), big
                ? {permanent: true, direction: 'center', className: h.labelClass || 'area-label'}
                : {sticky: true, className: 'area-tooltip'});
            layer._cityopsLabel = want;
        },

        onEachFeature: function (feature, layer) {
            const m = window.cityops.map;
            m.layers[feature.id] = layer;
            layer.bindTooltip(m.label(feature), {sticky: true, className: 'area-tooltip'});
            layer._cityopsLabel = 'hover';
            layer.on('add', function () {
                const el = layer.getElement && layer.getElement();
                if (el) {
                    el.setAttribute('data-area', feature.id);
                    el.setAttribute('data-enabled', feature.properties.enabled ? '1' : '0');
                }
                const map = layer._map;
                if (map && !map._cityopsRelabel) {
                    map._cityopsRelabel = true;
                    map.on('zoomend moveend', function () {
                        Object.values(m.layers).forEach(function (l) {
                            if (l._map === map && l.feature) { m.relabel(l.feature, l); }
                        });
                    });
                }
                setTimeout(function () { m.relabel(feature, layer); }, 0);
            });
        },
    },
});

/* Text from data (names, cargo, departments) as DOM text nodes, one line each:
 * never innerHTML, so a name like <img onerror=…> is shown, not run. */
window.cityops.text = function (lines) {
    const el = document.createElement('span');
    (lines || []).forEach(function (line, i) {
        if (i) { el.appendChild(document.createElement('br')); }
        el.appendChild(document.createTextNode(String(line)));
    });
    return el;
};

/* A cluster's count: 万 in Chinese, k in English. */
window.cityops.clusterCount = function (count, lang) {
    if (lang === 'zh' && count >= 10000) { return (count / 10000).toFixed(1) + '万'; }
    if (lang !== 'zh' && count >= 10000) { return (count / 1000).toFixed(0) + 'k'; }
    return String(count);
};

/* A layer whose hideout names a `drawnStore` tells that store (a new value) once its
 * first points or clusters are on screen, after that frame is painted: a page can
 * hold back work (charts, tables) until its map is drawn. Once per hideout. */
window.cityops.drawn = function (h) {
    if (!h || !h.drawnStore) { return; }
    const told = window.cityops._told || (window.cityops._told = new WeakSet());
    if (told.has(h)) { return; }
    told.add(h);
    requestAnimationFrame(function () {
        setTimeout(function () {
            window.dash_clientside.set_props(h.drawnStore, {data: Date.now()});
        }, 0);
    });
};

/* Entity layers: points coloured by a property through hideout.colors, and
 * cluster bubbles that show how many points they hold. */
window.cityops.points = {
    point: function (feature, latlng, context) {
        const h = (context && context.hideout) || {};
        const key = feature.properties[h.colorBy || 'status'];
        const colour = (h.colors || {})[key];
        const selected = h.selected && h.selected === feature.properties.id;
        const radius = h.sizeBy ? Math.max(5, Math.min(28, 4 + Math.sqrt(feature.properties[h.sizeBy] || 0) / (h.sizeScale || 4))) : (h.radius || 5);
        const outline = selected ? h.selectedBorder : h.border;  // none unless the hideout names one
        const marker = L.circleMarker(latlng, {
            radius: selected ? radius + 4 : radius, fillColor: colour,
            stroke: Boolean(outline), color: outline,
            weight: selected ? 3 : 1, fillOpacity: 0.9,
            pane: h.pane || 'overlayPane',
        });
        if (feature.properties.label) {
            marker.bindTooltip(window.cityops.text([feature.properties.label]), {direction: 'top'});
        }
        marker.on('add', function () {
            const el = marker.getElement && marker.getElement();
            if (el) { el.setAttribute('data-entity', feature.properties.id); }
        });
        window.cityops.drawn(h);
        return marker;
    },
    // A cluster is coloured by the share of its cameras that are offline or faulty
    // (hideout.clusterBreaks / clusterColors), so a dark patch of the city shows
    // without zooming in; its number is the count.
    cluster: function (feature, latlng, index, context) {
        const h = (context && context.hideout) || {};
        const count = feature.properties.point_count;
        const size = 24 + Math.min(30, Math.log10(count + 1) * 10);
        const label = window.cityops.clusterCount(count, h.lang);
        let colour = h.clusterColor;
        if (h.clusterBreaks && index && index.getLeaves) {
            const leaves = index.getLeaves(feature.properties.cluster_id, 5000);
            let bad = 0;
            leaves.forEach(function (l) { if (l.properties[h.colorBy] !== 'online') { bad++; } });
            const share = leaves.length ? bad / leaves.length : 0;
            colour = h.clusterColors[h.clusterColors.length - 1];
            for (let i = 0; i < h.clusterBreaks.length; i++) {
                if (share <= h.clusterBreaks[i]) { colour = h.clusterColors[i]; break; }
            }
        }
        const bubble = document.createElement('div');
        bubble.className = 'cluster-bubble';
        bubble.style.cssText = 'width:' + size + 'px;height:' + size + 'px;line-height:' +
            size + 'px;background:' + colour;
        bubble.textContent = label;
        const icon = L.divIcon({html: bubble, className: 'cluster-icon', iconSize: L.point(size, size)});
        window.cityops.drawn(h);
        return L.marker(latlng, {icon: icon, pane: h.pane || 'markerPane'});
    },
};

/* Track playback: the slider value is a fix index; the part of the track up to it
 * is drawn in colour, the vehicle sits at that fix, and alarms show once passed. */
window.cityops.hazmat = {
    playback: function (index, track) {
        const empty = {type: 'FeatureCollection', features: []};
        if (!track || !track.points || !track.points.length) {
            return [[], [0, 0], empty, ''];
        }
        const i = Math.max(0, Math.min(index || 0, track.points.length - 1));
        const done = track.points.slice(0, i + 1);
        const now = track.times[i];
        const passed = (track.alarms || []).filter(function (a) { return a.t <= now; });
        const features = passed.map(function (a) {
            return {type: 'Feature', geometry: {type: 'Point', coordinates: [a.pos[1], a.pos[0]]},
                    properties: {id: a.id, severity: String(a.severity), label: a.text}};
        });
        const label = track.labels[i] + (passed.length ? '  ·  ' + passed[passed.length - 1].text : '');
        return [done, track.points[i], {type: 'FeatureCollection', features: features}, label];
    },
};

/* Client-side callbacks (window.dash_clientside.cityops; cityops-i18n.js adds its own). */
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.cityops = Object.assign({}, window.dash_clientside.cityops, {
    // The overview's KPI switch, from what the page already holds: the map shows
    // another of the KPIs its hideout carries, that KPI's legend and title show,
    // and the address bar names it (in place, no history entry). No request.
    switchKpi: function (kpi, hideout) {
        const dc = window.dash_clientside;
        if (!kpi || !hideout || !hideout.kpis || !hideout.kpis[kpi]) {
            return [dc.no_update, dc.no_update, dc.no_update];
        }
        const url = new URL(window.location.href);
        url.searchParams.set('kpi', kpi);
        window.history.replaceState(window.history.state, '', url.toString());
        const outputs = dc.callback_context.outputs_list;
        const hidden = function (list) { return list.map(function (o) { return o.id.kpi !== kpi; }); };
        return [Object.assign({}, hideout, {kpi: kpi}), hidden(outputs[1]), hidden(outputs[2])];
    },

    // A page's panels, drawn by the server, shown once its map is drawn too (the
    // `drawn` store: see cityops.drawn), so they never delay the map's first paint.
    showPanels: function (panels, drawn) {
        const dc = window.dash_clientside;
        if (!panels || !drawn) { return [dc.no_update, dc.no_update]; }
        return [panels.side, panels.events];
    },
});
