"""Map classes: rates keep distinct classes, zero has its own, no "≤ 0" class."""

from __future__ import annotations

import pandas as pd

from components.choropleth import choropleth_hideout, kpi_breaks, legend_labels


def colours(kpi, values):
    hideout = choropleth_hideout(pd.Series(values), kpi=kpi, names={}, lang="zh")
    out = {}
    for code, v in hideout["values"].items():
        index = next(i for i, b in enumerate(hideout["breaks"]) if v <= b)
        out[code] = hideout["colors"][index]
    return out


def test_mc001_a_grid_of_0_50_and_100_percent_keeps_distinct_colours():
    values = {"a": 0.0, "b": 0.5, "c": 1.0, "d": 1.0, "e": 1.0}
    rect = colours("rentals_rectify_rate", values)
    assert len({rect["a"], rect["b"], rect["c"]}) == 3
    online = colours("cameras_online_rate", values)  # quantiles made this one class
    assert online["b"] != online["c"]


def test_mc002_counts_give_zero_its_own_class_and_never_a_less_or_equal_zero():
    breaks = kpi_breaks(pd.Series([0, 0, 1, 2, 5, 9]), "hazmat_alarms_open")
    assert breaks[0] == 0
    labels = legend_labels(breaks, "count", "zh")
    assert labels[0] == "0"
    assert not any(label.startswith("≤ 0") for label in labels)
    assert len(set(breaks)) == len(breaks)


def test_mc003_the_last_rate_class_is_open_ended():
    labels = legend_labels([0.2, 0.4, 0.6, 0.8, 1.0], "rate", "en")
    assert labels[0] == "≤ 20.0%" and labels[-1] == "> 80.0%"


def test_mc004_no_values_no_classes():
    assert kpi_breaks(pd.Series([None, None]), "peak_slot_load") == []
