"""Read a department file into a table of raw cells, whatever its format and encoding.

Formats by extension: ``.csv`` (UTF-8, UTF-8 with BOM, GBK/GB18030 — decoded
strictly, never guessed; comma, semicolon, tab or bar separated), ``.xlsx``
(the sheet holding the header, or the one asked for), ``.parquet``,
``.geojson``/``.json`` (point features). Title lines and blank rows above the
header (common in government Excel exports) are skipped: the header row is
found by its names; a header with a unit (``经度（°）``, ``载重(吨)``) matches.

A file that cannot be loaded raises :class:`FileRefused` with one line naming
what was expected and what was found, in English, plus an i18n key and its
parameters so pages can show it in either language.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cityops.i18n import TABLE, t
from loaders.specs import DATASETS, DatasetSpec

FORMATS = {
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".parquet": "parquet",
    ".geojson": "geojson",
    ".json": "geojson",
}
HEADER_SEARCH_ROWS = 30


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


class FileRefused(ValueError):
    """The file cannot be loaded at all; the message says why in one line.

    ``key`` and ``params`` give the same message for :func:`cityops.i18n.t`;
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
    """Return ``value`` as text on one line (file contents can hold line breaks)."""
    return " ".join(str(value).split())


@dataclass
class RawTable:
    """Cells as read (strings or native values), one column per header, plus provenance.

    ``row_numbers`` gives each data row's line (CSV) or row (Excel) number in the file.
    """

    frame: pd.DataFrame
    row_numbers: list[int]
    format: str
    encoding: str | None
    malformed: list[tuple[int, list[str]]] = field(default_factory=list)  # (line, fields)
    delimiter: str | None = None  # CSV: the separator found in the header area
    sheet: str | None = None  # Excel: the sheet read
    skipped_sheets: list[str] = field(default_factory=list)  # Excel: the sheets not read
    title_lines: list[str] = field(default_factory=list)  # text above the header row


def normalise_header(text: object) -> str:
    """Return a header cell folded for matching: no spaces, full-width brackets, lower case."""
    s = str(text).strip().replace("\ufeff", "")
    for a, b in (("（", "("), ("）", ")"), (" ", ""), ("\u3000", ""), ("_", "")):
        s = s.replace(a, b)
    return s.lower()


def header_lookup(spec: DatasetSpec) -> dict[str, str]:
    """Return a map from every accepted (normalised) header to its canonical column."""
    out: dict[str, str] = {}
    for col in spec.columns:
        for name in (col.name, *col.aliases):
            out.setdefault(normalise_header(name), col.name)
    return out


# a unit in brackets at the end of a header: 经度（°）, 载重(吨), 速度[km/h], 面积【m²】
_UNIT = re.compile(r"^(.+?)[(\[【][^()\[\]【】]*[)\]】]$")


def match_header(header: object, lookup: dict[str, str]) -> str | None:
    """Return the canonical column a file's header names, or None.

    The header is matched as written first; when that is unknown, without a
    trailing bracketed unit (``经度（°）`` → ``经度``, ``建筑面积(m²)`` → ``建筑面积``).
    """
    key = normalise_header(header)
    if key in lookup:
        return lookup[key]
    unit = _UNIT.match(key)
    return lookup.get(unit.group(1)) if unit else None


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


