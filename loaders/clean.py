"""Turn raw cells into typed values, column by column, recording every problem.

Each parser is vectorised over a column and returns the parsed values and a
mask of cells it could not accept; :func:`clean_table` turns those masks into
:class:`Issue` rows. Nothing is dropped here: the caller decides, and every
rejected row keeps its raw cells for the quarantine.

Nothing is stored altered either. Before parsing, every text cell loses its
invisible and control characters (NUL, U+FEFF, zero-width marks; counted, and
a key that changed is flagged); a value longer than its column allows, a
spreadsheet error (``#N/A``…), a formula with no saved value, a cell hidden by
a merged range, a list or object where one value belongs, and a number whose
comma cannot be read unambiguously each quarantine the row with their reason.
Decimal commas (``60,5``) and thousands separators (``1,234,567``) are read
as what they mean.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cityops.datasets import Column, DatasetSpec
from cityops.text.i18n import t
from loaders.read import (
    INVISIBLE,
    SPREADSHEET_ERRORS,
    Nested,
    RawTable,
    header_lookup,
    match_header,
    missing_columns_refusal,
    refuse_other_dataset,
    visible,
)

TZ = "Asia/Shanghai"
BOOL = {
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "是": True,
    "否": False,
    "y": True,
    "n": False,
    "yes": True,
    "no": False,
    "1.0": True,
    "0.0": False,
}
# an offset after a time of day: Z, +08, +0800, +08:00 (a date's "-25" is not one)
_OFFSET = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(:[0-5]\d)?$")


@dataclass(frozen=True)
class Issue:
    """A problem with one row: ``severity`` is ``quarantined`` or ``flagged``.

    ``message`` is English (for the command line); ``key`` and ``params`` give
    the same message for :func:`cityops.text.i18n.t`, so pages show it in either language.
    """

    row: int  # position in the table (0-based)
    severity: str
    reason: str  # missing, type, range, enum, reference, outside, duplicate, malformed, rule
    column: str | None
    message: str
    key: str | None = None
    params: dict = field(default_factory=dict, compare=False, hash=False)


def issue(row: int, severity: str, reason: str, column: str | None, key: str, /,
          **params: object) -> Issue:  # fmt: skip
    """Return an :class:`Issue` whose message is the i18n ``key`` (English) with ``params``.

    Parameters lose control characters (NUL cannot be stored in PostgreSQL text).
    """
    params = {k: visible(str(v)) for k, v in params.items()}
    return Issue(row, severity, reason, column, t(key, "en", **params), key, params)


def map_columns(raw: pd.DataFrame, spec: DatasetSpec) -> tuple[dict[str, str], list[str]]:
    """Return ``(canonical column → file header, ignored headers)``.

    Headers match by name or alias, also with a unit in brackets (``经度（°）``).

    Raises :class:`FileRefused` when required columns are missing: "this looks
    like a … file" when the header fits another dataset better, else naming the
    missing columns, the headers not in the contract and the closest name.
    """
    lookup = header_lookup(spec)
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    for header in raw.columns:
        canonical = match_header(header, lookup)
        if canonical is None or canonical in mapping:
            ignored.append(str(header))
        else:
            mapping[canonical] = header
    missing = [c.name for c in spec.columns if c.required and c.name not in mapping]
    if missing:
        headers = [str(h) for h in raw.columns]
        refuse_other_dataset([headers], spec)
        raise missing_columns_refusal(headers, spec, missing)
    return mapping, ignored


def _is_text(s: pd.Series) -> bool:
    """Return True for a column of text as CSV is read (pandas ``str``, Arrow-backed)."""
    return s.dtype != object and pd.api.types.is_string_dtype(s)


def _is_empty(s: pd.Series) -> pd.Series:
    if not _is_text(s) and s.dtype != object:  # numbers or times: only missing ones are empty
        return s.isna()
    return s.isna() | s.astype(str).str.strip().isin(["", "nan", "NaT", "None"])


#: Column kinds (pandas' ``infer_dtype``) whose equal values are equal in every way: no
#: ``1 == 1.0 == True`` across types, so a function of a cell may be computed per value.
_ONE_TYPE = frozenset(("string", "integer", "floating", "datetime", "date", "boolean", "empty"))


def _map_values(s: pd.Series, fn, *, skip_missing: bool = False) -> pd.Series:
    """Return ``s.map(fn)`` (``na_action="ignore"`` if ``skip_missing``), ``fn`` once per value.

    A column of one type with repeated values (a status, a time slot, a count)
    costs a call per distinct value; anything else is mapped cell by cell.
    """
    how = "ignore" if skip_missing else None
    if len(s) < 512 or s.dtype != object or pd.api.types.infer_dtype(s) not in _ONE_TYPE:
        return s.map(fn, na_action=how)
    if 2 * s.iloc[:2000].nunique() > min(len(s), 2000):  # mostly distinct (an id)
        return s.map(fn, na_action=how)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    done = np.empty(len(uniques) + 1, dtype=object)
    done[:-1] = [fn(v) for v in uniques]
    out = done[codes]  # code -1 (missing) takes the last slot, filled below
    missing = np.flatnonzero(codes < 0)
    if len(missing):
        cells = s.to_numpy()[missing]
        by_type: dict[type, object] = {}
        for i, v in zip(missing, cells, strict=True):  # None, NaN, NaT: one call per kind
            if type(v) not in by_type:
                by_type[type(v)] = v if skip_missing else fn(v)
            out[i] = v if skip_missing else by_type[type(v)]
    return pd.Series(out.tolist(), index=s.index)  # the dtype ``map`` would infer


def _as_text(s: pd.Series) -> pd.Series:
    """Return cells as stripped text; integral floats from Excel lose their ``.0``.

    CSV text stays an Arrow-backed ``str`` column (vectorised string methods);
    other cells become Python strings.
    """
    if _is_text(s):  # CSV: text already
        return s.str.strip()

    def one(v):
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        if isinstance(v, dt.datetime | pd.Timestamp):
            return v.isoformat()
        return str(v).strip()

    return _map_values(s, one, skip_missing=True).astype(object)


def parse_number(s: pd.Series, integer: bool) -> tuple[pd.Series, pd.Series]:
    """Return (numbers, bad) for a column of numbers (text or native).

    Commas are not removed here: :func:`read_commas` has read them first.
    """
    text = _as_text(s)
    values = _text_numbers(text) if _is_text(text) else pd.to_numeric(text, errors="coerce")
    bad = values.isna() | ~np.isfinite(values.astype(float).fillna(0))
    if integer:
        bad |= values.notna() & (values != np.floor(values.astype(float)))
    return values, bad


#: A number as pyarrow and pandas read it alike (correctly rounded decimal text).
_PLAIN_NUMBER = r"^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def _text_numbers(text: pd.Series) -> pd.Series:
    """Return the numbers in a text column, NaN where a cell is not one: ``pd.to_numeric``'s values.

    Vectorised with pyarrow (its decimal parsing is correctly rounded, as is
    pandas'); a column pyarrow does not read whole has its plain decimals read
    by pyarrow and every other cell by ``pd.to_numeric`` itself.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(text)
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)
    try:
        return pd.Series(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False),
                         index=text.index)  # fmt: skip
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    plain = pc.fill_null(pc.match_substring_regex(arr, _PLAIN_NUMBER), False)
    try:
        values = pc.cast(pc.if_else(plain, arr, pa.scalar(None, arr.type)), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(text.astype(object), errors="coerce")
    out = values.to_numpy(zero_copy_only=False).copy()
    rest = np.flatnonzero(~plain.to_numpy(zero_copy_only=False) & text.notna().to_numpy())
    if len(rest):
        out[rest] = pd.to_numeric(text.iloc[rest].astype(object), errors="coerce").to_numpy(float)
    return pd.Series(out, index=text.index)


def _lower(text: pd.Series) -> pd.Series:
    """Return text in lower case as Python's ``str.lower`` writes it."""
    if _is_text(text) and not text.str.contains("\u0130", regex=False, na=False).any():
        return text.str.lower()  # Arrow's lower case: Python's but for U+0130 (İ)
    return text.astype(object).str.lower()


def parse_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return (booleans, bad); accepts true/false, 1/0, 是/否, Y/N, yes/no."""
    if _is_text(s):
        values = _lower(s.str.strip()).map(BOOL).astype(object)
        return values.where(values.notna(), None), values.isna()

    def one(v):
        return v if isinstance(v, bool) else BOOL.get(str(v).strip().lower())

    values = _map_values(s, one)
    return values, values.isna()


def parse_timestamp(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return (naive Asia/Shanghai timestamps, bad) from ISO 8601 text or native datetimes.

    A time with no offset is local time; one with an offset is converted. Dates
    written with slashes (2026/11/25 08:00) are accepted too.
    """
    if _is_text(s):
        return _parse_text_times(s)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    native = _map_values(s, lambda v: isinstance(v, dt.datetime | pd.Timestamp | dt.date))
    if native.any():
        values = pd.to_datetime(s[native], errors="coerce")
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert(TZ).dt.tz_localize(None)
        out[native] = values.astype("datetime64[us]")
    text = _as_text(s[~native])
    odd = ~text.str.match(r"\d{4}-\d{2}-\d{2}", na=False)  # only these need rewriting
    if odd.any():
        fixed = text[odd].str.replace(r"^(\d{4})/(\d{1,2})/(\d{1,2})", r"\1-\2-\3", regex=True)
        fixed = fixed.str.replace(r"^(\d{4})-(\d)(?=-)", r"\1-0\2", regex=True)
        fixed = fixed.str.replace(r"^(\d{4}-\d{2})-(\d)(?=\D|$)", r"\1-0\2", regex=True)
        text = text.copy()
        text[odd] = fixed
    aware = text.str.contains(_OFFSET, na=False)
    if (~aware).any():
        out[text[~aware].index] = _parse_iso(text[~aware], utc=False)
    if aware.any():
        out[text[aware].index] = _parse_iso(text[aware], utc=True)
    return out, out.isna()


# Python's \d and \s (Unicode digits, str.isspace) for Arrow's RE2, whose \d and \s are ASCII
_D = r"\p{Nd}"
_S = (
    r"[\t-\r\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}"
    r"\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
)
_OFFSET_RE2 = _OFFSET.pattern.replace(r"\d", _D).replace(r"\s", _S)


def _re2_search(text: pd.Series, pattern: str) -> np.ndarray:
    """Return where ``pattern`` (RE2) is found in an Arrow-backed text column; False if missing."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.match_substring_regex(pa.array(text), pattern)
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def _re2_replace(text: pd.Series, pattern: str, replacement: str) -> pd.Series:
    r"""Return an Arrow-backed text column with ``pattern`` (RE2) replaced, ``\1`` for groups."""
    import pyarrow as pa
    import pyarrow.compute as pc

    done = pc.replace_substring_regex(pa.array(text), pattern, replacement)
    return pd.Series(pd.array(done, dtype=text.dtype), index=text.index)


def _parse_text_times(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    r""":func:`parse_timestamp` for a column of CSV text, vectorised with Arrow's regexes.

    The same rewrites and tests as the general path, in RE2 (no look-aheads, and
    Python's Unicode ``\d`` and ``\s`` spelt out).
    """
    text = s.str.strip()
    odd = ~_re2_search(text, f"^{_D}{{4}}-{_D}{{2}}-{_D}{{2}}")
    if odd.any():
        fixed = _re2_replace(text[odd], f"^({_D}{{4}})/({_D}{{1,2}})/({_D}{{1,2}})", r"\1-\2-\3")
        fixed = _re2_replace(fixed, f"^({_D}{{4}})-({_D})-", r"\1-0\2-")
        fixed = _re2_replace(fixed, f"^({_D}{{4}}-{_D}{{2}})-({_D})(\\P{{Nd}}|$)", r"\1-0\2\3")
        text = text.copy()
        text[odd] = fixed
    aware = _re2_search(text, _OFFSET_RE2)
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    if (~aware).any():
        out[~aware] = _parse_iso(text[~aware], utc=False).to_numpy()
    if aware.any():
        out[aware] = _parse_iso(text[aware], utc=True).to_numpy()
    values = pd.Series(out, index=s.index)
    return values, values.isna()


def _parse_iso(text: pd.Series, *, utc: bool) -> pd.Series:
    """Parse ISO 8601 text to naive Asia/Shanghai times; unparseable cells become NaT.

    Vectorised; a batch pandas refuses as a whole (mixed forms) is parsed cell by cell.
    """

    def finish(values: pd.Series) -> pd.Series:
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert(TZ).dt.tz_localize(None)
        return values.astype("datetime64[us]")

    try:
        return finish(pd.to_datetime(text, format="ISO8601", errors="coerce", utc=utc))
    except (TypeError, ValueError):
        one = [pd.to_datetime(v, format="ISO8601", errors="coerce", utc=utc) for v in text]
        return finish(pd.Series(pd.to_datetime(one, errors="coerce", utc=utc), index=text.index))


def parse_date(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return (dates, bad); a value with a time of day other than midnight is bad."""
    stamps, bad = parse_timestamp(s)
    bad |= stamps.notna() & (stamps != stamps.dt.normalize())
    return stamps.dt.date.where(~bad, None), bad


def parse_hhmm(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return ('HH:MM' strings, bad) from text like 9:00, 09:00 or 09:00:00, or times."""

    def one(v):
        if isinstance(v, dt.time):
            return f"{v.hour:02d}:{v.minute:02d}"
        m = _HHMM.match(str(v).strip())
        return f"{int(m.group(1)):02d}:{m.group(2)}" if m else None

    values = _map_values(s, one)
    return values, values.isna()


def _values_text(col: Column) -> str:
    values = sorted(set((col.choices or {}).values()))
    return "/".join(values)


def parse_column(s: pd.Series, col: Column) -> tuple[pd.Series, pd.Series, pd.Series, str]:
    """Parse one column.

    Returns
    -------
    tuple
        ``(values, empty, bad, reason)``: parsed values, the empty cells, the
        non-empty cells that failed (for the ``reason`` kind), and that reason.
    """
    empty = _is_empty(s)
    if col.default is not None:
        s = s.where(~empty, col.default)
        empty = pd.Series(False, index=s.index)
    if col.kind in ("float", "int"):
        values, bad = parse_number(s, integer=col.kind == "int")
        return values, empty, bad & ~empty, "type"
    if col.kind == "bool":
        values, bad = parse_bool(s)
    elif col.kind == "timestamp":
        values, bad = parse_timestamp(s)
    elif col.kind == "date":
        values, bad = parse_date(s)
    elif col.kind == "hhmm":
        values, bad = parse_hhmm(s)
    elif col.kind == "enum":
        values = _lower(_as_text(s)).map(col.choices)
        return values, empty, values.isna() & ~empty, "enum"
    elif col.kind == "code6":
        values = _as_text(s)
        bad = ~values.str.fullmatch(r"\d{6}", na=False)
    else:
        values = _as_text(s)
        bad = pd.Series(False, index=s.index)
        if col.pattern:
            bad = ~values.str.fullmatch(col.pattern, na=False)
            return values, empty, bad & ~empty, "type"
    return values, empty, bad & ~empty, "type"


INT_LIMIT = 2**31 - 1  # the store's integer columns


def _bounds(col: Column) -> tuple[float | None, float | None]:
    """Return the column's bounds; whole numbers must also fit the store's integers."""
    if col.kind == "int":
        low = -INT_LIMIT if col.low is None else col.low
        high = INT_LIMIT if col.high is None else col.high
        return low, high
    return col.low, col.high


def _range_bad(values: pd.Series, col: Column) -> pd.Series:
    low, high = _bounds(col)
    bad = pd.Series(False, index=values.index)
    v = pd.to_numeric(values, errors="coerce")
    if low is not None:
        bad |= (v <= low) if col.low_open else (v < low)
    if high is not None:
        bad |= v > high
    return bad.fillna(False)


def _range_text(col: Column) -> str:
    low, high = _bounds(col)
    parts = []
    if low is not None:
        parts.append(f"{'>' if col.low_open else '≥'} {low:g}")
    if high is not None:
        parts.append(f"≤ {high:g}")
    return ", ".join(parts)


def _raw(cell) -> str:
    return "" if cell is None or (isinstance(cell, float) and np.isnan(cell)) else str(cell)


MAX_FIELD_CHARS = 2000  # the default of the CITYOPS_MAX_FIELD_CHARS setting
_SUSPECT = re.compile(f"[{INVISIBLE.pattern[1:-1]}\r]")


def _text_cells(s: pd.Series) -> pd.Series:
    """Return the text cells of ``s`` as a string column (same index, fewer rows if mixed).

    CSV columns are strings already; an object column of strings (Parquet, Excel)
    is converted once so that the checks below run vectorised.
    """
    if s.dtype != object and pd.api.types.is_string_dtype(s):
        return s
    if pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        return s.astype("str")
    return s[s.map(lambda v: isinstance(v, str)).astype(bool)].astype("str")


def _char_name(ch: str) -> str:
    return "NUL" if ch == "\x00" else f"U+{ord(ch):04X}"


def strip_invisible(s: pd.Series) -> tuple[pd.Series, pd.Series, Counter]:
    """Return ``(cells, changed, removed)``: text cells without invisible characters.

    Line breaks in a value become line feeds (a CR or CRLF inside an Excel cell);
    NUL, the other control characters, U+FEFF and zero-width or direction marks
    are removed (see :data:`loaders.read.INVISIBLE`). ``changed`` marks the cells
    that lost a character and ``removed`` counts them by character.
    """
    text = _text_cells(s)
    hit = text.str.contains(_SUSPECT.pattern, regex=True, na=False)
    changed = pd.Series(False, index=s.index)
    removed: Counter = Counter()
    if not hit.any():
        return s, changed, removed
    out = s.astype(object).copy()
    for i, value in text[hit].items():
        removed.update(INVISIBLE.findall(value))
        cleaned = visible(value.replace("\r\n", "\n").replace("\r", "\n"))
        changed[i] = cleaned != value.replace("\r\n", "\n").replace("\r", "\n")
        out[i] = cleaned
    return out, changed, removed


_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+|[+-]?\d{1,3}(?:\.\d{3})+,\d+")
_PLAIN_POINT = re.compile(r"[+-]?\d*\.\d+")
_DIGITS = re.compile(r"[+-]?[\d.,]*\d[\d.,]*")


def _in_bounds(value: float, col: Column) -> bool:
    low, high = _bounds(col)
    if low is not None and (value <= low if col.low_open else value < low):
        return False
    return high is None or value <= high


def read_commas(s: pd.Series, col: Column) -> tuple[pd.Series, pd.Series, dict[str, int]]:
    """Read the commas of a number column: return ``(cells, ambiguous, counts)``.

    A decimal comma (``60,5``, ``1.234,5``) becomes a decimal point and a
    thousands separator (``1,234,567``, ``1,234.5``) goes. ``1,234`` may be
    either: a whole-number column reads thousands; otherwise the reading within
    the column's bounds wins, then the column's other values decide (decimal
    commas elsewhere, or thousands separators and decimal points); when nothing
    does, the cell is ``ambiguous`` (quarantined, never guessed). ``counts``
    says how many of each were read.
    """
    counts = {"decimal_commas": 0, "thousands_separators": 0}
    text = _text_cells(s)
    commas = text.str.contains(",", regex=False, na=False)
    ambiguous = pd.Series(False, index=s.index)
    if not commas.any():
        return s, ambiguous, counts
    stripped = text.str.strip()
    decimal_elsewhere = thousands_elsewhere = False
    for value in stripped[commas].unique():
        t, d = _THOUSANDS.fullmatch(value), _DECIMAL_COMMA.fullmatch(value)
        decimal_elsewhere |= bool(d and not t)
        thousands_elsewhere |= bool(t and not d)
    points = ~commas & stripped.str.fullmatch(_PLAIN_POINT.pattern, na=False)
    thousands_elsewhere |= bool(points.any())
    out = s.astype(object).copy()
    for i, value in stripped[commas].items():
        t, d = _THOUSANDS.fullmatch(value), _DECIMAL_COMMA.fullmatch(value)
        as_thousands = value.replace(",", "")
        as_decimal = value.replace(".", "").replace(",", ".")
        if t and d:  # d,ddd: both readings are numbers
            if col.kind == "int":
                d = None
            else:
                fits_t = _in_bounds(float(as_thousands), col)
                fits_d = _in_bounds(float(as_decimal), col)
                if fits_t != fits_d:
                    t, d = (t, None) if fits_t else (None, d)
                elif decimal_elsewhere != thousands_elsewhere:
                    t, d = (None, d) if decimal_elsewhere else (t, None)
        if t and not d:
            out[i] = as_thousands
            counts["thousands_separators"] += 1
        elif d and not t:
            out[i] = as_decimal
            counts["decimal_commas"] += 1
        elif t or _DIGITS.fullmatch(value):
            ambiguous[i] = True
    return out, ambiguous, counts


def _count_invisible(removed: Counter, where: str, normalised: Counter, notes: list) -> None:
    normalised["invisible_characters"] += sum(removed.values())
    normalised["nul_bytes"] += removed.get("\x00", 0)
    chars = ", ".join(f"{_char_name(c)} ×{n}" for c, n in removed.most_common())
    notes.append((where, "invisible", sum(removed.values()), chars))


def _marks(raw: RawTable, header: str, col: Column, cells: pd.Series, judged: pd.Series,
           issues: list[Issue]) -> tuple[pd.Series, int]:  # fmt: skip
    """Apply an Excel column's marks; return the cells and how many merged cells were filled.

    A cell inside a vertically merged range takes the range's value where the
    spec says so (``fill_merged``); every other mark quarantines its row
    (merged, formula without value, spreadsheet error).
    """
    marks = raw.marks.get(header)
    if not marks:
        return cells, 0
    cells = cells.astype(object).copy()
    filled = 0
    for pos, (kind, p) in sorted(marks.items()):
        if kind == "merged":
            if p["value"] is None or (isinstance(p["value"], str) and not p["value"].strip()):
                continue  # an empty merged range: an empty cell like any other
            if col.fill_merged and p["vertical"]:
                cells.iloc[pos] = p["value"]
                filled += 1
                continue
            issues.append(issue(pos, "quarantined", "merged", col.name, "issue.merged",
                                column=col.name, cell=p["cell"], range=p["range"],
                                first=p["first"]))  # fmt: skip
        elif kind == "formula":
            issues.append(issue(pos, "quarantined", "formula_without_value", col.name,
                                "issue.formula_without_value", column=col.name, cell=p["cell"],
                                formula=p["formula"]))  # fmt: skip
        else:
            issues.append(issue(pos, "quarantined", "spreadsheet_error", col.name,
                                "issue.spreadsheet_error", column=col.name, cell=p["cell"],
                                value=p["value"]))  # fmt: skip
        judged.iloc[pos] = True
    return cells, filled


Cleaned = tuple[pd.DataFrame, list["Issue"], list[str]]


def clean_table(raw: RawTable, spec: DatasetSpec, *, max_chars: int = MAX_FIELD_CHARS) -> Cleaned:
    """Parse and check every cell of ``raw`` against ``spec``.

    ``max_chars`` is the longest value a column may hold unless the spec gives
    the column its own limit (``CITYOPS_MAX_FIELD_CHARS``).

    Returns
    -------
    tuple
        ``(frame, issues, ignored_columns)``: typed values with the spec's column
        names (one row per raw row, same order), the problems found, and the
        file's headers that are not part of the dataset. ``frame.attrs["absent"]``
        names the dataset's optional columns the file did not have;
        ``frame.attrs["normalised"]`` counts what was normalised (invisible
        characters, NUL bytes, decimal commas, thousands separators, merged cells
        filled) and ``frame.attrs["notes"]`` lists ``(column, what, count, detail)``
        for the report's warnings.
    """
    mapping, ignored = map_columns(raw.frame, spec)
    frame = pd.DataFrame(index=raw.frame.index)
    issues: list[Issue] = []
    frame.attrs["absent"] = [c.name for c in spec.columns if c.name not in mapping and c.store]
    normalised: Counter = Counter(raw.normalised)
    notes: list[tuple[str, str, int, str]] = []
    if raw.header_stripped:
        _count_invisible(raw.header_stripped, "headers", normalised, notes)
    for col in spec.columns:
        if col.name not in mapping:
            frame[col.name] = None
            continue
        header = mapping[col.name]
        cells = raw.frame[header]
        judged = pd.Series(False, index=cells.index)  # cells already quarantined
        cells, filled = _marks(raw, header, col, cells, judged, issues)
        if filled:
            normalised["merged_cells_filled"] += filled
            notes.append((col.name, "merged", filled, ""))
        if header in raw.nested:
            nested = cells.map(lambda v: isinstance(v, Nested)).astype(bool) & ~judged
            for i in np.flatnonzero(nested.to_numpy()):
                issues.append(issue(int(i), "quarantined", "type", col.name, "issue.nested",
                                    column=col.name))  # fmt: skip
            judged |= nested
        if raw.visible_only:  # the reader checked every cell at once
            changed, removed = pd.Series(False, index=cells.index), Counter()
        else:
            cells, changed, removed = strip_invisible(cells)
        if removed:
            _count_invisible(removed, col.name, normalised, notes)
            if col.name in spec.key:
                for i in np.flatnonzero((changed & ~judged).to_numpy()):
                    issues.append(issue(int(i), "flagged", "invisible", col.name,
                                        "issue.invisible_key", column=col.name,
                                        value=repr(_raw(cells.iloc[i]))))  # fmt: skip
        text = _text_cells(cells)
        trimmed = text.str.strip()
        errors = trimmed.isin(SPREADSHEET_ERRORS).reindex(cells.index, fill_value=False)
        for i in np.flatnonzero((errors & ~judged).to_numpy()):
            issues.append(issue(int(i), "quarantined", "spreadsheet_error", col.name,
                                "issue.spreadsheet_error_text", column=col.name,
                                value=trimmed.loc[cells.index[i]]))  # fmt: skip
        judged |= errors
        limit = col.max_chars or max_chars
        lengths = text.str.len().reindex(cells.index)
        too_long = (lengths > limit).fillna(False).astype(bool) & ~judged
        for i in np.flatnonzero(too_long.to_numpy()):
            issues.append(issue(int(i), "quarantined", "too_long", col.name, "issue.too_long",
                                column=col.name, length=int(lengths.iloc[i]),
                                limit=limit))  # fmt: skip
        judged |= too_long
        if col.kind in ("float", "int"):
            cells, ambiguous, counts = read_commas(cells.where(~judged, None), col)
            for i in np.flatnonzero((ambiguous & ~judged).to_numpy()):
                issues.append(issue(int(i), "quarantined", "ambiguous_number", col.name,
                                    "issue.ambiguous_number", column=col.name,
                                    value=repr(_raw(cells.iloc[i]))))  # fmt: skip
            judged |= ambiguous
            for what, n in counts.items():
                if n:
                    normalised[what] += n
                    notes.append((col.name, what, n, ""))
        if judged.any():
            cells = cells.where(~judged, None)
        values, empty, bad, reason = parse_column(cells, col)
        empty = empty & ~judged
        bad = bad & ~judged
        for i in np.flatnonzero((empty & col.required).to_numpy()):
            issues.append(issue(int(i), "quarantined", "missing", col.name, "issue.missing",
                                column=col.name))  # fmt: skip
        for i in np.flatnonzero(bad.to_numpy()):
            cell = repr(_raw(cells.iloc[i]))
            extra = {}
            if reason == "enum":
                key, extra = "issue.enum", {"choices": _values_text(col)}
            elif col.kind in ("timestamp", "date"):
                key = f"issue.{col.kind}"
            elif col.kind == "hhmm":
                key = "issue.hhmm"
            elif col.kind in ("float", "int"):
                key = "issue.whole_number" if col.kind == "int" else "issue.number"
            elif col.kind == "bool":
                key = "issue.bool"
            else:
                key = "issue.form"
            issues.append(issue(int(i), "quarantined", reason, col.name, key, column=col.name,
                                value=cell, **extra))  # fmt: skip
        if col.low is not None or col.high is not None or col.kind == "int":
            out_of_range = _range_bad(values, col) & ~bad & ~empty & ~judged
            for i in np.flatnonzero(out_of_range.to_numpy()):
                issues.append(issue(int(i), "quarantined", "range", col.name, "issue.range",
                                    column=col.name, value=_raw(cells.iloc[i]),
                                    bounds=_range_text(col)))  # fmt: skip
        keep = ~(bad | empty | judged)
        if col.kind in ("int", "float"):
            keep &= ~_range_bad(values, col)
        frame[col.name] = values.where(keep, None) if col.kind != "bool" else values
    issues.extend(_row_rules(frame, spec))
    for n, bad in enumerate(raw.malformed):
        params = {"fields": len(bad.fields)} | dict(bad.params)
        issues.append(issue(-1 - n, "quarantined", "malformed", bad.column, bad.key, **params))
    frame.attrs["normalised"] = {k: int(v) for k, v in normalised.items() if v}
    frame.attrs["notes"] = notes
    return frame, issues, ignored


def _row_rules(frame: pd.DataFrame, spec: DatasetSpec) -> list[Issue]:
    """Check the spec's rules across the columns of a row (:class:`~cityops.datasets.RowRule`)."""
    issues = []
    for rule in spec.row_rules:
        broken = rule.broken(frame).fillna(False).to_numpy(bool)
        for i in np.flatnonzero(broken):
            issues.append(issue(int(i), rule.severity, "rule", rule.column, rule.message_key))
    return issues
