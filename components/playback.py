"""A waybill's track replay: the slider panel, the data it plays and the layers it moves.

Pure: the track and the alarms of one waybill (frames of
:func:`cityops.queries.hazmat.waybill_track` and ``waybill_alarms``) in, Dash and
dash-leaflet components out. The slider's value is the index of a GPS fix; one
client-side callback (``window.cityops.hazmat.playback`` in ``assets/cityops.js``,
wired by the page) draws the track up to that fix in colour, moves the vehicle
there and shows the alarms raised so far. The data it reads sits in a
``dcc.Store``: ``points`` (``[lat, lon]``), ``times`` (epoch seconds), ``labels``
(``MM-DD HH:MM:SS  NN km/h``) and ``alarms`` (``id, t, pos, severity, text``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from dash import dcc, html

from cityops import theme
from cityops.text.formatting import fmt_times
from cityops.text.i18n import t
from components.domain import panel
from components.hazmat_layers import track_layers
from components.states import empty

#: Degrees added around a track when the map is fitted to it.
FOCUS_PAD = 0.01


@dataclass(frozen=True)
class PlaybackIds:
    """The DOM ids of one playback (the page's callbacks name the same ones)."""

    slider: str
    track: str
    done: str
    here: str
    passed: str
    now: str
    panel: str

    @classmethod
    def of(cls, prefix: str) -> PlaybackIds:
        """Return the ids ``<prefix>-slider``, ``<prefix>-track``, … ``<prefix>-playback``."""
        return cls(*(f"{prefix}-{n}" for n in ("slider", "track", "done", "here", "passed",
                                               "now", "playback")))  # fmt: skip


@dataclass(frozen=True)
class Playback:
    """What a playback adds to a page: map ``overlays``, the ``panel``, the map ``focus``.

    ``focus`` is the track's lon/lat box (``min_lon, min_lat, max_lon, max_lat``,
    padded), or None without a track.
    """

    overlays: list
    panel: html.Section
    focus: tuple[float, float, float, float] | None


def playback_data(track: pd.DataFrame, alarms: pd.DataFrame, lang: str) -> dict:
    """Return what the client-side playback reads, from a track and its alarms.

    ``track`` has ``ts, lon, lat, speed_kmh`` in time order; ``alarms`` has
    ``alarm_id, ts, alarm_type, severity, lon, lat``. Times are epoch seconds of the
    stored (naive, local) times, so the slider and the alarms compare like with like.
    """
    points = [[la, lo] for lo, la in zip(track["lon"], track["lat"], strict=True)]
    times = [int(ts.timestamp()) for ts in track["ts"]]
    labels = [
        f"{s}  {v:.0f} km/h"
        for s, v in zip(
            fmt_times(track["ts"], "%m-%d %H:%M:%S"), track["speed_kmh"].fillna(0), strict=True
        )
    ]
    return {
        "points": points,
        "times": times,
        "labels": labels,
        "alarms": [
            {
                "id": a.alarm_id,
                "t": int(a.ts.timestamp()),
                "pos": [a.lat, a.lon],
                "severity": int(a.severity),
                "text": f"{t(f'alarm.{a.alarm_type}', lang)} ({t(f'severity.{a.severity}', lang)})",
            }
            for a in alarms.itertuples()
        ],
    }


def slider_marks(data: dict) -> dict:
    """Return the slider's marks: HH:MM at both ends, a "!" in severity colour at each alarm.

    An alarm sits at the fix nearest to its time (the first of two equally near).
    """
    times, labels = data["times"], data["labels"]
    last = len(times) - 1
    marks: dict = {0: labels[0][6:11], last: labels[-1][6:11]}  # HH:MM at both ends
    for a in data["alarms"]:
        i = min(range(len(times)), key=lambda k, at=a["t"]: abs(times[k] - at))
        marks[i] = {
            "label": "!",
            "style": {"color": theme.SEVERITY[a["severity"]], "fontWeight": 700},
        }
    return marks


def track_focus(track: pd.DataFrame, pad: float = FOCUS_PAD) -> tuple[float, float, float, float]:
    """Return the lon/lat box of a (non-empty) track, ``pad`` degrees around it."""
    return (track["lon"].min() - pad, track["lat"].min() - pad,
            track["lon"].max() + pad, track["lat"].max() + pad)  # fmt: skip


def playback_panel(data: dict, ids: PlaybackIds, lang: str) -> html.Section:
    """Return the playback panel: the data store, the slider (at the last fix), the readout."""
    last = len(data["points"]) - 1
    return panel(
        t("hazmat.track", lang),
        dcc.Store(id=ids.track, data=data),
        html.Div(
            dcc.Slider(
                id=ids.slider,
                min=0,
                max=last,
                step=1,
                value=last,
                marks=slider_marks(data),
                updatemode="drag",
            ),
            className="slider-wrap",
        ),
        html.Div(id=ids.now, className="hint mono"),
        html.P(t("hazmat.track_hint", lang), className="hint"),
        panel_id=ids.panel,
    )


def playback(
    track: pd.DataFrame,
    alarms: pd.DataFrame,
    *,
    hazard_class: str,
    ids: PlaybackIds,
    lang: str,
) -> Playback:
    """Return the playback of one waybill: its track layers, its panel and the map focus.

    Without a fix the panel says so (an empty state) and nothing is added to the map.
    """
    if track.empty:
        return Playback([], panel(t("hazmat.track", lang), empty(t("hazmat.no_track", lang))), None)
    data = playback_data(track, alarms, lang)
    overlays = track_layers(
        data["points"],
        hazard_class=hazard_class,
        done_id=ids.done,
        here_id=ids.here,
        passed_id=ids.passed,
    )
    return Playback(overlays, playback_panel(data, ids, lang), track_focus(track))
