"""Login on by default and demo mode, as ``make run`` uses it (issue 12 point 4).

Through the installed ``.venv/bin/cityops`` in a subprocess: the refusals, and a real
demo server signed in to with the password it printed.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import time

import pytest
import requests

from cityops.auth import accounts, audit
from cityops.auth.demo import LOGIN_FILE, SECRET_FILE, demo_secret_key, ensure_demo_admin
from cityops.auth.schema import auth_engine
from cityops.settings import get_settings
from cityops.text.i18n import t
from tests.conftest import REPO
from tests.unit.test_cli import SCRIPT, one_line, run

MAKEFILE = REPO / "Makefile"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_login_is_on_by_default():
    settings = get_settings()
    assert settings.values["auth"] == "on" and settings.demo is False


def test_make_run_serves_in_demo_mode():
    text = MAKEFILE.read_text(encoding="utf-8")
    recipe = text.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "cityops serve --demo" in recipe


def test_the_demo_key_is_made_once_and_private(tmp_path):
    key = demo_secret_key(tmp_path)
    assert len(key) >= 32
    assert oct((tmp_path / SECRET_FILE).stat().st_mode & 0o777) == "0o600"
    assert demo_secret_key(tmp_path) == key  # kept: a restart signs nobody out
    (tmp_path / SECRET_FILE).write_text("short")
    assert demo_secret_key(tmp_path) != "short"


def test_the_demo_admin_is_made_only_for_a_store_without_accounts(tmp_path):
    engine = auth_engine(get_settings(data_dir=str(tmp_path), database_url=""))
    made = ensure_demo_admin(engine, tmp_path)
    assert made.created and made.name == "admin" and made.password
    assert oct((tmp_path / LOGIN_FILE).stat().st_mode & 0o777) == "0o600"
    assert accounts.verify_password(engine, "admin", made.password).ok
    rows = audit.query(engine, action="account.add", limit=5)
    assert [(r["actor"], r["detail"]["account"]) for r in rows] == [("demo", "admin")]
    again = ensure_demo_admin(engine, tmp_path)
    assert (again.created, again.name, again.password) == (False, "admin", made.password)
    assert len(accounts.list_accounts(engine)) == 1

    other = tmp_path / "other"
    other.mkdir()
    engine2 = auth_engine(get_settings(data_dir=str(other), database_url=""))
    accounts.add_account(engine2, "ops", "admin", None, "a long enough password", None)
    found = ensure_demo_admin(engine2, other)
    assert found.name is None and not (other / LOGIN_FILE).exists()
    assert [a.name for a in accounts.list_accounts(engine2)] == ["ops"]


def test_serve_without_a_key_is_refused_in_one_line(data_dir):
    out = run(data_dir, "serve", "--port", "1")
    assert out.returncode == 1
    line = one_line(out.stderr)
    assert "CITYOPS_SECRET_KEY" in line and "--demo" in line


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5"])
def test_demo_mode_serves_this_machine_only(data_dir, host):
    out = run(data_dir, "serve", "--demo", "--host", host, "--port", "1")
    assert out.returncode == 2
    line = one_line(out.stderr)
    assert "demo mode" in line and host in line
    assert not (data_dir / SECRET_FILE).exists()


@contextlib.contextmanager
def demo_server(data_dir):
    """Run the installed ``cityops serve --demo``; yield ``(base URL, its output so far)``."""
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CITYOPS_")}
    environ.update(CITYOPS_DATA_DIR=str(data_dir), CITYOPS_DATABASE_URL="", CITYOPS_TEST="1")
    log_path = data_dir.parent / f"demo-{port}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([str(SCRIPT), "serve", "--demo", "--port", str(port)],
                                env=environ, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 60
            while time.time() < deadline:
                assert proc.poll() is None, log_path.read_text()
                with contextlib.suppress(requests.RequestException):
                    if requests.get(f"{base}/login", timeout=1).ok:
                        break
                time.sleep(0.3)
            else:
                raise AssertionError("the demo server did not answer within 60 s")
            yield base, log_path.read_text()
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def login(http: requests.Session, base: str, name: str, password: str) -> requests.Response:
    form = http.get(f"{base}/login", timeout=10).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    return http.post(f"{base}/login", data={"csrf": csrf, "name": name, "password": password},
                     allow_redirects=False, timeout=30)  # fmt: skip


def test_a_demo_server_prints_its_login_and_keeps_login_on(data_dir):
    with demo_server(data_dir) as (base, output):
        found = re.search(r"sign in at (\S+) as admin, password (\S+) \(created", output)
        assert found, output
        assert found.group(1) == f"{base}/login"
        password = found.group(2)
        assert (data_dir / LOGIN_FILE).read_text().split() == ["admin", password]
        assert oct((data_dir / SECRET_FILE).stat().st_mode & 0o777) == "0o600"
        assert requests.get(f"{base}/", allow_redirects=False, timeout=10).status_code == 302
        assert requests.get(f"{base}/api/v1/kpis", timeout=10).status_code == 401
        with requests.Session() as http:
            assert login(http, base, "admin", "wrong password").status_code == 401
            assert login(http, base, "admin", password).status_code == 303
            page = http.get(f"{base}/", timeout=30)
            assert page.status_code == 200
            layout = http.get(f"{base}/_dash-layout", timeout=30).text
            assert t("auth.demo_banner", "zh").split("：")[0] in layout
            assert http.get(f"{base}/api/v1/kpis", timeout=30).status_code == 200
    with demo_server(data_dir) as (_base, output):  # a restart keeps the account
        assert f"as admin, password {password} (kept" in output
