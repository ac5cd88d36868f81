"""Read a department file into a table of raw cells, whatever its format and encoding.

Formats by extension: ``.csv`` (UTF-8, UTF-8 with BOM, GBK/GB18030 — decoded
strictly, never guessed; ``--encoding`` names another; comma, semicolon, tab
or bar separated), ``.xlsx`` (the sheet holding the header, or the one asked
for), ``.parquet``, ``.geojson``/``.json`` (point features). Title lines and
blank rows above the header (common in government Excel exports) are skipped:
the header row is found by its names; a header with a unit (``经度（°）``,
``载重(吨)``) matches.

Nothing is lost on the way: every physical line of a CSV file is a row, part
of a row (a quoted value spanning lines), or quarantined with its line number
(a stray quote, more fields than the header, fewer fields than the header);
line endings (CRLF, LF, CR, mixed) are normalised before parsing.

A file that cannot be loaded raises :class:`FileRefused` with one line naming
what was expected and what was found, in English, plus an i18n key and its
parameters so pages can show it in either language.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import json
import re
import sys
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from cityops.datasets import (
    DATASETS,
    INVISIBLE,
    INVISIBLE_CHARS,
    DatasetSpec,
    header_lookup,
    match_header,
    normalise_header,
)
from cityops.text.i18n import TABLE, t

FORMATS = {
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".parquet": "parquet",
    ".geojson": "geojson",
    ".json": "geojson",
}
HEADER_SEARCH_ROWS = 30

# Fields are read whatever their length (the csv module stops at 131,072 characters
# by default, which refused whole files); each column's limit is then judged per row
# (``CITYOPS_MAX_FIELD_CHARS``, quarantine reason ``too_long``).
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

DELIMITERS = (",", ";", "\t", "|")
#: What a title or header naming a coordinate system says, and that system.
CRS_WORDS = (
    (re.compile(r"高德"), "高德", "gcj02"),
    (re.compile(r"腾讯"), "腾讯", "gcj02"),
    (re.compile(r"火星"), "火星坐标", "gcj02"),
    (re.compile(r"gcj", re.I), "GCJ-02", "gcj02"),
    (re.compile(r"百度"), "百度", "bd09"),
    (re.compile(r"(?<![a-z])bd-?(09)?(?![a-z])", re.I), "BD-09", "bd09"),
    (re.compile(r"wgs", re.I), "WGS84", "wgs84"),
)

#: The error values a spreadsheet shows instead of a value.
SPREADSHEET_ERRORS = frozenset(
    ("#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#GETTING_DATA",
     "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!")
)  # fmt: skip


class FileRefused(ValueError):
    """The file cannot be loaded at all; the message says why in one line.

    ``key`` and ``params`` give the same message for :func:`cityops.text.i18n.t`;
    the message itself is the English text. ``load_id`` is set once the
    refusal has been recorded in the load history.
    """

    def __init__(self, key: str, /, **params: object):
        self.params = {k: _one_line(v) for k, v in params.items()}
        self.load_id: str | None = None
        self.record_error: str | None = None
        if key in TABLE:
            self.key: str | None = key
            super().__init__(t(key, "en", **self.params))
        else:  # a plain message (no translation)
            self.key = None
            super().__init__(_one_line(key))


def _one_line(value: object) -> str:
    """Return ``value`` as text on one line, without control characters.

    File contents can hold line breaks, and NUL, which PostgreSQL refuses in text.
    """
    return " ".join(INVISIBLE.sub("", str(value)).split())


def visible(text: str) -> str:
    """Return ``text`` without invisible and control characters (see :data:`INVISIBLE`)."""
    return INVISIBLE.sub("", text)


class Nested:
    """A list or object found where a single value belongs (GeoJSON, Parquet).

    Kept as such so the cleaner quarantines it instead of storing its text.
    """

    __slots__ = ("value",)

    def __init__(self, value: object):
        self.value = value.tolist() if hasattr(value, "tolist") else value

    def __str__(self) -> str:
        return json.dumps(self.value, ensure_ascii=False, default=str)[:500]

    __repr__ = __str__


class Malformed(NamedTuple):
    """A row of the file that is not a row of the table: its line and fields, and why."""

    line: int
    fields: list
    key: str = "issue.malformed"
    params: dict = {}  # noqa: RUF012 (never mutated)
    column: str | None = None


@dataclass
class RawTable:
    """Cells as read (strings or native values), one column per header, plus provenance.

    ``row_numbers`` gives each data row's line (CSV), row (Excel) or feature
    (GeoJSON) number in the file. ``marks`` (Excel) say which cells are not
    plain values: ``{header: {row position: (kind, params)}}`` with kind
    ``error`` (a spreadsheet error value), ``formula`` (a formula with no saved
    value) or ``merged`` (a cell covered by a merged range; ``params["value"]``
    is the range's value). ``normalised`` counts what was normalised while
    reading (line endings, line breaks inside values).
    """

    frame: pd.DataFrame
    row_numbers: list[int]
    format: str
    encoding: str | None
    malformed: list[Malformed] = field(default_factory=list)
    delimiter: str | None = None  # CSV: the separator found in the header area
    sheet: str | None = None  # Excel: the sheet read
    skipped_sheets: list[str] = field(default_factory=list)  # Excel: the sheets not read
    title_lines: list[str] = field(default_factory=list)  # text above the header row
    marks: dict[str, dict[int, tuple[str, dict]]] = field(default_factory=dict)
    nested: set[str] = field(default_factory=set)  # headers of columns holding Nested cells
    normalised: dict[str, int] = field(default_factory=dict)
    header_stripped: Counter = field(default_factory=Counter)  # invisible characters removed
    # True when no cell can hold an invisible character or a CR (the whole body was checked)
    visible_only: bool = False


def _header_cells(cells: list) -> tuple[list[str], Counter]:
    """Return a header row's cells as unique, visible, one-line names, and what was removed."""
    removed: Counter = Counter()
    for cell in cells:
        if cell is not None and not (isinstance(cell, float) and cell != cell):
            removed.update(INVISIBLE.findall(str(cell)))
    names = [_one_line(c) if c is not None and pd.notna(c) else "" for c in cells]
    return unique_headers(names), removed


def _cells(row) -> list[str]:
    return [str(v).strip() for v in row if v is not None and not pd.isna(v) and str(v).strip()]


def _required(spec: DatasetSpec) -> set[str]:
    return {c.name for c in spec.columns if c.required}


def _header_score(grid: pd.DataFrame, spec: DatasetSpec) -> tuple[int, int]:
    """Return ``(required columns named, row)`` of the best header row in ``grid``'s top."""
    lookup = header_lookup(spec)
    required = _required(spec)
    best, best_row = 0, -1
    for i in range(min(len(grid), HEADER_SEARCH_ROWS)):
        names = {match_header(v, lookup) for v in _cells(grid.iloc[i])}
        hits = len(names & required)
        if hits > best:
            best, best_row = hits, i
        if hits == len(required):
            break
    return best, best_row


def _header_found(hits: int, spec: DatasetSpec) -> bool:
    return hits >= max(1, len(_required(spec)) // 2)


def guess_dataset(rows: list[list], spec: DatasetSpec) -> tuple[DatasetSpec, list[str]] | None:
    """Return the other dataset whose header the file's top ``rows`` match best, if any.

    A row scores, for a dataset, the share of its required columns the row names,
    less the share of the row's known headers (known to any dataset) that this
    dataset does not have. Another dataset qualifies when a row names its whole
    key and at least two, and 40 %, of its required columns, and it scores
    higher than ``spec``. Returns it and the file's headers naming its columns.
    """
    everything: dict[str, str] = {}
    for other in DATASETS.values():
        everything.update(header_lookup(other))
    top = [_cells(row) for row in rows[:HEADER_SEARCH_ROWS]]

    def score(candidate: DatasetSpec) -> tuple[float, float, int, list[str]]:
        """Return (score, share of required, required named, headers) of the best row."""
        lookup = header_lookup(candidate)
        required = _required(candidate)
        best: tuple[float, float, int, list[str]] = (-1.0, 0.0, 0, [])
        for cells in top:
            named = [(c, match_header(c, lookup)) for c in cells]
            names = {n for _, n in named}
            if not set(candidate.key) <= names and candidate.name != spec.name:
                continue
            known = [c for c in cells if match_header(c, everything) is not None]
            foreign = sum(match_header(c, lookup) is None for c in known)
            share = len(names & required) / len(required)
            value = share - (foreign / len(known) if known else 0.0)
            if value > best[0]:
                best = (value, share, len(names & required),
                        [c for c, n in named if n in required])  # fmt: skip
        return best

    own = score(spec)[0]
    found = []
    for other in DATASETS.values():
        if other.name == spec.name:
            continue
        value, share, hits, headers = score(other)
        if hits >= 2 and share >= 0.4 and value > own:
            found.append((value, hits, other.name, other, headers))
    if not found:
        return None
    *_, other, headers = max(found, key=lambda f: f[:3])
    return other, headers


def _list(items: list[str], most: int = 6) -> str:
    shown = ", ".join(items[:most])
    return shown + (", …" if len(items) > most else "")


def refuse_other_dataset(rows: list[list], spec: DatasetSpec) -> None:
    """Raise the "this looks like a … file" refusal when ``rows`` fit another dataset better."""
    guess = guess_dataset(rows, spec)
    if guess:
        other, headers = guess
        raise FileRefused("refusal.looks_like", other=other.name, label=other.label,
                          found=_list(headers, 4), dataset=spec.name)  # fmt: skip


def _expected(spec: DatasetSpec) -> str:
    return ", ".join(_describe(spec, n) for n in sorted(_required(spec)))


def crs_mentioned(text: str) -> list[tuple[str, str]]:
    """Return the ``(word, crs)`` pairs a title or header names (高德 → gcj02, 百度 → bd09…)."""
    return [(word, crs) for pattern, word, crs in CRS_WORDS if pattern.search(text)]


def missing_columns_refusal(headers: list[str], spec: DatasetSpec,
                            missing: list[str]) -> FileRefused:  # fmt: skip
    """Return the refusal for a header lacking required columns.

    It names the missing columns, the file's headers that are not in the
    contract, and for each of those the closest name of a missing column
    ("did you mean …", by :mod:`difflib`).
    """
    lookup = header_lookup(spec)
    unknown = [h for h in headers if h and match_header(h, lookup) is None]
    names = {}
    for name in missing:
        col = spec.column(name)
        for alias in (col.name, *col.aliases):
            names.setdefault(normalise_header(alias), (alias, name))
    hints = []
    for header in unknown:
        close = difflib.get_close_matches(normalise_header(header), list(names), n=1, cutoff=0.6)
        if close:
            alias, name = names[close[0]]
            hints.append(f"{header} → {alias}" + (f" ({name})" if alias != name else ""))
    described = ", ".join(_describe(spec, n) for n in missing)
    if hints:
        return FileRefused("refusal.missing_columns_hint", dataset=spec.name, missing=described,
                           unknown=_list(unknown), hint=", ".join(hints))  # fmt: skip
    if unknown:
        return FileRefused("refusal.missing_columns_found", dataset=spec.name, missing=described,
                           unknown=_list(unknown))  # fmt: skip
    return FileRefused("refusal.missing_columns", dataset=spec.name, missing=described)


# ---------------------------------------------------------------- encodings
#: Encodings a refusal may name as the likely one: (codec, label, Chinese label).
LIKELY = (
    ("big5", "Big5 (traditional Chinese)", "Big5（繁体中文）"),
    ("cp950", "Big5 (traditional Chinese, Windows)", "Big5（繁体中文，Windows）"),
    ("shift_jis", "Shift-JIS (Japanese)", "Shift-JIS（日文）"),
    ("cp932", "Shift-JIS (Japanese, Windows)", "Shift-JIS（日文，Windows）"),
)
#: GB18030 text is implausible when at least this share of its Chinese-looking
#: characters are rare (outside GB2312), private-use, unassigned, kana, Cyrillic…
IMPLAUSIBLE_SHARE = 0.2
_ASCII_RUNS = re.compile(r"[\x00-\x7f]+")


def _looks_utf16(data: bytes) -> bool:
    """Return True for UTF-16 text: a UTF-16 mark, or every other byte a zero."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    sample = data[:400]
    half = len(sample) // 2
    if half < 4:
        return False
    return sample[1::2].count(0) >= 0.8 * half or sample[0::2].count(0) >= 0.8 * half


def line_of(data: bytes | str, offset: int) -> int:
    """Return the line (from 1) holding ``offset``: CRLF, LF and a bare CR each end a line."""
    head = data[:offset]
    if isinstance(head, bytes):
        return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1
    return head.count("\n") + head.count("\r") - head.count("\r\n") + 1


def _gb_kind(ch: str) -> str | None:
    """Return how a character decoded as GB18030 reads: ``good``, ``rare`` or None (neutral).

    Good: GB2312's hanzi and punctuation, what Chinese exports are made of. Rare:
    hanzi outside GB2312, private-use and unassigned code points, kana, Greek,
    Cyrillic, box drawing and other scripts: what Big5, Shift-JIS or Latin-1
    bytes turn into when read as GB18030.
    """
    if unicodedata.category(ch) in ("Co", "Cn", "Cs"):
        return "rare"
    try:
        encoded = ch.encode("gb2312")
    except UnicodeEncodeError:
        o = ord(ch)
        if 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or o >= 0x20000:
            return "rare"
        if 0x2500 <= o <= 0x257F:  # box drawing
            return "rare"
        if unicodedata.category(ch).startswith("L") and not (o <= 0x24F or 0x1E00 <= o <= 0x1EFF):
            return "rare"  # a letter of another script
        return None
    return "rare" if 0xA4 <= encoded[0] <= 0xA9 else "good"  # rows 4-9: kana, Greek…


def _big5_kind(ch: str) -> str | None:
    try:
        encoded = ch.encode("cp950")
    except UnicodeEncodeError:
        return "rare"
    if len(encoded) < 2:
        return None
    return "good" if 0xA1 <= encoded[0] <= 0xC6 else "rare"  # symbols, level-1 hanzi


def _sjis_kind(ch: str) -> str | None:
    if 0x3040 <= ord(ch) <= 0x30FF:
        return "good"  # kana
    try:
        encoded = ch.encode("cp932")
    except UnicodeEncodeError:
        return "rare"
    if len(encoded) < 2:
        return None  # half-width katakana
    return "good" if 0x81 <= encoded[0] <= 0x84 or 0x88 <= encoded[0] <= 0x98 else "rare"


def _shares(text: str, kind) -> tuple[int, int, str | None]:
    """Return ``(good, rare, first rare character)`` over the non-ASCII characters of ``text``."""
    counts = Counter(_ASCII_RUNS.sub("", text[:4_000_000]))
    good = rare = 0
    first, first_at = None, len(text)
    for ch, n in counts.items():
        k = kind(ch)
        if k == "good":
            good += n
        elif k == "rare":
            rare += n
            at = text.find(ch)
            if 0 <= at < first_at:
                first, first_at = ch, at
    return good, rare, first


def _implausible(good: int, rare: int) -> bool:
    return rare >= 2 and rare >= IMPLAUSIBLE_SHARE * (good + rare)


def likely_encoding(data: bytes) -> tuple[str, str, str] | None:
    """Return ``(codec, label, Chinese label)`` of the encoding the bytes read best in.

    The candidates are Big5 and Shift-JIS; one must decode the bytes strictly
    into text that is plausible for it (mostly its common characters).
    """
    best = None
    for codec, label, label_zh in LIKELY:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        kind = _big5_kind if codec in ("big5", "cp950") else _sjis_kind
        good, rare, _ = _shares(text, kind)
        if good + rare and not _implausible(good, rare):
            share = good / (good + rare)
            if best is None or share > best[0]:
                best = (share, codec, label, label_zh)
    return best[1:] if best else None


def _utf8_stray(data: bytes) -> tuple[int, int] | None:
    """Return ``(bad bytes, offset of the first)`` when ``data`` is UTF-8 but for a few bytes.

    "A few": the valid multi-byte characters outnumber the bad bytes three to one
    (GBK text read as UTF-8 is mostly bad bytes).
    """
    text = data.decode("utf-8", "surrogateescape")  # each bad byte one lone surrogate
    bad = len(data) - len(text.encode("utf-8", "ignore"))
    if not bad:
        return None
    multibyte = len(text) - len(text.encode("ascii", "ignore")) - bad
    if multibyte < 2 or multibyte < 3 * bad:
        return None
    at = re.search("[\udc80-\udcff]", text).start()
    return bad, len(text[:at].encode("utf-8", "surrogateescape"))


def _decode_as(data: bytes, name: str) -> tuple[str, str]:
    """Decode ``data`` strictly with the encoding the user named, or refuse naming the line."""
    try:
        codec = codecs.lookup(name).name
        if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
            return data[3:].decode("utf-8"), "utf-8-sig"
        return data.decode(codec), codec
    except LookupError:
        raise FileRefused("refusal.unknown_encoding", encoding=name) from None
    except UnicodeDecodeError as exc:
        raise FileRefused("refusal.decode_strict", encoding=name, line=line_of(data, exc.start),
                          offset=exc.start) from None  # fmt: skip


def decode_csv(data: bytes, ext: str = ".csv", encoding: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)``: UTF-8 (BOM or not) first, then GB18030 (a superset of GBK).

    Both are tried strictly, and GB18030 text must be plausible: a file is refused
    rather than mis-read, naming the line and, when recognisable, what it is
    (UTF-16, a workbook, binary data, UTF-8 but for a few bytes, Big5 or
    Shift-JIS text that GB18030 would turn into mojibake). ``encoding`` (the
    ``--encoding`` option) decodes strictly with that encoding instead.
    """
    if encoding:
        return _decode_as(data, encoding)
    if _looks_utf16(data):
        raise FileRefused("refusal.utf16")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise FileRefused("refusal.bad_bom", offset=exc.start + 3) from None
    if data.startswith(b"PK\x03\x04"):
        raise FileRefused("refusal.zip_as_text", ext=ext)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    stray = _utf8_stray(data)
    if stray:
        count, offset = stray
        raise FileRefused("refusal.utf8_stray", count=count, line=line_of(data, offset),
                          offset=offset)  # fmt: skip
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        if b"\x00" in data[:65536]:
            raise FileRefused("refusal.binary") from None
        likely = likely_encoding(data)
        line = line_of(data, exc.start)
        if likely:
            raise FileRefused("refusal.encoding_likely", line=line, encoding=likely[0],
                              label=likely[1], label_zh=likely[2]) from None  # fmt: skip
        raise FileRefused("refusal.not_text_line", line=line, offset=exc.start) from None
    good, rare, first = _shares(text, _gb_kind)
    if _implausible(good, rare):
        line = line_of(text, text.find(first)) if first else 1
        likely = likely_encoding(data)
        if likely:
            raise FileRefused("refusal.encoding_likely", line=line, encoding=likely[0],
                              label=likely[1], label_zh=likely[2])  # fmt: skip
        raise FileRefused("refusal.encoding_implausible", line=line, rare=rare, total=good + rare)
    return text, "gb18030"


# ---------------------------------------------------------------- finding the header
def _find_header(grid: pd.DataFrame, spec: DatasetSpec) -> int:
    """Return the index of the header row: the first row naming enough known columns.

    Raises :class:`FileRefused`: "this looks like a … file" when the rows fit
    another dataset, else naming the columns expected.
    """
    hits, row = _header_score(grid, spec)
    if row < 0 or not _header_found(hits, spec):
        top = [list(grid.iloc[i]) for i in range(min(len(grid), HEADER_SEARCH_ROWS))]
        refuse_other_dataset(top, spec)
        raise FileRefused("refusal.no_header", dataset=spec.name, expected=_expected(spec))
    return row


def _describe(spec: DatasetSpec, name: str) -> str:
    col = spec.column(name)
    return f"{name} ({col.aliases[0]})" if col.aliases else name


def unique_headers(headers: list[str]) -> list[str]:
    """Return the headers, blanks named ``(column N)``, repeats ``name (2)``, ``name (3)``."""
    out: list[str] = []
    for i, h in enumerate(headers):
        name = h or f"(column {i + 1})"
        key, k = name, 1
        while key in out:
            k += 1
            key = f"{name} ({k})"
        out.append(key)
    return out


def _grid_to_table(grid: pd.DataFrame, spec: DatasetSpec, first_row_number: int,
                   numbers: list[int] | None = None,
                   marks: dict[tuple[int, int], tuple[str, dict]] | None = None,
                   occupied: set[tuple[int, int]] | None = None) -> RawTable:  # fmt: skip
    """Split ``grid`` (header somewhere in its first rows) into headers and data rows.

    ``first_row_number`` is the file's number of grid row 0 (1 for Excel rows,
    0 where row 0 is a synthetic header as for Parquet and GeoJSON); ``numbers``
    gives each grid row's number instead. ``marks`` (Excel) are keyed by grid
    ``(row, column)``; ``occupied`` cells (formulas with no value) keep their row
    although they are empty.
    """
    header = _find_header(grid, spec)
    headers, removed = _header_cells(list(grid.iloc[header]))
    body = grid.iloc[header + 1 :].copy()
    body.columns = headers
    positions = [int(i) for i in body.index]
    rows = numbers or [first_row_number + i for i in range(len(grid))]
    keep_rows = {r for r, _ in occupied or ()}
    table = _drop_blank(body, [rows[i] for i in positions], [i in keep_rows for i in positions])
    table.title_lines = _titles(grid, header)
    table.header_stripped = removed
    if marks:
        kept = {grid_row: pos for pos, grid_row in enumerate(table.frame.attrs.pop("grid_rows"))}
        for (r, c), mark in marks.items():
            if r in kept and c < len(headers):
                table.marks.setdefault(headers[c], {})[kept[r]] = mark
    table.frame.attrs.pop("grid_rows", None)
    return table


def _titles(grid: pd.DataFrame, header: int) -> list[str]:
    """Return the non-empty lines above the header row, cells joined by spaces."""
    lines = [" ".join(_cells(grid.iloc[i])) for i in range(header)]
    return [line for line in lines if line]


def _drop_blank(body: pd.DataFrame, numbers: list[int],
                occupied: list[bool] | None = None) -> RawTable:  # fmt: skip
    """Drop rows whose every cell is empty (Excel exports end with some).

    ``occupied`` rows are kept although empty (their cells hold formulas with no
    value: a problem to report, not a blank row). The frame's ``attrs["grid_rows"]``
    gives each kept row's position in ``body``.
    """
    index = body.index.to_numpy()
    if len(body):
        keep = _filled(body.iloc[:, 0]).copy()
        for n in range(1, body.shape[1]):
            if keep.all():
                break
            empty = np.flatnonzero(~keep)  # only rows still looking blank are looked at
            keep[empty] = _filled(body.iloc[empty, n])
        if occupied is not None:
            keep = keep | np.asarray(occupied, bool)
        if not keep.all():
            body = body[keep]
            numbers = np.asarray(numbers)[keep].tolist()
            index = index[keep]
    frame = body.reset_index(drop=True)
    frame.attrs["grid_rows"] = index
    return RawTable(frame, list(numbers), "", None)


def _filled(column: pd.Series) -> np.ndarray:
    """Return which cells of ``column`` hold something other than white space."""
    if column.dtype == object:
        return (column.notna() & (column.astype(str).str.strip() != "")).to_numpy(bool)
    if pd.api.types.is_string_dtype(column):  # CSV text, vectorised
        return (column.notna() & (column.str.strip() != "")).to_numpy(bool)
    return column.notna().to_numpy(bool)  # a number or a time is never blank


# ---------------------------------------------------------------- CSV
def normalise_line_endings(text: str) -> tuple[str, set[int]]:
    """Return ``text`` with every line ending a line feed, and the lines that ended in a bare CR.

    CRLF, LF and CR are each one line break (as every editor shows them), so
    line numbers are the editor's. The set holds the 0-based numbers of lines
    whose break was a bare CR: a bare CR can also sit inside a value (see
    :func:`_rejoin`).
    """
    if "\r" not in text:
        return text, set()
    text = text.replace("\r\n", "\n")
    if "\r" not in text:
        return text, set()
    cr_lines = {n for n, m in enumerate(re.finditer("[\r\n]", text)) if m.group() == "\r"}
    return text.replace("\r", "\n"), cr_lines


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def split_line(line: str, delimiter: str) -> tuple[list[str], int | None]:
    """Split one physical line into fields; a quote never closed on it is a literal character.

    Returns ``(fields, index of the field holding the unclosed quote or None)``.
    Quoted fields closed on the line read as the csv module reads them.
    """
    if line == "":
        return [], None
    fields: list[str] = []
    stray = None
    i, n = 0, len(line)
    while True:
        if i < n and line[i] == '"':
            j, buf, closed = i + 1, [], False
            while j < n:
                if line[j] == '"':
                    if j + 1 < n and line[j + 1] == '"':
                        buf.append('"')
                        j += 2
                        continue
                    closed = True
                    j += 1
                    break
                buf.append(line[j])
                j += 1
            k = line.find(delimiter, j if closed else i)
            k = n if k < 0 else k
            if closed:
                fields.append("".join(buf) + line[j:k])
            else:
                stray = len(fields) if stray is None else stray
                fields.append(line[i:k])
        else:
            k = line.find(delimiter, i)
            k = n if k < 0 else k
            fields.append(line[i:k])
        if k >= n:
            return fields, stray
        i = k + 1
        if i == n:
            fields.append("")
            return fields, stray


def _iter_lines(text: str, start: int = 0) -> Iterator[str]:
    """Yield the lines of ``text`` from offset ``start``, each with its line feed."""
    n = len(text)
    while start < n:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:] + "\n"
            return
        yield text[start : end + 1]
        start = end + 1


def _head(text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """Return the first records of ``text`` and the line (from 1) each ends on."""
    head: list[list[str]] = []
    ends: list[int] = []  # physical line on which each header-area record ends
    reader = csv.reader(_iter_lines(text), delimiter=delimiter)
    try:
        for record in reader:
            head.append(record)
            ends.append(reader.line_num)
            if len(head) >= HEADER_SEARCH_ROWS:
                break
    except csv.Error:
        pass  # what was read so far is the header area
    return head, ends


def _head_lines(text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """Return the first lines of ``text`` split one by one (a stray quote swallows nothing)."""
    head, ends = [], []
    for n, line in enumerate(_iter_lines(text), start=1):
        head.append(split_line(line[:-1], delimiter)[0])
        ends.append(n)
        if n >= HEADER_SEARCH_ROWS:
            break
    return head, ends


def _as_grid(records: list[list[str]]) -> pd.DataFrame:
    width = max((len(r) for r in records), default=0)
    return pd.DataFrame([r + [None] * (width - len(r)) for r in records], dtype=object)


def _header_area(text: str, delimiter: str, spec: DatasetSpec):
    """Return ``(records, ends, hits, row)`` of the header area, read as records or by lines.

    Records first (a quoted title may span lines); when a stray quote swallowed
    the header there, line by line.
    """
    best = None
    for reader in (_head, _head_lines):
        records, ends = reader(text, delimiter)
        hits, row = _header_score(_as_grid(records), spec)
        if best is None or hits > best[2]:
            best = (records, ends, hits, row)
        if row >= 0 and _header_found(hits, spec):
            break
    return best


def sniff_delimiter(text: str, spec: DatasetSpec) -> str:
    """Return the delimiter (comma, semicolon, tab or bar) that splits the header best.

    Each is tried on the header area; the one whose best row names the most
    required columns of ``spec`` wins (then the most columns of any dataset;
    a comma on a tie).
    """
    everything: dict[str, str] = {}
    for other in DATASETS.values():
        everything.update(header_lookup(other))
    scores = []
    for rank, delimiter in enumerate(DELIMITERS):
        records, _, hits, _ = _header_area(text, delimiter, spec)
        known = max(
            (sum(match_header(c, everything) is not None for c in _cells(r)) for r in records),
            default=0,
        )
        scores.append((hits, known, -rank, delimiter))
    return max(scores)[3]


def _read_csv(data: bytes, spec: DatasetSpec, ext: str = ".csv",
              encoding: str | None = None) -> RawTable:  # fmt: skip
    """Read CSV text: the header row is found first, then the body is parsed below it.

    Line endings are normalised first (CRLF, LF, CR, mixed). Row numbers are the
    file's line numbers (a row's first line when a quoted value spans lines).
    The delimiter is the one that splits the header area into known column names.
    Every physical line below the header is accounted for: a row, part of a
    quoted value, blank, or quarantined (:class:`Malformed`).
    """
    text, encoding = decode_csv(data, ext, encoding)
    as_decoded = "\r" not in text  # the text is still the file's own bytes (if UTF-8)
    text, cr_lines = normalise_line_endings(text)
    delimiter = sniff_delimiter(text, spec)
    records, ends, _, _ = _header_area(text, delimiter, spec)
    grid = _as_grid(records)
    header = _find_header(grid, spec)
    header_line = ends[header]  # the header's (last) physical line
    headers, removed = _header_cells(records[header])
    width = len(headers)
    while width > 1 and not records[header][width - 1].strip():
        width -= 1  # trailing empty header cells: rows may stop before them
    start = 0
    for _ in range(header_line):
        start = text.find("\n", start) + 1 or len(text)
    body_cr = {n - header_line for n in cr_lines if n >= header_line}
    # a bare CR inside a value only where line feeds are the file's line breaks
    rejoin = bool(body_cr) and 2 * len(cr_lines) < text.count("\n")
    table = None
    if text.find('"', start) < 0 and not rejoin:
        # the common clean file first (pyarrow), then pandas, then record by record
        body, offset = _body_bytes(data, text, start, encoding, as_decoded=as_decoded)
        table = _read_csv_arrow(body, offset, delimiter, headers, header_line)
        del body
        if table is None:
            table = _read_csv_fast(text[start:], delimiter, headers, width, header_line)
    if table is None:
        lines = _lines(text[start:])
        table = _read_csv_records(lines, delimiter, headers, width, header_line,
                                  body_cr if rejoin else set())  # fmt: skip
    table.encoding = encoding
    table.delimiter = delimiter
    table.title_lines = _titles(grid, header)
    table.header_stripped = removed
    if cr_lines:
        table.normalised["cr_line_endings"] = len(cr_lines)
    return table


def _body_bytes(data: bytes, text: str, start: int, encoding: str, *,
                as_decoded: bool) -> tuple[bytes, int]:  # fmt: skip
    """Return the body (``text`` from ``start``) as UTF-8: bytes and the offset it starts at.

    A UTF-8 file whose line endings were already line feeds (``as_decoded``) is its
    own body: neither copied nor encoded again.
    """
    if encoding in ("utf-8", "utf-8-sig") and as_decoded:
        skip = 3 if encoding == "utf-8-sig" else 0
        return data, skip + len(text[:start].encode("utf-8"))
    return text[start:].encode("utf-8"), 0


#: pandas' ``str`` columns (as ``read_csv(dtype=str)`` makes them), from Arrow without a copy
_ARROW_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def _read_csv_arrow(data: bytes, offset: int, delimiter: str, headers: list[str],
                    header_line: int) -> RawTable | None:  # fmt: skip
    """Parse a body (``data`` from ``offset``) without quotes with pyarrow, every line a row.

    The common clean file: each physical line holds exactly one field per header,
    so row ``i`` is line ``header_line + 1 + i``. Returns None for anything else
    (a short, long or empty line), which the careful readers then handle; the
    cells are the strings :func:`_read_csv_fast` would give.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    if offset >= len(data):
        return None
    lines = data.count(b"\n", offset) + (not data.endswith(b"\n"))
    invalid = []
    names = [str(i) for i in range(len(headers))]
    try:
        arrow = pacsv.read_csv(
            pa.py_buffer(memoryview(data)[offset:]),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, quote_char=False, double_quote=False, escape_char=False,
                newlines_in_values=False, ignore_empty_lines=False,
                invalid_row_handler=lambda row: invalid.append(row) or "skip",
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()), strings_can_be_null=False,
                quoted_strings_can_be_null=False, check_utf8=False,
            ),
        )  # fmt: skip
    except (pa.ArrowInvalid, ValueError):
        return None
    if invalid or arrow.num_rows != lines:
        return None
    frame = pd.DataFrame(
        {h: pd.array(arrow.column(i), dtype=_ARROW_STR) for i, h in enumerate(headers)}
    )
    numbers = list(range(header_line + 1, header_line + 1 + lines))
    table = _drop_blank(frame, numbers)
    table.frame.attrs.pop("grid_rows", None)
    whole = pa.LargeStringArray.from_buffers(
        1, pa.py_buffer(np.array([0, len(data) - offset], np.int64).tobytes()),
        pa.py_buffer(memoryview(data)[offset:]),
    )  # fmt: skip
    table.visible_only = not pc.match_substring_regex(whole, _SUSPECT_RE2)[0].as_py()
    return table


#: An invisible character or a CR in text (RE2), looked for once in a whole CSV body
_SUSPECT_RE2 = f"[{INVISIBLE_CHARS}\r]"

_READ_OPTIONS = dict(header=None, dtype=str, keep_default_na=False, skip_blank_lines=False,
                     index_col=False, engine="c")  # fmt: skip


def _read_csv_fast(body: str, delimiter: str, headers: list[str], width: int,
                   header_line: int) -> RawTable | None:  # fmt: skip
    """Parse a body without quotes with pandas: one record per physical line.

    Returns None when a row has more fields than the header (the record parser
    then sets those rows apart). Rows with fewer fields than the header are
    quarantined (:class:`Malformed`), not padded.
    """
    try:
        with warnings.catch_warnings():
            # pandas would drop fields beyond the header with only a warning
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(body), sep=delimiter, names=range(len(headers)),
                                **_READ_OPTIONS)  # fmt: skip
    except (pd.errors.ParserError, pd.errors.ParserWarning, pd.errors.EmptyDataError):
        return None
    raw = np.frombuffer(body.encode("utf-8"), np.uint8)
    breaks = np.flatnonzero(raw == 10)
    if len(raw) and raw[-1] != 10:
        breaks = np.append(breaks, len(raw))
    if len(breaks) != len(frame):  # cannot happen without quotes; never trust it blindly
        return None
    cuts = np.flatnonzero(raw == ord(delimiter))
    starts = np.concatenate(([0], breaks[:-1] + 1))
    fields = np.searchsorted(cuts, breaks) - np.searchsorted(cuts, starts) + 1
    fields[starts == breaks] = 0  # an empty line
    short = (fields > 0) & (fields < width)
    numbers = [header_line + 1 + i for i in range(len(frame))]
    malformed = []
    if short.any():
        for i in np.flatnonzero(short):
            cells = frame.iloc[i, : fields[i]].tolist()
            if not any(str(c).strip() for c in cells):
                continue  # spaces only: a blank line
            malformed.append(Malformed(numbers[i], cells, "issue.short_row",
                                       {"fields": int(fields[i]), "width": width}))  # fmt: skip
        keep = ~short
        frame = frame[keep]
        numbers = [n for n, k in zip(numbers, keep, strict=True) if k]
    frame.columns = headers
    table = _drop_blank(frame, numbers)
    table.frame.attrs.pop("grid_rows", None)
    table.malformed = malformed
    return table


def _full(fields: list[str], width: int, headers: int) -> bool:
    """Return True when ``fields`` read as a whole row (empty fields past the header allowed)."""
    return width <= len(fields) and not any(f.strip() for f in fields[headers:])


def _swallowed(lines: list[str], first: int, end: int, record: list[str], delimiter: str,
               width: int, headers: int) -> bool:  # fmt: skip
    """Return True when the record on lines ``first..end-1`` is a stray quote's doing.

    A quoted value may span lines; a stray quote (``"西门 12寸``) instead
    swallows the following rows up to the next quote. Read line by line, the
    swallowed region is rows; read as one record, it is one garbled row: the
    reading with more whole rows wins.
    """
    as_lines = sum(_full(split_line(lines[k], delimiter)[0], width, headers)
                   for k in range(first, end))  # fmt: skip
    return as_lines > int(_full(record, width, headers))


def _unclosed_at_end(lines: list[str], first: int, delimiter: str) -> bool:
    """Return True when the quote opening a record on line ``first`` is never closed."""
    probe = [line + "\n" for line in lines[first:]] + ["\x1e\n"]
    record = next(csv.reader(probe, delimiter=delimiter), [])
    return any("\x1e" in f for f in record)


Record = tuple[int, int, list[str]]  # first line, last line (0-based, inclusive), fields


def _records(lines: list[str], delimiter: str, width: int, headers: list[str],
             header_line: int) -> tuple[list[Record], list[Malformed]]:  # fmt: skip
    """Parse ``lines`` into ``(first line, last line, fields)`` records (0-based, inclusive).

    A record that swallowed lines after a stray quote, or whose quote is never
    closed, is quarantined on its first line; parsing restarts on the next line.
    """
    records: list[tuple[int, int, list[str]]] = []
    malformed: list[Malformed] = []
    n = len(lines)
    i = 0
    while i < n:
        reader = csv.reader((lines[k] + "\n" for k in range(i, n)), delimiter=delimiter)
        first, restart = i, None
        for record in reader:
            end = i + reader.line_num  # one past the record's last line
            unclosed = (
                end == n and '"' in lines[first] and _unclosed_at_end(lines, first, delimiter)
            )
            if unclosed or (end - first > 1 and _swallowed(lines, first, end, record, delimiter,
                                                           width, len(headers))):  # fmt: skip
                fields, stray = split_line(lines[first], delimiter)
                stray = stray or 0
                column = headers[stray] if stray < len(headers) else f"(column {stray + 1})"
                malformed.append(Malformed(header_line + 1 + first, fields,
                                           "issue.unclosed_quote", {"column": column}))  # fmt: skip
                restart = first + 1
                break
            records.append((first, end - 1, record))
            first = end
        i = n if restart is None else restart
    return records, malformed


def _rejoin(records: list[tuple[int, int, list[str]]], cr_lines: set[int],
            width: int) -> tuple[list[tuple[int, int, list[str]]], int]:  # fmt: skip
    """Join rows a bare CR inside a value split: short pieces whose fields add up to a row.

    Returns the records and how many line breaks were put back inside values (as
    a line feed, as a bare CR inside a quoted value is kept).
    """
    out: list[tuple[int, int, list[str]]] = []
    joined = 0
    i = 0
    while i < len(records):
        first, last, fields = records[i]
        j, total = i, len(fields)
        while 0 < total < width and last in cr_lines and j + 1 < len(records):
            nxt = records[j + 1]
            if nxt[0] != last + 1 or not nxt[2]:
                break
            total += len(nxt[2]) - 1
            j, last = j + 1, nxt[1]
        if j > i and total == width:
            merged = list(records[i][2])
            for _, _, more in records[i + 1 : j + 1]:
                merged[-1] += "\n" + more[0]
                merged.extend(more[1:])
            out.append((first, last, merged))
            joined += j - i
            i = j + 1
        else:
            out.append(records[i])
            i += 1
    return out, joined


def _read_csv_records(lines: list[str], delimiter: str, headers: list[str], width: int,
                      header_line: int, cr_lines: set[int]) -> RawTable:  # fmt: skip
    """Parse the body record by record with the csv module, line numbers exact.

    Empty trailing fields (a trailing delimiter) are harmless; a row with
    non-empty fields beyond the header, or fewer fields than the header, is set
    apart for the quarantine, as is a line whose stray quote would swallow the
    rows after it (those are read on their own).
    """
    records, malformed = _records(lines, delimiter, width, headers, header_line)
    joined = 0
    if cr_lines:
        records, joined = _rejoin(records, cr_lines, width)
    rows, numbers = [], []
    for first, _last, record in records:
        line = header_line + 1 + first
        if not any(v.strip() for v in record):
            continue  # a blank line
        if len(record) > len(headers) and any(v.strip() for v in record[len(headers) :]):
            malformed.append(Malformed(line, record, "issue.malformed", {"fields": len(record)}))
        elif len(record) < width:
            malformed.append(Malformed(line, record, "issue.short_row",
                                       {"fields": len(record), "width": width}))  # fmt: skip
        else:
            record = record[: len(headers)]
            rows.append(record + [""] * (len(headers) - len(record)))
            numbers.append(line)
    frame = pd.DataFrame(rows, columns=range(len(headers)), dtype=str)
    frame.columns = headers
    table = _drop_blank(frame, numbers)
    table.frame.attrs.pop("grid_rows", None)
    table.malformed = sorted(malformed, key=lambda m: m.line)
    if joined:
        table.normalised["line_breaks_in_values"] = joined
    return table


# ---------------------------------------------------------------- every format
UNREADABLE = {"csv": "refusal.unreadable", "xlsx": "refusal.not_xlsx",
              "parquet": "refusal.not_parquet", "geojson": "refusal.unreadable"}  # fmt: skip


def read_file(path: str | Path, spec: DatasetSpec, *, sheet: str | None = None,
              encoding: str | None = None) -> RawTable:  # fmt: skip
    """Read ``path`` as a file of dataset ``spec``.

    ``sheet`` (Excel only) names the sheet to read, or gives its number from 1;
    by default the first sheet holding the dataset's header is read.
    ``encoding`` (CSV only) decodes strictly with that encoding instead of
    detecting UTF-8 or GB18030.

    Returns
    -------
    RawTable
        The data rows with the file's own headers.

    Raises
    ------
    FileRefused
        When the file cannot be read or has no recognisable header row; the
        message names what was expected and what was found.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    fmt = FORMATS.get(suffix)
    if fmt is None:
        if not path.exists() and path.suffix:
            raise FileRefused("refusal.no_such_file", path=path)
        if suffix == ".xls":
            raise FileRefused("refusal.xls")
        if suffix in (".txt", ".tsv", ".tab", ".dat"):
            raise FileRefused("refusal.text_type", ext=path.suffix)
        raise FileRefused("refusal.unsupported_type", ext=path.suffix or "(none)")
    if not path.is_file():
        raise FileRefused("refusal.no_such_file", path=path)
    if path.stat().st_size == 0:
        raise FileRefused("refusal.empty", dataset=spec.name)
    try:
        if fmt == "csv":
            table = _read_csv(path.read_bytes(), spec, path.suffix, encoding)
        elif fmt == "xlsx":
            table = _read_xlsx(path, spec, sheet)
        elif fmt == "parquet":
            table = _read_parquet(path, spec)
        else:
            table = _read_geojson(path, spec)
    except FileRefused:
        raise
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception:  # zip/openpyxl/pyarrow raise their own types on damaged files
        raise FileRefused(UNREADABLE[fmt], fmt=fmt) from None
    table.format = fmt
    return table


# ---------------------------------------------------------------- Excel
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _cell_name(row: int, col: int) -> str:
    """Return the A1 name of 0-based ``(row, col)``."""
    letters, c = "", col + 1
    while c:
        c, r = divmod(c - 1, 26)
        letters = chr(65 + r) + letters
    return f"{letters}{row + 1}"


def _scan_sheet(book, ws) -> tuple[list[tuple[int, int, int, int]], bool]:
    """Return the sheet's merged ranges (0-based, inclusive) and whether it has formulas.

    Read from the sheet's XML (openpyxl's read-only sheets do not expose merges).
    """
    merges, formulas, tail = [], False, b""
    with book._archive.open(ws._worksheet_path) as src:
        while chunk := src.read(1 << 20):
            data = tail + chunk
            formulas = formulas or bool(_FORMULA.search(data))
            last = 0
            for m in _MERGE.finditer(data):
                c1, r1, c2, r2 = m.groups()
                c2, r2 = c2 or c1, r2 or r1
                merges.append((int(r1) - 1, _column_number(c1) - 1,
                               int(r2) - 1, _column_number(c2) - 1))  # fmt: skip
                last = m.end()
            tail = data[max(last, len(data) - 200) :]
    return sorted(set(merges)), formulas


def _sheet_rows(ws, limit: int | None = None) -> tuple[list[list], dict]:
    """Return a sheet's cell values row by row, and its error cells ``{(row, col): text}``.

    Whole numbers stored as floats become ints (as pandas reads them).
    """
    rows, errors = [], {}
    ws.reset_dimensions()  # declared dimensions can be wrong
    for r, cells in enumerate(ws.iter_rows(max_row=limit)):
        out = []
        for c, cell in enumerate(cells):
            value = cell.value
            if value is not None and cell.data_type == "e":
                errors[(r, c)] = str(value)
                value = str(value)
            elif isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
                value = int(value)
            out.append(value)
        rows.append(out)
    return rows, errors


def _formula_cells(path: Path, name: str, rows: list[list]) -> dict[tuple[int, int], str]:
    """Return the formula cells with no saved value: ``{(row, col): formula}``."""
    from openpyxl import load_workbook

    found = {}
    book = load_workbook(path, read_only=True, data_only=False, keep_links=False)
    try:
        ws = book[name]
        ws.reset_dimensions()
        for r, cells in enumerate(ws.iter_rows()):
            for c, cell in enumerate(cells):
                if cell.data_type == "f":
                    have = rows[r][c] if r < len(rows) and c < len(rows[r]) else None
                    if have is None:
                        found[(r, c)] = str(cell.value)[:60]
    finally:
        book.close()
    return found


def _read_xlsx(path: Path, spec: DatasetSpec, sheet: str | None) -> RawTable:
    """Read the sheet holding the header (or the one asked for) of an Excel workbook.

    Read with openpyxl so that what a sheet shows but does not hold is seen:
    error values (``#N/A``…), formulas with no saved value and merged ranges
    become :attr:`RawTable.marks` for the cleaner to judge.
    """
    from openpyxl import load_workbook

    with open(path, "rb") as f:
        start = f.read(2048)
    if start.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: .xls, or an encrypted .xlsx
        raise FileRefused("refusal.xls_as_xlsx")
    if not start.startswith(b"PK"):
        try:
            is_text = b"\x00" not in start and bool(start.decode("utf-8", "strict").strip())
        except UnicodeDecodeError:
            try:
                is_text = bool(start[:-4].decode("gb18030").strip())
            except UnicodeDecodeError:
                is_text = False
        raise FileRefused("refusal.text_as_xlsx" if is_text else "refusal.not_xlsx")
    book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        return _read_book(book, path, spec, sheet)
    finally:
        book.close()


def _read_book(book, path: Path, spec: DatasetSpec, sheet: str | None) -> RawTable:
    names = [str(n) for n in book.sheetnames]
    if sheet is not None:
        wanted = str(sheet).strip()
        if wanted in names:
            names_to_try = [wanted]
        elif wanted.isdigit() and 1 <= int(wanted) <= len(names):
            names_to_try = [names[int(wanted) - 1]]
        else:
            raise FileRefused("refusal.no_sheet", sheet=wanted, sheets=", ".join(names))
    else:
        names_to_try = names
    chosen, best, tops = None, -1, []
    for name in names_to_try:
        ws = book[name]
        if not hasattr(ws, "iter_rows"):  # a chart sheet
            continue
        top, _ = _sheet_rows(ws, HEADER_SEARCH_ROWS)
        tops.extend(top)
        hits, row = _header_score(_as_grid(top), spec)
        if row >= 0 and _header_found(hits, spec) and hits > best:
            chosen, best = name, hits
            if hits == len(_required(spec)):
                break  # the first sheet with the whole header
    if chosen is None:
        refuse_other_dataset(tops, spec)
        if len(names_to_try) > 1:
            raise FileRefused("refusal.no_header_sheets", dataset=spec.name,
                              sheets=", ".join(names), expected=_expected(spec))  # fmt: skip
        raise FileRefused("refusal.no_header", dataset=spec.name, expected=_expected(spec))
    ws = book[chosen]
    rows, errors = _sheet_rows(ws)
    merges, has_formulas = _scan_sheet(book, ws)
    formulas = _formula_cells(path, chosen, rows) if has_formulas else {}
    marks: dict[tuple[int, int], tuple[str, dict]] = {}
    for (r, c), text in errors.items():
        marks[(r, c)] = ("error", {"cell": _cell_name(r, c), "value": text})
    for (r, c), formula in formulas.items():
        marks[(r, c)] = ("formula", {"cell": _cell_name(r, c), "formula": formula})
    height = len(rows)
    width = max((len(r) for r in rows), default=0)
    for r1, c1, r2, c2 in merges:
        if r1 >= height or c1 >= width:
            continue
        top_left = rows[r1][c1] if c1 < len(rows[r1]) else None
        span = f"{_cell_name(r1, c1)}:{_cell_name(r2, c2)}"
        for r in range(r1, min(r2, height - 1) + 1):
            for c in range(c1, min(c2, width - 1) + 1):
                if (r, c) != (r1, c1):
                    marks[(r, c)] = ("merged", {"cell": _cell_name(r, c), "range": span,
                                                "first": _cell_name(r1, c1), "value": top_left,
                                                "vertical": c == c1})  # fmt: skip
    grid = _as_grid(rows)
    table = _grid_to_table(grid, spec, first_row_number=1, marks=marks, occupied=set(formulas))
    table.sheet = chosen
    table.skipped_sheets = [n for n in names if n != chosen]
    return table


# ---------------------------------------------------------------- Parquet
def _read_parquet(path: Path, spec: DatasetSpec) -> RawTable:
    """Read a Parquet file: binary columns decode as UTF-8, nested values stay :class:`Nested`.

    A binary column that is not UTF-8 refuses the file naming the column and row.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    with open(path, "rb") as f:
        if f.read(4) != b"PAR1":
            raise FileRefused("refusal.not_parquet")
    schema = pq.read_schema(path)
    frame = pd.read_parquet(path)
    frame.columns = unique_headers([_one_line(c) for c in frame.columns])
    nested = set()
    for i, fld in enumerate(schema):
        if i >= frame.shape[1]:
            break
        name = frame.columns[i]
        kind = fld.type
        if (
            pa.types.is_binary(kind)
            or pa.types.is_large_binary(kind)
            or pa.types.is_fixed_size_binary(kind)
        ):
            frame[name] = _decode_binary(frame[name], fld.name)
        elif pa.types.is_nested(kind):
            frame[name] = frame[name].map(Nested, na_action="ignore")
            nested.add(name)
    grid = pd.concat([pd.DataFrame([list(frame.columns)]), _as_object(frame)], ignore_index=True)
    table = _grid_to_table(grid, spec, first_row_number=0)
    table.nested = {h for h in table.frame.columns if h in nested}
    return table


def _decode_binary(column: pd.Series, name: str) -> pd.Series:
    out = []
    for n, value in enumerate(column, start=1):
        if isinstance(value, bytes | bytearray | memoryview):
            try:
                value = bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                raise FileRefused("refusal.parquet_binary", column=name, row=n) from None
        out.append(value)
    return pd.Series(out, index=column.index, dtype=object)


def _as_object(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.astype(object).where(frame.notna(), None)
    out.columns = range(len(out.columns))
    return out


# ---------------------------------------------------------------- GeoJSON
def _scalar(value: object) -> object:
    return Nested(value) if isinstance(value, dict | list) else value


def _read_geojson(path: Path, spec: DatasetSpec) -> RawTable:
    """Read point features; a feature that is not a Feature object is quarantined, not dropped."""
    data = path.read_bytes()
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FileRefused("refusal.geojson_encoding_line", line=line_of(data, exc.start),
                          offset=exc.start) from None  # fmt: skip
    except json.JSONDecodeError as exc:
        raise FileRefused("refusal.geojson_json", line=exc.lineno, column=exc.colno) from None
    except RecursionError:
        raise FileRefused("refusal.geojson_json", line="?", column="?") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        found = (f'"type": "{str(doc.get("type"))[:40]}"' if isinstance(doc, dict)
                 else f"a JSON {type(doc).__name__}")  # fmt: skip
        raise FileRefused("refusal.geojson_type", found=found)
    if spec.point is None:
        raise FileRefused("refusal.geojson_unlocated", dataset=spec.name)
    features = doc.get("features")
    if features is None:
        features = []
    if not isinstance(features, list):
        raise FileRefused("refusal.geojson_features", found=f"a JSON {type(features).__name__}")
    lon_col, lat_col = spec.point
    lookup = header_lookup(spec)
    rows, numbers, malformed = [], [], []
    for n, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(feature, dict) or not isinstance(props, dict | None):
            malformed.append(Malformed(n, [str(Nested(feature))], "issue.bad_feature", {"n": n}))
            continue
        props = {_one_line(k): _scalar(v) for k, v in (props or {}).items()}
        geom = feature.get("geometry")
        coords = geom.get("coordinates") if isinstance(geom, dict) else None
        if isinstance(geom, dict) and geom.get("type") == "Point" and isinstance(coords, list) \
                and len(coords) >= 2:  # fmt: skip
            # the geometry is the position: properties that also name one (x, lng, 经度…)
            # must not override it
            props = {
                k: v for k, v in props.items() if match_header(k, lookup) not in (lon_col, lat_col)
            }
            lon, lat = _scalar(coords[0]), _scalar(coords[1])
        else:
            lon = lat = None
        rows.append({lon_col: lon, lat_col: lat, **props})
        numbers.append(n)
    if malformed and not rows:
        raise FileRefused("refusal.geojson_no_features", count=len(malformed))
    columns: list[str] = []
    for r in rows:
        columns.extend(k for k in r if k not in columns)
    grid = pd.DataFrame([columns] + [[r.get(c) for c in columns] for r in rows], dtype=object)
    table = _grid_to_table(grid, spec, first_row_number=0, numbers=[0, *numbers])
    table.malformed = malformed
    table.nested = {
        h for h in table.frame.columns
        if table.frame[h].map(lambda v: isinstance(v, Nested)).any()
    }  # fmt: skip
    return table
