"""Every query function refuses a scope outside the caller's permitted one.

The functions are found by introspection, so a new query function is covered
(or fails here until it is classified): each public function of the read side
whose first parameter is the context (or the store) must take ``allowed``; asked
about 玄武 (or an entity there) by a caller allowed only 姑苏, it raises
ScopeDenied, or — a listing with no asked scope — answers from inside 姑苏 only.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect

import pandas as pd
import pytest

from cityops.geo import ScopeDenied
from cityops.periods import Period
from tests.unit.test_kpis import DAY, GUSU, T0, XUANWU, hand  # noqa: F401
from tests.unit.test_queries import q  # noqa: F401

MODULES = (
    "cityops.queries",
    "cityops.queries.video",
    "cityops.queries.hazmat",
    "cityops.queries.rentals",
    "cityops.queries.tourism",
    "cityops.queries.catalogue",
    "cityops.queries.periods",
    "cityops.queries.live",
    "cityops.queries.snapshots",
    "cityops.queries.wall",
)
#: Entities of 玄武 in the hand-made store, by the parameter that names them.
ENTITY_IN_XUANWU = {"camera_id": "c1", "waybill_id": "w3", "unit_id": "r1", "spot_id": "s1"}
#: Query functions that answer a listing with no asked scope: checked to stay inside.
LISTINGS = {"cityops.queries.video.departments", "cityops.queries.catalogue.datasets",
            "cityops.queries.catalogue.cameras_by_department"}  # fmt: skip
#: Functions that answer by state, not by raising (find_entity → "denied").
BY_STATE = {"cityops.queries.find_entity"}
#: Facts about the sources, not about areas (when each dataset last arrived, what changed):
#: the same answer for every caller, checked below to hold no area's rows.
SOURCE_FACTS = {"cityops.queries.live.freshness", "cityops.queries.live.live_revision",
                "cityops.queries.wall.freshness", "cityops.queries.wall.revision"}  # fmt: skip


def query_functions():
    """Yield (qualified name, function) of every public query function of the read side."""
    for name in MODULES:
        module = importlib.import_module(name)
        for fname, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != name or fname.startswith("_"):
                continue
            first = next(iter(inspect.signature(fn).parameters), None)
            if first in ("ctx", "storage"):
                yield f"{name}.{fname}", fn


FUNCTIONS = dict(query_functions())


def test_the_read_side_has_the_functions_this_file_expects():
    assert len(FUNCTIONS) >= 30
    assert "cityops.queries.video.camera_points" in FUNCTIONS
    assert "cityops.queries.read" in FUNCTIONS  # the door itself, checked below


@pytest.mark.parametrize("qualified", sorted(set(FUNCTIONS) - {"cityops.queries.read"}))
def test_every_query_function_takes_the_permitted_scope(qualified):
    params = inspect.signature(FUNCTIONS[qualified]).parameters
    assert "allowed" in params, f"{qualified} must take the caller's permitted scope"
    assert params["allowed"].default is inspect.Parameter.empty, f"{qualified}: no default"


def _arguments(fn, q, allowed):  # noqa: F811
    """Return the keyword arguments asking ``fn`` about 玄武 for a caller allowed ``allowed``."""
    values = {
        "scope": q.geo.scope(XUANWU), "allowed": allowed, "day": DAY, "days": 7,
        "now": T0 + dt.timedelta(hours=2), "since": T0 - dt.timedelta(days=7),
        "level": "grid", "kind": "camera", "key": "c1", "load_id": "none",
        "table": None, "value": "c1", "page": "overview",
        "start": DAY - dt.timedelta(days=6), "end": DAY,
        "period": Period(DAY - dt.timedelta(days=6), DAY),
        **ENTITY_IN_XUANWU,
    }  # fmt: skip
    out = {}
    for name, p in list(inspect.signature(fn).parameters.items())[1:]:
        if name in values:
            out[name] = values[name]
        elif p.default is inspect.Parameter.empty:
            raise AssertionError(f"{fn.__qualname__}: no test value for required {name!r}")
    return out


@pytest.mark.parametrize(
    "qualified",
    sorted(set(FUNCTIONS) - LISTINGS - BY_STATE - SOURCE_FACTS - {"cityops.queries.read"}),
)
def test_every_query_function_refuses_a_scope_outside_the_permitted_one(q, qualified):  # noqa: F811
    fn = FUNCTIONS[qualified]
    if qualified == "cityops.queries.entity":
        from cityops import store

        with pytest.raises(ScopeDenied):
            fn(q, store.cameras, "camera_id", "c1", allowed=q.geo.scope(GUSU))
        return
    first = q.storage if qualified.startswith("cityops.queries.catalogue") else q
    kwargs = _arguments(fn, q, q.geo.scope(GUSU))
    with pytest.raises(ScopeDenied):
        fn(first, **kwargs)
    # and the same question from a caller who may see the province is answered
    kwargs["allowed"] = q.geo.scope(None)
    fn(first, **kwargs)


@pytest.mark.parametrize("qualified", sorted(SOURCE_FACTS))
def test_source_facts_are_the_same_for_every_caller(q, qualified):  # noqa: F811
    fn = FUNCTIONS[qualified]
    kwargs = _arguments(fn, q, q.geo.scope(GUSU))
    narrow = fn(q, **kwargs)
    kwargs["allowed"] = q.geo.scope(None)
    wide = fn(q, **kwargs)
    if isinstance(narrow, pd.DataFrame):
        assert not {"city_code", "district_code", "grid_cell"} & set(narrow.columns)
        pd.testing.assert_frame_equal(narrow, wide)
    else:
        assert narrow == wide


def test_find_entity_says_denied_outside_the_permitted_area(q):  # noqa: F811
    fn = FUNCTIONS["cityops.queries.find_entity"]
    for kind, key in (("camera", "c1"), ("waybill", "w3"), ("unit", "r1"), ("spot", "s1")):
        assert fn(q, kind, key, allowed=q.geo.scope(GUSU)).state == "denied"
        assert fn(q, kind, key, allowed=q.geo.scope(None)).state == "found"


def test_listings_answer_from_inside_the_permitted_area_only(q):  # noqa: F811
    from cityops.queries import catalogue
    from cityops.queries import video as vq

    gusu, province = q.geo.scope(GUSU), q.geo.scope(None)
    assert vq.departments(q, allowed=gusu) == {"公安"}  # 水务's camera is in 玄武
    assert vq.departments(q, allowed=province) == {"公安", "水务"}
    by_dept = catalogue.cameras_by_department(q.storage, allowed=gusu)
    assert by_dept[["department", "cameras"]].values.tolist() == [["公安", 1]]
    now = T0 + dt.timedelta(hours=2)
    rows = catalogue.datasets(q.storage, allowed=gusu, now=now).set_index("dataset")["rows"]
    everything = catalogue.datasets(q.storage, allowed=province, now=now)
    everything = everything.set_index("dataset")["rows"]
    assert rows["cameras"] == 1 and everything["cameras"] == 5
    assert rows["rentals"] == 1 and everything["rentals"] == 5
    assert pd.isna(rows["bookings"])  # no area columns: counted for the province only
    assert everything["bookings"] == 6
