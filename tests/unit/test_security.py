"""Web server hardening (issue 12): host names, body size, headers, API 404s, debug, exports.

README "Hardening": any other ``Host:`` than the configured names is a 400 on every
route (a page, a callback, an asset, the API) with one log line; a body over
``CITYOPS_MAX_REQUEST_KB`` is a JSON 413; every response carries the security headers
(HSTS only over HTTPS); an unknown ``/api/…`` path is a JSON 404; ``cityops serve
--debug`` refuses a non-loopback host; an Excel export over ``CITYOPS_EXPORT_MAX_ROWS``
rows, or beyond ``CITYOPS_EXPORT_MAX_JOBS`` at once, is refused with a translated note.
"""

from __future__ import annotations

import io
import logging
import threading

import openpyxl
import pytest

from cityops.settings import get_settings, settings_markdown
from cityops.text.i18n import t
from cityops.web import security
from cityops.web.security import (
    ExportSlots,
    content_security_policy,
    export_refusal,
    host_allowed,
    host_name,
    host_patterns,
    is_loopback,
    tile_source,
)
from tests.conftest import signed_client
from tests.unit.test_cli import one_line, run
from tests.walk import callback_body, server_callbacks

CALLBACK_PATH = "/_dash-update-component"
DEFS = [
    {"field": "n", "headerName": "N", "context": {"kind": "count", "digits": 0}},
    {"field": "name", "headerName": "名称", "context": {"kind": "text"}},
]


def export_body(dash_app, rows: list[dict], lang: str = "zh") -> dict:
    """Return the callback request the Excel button of a table sends with ``rows`` shown."""
    signed_client(dash_app).get("/")  # Dash fills its callback map on a first request
    (key, cb) = next(
        v for v in server_callbacks(dash_app).values() if "table-xlsx" in v[1]["inputs"][0]["id"]
    )
    values = {}
    for spec in cb["inputs"] + cb["state"]:
        values[(spec["id"], spec["property"])] = {
            "n_clicks": 1,
            "virtualRowData": rows,
            "columnDefs": DEFS,
            "id": {"type": "table", "name": "hazmat-open-alarms"},
            "data": {"file": "alarms", "sheet": "告警", "note": None, "lang": lang},
        }[spec["property"]]
    return callback_body(key, cb, values)


def post_export(client, body: dict):
    """Return (status, response JSON) of one export callback request."""
    resp = client.post(CALLBACK_PATH, json=body)
    return resp.status_code, resp.get_json(silent=True)


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


# ---------------------------------------------------------------- host names (pure)
@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("localhost", "localhost"),
        ("LocalHost:8050", "localhost"),
        ("127.0.0.1:8050", "127.0.0.1"),
        ("[::1]:8050", "::1"),
        ("[::1]", "::1"),
        ("dash.city.gov.cn.", "dash.city.gov.cn"),
        ("", ""),
        (None, ""),
    ],
)
def test_host_name(header, name):
    assert host_name(header) == name


def test_host_patterns_add_the_served_host_unless_every_interface():
    base = get_settings(allowed_hosts="127.0.0.1,localhost,::1", host="127.0.0.1")
    assert host_patterns(base) == ("127.0.0.1", "localhost", "::1")
    named = get_settings(allowed_hosts=".City.gov.cn, [::1] ,*", host="10.1.2.3")
    assert host_patterns(named) == (".city.gov.cn", "::1", "*", "10.1.2.3")
    assert "0.0.0.0" not in host_patterns(get_settings(host="0.0.0.0"))
    assert "::" not in host_patterns(get_settings(host="::"))


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("localhost", True),
        ("dash.city.gov.cn", True),
        ("city.gov.cn", True),
        ("a.b.city.gov.cn", True),
        ("evilcity.gov.cn", False),
        ("city.gov.cn.evil.example", False),
        ("127.0.0.1", False),
        ("", False),
        ("local host", False),
    ],
)
def test_host_allowed_with_a_subdomain_pattern(host, ok):
    assert host_allowed(host, ("localhost", ".city.gov.cn")) is ok


def test_star_allows_any_name_but_not_garbage():
    assert host_allowed("evil.example", ("*",))
    assert not host_allowed("", ("*",))
    assert not host_allowed("<script>", ("*",))


@pytest.mark.parametrize(
    ("host", "loop"),
    [
        ("127.0.0.1", True),
        ("127.5.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.5", False),
        ("dash.city.gov.cn", False),
    ],
)
def test_is_loopback(host, loop):
    assert is_loopback(host) is loop


