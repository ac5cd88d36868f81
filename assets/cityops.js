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

        label: function (feature) {
            const text = window.cityops.map.labels[feature.id];
            const name = feature.properties.name;
            if (!feature.properties.enabled) { return name; }
            return (text || name).replace('\n', '<br>');
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
