"""Personal data by role (issue 12 point 5).

Landlords' names and phones, plates and full addresses (and any column
``CITYOPS_PERSONAL_EXTRA`` names) are masked on the server for every role
``CITYOPS_PERSONAL_ROLES`` does not name — in pages, callbacks, reports and the
catalogue's quarantined rows. Every page the other test modules render is also
checked for raw values (``tests.walk.personal_leaks`` in ``View.problems``); here
the roles, the settings and the paths that are not page layouts.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json

import openpyxl
import pytest

from cityops.datasets import personal_columns
from cityops.queries import context as context_module
from cityops.queries.context import Context
from cityops.settings import get_settings
from tests.conftest import request_as
from tests.walk import DAY, layout_of, personal_leaks, personal_values, rows


@contextlib.contextmanager
def installed(settings):
    """Make a context on ``settings`` the process's for the block (the pages read it)."""
    before = context_module._CONTEXT
    context_module.install(Context(settings))
    try:
        yield context_module.current()
    finally:
        context_module.install(before)


def view_text(dash_app, path: str, role: str, **params) -> str:
    """Return the JSON of the page at ``path`` as a user of ``role`` (the province)."""
    import plotly.utils

    with request_as(dash_app, path, name=f"a-{role}", role=role):
        out = layout_of(path)(**params)
    return json.dumps(out.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


@pytest.fixture(scope="module")
def flat(demo_ctx):
    """A flat of the demo with a landlord phone: ``(unit_id, phone, name)``."""
    return rows(demo_ctx, "select unit_id, landlord_phone, landlord_name from rentals "
                          "where landlord_phone is not null order by unit_id limit 1")[0]  # fmt: skip


# ------------------------------------------------------------------ settings
def test_by_default_every_role_sees_personal_data_masked():
    settings = get_settings()
    assert settings.personal_role_set() == frozenset()
    assert settings.personal_extra_columns() == {}


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [("personal_roles", "admin,boss", ["PERSONAL_ROLES", "boss"]),
     ("personal_extra", "operator", ["PERSONAL_EXTRA", "column:kind"]),
     ("personal_extra", "company:salary", ["kind", "salary"]),
     ("personal_extra", "no_such_column:name", ["no_such_column"])],
)  # fmt: skip
def test_a_bad_personal_setting_is_refused_naming_it(name, value, words):
    with pytest.raises(ValueError) as caught:
        get_settings(**{name: value})
    for word in words:
        assert word in str(caught.value)


def test_extra_columns_are_masked_with_the_declared_ones(demo_dir):
    import sqlalchemy as sa

    from cityops import store
    from cityops.queries import read

    settings = get_settings(data_dir=str(demo_dir), database_url="", personal_extra="carrier:name")
    assert settings.personal_extra_columns() == {"carrier": "name"}
    ctx = Context(settings)
    assert ctx.masked_columns()["carrier"] == "name"
    query = sa.select(store.hazmat_waybills.c.carrier).limit(5)
    plain = read(Context(get_settings(data_dir=str(demo_dir), database_url="")), query)
    masked = read(ctx, query)
    assert len(masked) == len(plain) > 0
    assert all(m != p and m[0] == p[0] and "*" in m
               for m, p in zip(masked["carrier"], plain["carrier"], strict=True))  # fmt: skip


# ------------------------------------------------------------------ who sees what
def test_masked_columns_follow_the_role(dash_app, demo_dir):
    settings = get_settings(data_dir=str(demo_dir), database_url="", personal_roles="centre")
    ctx = Context(settings)
    everything = personal_columns()
    assert set(everything) >= {"landlord_name", "landlord_phone", "vehicle_plate", "address"}
    with request_as(dash_app, role="centre"):
        assert ctx.masked_columns() == {}
    for role in ("admin", "analyst", "manager", "loader"):
        with request_as(dash_app, role=role):
            assert ctx.masked_columns() == everything, role
    assert ctx.masked_columns() == everything  # the command line
    assert Context(settings, role="centre").masked_columns() == {}  # a centre user's report job
    off = get_settings(data_dir=str(demo_dir), database_url="", auth="off", personal_roles="centre")
    assert Context(off, role="centre").masked_columns() == everything  # open access: masked


def test_a_flat_shows_its_landlord_only_to_a_role_allowed(dash_app, demo_dir, flat):
    unit, phone, name = flat
    settings = get_settings(data_dir=str(demo_dir), database_url="", personal_roles="centre")
    with installed(settings) as ctx:
        values = personal_values(ctx)
        shown = view_text(dash_app, "/rentals", "centre", unit=unit, date=DAY)
        assert phone in shown and name in shown
        assert personal_leaks(shown, values), "the leak check finds a raw phone"
        for role in ("analyst", "admin"):
            masked = view_text(dash_app, "/rentals", role, unit=unit, date=DAY)
            assert phone not in masked and phone[:3] + "****" + phone[-4:] in masked, role
            assert not personal_leaks(masked, values), role


def _xlsx_text(download: dict) -> str:
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(download["content"])))
    return "\n".join(str(c.value) for ws in book.worksheets for r in ws.iter_rows() for c in r
                     if c.value is not None)  # fmt: skip


def test_a_report_job_masks_by_its_users_role(demo_dir, demo_ctx):
    from pages.reports import produce

    settings = get_settings(data_dir=str(demo_dir), database_url="", personal_roles="centre")
    values = personal_values(demo_ctx)
    form = {"scope": "320100", "kind": "daily", "day": DAY, "start": None, "end": None,
            "map_kpi": "cameras_online_rate", "report_lang": "zh", "fmt": "xlsx"}  # fmt: skip
    texts = {}
    for role in ("manager", "centre"):
        download, _ = produce(settings, **form, lang="zh", tell=lambda v: None, actor=f"a-{role}",
                              role=role)  # fmt: skip
        assert download is not None, role
        texts[role] = _xlsx_text(download)
    assert "****" in texts["manager"] and not personal_leaks(texts["manager"], values)
    assert personal_leaks(texts["centre"], values), "a centre user's report names the plates"


def test_the_quarantine_is_masked_unless_the_role_may_see(fresh_store, tmp_path):
    from cityops.geo import PROVINCE
    from cityops.queries import catalogue
    from tests.unit.test_loader_refusals import NAME, PHONE, load, rentals_with_personal_bad_rows

    _, storage, _ = fresh_store
    report = load(fresh_store, rentals_with_personal_bad_rows(tmp_path), "rentals")
    masked = catalogue.issues(storage, allowed=PROVINCE, load_id=report.load_id)
    plain = catalogue.issues(storage, allowed=PROVINCE, load_id=report.load_id, masked={})
    assert PHONE not in masked.to_json(force_ascii=False)
    text = plain.to_json(force_ascii=False)
    assert PHONE in text and NAME in text