# ---------------------------------------------------------------- host names (served)
def _requests(dash_app):
    """Return one request of each kind: (what, method, path, json body)."""
    return [
        ("page", "GET", "/", None),
        ("callback", "POST", CALLBACK_PATH, export_body(dash_app, [{"n": 1, "name": "a"}])),
        ("asset", "GET", "/assets/cityops.css", None),
        ("api", "GET", "/api/v1/health", None),
    ]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:8050", "[::1]:8050", "LOCALHOST."])
def test_configured_hosts_are_served_on_every_route(dash_app, anonymous, admin_bearer, host):
    # a bearer token: the session cookie belongs to the test client's own host name
    for what, method, path, body in _requests(dash_app):
        resp = anonymous.open(
            path, method=method, json=body, headers={"Host": host, **admin_bearer}
        )
        assert resp.status_code == 200, (what, host, resp.status_code)


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8050",
        "127.0.0.1.evil.example",
        "localhost.evil.example",
        "0.0.0.0:8050",
        "",
    ],
)
def test_other_hosts_get_400_on_every_route(dash_app, client, caplog, host):
    for what, method, path, body in _requests(dash_app):
        caplog.clear()
        with caplog.at_level(logging.INFO):
            resp = client.open(path, method=method, json=body, headers={"Host": host})
        assert resp.status_code == 400, (what, host)
        assert resp.get_json() == {"error": "unknown host name"}
        assert resp.headers["X-Frame-Options"] == "DENY"
        lines = warnings(caplog)
        assert len(lines) == 1 and "refused host" in lines[0], lines


# ---------------------------------------------------------------- body size
def test_a_body_over_the_cap_is_a_json_413_with_one_log_line(dash_app, client, caplog):
    limit = dash_app.server.config["MAX_CONTENT_LENGTH"]
    assert limit == get_settings().max_request_kb * 1024
    body = b'{"output": "' + b"x" * limit + b'"}'
    with caplog.at_level(logging.INFO):
        resp = client.post(CALLBACK_PATH, data=body, content_type="application/json")
    assert resp.status_code == 413
    assert "KB" in resp.get_json()["error"]
    lines = warnings(caplog)
    assert len(lines) == 1 and "refused body" in lines[0], lines


# ---------------------------------------------------------------- headers
@pytest.mark.parametrize("path", ["/", "/api/v1/health", "/assets/cityops.css", "/no-such"])
def test_every_response_carries_the_security_headers(client, path):
    resp = client.get(path)
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["X-Frame-Options"] == "DENY"
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-eval'" not in csp
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src "))
    assert "'unsafe-inline'" not in script_src
    assert "Strict-Transport-Security" not in resp.headers


def test_hsts_only_over_https(client):
    resp = client.get("/api/v1/health", base_url="https://localhost")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_policy_admits_every_inline_script_of_the_page_by_hash(client):
    """Each inline script Dash writes into the page (renderer, clientside callbacks) is
    named by its hash, after the first request added the page router's own."""
    import base64
    import hashlib
    import re

    client.get("/")
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    page = re.sub(r"<!--.*?-->", "", resp.get_data(as_text=True), flags=re.S)  # IE-only
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", page, re.S)
    scripts = [body for attrs, body in inline if "application/json" not in attrs]
    assert scripts
    for body in scripts:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp, body[:80]


def test_tile_source_joins_img_src():
    assert tile_source("http://tiles.local/{z}/{x}/{y}.png") == "http://tiles.local"
    assert tile_source("https://{s}.tiles.example:8443/{z}/{x}/{y}") == (
        "https://*.tiles.example:8443"
    )
    assert tile_source("") is None
    assert tile_source("/tiles/{z}/{x}/{y}.png") is None
    csp = content_security_policy(["'sha256-x'"], "http://tiles.local/{z}/{x}/{y}.png")
    assert "img-src 'self' data: http://tiles.local" in csp
    assert "script-src 'self' 'sha256-x'" in csp


# ---------------------------------------------------------------- /api/ 404
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api"),
        ("GET", "/api/"),
        ("GET", "/api/v2/kpis"),
        ("POST", "/api/anything"),
        ("DELETE", "/api/v1/kpis/../x"),
        ("GET", "/api/v1/no-such"),
    ],
)
def test_unknown_api_routes_answer_json_404(client, method, path):
    resp = client.open(path, method=method)
    assert resp.status_code == 404
    assert resp.is_json and "no such API route" in resp.get_json()["error"]


def test_known_api_routes_still_answer(client):
    assert client.get("/api/v1/health").status_code == 200
    assert client.get("/api/v1/").status_code == 200


# ---------------------------------------------------------------- debug
def test_debug_is_never_the_default():
    assert get_settings().debug is False


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "::", "dash.city.gov.cn"])
def test_serve_debug_refuses_a_non_loopback_host(tmp_path, host):
    out = run(tmp_path, "serve", "--debug", "--host", host, "--port", "1")
    assert out.returncode == 2, out.stderr
    line = one_line(out.stderr)
    assert "--debug" in line and host in line
    assert out.stdout == ""


