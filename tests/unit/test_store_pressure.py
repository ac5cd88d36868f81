"""The store under pressure, and error paths that print no row values.

Issue "Nothing lost, nothing garbled, nothing executed", points 8 and 9:

* 8 — the embedded store keeps a bounded number of versions, deletes what
  killed writers leave, refuses a write when the disk is short (exit 2, one
  line, nothing changed), and a reader holding a pruned version keeps reading.
* 9 — no error line holds an SQL statement or a row's values (landlords' names
  and phones): engines hide statement parameters, ``main()`` and the loader
  cut the rest; on DuckDB and PostgreSQL, through the real console script.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from cityops import store
from cityops.settings import get_settings
from cityops.store.versions import NotEnoughDisk, Storage
from loaders.load import load_file
from tests.conftest import write_areas
from tests.loader_fixtures import canonical
from tests.pg import pg_schema
from tests.unit.test_store_versions import cameras_csv, count

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "cityops"
if not SCRIPT.exists():  # run with another interpreter: the project's virtualenv
    SCRIPT = REPO / ".venv" / "bin" / "cityops"
KEEP = 2  # CITYOPS_KEEP_VERSIONS' default
MB = 1024 * 1024
NAME, PHONE = "张三", "13912341234"  # row R1 of the canonical rentals
PERSONAL = (NAME, PHONE, "李小明", "13800001111", "王五", "15900002222")
REFUSAL = re.compile(
    r"not enough free disk for a new store version: need (more than )?\d+ MB, have \d+ MB in "
)


def files(storage: Storage) -> list[str]:
    """Return the names in the store folder but the lock, sorted."""
    return sorted(p.name for p in storage.root.iterdir() if p.name != ".write.lock")


def versions(storage: Storage) -> list[str]:
    return [n for n in files(storage) if n.startswith("v")]


def load(storage: Storage, geo, path: Path):
    with storage.writer() as engine:
        return load_file(engine, geo, "cameras", path)


# ================================================================ 8: the store under pressure
def test_many_loads_in_a_row_keep_at_most_keep_versions_plus_one(fresh_store, tmp_path):
    settings, storage, geo = fresh_store
    cameras_csv(tmp_path / "c.csv", 500)
    published = []
    for _ in range(15):
        load(storage, geo, tmp_path / "c.csv")
        published.append(storage.current_version().name)
        assert len(versions(storage)) <= KEEP + 1, versions(storage)
    assert files(storage) == ["CURRENT", *sorted(published[-KEEP - 1 :])]
    # keep none: only the current version stays
    none = Storage(get_settings(data_dir=settings.data_dir, database_url="", keep_versions=0))
    load(none, geo, tmp_path / "c.csv")
    assert files(none) == ["CURRENT", none.current_version().name]
    assert count(none) == 500


WRITER = """
import sys, time
from cityops.settings import get_settings
from cityops.store.versions import Storage

storage = Storage(get_settings(data_dir=sys.argv[1], database_url=""))
with storage.writer() as engine:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE filler AS SELECT range AS i, md5(range::VARCHAR) AS s "
                             "FROM range(1000000)")
    print("writing", flush=True)
    time.sleep(600)