def _looks_utf16(data: bytes) -> bool:
    """Return True for UTF-16 text: a UTF-16 mark, or every other byte a zero."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    sample = data[:400]
    half = len(sample) // 2
    if half < 4:
        return False
    return sample[1::2].count(0) >= 0.8 * half or sample[0::2].count(0) >= 0.8 * half


def decode_csv(data: bytes, ext: str = ".csv") -> tuple[str, str]:
    """Return ``(text, encoding)``: UTF-8 (BOM or not) first, then GB18030 (a superset of GBK).

    Both are tried strictly; a file that is neither is refused rather than mis-read,
    saying what it is when that is recognisable (UTF-16, a workbook, binary data).
    """
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
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        if b"\x00" in data[:65536]:
            raise FileRefused("refusal.binary") from None
        raise FileRefused("refusal.not_text", offset=exc.start) from None
    return text, "gb18030"


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


def _grid_to_table(grid: pd.DataFrame, spec: DatasetSpec, first_row_number: int) -> RawTable:
    """Split ``grid`` (header somewhere in its first rows) into headers and data rows.

    ``first_row_number`` is the file's number of grid row 0 (1 for CSV and Excel
    lines, 0 where row 0 is a synthetic header as for Parquet and GeoJSON).
    """
    header = _find_header(grid, spec)
    headers = [str(v).strip() if pd.notna(v) else "" for v in grid.iloc[header]]
    body = grid.iloc[header + 1 :].copy()
    body.columns = [h or f"(column {i + 1})" for i, h in enumerate(headers)]
    table = _drop_blank(body, [first_row_number + int(i) for i in body.index])
    table.title_lines = _titles(grid, header)
    return table


def _titles(grid: pd.DataFrame, header: int) -> list[str]:
    """Return the non-empty lines above the header row, cells joined by spaces."""
    lines = [" ".join(_cells(grid.iloc[i])) for i in range(header)]
    return [line for line in lines if line]


def _drop_blank(body: pd.DataFrame, numbers: list[int]) -> RawTable:
    """Drop rows whose every cell is empty (Excel exports end with some)."""
    if len(body):
        filled = body.notna() & body.astype(str).apply(lambda c: c.str.strip() != "")
        keep = filled.any(axis=1).to_numpy()
        body = body[keep]
        numbers = [n for n, k in zip(numbers, keep, strict=True) if k]
    return RawTable(body.reset_index(drop=True), numbers, "", None)


def _head(text: str, delimiter: str) -> tuple[pd.DataFrame, list[int]]:
    """Return the first records of ``text`` as a grid, and the line each ends on."""
    head: list[list[str]] = []
    ends: list[int] = []  # physical line on which each header-area record ends
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for record in reader:
            head.append(record)
            ends.append(reader.line_num)
            if len(head) >= HEADER_SEARCH_ROWS:
                break
    except csv.Error:
        pass  # e.g. a NUL or an overlong field: what was read so far is the header area
    width = max((len(r) for r in head), default=0)
    return pd.DataFrame([r + [None] * (width - len(r)) for r in head], dtype=object), ends


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
        grid, _ = _head(text, delimiter)
        hits, _ = _header_score(grid, spec)
        known = max(
            (sum(match_header(c, everything) is not None for c in _cells(grid.iloc[i]))
             for i in range(len(grid))),
            default=0,
        )  # fmt: skip
        scores.append((hits, known, -rank, delimiter))
    return max(scores)[3]


def _read_csv(data: bytes, spec: DatasetSpec, ext: str = ".csv") -> RawTable:
    """Read CSV text: the header row is found first, then the body is parsed below it.

    Lines are split on line feeds only (as pandas does), so a title containing other
    Unicode line breaks cannot shift the header. Row numbers are the file's line
    numbers (exact unless a data cell itself spans lines). The delimiter is the
    one that splits the header area into known column names.
    """
    text, encoding = decode_csv(data, ext)
    delimiter = sniff_delimiter(text, spec)
    grid, ends = _head(text, delimiter)
    header = _find_header(grid, spec)
    header_line = ends[header]  # the header's (last) physical line
    options = dict(
        sep=delimiter,
        skiprows=header,  # pandas counts records here, as the csv module does
        header=0,
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
        index_col=False,
    )
    malformed: list[tuple[int, list[str]]] = []
    try:
        with warnings.catch_warnings():
            # pandas would drop fields beyond the header with only a warning
            warnings.simplefilter("error", pd.errors.ParserWarning)
            body = pd.read_csv(io.StringIO(text), engine="c", **options)
        numbers = [header_line + 1 + i for i in range(len(body))]
    except (pd.errors.ParserError, pd.errors.ParserWarning):
        # some rows have more fields than the header: parse record by record, keep
        # the others with their exact line numbers, quarantine those
        body, numbers, malformed = _read_csv_records(text, header, delimiter)
    body.columns = [str(c).strip() for c in body.columns]
    table = _drop_blank(body, numbers)
    table.encoding = encoding
    table.malformed = malformed
    table.delimiter = delimiter
    table.title_lines = _titles(grid, header)
    return table


def _read_csv_records(text: str, header: int, delimiter: str = ","):
    """Parse CSV with the csv module, the header being record ``header``.

    Empty trailing fields (a trailing delimiter) are harmless; a row with non-empty
    fields beyond the header is set apart for the quarantine.

    Returns ``(frame, line numbers, [(line, fields), …] of rows with extra fields)``.
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    for _ in range(header):
        next(reader, None)
    columns = next(reader, [])
    rows, numbers, malformed = [], [], []
    start = reader.line_num + 1
    for record in reader:
        if len(record) > len(columns) and any(v.strip() for v in record[len(columns) :]):
            malformed.append((start, record))
        else:
            record = record[: len(columns)]
            rows.append(record + [""] * (len(columns) - len(record)))
            numbers.append(start)
        start = reader.line_num + 1
    return pd.DataFrame(rows, columns=columns, dtype=str), numbers, malformed


