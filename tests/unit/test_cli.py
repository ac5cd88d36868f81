"""The installed ``cityops`` console script: every exit code the README promises.

Run as a real subprocess (``.venv/bin/cityops``), because the bug these tests
catch lived in ``main()``: under click's ``standalone_mode=False`` the code of
``ctx.exit(2)`` is *returned*, and the script exited 0 on a refused file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from cityops import store
from cityops.settings import get_settings
from cityops.store.versions import Storage
from tests.loader_fixtures import canonical

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "cityops"
if not SCRIPT.exists():  # run with another interpreter: the project's virtualenv
    SCRIPT = REPO / ".venv" / "bin" / "cityops"
DATA = REPO / "tests" / "data"
RAW_TEXT = ("Traceback", "BadZipFile", "UnicodeDecodeError", "ParserError", "Exception", "Errno")


def run(data_dir: Path | None, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Run the console script with ``CITYOPS_DATA_DIR`` = ``data_dir``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CITYOPS_")}
    environ.update({"CITYOPS_DATABASE_URL": "", "CITYOPS_TEST": "1", **env})
    if data_dir is not None:
        environ["CITYOPS_DATA_DIR"] = str(data_dir)
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=environ,
                          timeout=300, cwd=REPO)  # fmt: skip


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert not any(word in lines[0] for word in RAW_TEXT), lines[0]
    return lines[0]


def counts(data_dir: Path) -> dict[str, int]:
    """Return the row count of every dataset table and of ``loads``/``load_issues``."""
    storage = Storage(get_settings(data_dir=str(data_dir), database_url=""))
    tables = [*store.DATASET_TABLES, store.loads, store.load_issues]
    with storage.reader_engine().connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                for t in tables}  # fmt: skip


def refused_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """Write every kind of file a department sends that must be refused: name → (path, text)."""
    files = {
        "empty.csv": b"",
        "binary.csv": b"\x00\x01\x02\xff\xfe\x81" * 200,
        "missing_column.csv": "点位编号,经度,纬度,状态\nC1,118.797,32.07,在线\n".encode(),
        "wrong_dataset.csv": "房屋编号,经度,纬度,建筑面积,房间数,登记人数,核查状态\n"
        "R1,118.797,32.07,60,2,2,正常\n".encode(),
        "cameras.txt": b"camera_id,lon,lat,status,ai_enabled\nC1,118.797,32.07,online,1\n",
        "utf16.csv": "camera_id,lon,lat,status,ai_enabled\nC1,118.797,32.07,online,1\n".encode(
            "utf-16"
        ),
        "broken.xlsx": b"PK\x03\x04 not really a workbook",
        "old.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
        "broken.parquet": b"PAR1 nope",
        "broken.geojson": b'{"type": "FeatureCollection", "features": [',
    }
    expected = {
        "empty.csv": "the file is empty",
        "binary.csv": "not text",
        "missing_column.csv": "required columns missing for cameras: ai_enabled",
        "wrong_dataset.csv": "this looks like a rentals file",
        "cameras.txt": "unsupported file type .txt",
        "utf16.csv": "UTF-16",
        "broken.xlsx": "cannot read xlsx",
        "old.xlsx": "Excel 97-2003",
        "broken.parquet": "cannot read parquet",
        "broken.geojson": "not valid GeoJSON",
    }
    out = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        out[name] = (folder / name, expected[name])
    out["missing.csv"] = (folder / "does-not-exist.csv", "no such file")
    return out


def test_an_accepted_file_exits_0_and_reports(data_dir):
    done = run(data_dir, "load", "cameras", str(DATA / "cameras_gbk_title.csv"), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["status"], report["inserted"]) == ("accepted", 3)
    table = run(data_dir, "load", "cameras", str(DATA / "cameras_gbk_title.csv"))
    assert table.returncode == 0 and "updated" in table.stdout


def test_every_refused_file_exits_2_with_one_line_and_is_recorded(data_dir, tmp_path):
    files = refused_files(tmp_path)
    before = counts(data_dir)
    load_ids = {}
    for name, (path, expected) in files.items():
        done = run(data_dir, "load", "cameras", str(path), "--json")
        assert done.returncode == 2, (name, done.returncode, done.stderr)
        line = one_line(done.stderr)
        assert line.startswith("refused: ") and expected in line, (name, line)
        report = json.loads(done.stdout)
        assert report["status"] == "refused" and report["refused"] in line
        load_ids[name] = report["load_id"]
    after = counts(data_dir)
    # no dataset row changed; one refusal per file in the load history
    assert {k: v for k, v in after.items() if k != "loads"} == {
        k: v for k, v in before.items() if k != "loads"
    }
    assert after["loads"] == before["loads"] + len(files)

    listed = run(data_dir, "quarantine", "list", "--json", "--status", "refused")
    assert listed.returncode == 0
    records = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {r["load_id"] for r in records} == set(load_ids.values())
    assert all(r["status"] == "refused" and r["refusal"] for r in records)
    table = run(data_dir, "quarantine", "list")
    assert "refused: this looks like a rentals file" in table.stdout
    shown = run(data_dir, "quarantine", "show", load_ids["empty.csv"])
    assert shown.returncode == 0 and "was refused: the file is empty" in shown.stdout
    as_json = json.loads(
        run(data_dir, "quarantine", "show", load_ids["empty.csv"], "--json").stdout
    )
    assert (as_json["status"], as_json["file"]) == ("refused", "empty.csv")


def test_a_refused_file_without_json_prints_only_the_refusal(data_dir, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    done = run(data_dir, "load", "cameras", str(path))
    assert done.returncode == 2 and done.stdout == ""
    assert one_line(done.stderr).startswith("refused: the file is empty")


@pytest.mark.parametrize(
    "args",
    [
        ("load", "nosuch", "x.csv"),  # unknown dataset
        ("load", "cameras"),  # no path
        ("load", "cameras", "x.csv", "--crs", "utm"),  # unknown CRS
        ("load", "cameras", "x.csv", "--nope"),  # unknown option
        ("load", "cameras", "."),  # a directory
        ("nosuch",),  # unknown command
        ("quarantine", "list", "--dataset", "nosuch"),
        ("quarantine", "show"),
        ("demo", "--scale", "huge"),
    ],
    ids=lambda a: "-".join(a),
)
def test_usage_errors_exit_2(data_dir, args):
    done = run(data_dir, *args)
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr and "Error:" in done.stderr


def test_help_exits_0(data_dir):
    for args in ((), ("--help",), ("load", "--help"), ("quarantine", "show", "--help")):
        done = run(data_dir, *args) if args else run(data_dir, "--help")
        assert done.returncode == 0, (args, done.stderr)
    assert "--sheet" in run(data_dir, "load", "--help").stdout


def test_quarantine_show_of_an_unknown_load_exits_1_with_one_line(data_dir):
    done = run(data_dir, "quarantine", "show", "0" * 32)
    assert done.returncode == 1
    assert "no load 00000000000000000000000000000000" in one_line(done.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ("load", "cameras", "x.csv"),
        ("demo",),
        ("quarantine", "list"),
        ("quarantine", "show", "abc"),
        ("serve", "--port", "1"),
    ],
    ids=lambda a: "-".join(a),
)
def test_commands_on_a_store_not_created_exit_1_with_one_line(tmp_path, args):
    done = run(tmp_path / "nothing-here", *args)
    assert done.returncode == 1, done
    assert "cityops init" in one_line(done.stderr)


def test_a_bad_setting_exits_1_with_one_line(data_dir):
    done = run(data_dir, "settings", CITYOPS_GRID_RESOLUTION="abc")
    assert done.returncode == 1
    assert "CITYOPS_GRID_RESOLUTION" in one_line(done.stderr)


def test_an_unexpected_error_exits_3_with_one_line_and_a_trace_on_demand(data_dir):
    done = run(data_dir, "quarantine", "list", CITYOPS_DATABASE_URL="nosuchdb://x")
    assert done.returncode == 3
    line = done.stderr.strip()
    assert line.count("\n") == 0 and line.startswith("error: ") and "CITYOPS_DEBUG=1" in line
    debug = run(data_dir, "quarantine", "list", CITYOPS_DATABASE_URL="nosuchdb://x",
                CITYOPS_DEBUG="1")  # fmt: skip
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_quarantine_show_masks_personal_data(data_dir, tmp_path):
    frame = canonical()["rentals"].copy()
    frame["occupants"] = ["many", 2, 0]  # row 1 (张三, 13912341234) is quarantined
    path = tmp_path / "rentals.csv"
    frame.rename(columns={"landlord_name": "房东姓名", "landlord_phone": "房东电话"}).to_csv(
        path, index=False
    )
    done = run(data_dir, "load", "rentals", str(path), "--json")
    assert done.returncode == 0, done.stderr
    load_id = json.loads(done.stdout)["load_id"]
    for args in ((), ("--json",)):
        shown = run(data_dir, "quarantine", "show", load_id, *args)
        assert shown.returncode == 0
        assert "张*" in shown.stdout and "139****1234" in shown.stdout
        assert "张三" not in shown.stdout and "13912341234" not in shown.stdout


def test_a_crs_warning_is_printed_with_the_report(data_dir, tmp_path):
    frame = canonical()["cameras"]
    path = tmp_path / "cameras.csv"
    path.write_text("视频点位台账（高德坐标）\n" + frame.to_csv(index=False), encoding="utf-8")
    done = run(data_dir, "load", "cameras", str(path))
    assert done.returncode == 0
    assert "warning: the title" in done.stdout and "--crs gcj02" in done.stdout
    as_json = run(data_dir, "load", "cameras", str(path), "--json")
    assert json.loads(as_json.stdout)["warnings"] and "warning:" in as_json.stderr
    quiet = run(data_dir, "load", "cameras", str(path), "--crs", "gcj02", "--json")
    assert json.loads(quiet.stdout)["warnings"] == []


def test_sheet_option_reads_the_named_sheet(data_dir, tmp_path):
    path = tmp_path / "cameras.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"说明": ["本表为视频点位台账"]}).to_excel(
            writer, sheet_name="说明", index=False
        )
        canonical()["cameras"].to_excel(writer, sheet_name="点位", index=False)
    done = run(data_dir, "load", "cameras", str(path))
    assert done.returncode == 0, done.stderr
    assert "sheet '点位' read; skipped: '说明'" in done.stdout
    by_number = run(data_dir, "load", "cameras", str(path), "--sheet", "2", "--json")
    assert json.loads(by_number.stdout)["sheet"] == "点位"
    missing = run(data_dir, "load", "cameras", str(path), "--sheet", "数据")
    assert missing.returncode == 2
    assert "no sheet 数据 in the workbook: its sheets are 说明, 点位" in one_line(missing.stderr)
