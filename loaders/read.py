"""Read a department file into a table of raw cells, whatever its format and encoding.

Formats by extension: ``.csv`` (UTF-8, UTF-8 with BOM, GBK/GB18030 — decoded
strictly, never guessed), ``.xlsx``, ``.parquet``, ``.geojson``/``.json``
(point features). Title lines and blank rows above the header (common in
government Excel exports) are skipped: the header row is found by its names.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from loaders.specs import DatasetSpec

FORMATS = {
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".parquet": "parquet",
    ".geojson": "geojson",
    ".json": "geojson",
}
HEADER_SEARCH_ROWS = 30


class FileRefused(ValueError):
    """The file cannot be loaded at all; the message says why in one line."""


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


def decode_csv(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``: UTF-8 (BOM or not) first, then GB18030 (a superset of GBK).

    Both are tried strictly; a file that is neither is refused rather than mis-read.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise FileRefused(f"starts with a UTF-8 mark but is not UTF-8: {exc}") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise FileRefused("not text in UTF-8, GBK or GB18030") from None
    return text, "gb18030"


def _find_header(grid: pd.DataFrame, spec: DatasetSpec) -> int:
    """Return the index of the header row: the first row naming enough known columns."""
    lookup = header_lookup(spec)
    required = {c.name for c in spec.columns if c.required}
    best, best_row = 0, -1
    for i in range(min(len(grid), HEADER_SEARCH_ROWS)):
        names = {lookup.get(normalise_header(v)) for v in grid.iloc[i] if pd.notna(v)}
        hits = len(names & required)
        if hits > best:
            best, best_row = hits, i
        if hits == len(required):
            return i
    if best_row < 0 or best < max(1, len(required) // 2):
        raise FileRefused(
            f"no header row found: expected columns of a {spec.name} file such as "
            + ", ".join(_describe(spec, n) for n in sorted(required))
        )
    return best_row


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
    return _drop_blank(body, [first_row_number + int(i) for i in body.index])


def _drop_blank(body: pd.DataFrame, numbers: list[int]) -> RawTable:
    """Drop rows whose every cell is empty (Excel exports end with some)."""
    if len(body):
        filled = body.notna() & body.astype(str).apply(lambda c: c.str.strip() != "")
        keep = filled.any(axis=1).to_numpy()
        body = body[keep]
        numbers = [n for n, k in zip(numbers, keep, strict=True) if k]
    return RawTable(body.reset_index(drop=True), numbers, "", None)


def _read_csv(data: bytes, spec: DatasetSpec) -> RawTable:
    """Read CSV text: the header row is found first, then the body is parsed below it.

    Lines are split on line feeds only (as pandas does), so a title containing other
    Unicode line breaks cannot shift the header. Row numbers are the file's line
    numbers (exact unless a data cell itself spans lines).
    """
    text, encoding = decode_csv(data)
    head: list[list[str]] = []
    ends: list[int] = []  # physical line on which each header-area record ends
    reader = csv.reader(io.StringIO(text))
    for record in reader:
        head.append(record)
        ends.append(reader.line_num)
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    width = max((len(r) for r in head), default=0)
    grid = pd.DataFrame([r + [None] * (width - len(r)) for r in head], dtype=object)
    header = _find_header(grid, spec)
    header_line = ends[header]  # the header's (last) physical line
    options = dict(
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
        body, numbers, malformed = _read_csv_records(text, header)
    body.columns = [str(c).strip() for c in body.columns]
    table = _drop_blank(body, numbers)
    table.encoding = encoding
    table.malformed = malformed
    return table


def _read_csv_records(text: str, header: int):
    """Parse CSV with the csv module, the header being record ``header``.

    Empty trailing fields (a trailing delimiter) are harmless; a row with non-empty
    fields beyond the header is set apart for the quarantine.

    Returns ``(frame, line numbers, [(line, fields), …] of rows with extra fields)``.
    """
    reader = csv.reader(io.StringIO(text))
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


def read_file(path: str | Path, spec: DatasetSpec) -> RawTable:
    """Read ``path`` as a file of dataset ``spec``.

    Returns
    -------
    RawTable
        The data rows with the file's own headers.

    Raises
    ------
    FileRefused
        When the file cannot be read or has no recognisable header row.
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        kind = path.suffix or "(none)"
        raise FileRefused(f"unsupported file type {kind}: use .csv, .xlsx, .parquet or .geojson")
    if not path.is_file():
        raise FileRefused(f"no such file: {path}")
    try:
        if fmt == "csv":
            table = _read_csv(path.read_bytes(), spec)
        elif fmt == "xlsx":
            grid = pd.read_excel(path, header=None, dtype=object, engine="openpyxl")
            table = _grid_to_table(grid, spec, first_row_number=1)
        elif fmt == "parquet":
            frame = pd.read_parquet(path)
            grid = pd.concat(
                [pd.DataFrame([list(frame.columns)]), _as_object(frame)], ignore_index=True
            )
            table = _grid_to_table(grid, spec, first_row_number=0)
        else:
            table = _read_geojson(path, spec)
    except FileRefused:
        raise
    except (pd.errors.ParserError, ValueError, OSError, KeyError, ImportError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FileRefused(f"cannot read {fmt} file: {first}") from None
    except Exception as exc:  # zip/openpyxl/pyarrow raise their own types on garbage
        raise FileRefused(f"cannot read {fmt} file: {type(exc).__name__}: {exc}") from None
    table.format = fmt
    return table


def _as_object(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.astype(object).where(frame.notna(), None)
    out.columns = range(len(out.columns))
    return out


def _read_geojson(path: Path, spec: DatasetSpec) -> RawTable:
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise FileRefused("GeoJSON must be UTF-8") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise FileRefused("not a GeoJSON FeatureCollection")
    if spec.point is None:
        raise FileRefused(f"{spec.name} rows have no location: GeoJSON is not accepted")
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
                k: v
                for k, v in props.items()
                if lookup.get(normalise_header(k)) not in (lon_col, lat_col)
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
