"""Datasets declare their rules and hooks; the loaders never ask which dataset they load.

Row rules across columns (a booking's slot order, a rated complaint) and what a
load does besides writing rows (cameras' status history) live in the specs
(``cityops/datasets.py``: ``DatasetSpec.row_rules``, ``write_hooks``).
"""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from cityops import store
from cityops.datasets import DATASETS
from loaders import load
from loaders.load import load_into
from tests.loader_fixtures import canonical


def test_loaders_do_not_branch_on_dataset_names():
    """Rules and hooks are declared by the dataset specs; the loaders never ask for a name."""
    names = "|".join(re.escape(f'"{n}"') for n in DATASETS)
    for path in Path(load.__file__).parent.glob("*.py"):
        if path.name in ("demo.py", "demo_files.py"):  # the demo makes each dataset's data
            continue
        text = path.read_text(encoding="utf-8")
        branch = (
            rf"""(?<!dialect\.)\b(?:name|dataset)\s*(?:==|!=|in)\s*[("']"""
            rf"""|[=!]=\s*(?:{names})|(?:{names})\s*[=!]="""
        )
        assert not re.search(branch, text), path.name


def test_every_declared_hook_exists():
    from loaders.hooks import HOOKS

    for spec in DATASETS.values():
        assert set(spec.write_hooks) <= set(HOOKS), spec.name
        for rule in spec.row_rules:
            assert rule.column in {c.name for c in spec.columns}
            assert rule.severity in ("quarantined", "flagged")


def test_row_rules_quarantine_and_flag_as_declared(fresh_store, tmp_path):
    _, storage, geo = fresh_store
    spots = tmp_path / "spots.csv"
    canonical()["scenic_spots"].to_csv(spots, index=False)
    load_into(storage, "scenic_spots", spots, geography=lambda _e: geo)
    bookings = canonical()["bookings"].copy()
    bookings.loc[0, "slot_end"] = bookings.loc[0, "slot_start"]
    path = tmp_path / "b.csv"
    bookings.to_csv(path, index=False)
    report = load_into(storage, "bookings", path, geography=lambda _e: geo)
    assert report.reasons.get("quarantined:rule") == 1
    feedback = canonical()["feedback"].copy()
    feedback["kind"], feedback["rating"] = "complaint", 3
    path = tmp_path / "f.csv"
    feedback.to_csv(path, index=False)
    report = load_into(storage, "feedback", path, geography=lambda _e: geo)
    assert report.reasons.get("flagged:rule") == len(feedback)
    with storage.reader_engine().connect() as conn:
        keys = conn.execute(sa.select(store.load_issues.c.message_key)).scalars().all()
    assert {"issue.slot_order", "issue.rating_on_complaint"} <= set(keys)