UNREADABLE = {"csv": "refusal.unreadable", "xlsx": "refusal.not_xlsx",
              "parquet": "refusal.not_parquet", "geojson": "refusal.unreadable"}  # fmt: skip


def read_file(path: str | Path, spec: DatasetSpec, *, sheet: str | None = None) -> RawTable:
    """Read ``path`` as a file of dataset ``spec``.

    ``sheet`` (Excel only) names the sheet to read, or gives its number from 1;
    by default the first sheet holding the dataset's header is read.

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
            table = _read_csv(path.read_bytes(), spec, path.suffix)
        elif fmt == "xlsx":
            table = _read_xlsx(path, spec, sheet)
        elif fmt == "parquet":
            with open(path, "rb") as f:
                if f.read(4) != b"PAR1":
                    raise FileRefused("refusal.not_parquet")
            frame = pd.read_parquet(path)
            grid = pd.concat(
                [pd.DataFrame([list(frame.columns)]), _as_object(frame)], ignore_index=True
            )
            table = _grid_to_table(grid, spec, first_row_number=0)
        else:
            table = _read_geojson(path, spec)
    except FileRefused:
        raise
    except Exception:  # zip/openpyxl/pyarrow raise their own types on damaged files
        raise FileRefused(UNREADABLE[fmt], fmt=fmt) from None
    table.format = fmt
    return table


def _read_xlsx(path: Path, spec: DatasetSpec, sheet: str | None) -> RawTable:
    """Read the sheet holding the header (or the one asked for) of an Excel workbook."""
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
    book = pd.ExcelFile(path, engine="openpyxl")
    names = [str(n) for n in book.sheet_names]
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
        top = pd.read_excel(book, sheet_name=name, header=None, dtype=object,
                            nrows=HEADER_SEARCH_ROWS)  # fmt: skip
        tops.extend(list(top.iloc[i]) for i in range(len(top)))
        hits, row = _header_score(top, spec)
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
    grid = pd.read_excel(book, sheet_name=chosen, header=None, dtype=object)
    table = _grid_to_table(grid, spec, first_row_number=1)
    table.sheet = chosen
    table.skipped_sheets = [n for n in names if n != chosen]
    return table


def _as_object(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.astype(object).where(frame.notna(), None)
    out.columns = range(len(out.columns))
    return out


def _read_geojson(path: Path, spec: DatasetSpec) -> RawTable:
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise FileRefused("refusal.geojson_encoding") from None
    except json.JSONDecodeError as exc:
        raise FileRefused("refusal.geojson_json", line=exc.lineno, column=exc.colno) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        found = (f'"type": "{str(doc.get("type"))[:40]}"' if isinstance(doc, dict)
                 else f"a JSON {type(doc).__name__}")  # fmt: skip
        raise FileRefused("refusal.geojson_type", found=found)
    if spec.point is None:
        raise FileRefused("refusal.geojson_unlocated", dataset=spec.name)
    lon_col, lat_col = spec.point
    lookup = header_lookup(spec)
    rows = []
    for feature in doc.get("features") or []:
        props = dict((feature or {}).get("properties") or {})
        geom = (feature or {}).get("geometry") or {}
        if geom.get("type") == "Point" and len(geom.get("coordinates") or []) >= 2:
            # the geometry is the position: properties that also name one (x, lng, 经度…)
            # must not override it
            props = {
                k: v for k, v in props.items() if match_header(k, lookup) not in (lon_col, lat_col)
            }
            lon, lat = geom["coordinates"][:2]
        else:
            lon = lat = None
        rows.append({lon_col: lon, lat_col: lat, **props})
    columns: list[str] = []
    for r in rows:
        columns.extend(k for k in r if k not in columns)
    grid = pd.DataFrame([columns] + [[r.get(c) for c in columns] for r in rows], dtype=object)
    table = _grid_to_table(grid, spec, first_row_number=0)
    return table