def test_serve_debug_refuses_a_non_loopback_host_from_the_environment(tmp_path):
    out = run(tmp_path, "serve", CITYOPS_DEBUG="true", CITYOPS_HOST="0.0.0.0")
    assert out.returncode == 2
    assert "0.0.0.0" in one_line(out.stderr)


# ---------------------------------------------------------------- exports
def test_export_refusal_names_rows_and_limit_in_both_languages():
    assert export_refusal(100_000, 100_000, "zh") is None
    zh = export_refusal(100_001, 100_000, "zh")
    en = export_refusal(100_001, 100_000, "en")
    assert "100,001" in zh and "100,000" in zh and "筛选" in zh
    assert "100,001" in en and "filter" in en


def test_export_slots_admit_jobs_then_refuse_after_a_short_wait():
    slots = ExportSlots(2, wait_s=0.05)
    with slots.slot() as a, slots.slot() as b:
        assert a and b
        with slots.slot() as c:
            assert c is False
    with slots.slot() as again:  # freed on exit
        assert again


def test_an_export_within_the_caps_is_a_workbook(dash_app, client):
    rows = [{"n": i, "name": f"点位{i}"} for i in range(5)]
    status, answer = post_export(client, export_body(dash_app, rows))
    assert status == 200
    download, note = answer["response"].values()
    assert note == {"children": ""}
    data = download["data"]
    assert data["filename"] == "alarms.xlsx" and data["base64"]
    import base64

    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(data["content"])))
    assert book.active.max_row == 6


def test_an_export_over_the_row_cap_is_refused_not_cut(dash_app, client, monkeypatch, caplog):
    from cityops.queries.context import current

    settings = current().settings
    monkeypatch.setitem(settings.values, "export_max_rows", 3)
    rows = [{"n": i, "name": "x"} for i in range(4)]
    for lang in ("zh", "en"):
        caplog.clear()
        with caplog.at_level(logging.INFO):
            status, answer = post_export(client, export_body(dash_app, rows, lang))
        assert status == 200
        response = answer["response"]
        assert not any("data" in v for v in response.values()), "no file"
        (note,) = [v["children"] for v in response.values() if "children" in v]
        assert note == t("export.too_many", lang).format(rows="4", max="3")
        assert len(warnings(caplog)) == 1


def test_exports_beyond_the_job_cap_are_asked_to_try_again(dash_app, client, monkeypatch):
    from cityops.queries.context import current

    settings = current().settings
    monkeypatch.setitem(settings.values, "export_max_jobs", 1)
    slots = security.export_slots(1)
    monkeypatch.setattr(slots, "wait_s", 0.05)
    assert slots._slots.acquire(timeout=1)  # another export is being built
    try:
        status, answer = post_export(client, export_body(dash_app, [{"n": 1, "name": "a"}], "en"))
    finally:
        slots._slots.release()
    assert status == 200
    notes = [v["children"] for v in answer["response"].values() if "children" in v]
    assert notes == [t("export.busy", "en")]
    status, answer = post_export(client, export_body(dash_app, [{"n": 1, "name": "a"}], "en"))
    assert any("data" in v for v in answer["response"].values())


def test_at_most_the_job_cap_of_workbooks_are_built_at_once(monkeypatch):
    """Eight threads through the slots of two: never more than two inside."""
    slots = ExportSlots(2, wait_s=5)
    inside, most, lock = [0], [0], threading.Lock()

    def job():
        with slots.slot() as free:
            assert free
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            threading.Event().wait(0.02)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=job) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert most[0] == 2


@pytest.mark.parametrize("name", ["max_request_kb", "export_max_rows", "export_max_jobs"])
def test_caps_must_be_positive(name):
    with pytest.raises(ValueError, match=name.upper()):
        get_settings(**{name: 0})


# ---------------------------------------------------------------- settings documented
def test_hardening_settings_are_in_the_readme():
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = settings_markdown()
    for name in ("ALLOWED_HOSTS", "MAX_REQUEST_KB", "EXPORT_MAX_ROWS", "EXPORT_MAX_JOBS"):
        row = next(line for line in table.splitlines() if f"`CITYOPS_{name}`" in line)
        assert row in readme


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "::"])
def test_sec_auth_off_serves_this_machine_only(tmp_path, host):
    """Without login nobody on the network may read the province: refused before serving."""
    out = run(tmp_path, "serve", "--host", host, "--port", "1", CITYOPS_AUTH="off")
    assert out.returncode == 2
    line = one_line(out.stderr)
    assert "CITYOPS_AUTH=off" in line and host in line
