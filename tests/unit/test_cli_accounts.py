"""``cityops user|token|audit`` through the installed script (issue 12, part 1): exit codes,
the token as the last line, audit rows for every change and every load."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
from pathlib import Path

import h3
import pytest

from cityops.auth import accounts, audit
from cityops.auth.schema import SQLITE_NAME, make_auth_engine
from tests.unit.test_cli import DATA, REPO, SCRIPT, run

PASSWORD = "correct horse battery"
ACTOR = f"cli:{getpass.getuser()}"


def auth(data_dir: Path):
    return make_auth_engine(f"sqlite:///{data_dir / SQLITE_NAME}")


def add(data_dir, name="alice", *args, password=PASSWORD):
    return run_in(data_dir, password + "\n", "user", "add", name, *args, "--password-stdin")


def run_in(data_dir: Path, stdin: str, *args: str):
    """Run the script with ``stdin`` as its standard input (as ``test_cli.run``)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CITYOPS_")}
    environ.update(
        {"CITYOPS_DATABASE_URL": "", "CITYOPS_TEST": "1", "CITYOPS_DATA_DIR": str(data_dir)}
    )
    return subprocess.run(
        [str(SCRIPT), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        timeout=300,
        cwd=REPO,
    )


def last_error(done) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


def test_user_add_list_disable_reset(tmp_path):
    data_dir = tmp_path / "data"  # no store needed without --scope
    done = add(data_dir, "alice", "--role", "admin")
    assert done.returncode == 0, done.stderr
    assert "alice" in done.stdout and "admin" in done.stdout
    assert add(data_dir, "alice", "--role", "admin").returncode == 1  # exists
    listed = run(data_dir, "user", "list", "--json")
    assert listed.returncode == 0
    (row,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["name"] == "alice" and row["role"] == "admin" and row["scope_code"] is None
    assert "argon2" not in listed.stdout and "hash" not in listed.stdout
    table = run(data_dir, "user", "list")
    assert "alice" in table.stdout and "argon2" not in table.stdout
    assert run(data_dir, "user", "disable", "alice").returncode == 0
    again = run(data_dir, "user", "disable", "alice")
    assert again.returncode == 0 and "already" in again.stdout
    assert run(data_dir, "user", "list", "--json").stdout.count('"disabled": true') == 1
    reset = run_in(
        data_dir, "another-long-password\n", "user", "reset", "alice", "--password-stdin"
    )
    assert reset.returncode == 0, reset.stderr
    engine = auth(data_dir)
    assert accounts.get_account(engine, "alice").disabled  # a reset does not re-enable
    rows = audit.query(engine)
    assert [r["action"] for r in rows] == ["account.reset", "account.disable", "account.add"]
    assert {r["actor"] for r in rows} == {ACTOR}
    engine.dispose()


@pytest.mark.parametrize(
    ("stdin", "args"),
    [
        ("\n", ()),  # empty password
        ("", ()),  # no line at all
        ("elevenchars\n", ()),  # too short
        (PASSWORD + "\n", ("--role", "root")),  # unknown role
        (PASSWORD + "\n", ("--name-typo",)),  # unknown option
    ],
)
def test_user_add_refusals_exit_2_and_add_nothing(tmp_path, stdin, args):
    data_dir = tmp_path / "data"
    role = () if "--role" in args else ("--role", "analyst")
    done = run_in(data_dir, stdin, "user", "add", "alice", *role, *args, "--password-stdin")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert run(data_dir, "user", "list", "--json").stdout == ""


def test_user_add_needs_password_stdin_and_a_good_name(tmp_path):
    data_dir = tmp_path / "data"
    without = run_in(data_dir, PASSWORD + "\n", "user", "add", "alice", "--role", "admin")
    assert without.returncode == 2 and "--password-stdin" in last_error(without)
    bad = add(data_dir, "has space", "--role", "admin")
    assert bad.returncode == 2 and "account name" in last_error(bad)


def test_unknown_accounts_and_tokens_exit_1(tmp_path):
    data_dir = tmp_path / "data"
    for args in (
        ("user", "disable", "nobody"),
        ("token", "create", "nobody"),
        ("token", "revoke", "0123456789abcdef"),
    ):
        done = run(data_dir, *args)
        assert done.returncode == 1, (args, done.stderr)
        assert last_error(done).startswith("Error: no ")
    reset = run_in(data_dir, PASSWORD + "\n", "user", "reset", "nobody", "--password-stdin")
    assert reset.returncode == 1


def test_scopes_are_checked_against_the_geography(data_dir):
    assert add(data_dir, "nanjing", "--role", "manager", "--scope", "320100").returncode == 0
    assert add(data_dir, "xuanwu", "--role", "centre", "--scope", "320102").returncode == 0
    cell = h3.latlng_to_cell(32.06, 118.80, 8)  # in Nanjing: a grid cell is no account scope
    for scope in (cell, "999999", "320000", "not-a-code"):
        done = add(data_dir, "bad", "--role", "centre", "--scope", scope)
        assert done.returncode == 2, (scope, done.stderr)
        assert "Traceback" not in done.stderr
    rows = [json.loads(x) for x in run(data_dir, "user", "list", "--json").stdout.splitlines()]
    assert {(r["name"], r["scope_code"]) for r in rows} == {
        ("nanjing", "320100"),
        ("xuanwu", "320102"),
    }


def test_a_scope_needs_the_store(tmp_path):
    done = add(tmp_path / "empty", "nanjing", "--role", "manager", "--scope", "320100")
    assert done.returncode == 1 and "cityops init" in last_error(done)


def test_token_create_prints_the_token_last_and_it_works(data_dir):
    add(data_dir, "nanjing", "--role", "centre", "--scope", "320100")
    done = run(
        data_dir,
        "token",
        "create",
        "nanjing",
        "--label",
        "玄武 wall",
        "--expires",
        "30",
        "--scope",
        "320102",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    secret = lines[-1]
    assert secret.startswith("cot_") and " " not in secret
    assert done.stdout.endswith(secret + "\n")  # nothing after it
    assert done.stderr.count("shown only now") == 1
    engine = auth(data_dir)
    who = accounts.verify_token(engine, secret)
    assert (who.name, who.role, who.scope_code) == ("nanjing", "centre", "320102")
    listed = run(data_dir, "token", "list", "--json")
    (row,) = [json.loads(x) for x in listed.stdout.splitlines()]
    assert row["token_id"] == who.token_id and row["label"] == "玄武 wall"
    assert row["status"] == "active" and secret.split("_", 2)[2] not in listed.stdout
    assert "玄武 wall" in run(data_dir, "token", "list").stdout
    revoked = run(data_dir, "token", "revoke", who.token_id)
    assert revoked.returncode == 0
    assert accounts.verify_token(engine, secret) is None
    assert run(data_dir, "token", "revoke", who.token_id).returncode == 0  # already: said so
    actions = [r["action"] for r in audit.query(engine)]
    assert actions == ["token.revoke", "token.create", "account.add"]
    engine.dispose()


def test_token_create_refusals_exit_2(data_dir):
    add(data_dir, "nanjing", "--role", "centre", "--scope", "320100")
    for args in (("--expires", "0"), ("--expires", "soon"), ("--scope", "320500")):
        done = run(data_dir, "token", "create", "nanjing", *args)
        assert done.returncode == 2, (args, done.stderr)
        assert "cot_" not in done.stdout
    assert run(data_dir, "token", "list").stdout.strip() == "no tokens"


def test_audit_command_filters(tmp_path):
    data_dir = tmp_path / "data"
    add(data_dir, "alice", "--role", "admin")
    engine = auth(data_dir)
    audit.record(engine, "alice", "login.failed", "failed", remote="10.9.8.7", reason="bad")
    engine.dispose()
    everything = run(data_dir, "audit", "--json")
    rows = [json.loads(x) for x in everything.stdout.splitlines()]
    assert [r["action"] for r in rows] == ["login.failed", "account.add"]
    only = run(data_dir, "audit", "--user", "alice", "--json").stdout.splitlines()
    assert len(only) == 1 and json.loads(only[0])["remote"] == "10.9.8.7"
    assert len(run(data_dir, "audit", "--limit", "1", "--json").stdout.splitlines()) == 1
    assert run(data_dir, "audit", "--since", "2999-01-01").stdout.strip() == "no audit entries"
    table = run(data_dir, "audit")
    assert table.returncode == 0 and "login.failed" in table.stdout and ACTOR in table.stdout
    assert run(data_dir, "audit", "--since", "yesterday").returncode == 2


def test_audit_times_read_in_shanghai_and_json_says_utc(tmp_path):
    """The table shows Asia/Shanghai like the admin page; --since is a Shanghai day."""
    import datetime as dt

    data_dir = tmp_path / "data"
    add(data_dir, "bob", "--role", "admin")
    engine = auth(data_dir)
    late = dt.datetime(2026, 11, 24, 17, 30)  # UTC: 2026-11-25 01:30 in Shanghai
    audit.record(engine, "bob", "logout", "ok", remote="10.1.1.1", now=late)
    engine.dispose()
    table = run(data_dir, "audit", "--user", "bob").stdout
    assert "2026-11-25 01:30:00  bob" in table
    (line,) = run(data_dir, "audit", "--user", "bob", "--json", "--limit", "1").stdout.splitlines()
    assert json.loads(line)["ts"] == "2026-11-24T17:30:00+00:00"
    since = run(data_dir, "audit", "--user", "bob", "--since", "2026-11-25", "--json")
    assert [json.loads(x)["action"] for x in since.stdout.splitlines()][-1] == "logout"


def test_every_load_is_an_audit_row(data_dir, tmp_path):
    accepted = run(data_dir, "load", "cameras", str(DATA / "cameras_gbk_title.csv"), "--json")
    assert accepted.returncode == 0, accepted.stderr
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    refused = run(data_dir, "load", "cameras", str(empty))
    assert refused.returncode == 2
    rows = [json.loads(x) for x in run(data_dir, "audit", "--json").stdout.splitlines()]
    assert [(r["action"], r["outcome"]) for r in rows] == [("load", "refused"), ("load", "ok")]
    assert {r["actor"] for r in rows} == {ACTOR}
    report = json.loads(accepted.stdout)
    ok = rows[1]["detail"]
    assert ok["dataset"] == "cameras" and ok["file"] == "cameras_gbk_title.csv"
    assert ok["rows_read"] == report["rows_read"] and ok["load_id"] == report["load_id"]
    assert ok["inserted"] == report["inserted"]
    assert rows[0]["detail"]["file"] == "empty.csv" and rows[0]["detail"]["load_id"]


def test_demo_simulate_and_merge_are_loads_in_the_audit_log(data_dir):
    """Every way data gets into the store leaves a `load` row (review: F5)."""
    assert run(data_dir, "demo").returncode == 0
    rows = [
        json.loads(x)
        for x in run(data_dir, "audit", "--json", "--limit", "500").stdout.splitlines()
    ]
    demo = [r for r in rows if r["action"] == "load" and r["detail"].get("source") == "demo"]
    assert {r["detail"]["dataset"] for r in demo} >= {"cameras", "rentals", "hazmat_waybills"}
    assert all(r["detail"]["load_id"] and r["actor"] == ACTOR for r in demo)
    simulated = run(data_dir, "simulate", "--duration", "2", "--rate", "5")
    assert simulated.returncode == 0, simulated.stderr
    merged = run(data_dir, "live", "merge")
    assert merged.returncode == 0
    rows = [
        json.loads(x) for x in run(data_dir, "audit", "--json", "--limit", "5").stdout.splitlines()
    ]
    live = [
        r["detail"]["file"]
        for r in rows
        if r["action"] == "load" and r["detail"]["dataset"] == "live"
    ]
    assert "simulate" in live
    if "nothing pending" not in merged.stdout:
        assert "merge" in live
