"""AG Grid's own words (pagination, filter menus, "no rows") in the user's language.

The Chinese text is AG Grid's ``AG_GRID_LOCALE_CN`` from the npm package
``@ag-grid-community/locale`` at the version of AG Grid that dash-ag-grid bundles,
copied into ``ag_grid_locale_zh_CN.json`` (its ``_source`` entry names the package,
version and MIT licence). English is AG Grid's built-in text, so it needs nothing.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from cityops.text.i18n import t

LOCALE_FILE = Path(__file__).with_name("ag_grid_locale_zh_CN.json")


def _overrides() -> dict[str, str]:
    """Return where AG Grid's own Chinese reads badly here.

    Pagination is built as "1 {to} 20 {of} 45" and "{page} 1 {of} 3", so AG Grid's
    "of" → "的" reads "1 至 20 的 45"; a slash reads right.
    """
    return {"of": "/", "noRowsToShow": t("grid.no_rows", "zh")}


@functools.cache
def _zh() -> dict[str, str]:
    data = json.loads(LOCALE_FILE.read_text(encoding="utf-8"))
    return {**data["localeText"], **_overrides()}


def source() -> dict:
    """Return the provenance of the Chinese text: package, version, licence."""
    return json.loads(LOCALE_FILE.read_text(encoding="utf-8"))["_source"]


def locale_text(lang: str) -> dict[str, str] | None:
    """Return AG Grid's ``localeText`` for ``lang``: a dict for ``zh``, ``None`` for English.

    Pass it as ``dashGridOptions["localeText"]`` (omit the key when it is None).
    """
    return dict(_zh()) if lang == "zh" else None
