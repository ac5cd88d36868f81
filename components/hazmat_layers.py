"""Hazmat map layers: vehicles at their last fix, one waybill's track and its alarms.

Pure builders: frames (or the playback data built from them) in, dash-leaflet
layers out. Colours come from :mod:`cityops.theme` and reach the browser through
each layer's ``hideout``, which ``window.cityops.points.point``
(``assets/cityops.js``) reads: ``colorBy`` names the feature property that picks
a colour from ``colors``; ``border`` outlines every point, ``selectedBorder`` the
selected one; ``pane`` draws the points above the area polygons.
"""

from __future__ import annotations

import dash_leaflet as dl
import pandas as pd

from cityops import theme
from components.choropleth import ENTITY_PANE, js

#: The client-side function that draws an entity point (a circle marker).
POINT = js("point", "cityops.points")


def vehicle_features(vehicles: pd.DataFrame) -> list[dict]:
    """Return one GeoJSON point per waybill in transit, at its vehicle's last fix.

    ``vehicles`` has the columns of :func:`cityops.queries.hazmat.vehicles_in_transit`
    (``waybill_id, hazard_class, cargo_name, vehicle_plate, lon, lat`` are used; the
    plate arrives masked). Each feature's properties: ``id`` (the waybill, what a
    click opens), ``hazard_class`` (its colour) and ``label`` (its tooltip, drawn as text).
    """
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "id": wid,
                "hazard_class": cls,
                "label": f"{cls} · {cargo} · {plate}",
            },
        }
        for wid, cls, cargo, plate, lon, lat in zip(
            vehicles["waybill_id"],
            vehicles["hazard_class"],
            vehicles["cargo_name"],
            vehicles["vehicle_plate"],
            vehicles["lon"],
            vehicles["lat"],
            strict=True,
        )
    ]


def vehicle_hideout(hazard_classes, selected: str | None) -> dict:
    """Return the ``hideout`` of the vehicle layer: placard colour per class shown."""
    return {
        "colorBy": "hazard_class",
        "colors": {c: theme.hazard_colour(c) for c in set(hazard_classes)},
        "selected": selected,
        "border": theme.VEHICLE_BORDER,
        "selectedBorder": theme.SELECTED_BORDER,
        "pane": ENTITY_PANE,
    }


def vehicle_layer(vehicles: pd.DataFrame, *, selected: str | None, layer_id: str) -> dl.GeoJSON:
    """Return the vehicles in transit as points in their placard colours.

    ``selected`` (a waybill id) is drawn larger and outlined; a click on a point
    reports its feature (``clickData``), whose ``properties.id`` is the waybill.
    """
    return dl.GeoJSON(
        id=layer_id,
        data={"type": "FeatureCollection", "features": vehicle_features(vehicles)},
        pointToLayer=POINT,
        hideout=vehicle_hideout(vehicles["hazard_class"], selected),
    )


def alarm_hideout() -> dict:
    """Return the ``hideout`` of a layer of alarms: coloured by severity (1–3)."""
    return {
        "colorBy": "severity",
        "colors": {str(k): v for k, v in theme.SEVERITY.items()},
        "border": theme.POINT_BORDER,
        "selectedBorder": theme.SELECTED_BORDER,
        "pane": ENTITY_PANE,
    }


def alarm_layer(layer_id: str, features: list[dict] | None = None) -> dl.GeoJSON:
    """Return a layer of alarm points coloured by severity.

    ``features`` have ``properties.severity`` as text (``"1"``–``"3"``); the track
    playback starts it empty and fills it as the slider passes each alarm.
    """
    return dl.GeoJSON(
        id=layer_id,
        data={"type": "FeatureCollection", "features": features or []},
        pointToLayer=POINT,
        hideout=alarm_hideout(),
    )


def track_layers(
    points: list[list[float]],
    *,
    hazard_class: str,
    done_id: str,
    here_id: str,
    passed_id: str,
) -> list:
    """Return the layers of one waybill's track, as the playback starts (at its last fix).

    ``points`` are ``[lat, lon]`` pairs in time order (at least one). The whole route
    is grey; the part driven so far (``done_id``) is drawn over it in the cargo's
    placard colour; the vehicle (``here_id``) is a white disc at the current fix; the
    alarms passed so far are points of ``passed_id``. The playback moves the last three.
    """
    return [
        dl.Polyline(positions=points, color=theme.TRACK_ROUTE, weight=3, opacity=0.7),
        dl.Polyline(
            id=done_id, positions=points, color=theme.hazard_colour(hazard_class), weight=5
        ),
        dl.CircleMarker(
            id=here_id,
            center=points[-1],
            radius=9,
            color=theme.TRACK_VEHICLE_EDGE,
            fillColor=theme.TRACK_VEHICLE_FILL,
            fillOpacity=1,
            weight=3,
        ),
        alarm_layer(passed_id),
    ]