"""


def test_a_writer_killed_mid_write_leaves_an_orphan_the_next_write_removes(fresh_store, tmp_path):
    settings, storage, geo = fresh_store
    cameras_csv(tmp_path / "c.csv", 20)
    load(storage, geo, tmp_path / "c.csv")
    before = files(storage)
    proc = subprocess.Popen([sys.executable, "-c", WRITER, settings.data_dir], cwd=REPO,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout.readline().strip() == "writing"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    orphans = sorted(set(files(storage)) - set(before))
    assert orphans and all(n > storage.current_version().name for n in orphans), orphans
    assert files(storage) == sorted(before + orphans)
    assert sum((storage.root / n).stat().st_size for n in orphans) > 1 * MB
    report = load(storage, geo, tmp_path / "c.csv")  # the next write removes them
    assert report.updated == 20
    assert not set(orphans) & set(files(storage))
    assert len(versions(storage)) <= KEEP + 1
    with storage.reader_engine().connect() as conn:
        assert not sa.inspect(conn).has_table("filler")


def test_leftovers_of_crashed_writers_are_removed_at_the_start_of_a_write(fresh_store):
    _, storage, _ = fresh_store
    current = storage.current_version().name
    newer = f"v{int(current[1:21]) + 1:020d}.duckdb"
    leftovers = {
        newer: b"\0" * 4096,  # a copy never published
        newer + ".wal": b"\0" * 100,  # its WAL
        "CURRENT.tmp": newer.encode(),  # a publisher killed before replacing CURRENT
        f"v{1:020d}.duckdb.wal": b"",  # the WAL of a version pruned long ago
    }
    for name, data in leftovers.items():
        (storage.root / name).write_bytes(data)
    (storage.root / (newer + ".tmp")).mkdir()  # DuckDB's spill folder
    (storage.root / (newer + ".tmp") / "spill.block").write_bytes(b"x")
    seen: list[str] = []
    with storage.writer():
        seen = files(storage)
    for name in [*leftovers, newer + ".tmp"]:
        assert name not in seen, name
        assert not (storage.root / name).exists(), name
    assert len(versions(storage)) <= KEEP + 1


def test_a_copy_that_runs_out_of_disk_leaves_no_partial_file(fresh_store, tmp_path, monkeypatch):
    _, storage, geo = fresh_store
    cameras_csv(tmp_path / "c.csv", 30)
    before, version = files(storage), storage.version_label()
    partial: list[int] = []

    def half_then_full(src, dst, *args, **kwargs):
        data = Path(src).read_bytes()
        Path(dst).write_bytes(data[: len(data) // 2])
        partial.append(Path(dst).stat().st_size)
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(shutil, "copyfile", half_then_full)
    with pytest.raises(NotEnoughDisk, match=REFUSAL.pattern + re.escape(str(storage.root))) as full:
        load(storage, geo, tmp_path / "c.csv")
    assert str(full.value).endswith("(the disk filled up during the write)")
    assert partial and partial[0] > 0, "the copy wrote half a version"
    assert files(storage) == before, "no partial file left"
    assert storage.version_label() == version
    monkeypatch.undo()  # space is back
    assert load(storage, geo, tmp_path / "c.csv").inserted == 30
    assert storage.version_label() != version and count(storage) == 30


def test_too_little_free_disk_is_refused_before_copying(fresh_store, tmp_path, monkeypatch):
    _, storage, geo = fresh_store
    cameras_csv(tmp_path / "c.csv", 30)
    orphan = f"v{int(storage.current_version().name[1:21]) + 1:020d}.duckdb"
    (storage.root / orphan).write_bytes(b"\0" * 4096)  # a killed writer's copy
    before, version = files(storage), storage.version_label()
    real, copies = shutil.disk_usage, []
    monkeypatch.setattr(shutil, "disk_usage", lambda p: real(p)._replace(free=5 * MB))
    monkeypatch.setattr(shutil, "copyfile", lambda *a, **k: copies.append(a))
    with pytest.raises(NotEnoughDisk) as refused:
        load(storage, geo, tmp_path / "c.csv")
    size = storage.current_version().stat().st_size
    expected_need = -(-(2 * size + 100 * MB) // MB)
    assert str(refused.value) == (
        f"not enough free disk for a new store version: need {expected_need} MB, "
        f"have 5 MB in {storage.root}"
    )
    assert copies == [], "refused before copying"
    assert files(storage) == sorted(set(before) - {orphan}), "the orphan was cleaned first"
    assert storage.version_label() == version
    monkeypatch.undo()
    assert load(storage, geo, tmp_path / "c.csv").inserted == 30


def test_a_change_that_fills_the_disk_leaves_no_partial_file(fresh_store):
    _, storage, _ = fresh_store
    before, version = files(storage), storage.version_label()
    with pytest.raises(NotEnoughDisk), storage.writer() as engine:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE big AS SELECT range AS i FROM range(1000)")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert files(storage) == before and storage.version_label() == version


READER = """
import sys
import duckdb

con = duckdb.connect(sys.argv[1], read_only=True)
for _ in iter(sys.stdin.readline, ""):
    print(con.execute("SELECT count(*) FROM cameras").fetchone()[0], flush=True)
