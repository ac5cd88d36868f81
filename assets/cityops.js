/* cityops client-side map functions, referenced from Python as
 * {"variable": "cityops.map.<name>"}. They read the GeoJSON layer's `hideout`
 * (values, colours, labels), so changing the KPI never resends geometry. */
window.cityops = Object.assign({}, window.cityops, {
    map: {
        layers: {},
        labels: {},

        colour: function (h, v) {
            if (v === null || v === undefined) { return h.nodata; }
            for (let i = 0; i < h.breaks.length; i++) {
                if (v <= h.breaks[i]) { return h.colors[i]; }
            }
            return h.colors[h.colors.length - 1] || h.nodata;
        },

        // Labels are built as DOM text, never parsed as HTML: names come from data.
        label: function (feature) {
            const text = window.cityops.map.labels[feature.id];
            const name = feature.properties.name;
            const lines = String((feature.properties.enabled && text) || name || '').split('\n');
            return window.cityops.text(lines);
        },

        style: function (feature, context) {
            const h = (context && context.hideout) || {};
            const m = window.cityops.map;
            m.labels = h.labels || {};
            const layer = m.layers[feature.id];
            if (layer && layer.getTooltip()) { layer.setTooltipContent(m.label(feature)); }
            if (!feature.properties.enabled) {
                return {fillColor: h.disabled, fillOpacity: 0.8, color: '#cbd5e1', weight: 1};
            }
            const selected = h.selected === feature.id;
            const grid = feature.properties.level === 'grid';
            if (h.outline) {  // outlines only: another layer carries the colours
                return {fillColor: '#ffffff', fillOpacity: 0.15, color: h.border, weight: 1.2};
            }
            return {
                fillColor: m.colour(h, (h.values || {})[feature.id]),
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
            const big = !grid && (se.x - nw.x) > 70 && (se.y - nw.y) > 40;
            const want = big ? 'permanent' : 'hover';
            if (layer._cityopsLabel === want) { return; }
            layer.unbindTooltip();
            layer.bindTooltip(m.label(feature), big
                ? {permanent: true, direction: 'center', className: 'area-label'}
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

/* Entity layers: points coloured by a property through hideout.colors, and
 * cluster bubbles that show how many points they hold. */
window.cityops.points = {
    point: function (feature, latlng, context) {
        const h = (context && context.hideout) || {};
        const key = feature.properties[h.colorBy || 'status'];
        const colour = (h.colors || {})[key] || '#2563eb';
        const selected = h.selected && h.selected === feature.properties.id;
        const radius = h.sizeBy ? Math.max(5, Math.min(28, 4 + Math.sqrt(feature.properties[h.sizeBy] || 0) / (h.sizeScale || 4))) : 5;
        const marker = L.circleMarker(latlng, {
            radius: selected ? radius + 4 : radius, fillColor: colour,
            color: selected ? '#111827' : (h.border || '#ffffff'),
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
        let colour = '#0369a1';
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