"""


def test_a_reader_holding_an_old_version_keeps_working_after_it_is_pruned(fresh_store, tmp_path):
    """Linux keeps an unlinked open file: a DuckDB read-only reader keeps answering."""
    _, storage, geo = fresh_store
    cameras_csv(tmp_path / "c.csv", 40)
    load(storage, geo, tmp_path / "c.csv")
    version_n = storage.current_version()
    held = storage.reader_engine().connect()  # the app's reader, in this process
    other = subprocess.Popen([sys.executable, "-c", READER, str(version_n)], cwd=REPO,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:

        def ask() -> str:
            other.stdin.write("count\n")
            other.stdin.flush()
            return other.stdout.readline().strip()

        assert ask() == "40"  # another process opened version N read-only
        cameras_csv(tmp_path / "more.csv", 70, prefix="M")
        for _ in range(KEEP + 2):
            load(storage, geo, tmp_path / "more.csv")
        assert not version_n.exists(), "version N was pruned"
        assert held.execute(sa.select(sa.func.count()).select_from(store.cameras)).scalar() == 40
        assert ask() == "40"
        assert count(storage) == 110  # new requests see the newest version
    finally:
        held.close()
        other.stdin.close()
        other.wait(timeout=10)


# ---------------------------------------------------------------- through the console script
def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CITYOPS_")}
    environ.update({"CITYOPS_DATABASE_URL": "", "CITYOPS_TEST": "1", **env})
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=environ,
                          timeout=300, cwd=REPO)  # fmt: skip


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in lines[0] and "[SQL" not in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("args", [("load", "cameras", "{file}"), ("demo",)], ids=["load", "demo"])
def test_load_and_demo_refuse_a_short_disk_with_one_line_exit_2(data_dir, tmp_path, args):
    cameras_csv(tmp_path / "c.csv", 10)
    storage = Storage(get_settings(data_dir=str(data_dir), database_url=""))
    before, version = files(storage), storage.version_label()
    args = tuple(a.format(file=tmp_path / "c.csv") for a in args)
    done = run(*args, CITYOPS_DATA_DIR=str(data_dir), CITYOPS_STORE_HEADROOM_MB="100000000")
    assert done.returncode == 2, done.stderr
    line = one_line(done.stderr)
    assert REFUSAL.match(line.removeprefix("error: ")), line
    assert line.endswith(f" in {storage.root}")
    assert files(storage) == before and storage.version_label() == version
    if args[0] == "load":  # space is back
        assert run(*args, CITYOPS_DATA_DIR=str(data_dir)).returncode == 0


# ================================================================ 9: no row values on error paths
def test_safe_error_keeps_one_line_without_statement_or_values():
    params = {"landlord_name": NAME, "landlord_phone": PHONE}
    cases = [
        sa.exc.IntegrityError(
            "INSERT INTO rentals (landlord_name, landlord_phone) VALUES (%(n)s, %(p)s)",
            params,
            duckdb.ConstraintException(
                f'Duplicate key "landlord_phone: {PHONE}" violates primary key constraint.'
            ),
        ),
        sa.exc.DataError(
            "INSERT INTO rentals SELECT * FROM stage",
            None,
            duckdb.ConversionException(
                f"Conversion Error: Could not convert string '{PHONE}' to INT32 when casting "
                f"from source column landlord_phone\n\nLINE 1: INSERT INTO rentals VALUES ('{NAME}')"
            ),
        ),
        RuntimeError(
            '(psycopg.errors.CheckViolation) new row for relation "rentals" violates check '
            f'constraint "rentals_phone_check"\nDETAIL:  Failing row contains (R1, {NAME}, '
            f"{PHONE}).\n[SQL: INSERT INTO rentals SELECT …]\n[parameters: {params}]"
        ),
        duckdb.InvalidInputException(f'invalid input syntax for type integer: "{NAME}"'),
        sa.exc.StatementError("bind failed", "INSERT …", params, TypeError(f"bad {PHONE}")),
        ValueError(f"invalid literal for int() with base 10: '{PHONE}'"),  # not the database's
        KeyError(NAME),
    ]
    for exc in cases:
        line = store.safe_error(exc)
        assert "\n" not in line and "[SQL" not in line and "parameters" not in line, line
        assert NAME not in line and PHONE not in line, line
    assert store.safe_error(cases[1]).startswith("ConversionException: Conversion Error: ")
    missing = FileNotFoundError(2, "No such file or directory", "/srv/data/store/v01.duckdb")
    assert store.safe_error(missing).endswith(": '/srv/data/store/v01.duckdb'")  # paths stay
    refused = store.refused_rows(cases[1], "r.csv", "rentals")
    assert str(refused) == (
        "database refused the rows of r.csv (rentals): Conversion Error: Could not convert "
        "string '…' to INT32 when casting from source column landlord_phone"
    )
    assert store.refused_rows(sa.exc.OperationalError("x", None, OSError("gone")), "f", "d") is None


@pytest.mark.parametrize("kind", ["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_engines_hide_the_parameters_of_a_failed_insert(kind, tmp_path):
    url, drop = (f"duckdb:///{tmp_path / 'p.duckdb'}", None) if kind == "duckdb" else pg_schema()
    engine = store.make_engine(url)
    people = sa.Table("people", sa.MetaData(), sa.Column("name", sa.Text, nullable=False),
                      sa.Column("phone", sa.Text))  # fmt: skip
    try:
        people.create(engine)
        with pytest.raises(sa.exc.DBAPIError) as failed, engine.begin() as conn:
            conn.execute(people.insert(), [{"name": NAME, "phone": PHONE},
                                           {"name": None, "phone": PHONE}])  # fmt: skip
        text = str(failed.value)
        assert "[SQL parameters hidden due to hide_parameters=True]" in text
        assert "[parameters:" not in text and f"'{PHONE}'" not in text
        line = store.safe_error(failed.value)  # PostgreSQL's DETAIL lists the row: cut
        assert PHONE not in line and NAME not in line and "\n" not in line
    finally:
        engine.dispose()
        if drop:
            drop()


def _refusing_store(engine, how: str, areas_frame=None) -> None:
    """Make the store refuse the canonical rentals: ``how`` is a column type or a constraint."""
    md = sa.MetaData()
    rentals = store.rentals.to_metadata(md)
    issues = store.load_issues.to_metadata(md)
    if how == "phone_integer":
        rentals.c.landlord_phone.type = sa.Integer()
    elif how == "name_integer":
        rentals.c.landlord_name.type = sa.Integer()
    elif how == "rentals_check":  # PostgreSQL's DETAIL then lists the failing row
        rentals.append_constraint(
            sa.CheckConstraint("landlord_phone NOT LIKE '139%'", name="rentals_phone_check")
        )
    elif how == "issues_check":  # fails the parameterised insert of the quarantine rows
        issues.append_constraint(
            sa.CheckConstraint("raw NOT LIKE '%139%'", name="load_issues_raw_check")
        )
    with engine.begin() as conn:
        for table in (rentals, issues):
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table.name}"'))
            table.create(conn)
    if areas_frame is not None:
        store.create_schema(engine)
        write_areas(engine, areas_frame)


def _rentals_file(tmp_path: Path, how: str) -> Path:
    frame = canonical()["rentals"].astype(object)
    if how == "issues_check":
        frame.loc[0, "occupants"] = "many"  # R1 (张三, 13912341234) is quarantined
    path = tmp_path / "rentals.csv"
    frame.to_csv(path, index=False)
    return path


def _assert_refused_without_values(done, how: str, names: str) -> None:
    assert done.returncode == 3, (done.returncode, done.stderr)
    line = one_line(done.stderr)
    assert line.startswith("error: database refused the rows of rentals.csv (rentals): "), line
    for value in PERSONAL:
        assert value not in line, (value, line)
    assert names in line, line
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("how", "names"),
    [("phone_integer", "landlord_phone"), ("name_integer", "landlord_name")],
)
def test_a_database_error_on_duckdb_prints_no_personal_data(data_dir, tmp_path, how, names):
    storage = Storage(get_settings(data_dir=str(data_dir), database_url=""))
    with storage.writer() as engine:
        _refusing_store(engine, how)
    version = storage.version_label()
    done = run("load", "rentals", str(_rentals_file(tmp_path, how)),
               CITYOPS_DATA_DIR=str(data_dir))  # fmt: skip
    _assert_refused_without_values(done, how, names)
    assert storage.version_label() == version and count(storage, store.rentals) == 0
    assert len(versions(storage)) <= KEEP + 1


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("how", "names"),
    [("rentals_check", "rentals_phone_check"), ("issues_check", "load_issues_raw_check")],
)
def test_a_database_error_on_postgresql_prints_no_personal_data(tmp_path, areas_frame, how,
                                                                 names):  # fmt: skip
    url, drop = pg_schema()
    engine = store.make_engine(url)
    try:
        _refusing_store(engine, how, areas_frame)
        path = str(_rentals_file(tmp_path, how))
        done = run("load", "rentals", path, CITYOPS_DATABASE_URL=url)
        _assert_refused_without_values(done, how, names)
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(store.rentals)).scalar() == 0
        # the trace only on demand, and even then without the statement's parameters
        debug = run("load", "rentals", path, CITYOPS_DATABASE_URL=url, CITYOPS_DEBUG="1")
        assert debug.returncode != 0 and "Traceback" in debug.stderr
        assert "[parameters:" not in debug.stderr
        if how == "issues_check":
            assert "[SQL parameters hidden due to hide_parameters=True]" in debug.stderr
    finally:
        engine.dispose()
        drop()


@pytest.mark.postgres
def test_a_nul_byte_on_postgresql_prints_no_personal_data(tmp_path, areas_frame):
    """PostgreSQL refuses NUL in text: the file loads (cleaning strips it) or fails safely."""
    url, drop = pg_schema()
    engine = store.make_engine(url)
    try:
        store.create_schema(engine)
        write_areas(engine, areas_frame)
        frame = canonical()["rentals"].astype(object)
        frame.loc[0, "address"] = "玄武区\x00某路1号"
        path = tmp_path / "rentals.csv"
        frame.to_csv(path, index=False)
        done = run("load", "rentals", str(path), CITYOPS_DATABASE_URL=url)
        assert done.returncode in (0, 3), done.stderr
        for value in PERSONAL:
            assert value not in done.stderr, (value, done.stderr)
        if done.returncode == 3:
            assert one_line(done.stderr).startswith("error: database refused the rows of ")
    finally:
        engine.dispose()
        drop()
