"""Reading an import file (issue 3): CSV, XLSX or JSON → tables, one per kind of data,
each row with its number as the user sees it and its cells keyed by column name.

Nothing here touches the database. Problems are returned as `ImportIssue`s, never
raised, so one pass reports everything that is wrong with a file.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from wuye.imports.schema import (
    IGNORED_HEADERS,
    KINDS,
    ImportIssue,
    JsonFloat,
    Kind,
    fold_header,
    kind_named,
    known_header,
)

# What `--encoding` accepts (Python's names and aliases of these: cp936 = gbk, …).
SUPPORTED_ENCODINGS = (
    "utf-8",
    "utf-8-sig",
    "gb18030",
    "gbk",
    "gb2312",
    "big5",
    "big5hkscs",
    "cp950",
)
# Tried in this order when no encoding is given; GB18030 reads every GBK/GB2312 file.
DETECTED_ENCODINGS = ("utf-8-sig", "gb18030", "big5")
_SHOWN = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "gb18030": "GB18030", "big5": "Big5"}
KIND_NAMES = ", ".join(f"{k.name} ({k.zh})" for k in KINDS)


@dataclass
class RawRow:
    number: int
    cells: dict[str, Any]  # column name → value as read (None when empty)
    headers: dict[str, str]  # column name → header as written in the file


@dataclass
class Table:
    sheet: str  # the sheet name (XLSX), the kind (CSV) or the key (JSON), as written
    kind: Kind
    rows: list[RawRow] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)  # required columns absent (reported)


@dataclass
class FileContent:
    format: str  # csv, xlsx or json
    encoding: str | None  # what the text was decoded with (None for XLSX)
    tables: list[Table] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)


def _issue(issues: list[ImportIssue], sheet: str, row, column, message: str, message_zh: str):
    issues.append(ImportIssue(sheet, row, column, message, message_zh))


def read_file(
    name: str, data: bytes, *, encoding: str | None = None, kind: str | None = None
) -> FileContent:
    """The tables of a file. `kind` (English or Chinese) names the kind of a CSV file and,
    for XLSX and JSON, the only kind to read; `encoding` applies to CSV and JSON text."""
    fmt = file_format(name, data)
    content = FileContent(format=fmt or "", encoding=None)
    issues = content.issues
    only = None
    if kind:
        only = kind_named(kind)
        if only is None:
            _issue(
                issues,
                "",
                None,
                None,
                f"unknown kind '{kind}': one of {KIND_NAMES}",
                f"未知的資料種類「{kind}」：應為 {KIND_NAMES} 之一",
            )
            return content
    if fmt is None:
        _issue(
            issues,
            "",
            None,
            None,
            "an old .xls workbook: save it as .xlsx or CSV",
            "舊式 .xls 活頁簿：請另存為 .xlsx 或 CSV",
        )
    elif fmt == "xlsx":
        _read_xlsx(data, only, content)
    else:
        text = _decode(data, encoding, fmt, content)
        if text is not None:
            (_read_csv if fmt == "csv" else _read_json)(text, only, content)
    return content


def file_format(name: str, data: bytes) -> str | None:
    """csv, xlsx or json, by the file's extension, else by its first bytes."""
    suffix = Path(name).suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == ".json":
        return "json"
    if suffix == ".xls":
        return None
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data.lstrip(codecs.BOM_UTF8 + b" \t\r\n")[:1] == b"{":
        return "json"
    return "csv"


# --- encodings -------------------------------------------------------------------------


def codec_name(encoding: str) -> str | None:
    """The Python codec for an --encoding the import supports, else None."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None
    if name not in SUPPORTED_ENCODINGS:
        return None
    return "utf-8-sig" if name == "utf-8" else name  # a BOM is always welcome


def _shown(codec: str) -> str:
    return _SHOWN.get(codec, codec.upper())


def _line_of(data: bytes, error: UnicodeDecodeError) -> int:
    return data[: error.start].count(b"\n") + 1


def _undecodable(content: FileContent, data: bytes, codec: str, error, advice: str, zh: str):
    line = _line_of(data, error)
    byte = data[error.start : error.start + 1].hex()
    _issue(
        content.issues,
        "",
        line,
        None,
        f"line {line} is not valid {_shown(codec)} (byte 0x{byte}){advice}",
        f"第 {line} 行不是有效的 {_shown(codec)} 編碼（位元組 0x{byte}）{zh}",
    )


def _decode(data: bytes, encoding: str | None, fmt: str, content: FileContent) -> str | None:
    if encoding:
        codec = codec_name(encoding)
        if codec is None:
            supported = "utf-8, gbk, gb18030, big5"
            _issue(
                content.issues,
                "",
                None,
                None,
                f"unknown encoding '{encoding}': use one of {supported}",
                f"不支援的編碼「{encoding}」：請用 {supported} 之一",
            )
            return None
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as error:
            _undecodable(content, data, codec, error, "", "")
            return None
        content.encoding = "utf-8" if codec == "utf-8-sig" else codec
        return text
    if fmt == "json":  # JSON is UTF-8 (RFC 8259)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            _undecodable(content, data, "utf-8", error, ": give --encoding", "：請指定 --encoding")
            return None
        content.encoding = "utf-8"
        return text
    return _detect(data, content)


def _first_line(data: bytes) -> bytes:
    for line in data.splitlines():
        if line.strip(codecs.BOM_UTF8 + b" \t,;"):
            return line
    return b""


def _detect(data: bytes, content: FileContent) -> str | None:
    """Decode the header row in each candidate encoding and keep the one in which the
    most headers are known column names; then the whole file must decode in it."""
    header = _first_line(data)
    if not header:
        return ""  # an empty file: reported as such by the CSV reader
    scored = []
    for order, codec in enumerate(DETECTED_ENCODINGS):
        try:
            cells = _split(header.decode(codec))
        except UnicodeDecodeError:
            continue
        known = sum(1 for cell in cells if cell.strip() and known_header(cell))
        if known:
            scored.append((-known, order, codec))
    if not scored and _plain_ascii(header):
        # Plain ASCII reads the same in every candidate: the headers, not the encoding,
        # are wrong, and the kind detection says so.
        scored.append((0, 0, "utf-8-sig"))
    if not scored:
        tried = ", ".join(_shown(c) for c in DETECTED_ENCODINGS)
        _issue(
            content.issues,
            "",
            1,
            None,
            f"unknown encoding: read as {tried}, the header row has no known column names;"
            " check the headers or give --encoding",
            f"無法判斷編碼：以 {tried} 讀取，標題列都沒有可識別的欄名；請檢查標題或指定 --encoding",
        )
        return None
    first_error = None
    for _, _, codec in sorted(scored):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as error:
            first_error = first_error or (codec, error)
            continue
        content.encoding = "utf-8" if codec == "utf-8-sig" else codec
        return text
    codec, error = first_error
    _undecodable(content, data, codec, error, ": give --encoding", "：請指定 --encoding")
    return None


def _plain_ascii(line: bytes) -> bool:
    line = line.removeprefix(codecs.BOM_UTF8)
    return all(32 <= byte < 127 or byte == 9 for byte in line)


def _delimiter(line: str) -> str:
    return "\t" if "\t" in line and "," not in line else ","


def _split(line: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=_delimiter(line)), [])
    except csv.Error:  # a stray quote or NUL: judge the cells roughly
        return line.split(_delimiter(line))


# --- tables ----------------------------------------------------------------------------


def _value(cell: Any) -> Any:
    """A cell as the parsers take it: text stripped, blank → None, an XLSX float → the
    Decimal of its shortest form (86.4, as typed; a computed 86.40000000001 stays so)."""
    if isinstance(cell, JsonFloat):
        return cell
    if isinstance(cell, str):
        cell = cell.strip()
        return cell or None
    if isinstance(cell, float):
        return Decimal(repr(cell))
    return cell


def _blank(cells: Iterable[Any]) -> bool:
    return all(_value(c) is None for c in cells)


def _has_cjk(texts: Iterable[str]) -> bool:
    return any(ord(ch) > 0x2E80 for t in texts for ch in t)


def expected_header(kind: Kind, name: str, written: Iterable[str]) -> str:
    """A column the file lacks, named in the language of the file's headers."""
    column = kind.get(name)
    return column.zh if _has_cjk(written) else column.name


def _detect_kind(headers: list[str]) -> list[Kind]:
    """The kinds whose required columns all appear: those that also know every header if
    there are any, else those that know some (the unknown ones are then reported); if
    none has all its required columns, the kinds that know every header (the missing
    columns are then reported)."""
    used = [h for h in headers if fold_header(h) not in IGNORED_HEADERS]

    def has_required(kind: Kind) -> bool:
        return all(any(kind.column(h) is c for h in used) for c in kind.required)

    def knows_all(kind: Kind) -> bool:
        return all(kind.column(h) for h in used)

    complete = [k for k in KINDS if has_required(k)]
    exact = [k for k in complete if knows_all(k)]
    return exact or complete or [k for k in KINDS if used and knows_all(k)]


def _tabular(
    sheet: str,
    rows: Iterable[tuple[int, list[Any]]],
    *,
    kind: Kind | None,
    content: FileContent,
    label_by_kind: bool,
    hint: str,
) -> Table | None:
    """A table from numbered rows whose first non-blank row is the header. None for an
    empty sheet or one that cannot be read (then with an issue)."""
    issues = content.issues
    rows = iter(rows)
    first = next(((n, cells) for n, cells in rows if not _blank(cells)), None)
    if first is None:
        return None
    header_number, header_cells = first
    headers = [(i, str(_value(c))) for i, c in enumerate(header_cells) if _value(c) is not None]
    written = [h for _, h in headers]
    if kind is None:
        fits = _detect_kind(written)
        if len(fits) != 1:
            names = " or ".join(k.name for k in fits)
            en, zh = (
                (f"the columns fit {names}: {hint}", f"欄名同時符合 {names}：{hint}")
                if fits
                else (
                    f"the columns fit no kind of data ({KIND_NAMES}): {hint}",
                    f"欄名不符合任何資料種類（{KIND_NAMES}）：{hint}",
                )
            )
            _issue(issues, sheet, header_number, None, en, zh)
            return None
        kind = fits[0]
    table = Table(sheet=kind.name if label_by_kind else sheet, kind=kind)
    columns: dict[int, str] = {}
    names: dict[str, str] = {}
    for index, header in headers:
        column = kind.column(header)
        if column is None:
            if fold_header(header) not in IGNORED_HEADERS:
                _issue(
                    issues,
                    table.sheet,
                    header_number,
                    header,
                    f"unknown column for {kind.name}",
                    f"{kind.zh}沒有這個欄位",
                )
            continue
        if column.name in names:
            _issue(
                issues,
                table.sheet,
                header_number,
                header,
                f"the same column as '{names[column.name]}'",
                f"與「{names[column.name]}」為同一欄位",
            )
            continue
        columns[index] = column.name
        names[column.name] = header
    for column in kind.required:
        if column.name not in names:
            table.missing.add(column.name)
            shown = expected_header(kind, column.name, written)
            _issue(
                issues,
                table.sheet,
                header_number,
                shown,
                "a required column is missing",
                "缺少必填欄位",
            )
    header_positions = {i for i, _ in headers}
    for number, cells in rows:
        if _blank(cells):
            continue
        values = {}
        for index, cell in enumerate(cells):
            value = _value(cell)
            if index in columns:
                values[columns[index]] = value
            elif value is not None and index not in header_positions:
                _issue(
                    issues,
                    table.sheet,
                    number,
                    None,
                    f"a value in column {index + 1}, which has no header: '{value}'",
                    f"第 {index + 1} 欄沒有標題，卻有值「{value}」",
                )
        table.rows.append(RawRow(number=number, cells=values, headers=names))
    return table


def _read_csv(text: str, only: Kind | None, content: FileContent) -> None:
    first = next((line for line in text.splitlines() if line.strip(" \t,;")), "")
    if not first:
        _issue(content.issues, "", None, None, "the file is empty", "檔案是空的")
        return
    # A cell longer than the csv module's field limit (128 KiB) would fail the whole file
    # without naming its row; the file is in memory anyway, so a cell may be as long as it
    # is, and its column's parser refuses it as too long, naming the row and column.
    if len(text) >= csv.field_size_limit():
        csv.field_size_limit(len(text) + 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
    try:
        records = list(reader)
    except csv.Error as error:
        line = reader.line_num
        _issue(
            content.issues,
            "",
            line,
            None,
            f"not a readable CSV file: line {line}: {error}",
            f"無法讀取 CSV：第 {line} 行：{error}",
        )
        return
    table = _tabular(
        "",
        enumerate(records, start=1),
        kind=only,
        content=content,
        label_by_kind=True,
        hint="give --kind",
    )
    if table is not None:
        content.tables.append(table)


def _read_xlsx(data: bytes, only: Kind | None, content: FileContent) -> None:
    import openpyxl  # only an XLSX import needs it

    def unreadable(error: Exception, sheet: str = "") -> None:
        _issue(
            content.issues,
            sheet,
            None,
            None,
            f"not a readable XLSX workbook ({type(error).__name__})",
            "無法讀取的 XLSX 活頁簿",
        )

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    # A broken workbook fails in openpyxl in many ways (a bad zip, a missing part,
    # malformed XML, a wrong type inside): all of them are a file that cannot be read.
    except Exception as error:
        unreadable(error)
        return
    try:
        _read_sheets(book, only, content)
    except Exception as error:  # rows are read lazily: the same breakage, later
        unreadable(error)
        content.tables.clear()
    finally:
        book.close()


def _read_sheets(book, only: Kind | None, content: FileContent) -> None:
    for sheet in book.worksheets:
        named = kind_named(sheet.title)
        if only is not None and named is not None and named is not only:
            continue
        rows = ((n, list(r)) for n, r in enumerate(sheet.iter_rows(values_only=True), 1))
        table = _tabular(
            sheet.title,
            rows,
            kind=named or only,
            content=content,
            label_by_kind=False,
            hint="name the sheet after its kind",
        )
        if table is not None:
            content.tables.append(table)


def _read_json(text: str, only: Kind | None, content: FileContent) -> None:
    issues = content.issues
    try:
        data = json.loads(text, parse_float=JsonFloat, parse_constant=JsonFloat)
    except RecursionError:
        _issue(
            issues,
            "",
            None,
            None,
            "not valid JSON for an import: arrays or objects nested too deep",
            "不是可匯入的 JSON：陣列或物件巢狀層數過多",
        )
        return
    except ValueError as error:
        if not isinstance(error, json.JSONDecodeError):  # an integer of over 4,300 digits
            _issue(
                issues,
                "",
                None,
                None,
                f"not valid JSON for an import: {error}",
                f"不是可匯入的 JSON：數字過長（{error}）",
            )
            return
        _issue(
            issues,
            "",
            error.lineno,
            None,
            f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})",
            f"不是有效的 JSON：{error.msg}（第 {error.lineno} 行第 {error.colno} 字）",
        )
        return
    if not isinstance(data, dict):
        _issue(
            issues,
            "",
            None,
            None,
            "a JSON import is an object whose keys are kinds of data, each a list of rows",
            "JSON 匯入檔須為物件：每個鍵是資料種類，其值為資料列的陣列",
        )
        return
    for key, items in data.items():
        kind = kind_named(key)
        if kind is None:
            _issue(
                issues,
                key,
                None,
                None,
                f"unknown kind of data: one of {KIND_NAMES}",
                f"未知的資料種類：應為 {KIND_NAMES} 之一",
            )
            continue
        if only is not None and kind is not only:
            continue
        if not isinstance(items, list):
            _issue(issues, key, None, None, "not a list of rows", "不是資料列的陣列")
            continue
        table = Table(sheet=key, kind=kind)
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                _issue(issues, key, number, None, "a row is an object", "每一列須為物件")
                continue
            cells, names = {}, {}
            for header, value in item.items():
                column = kind.column(header)
                if column is None:
                    if fold_header(header) not in IGNORED_HEADERS:
                        _issue(
                            issues,
                            key,
                            number,
                            header,
                            f"unknown column for {kind.name}",
                            f"{kind.zh}沒有這個欄位",
                        )
                    continue
                if column.name in names:
                    _issue(
                        issues,
                        key,
                        number,
                        header,
                        f"the same column as '{names[column.name]}'",
                        f"與「{names[column.name]}」為同一欄位",
                    )
                    continue
                names[column.name] = header
                cells[column.name] = _value(value)
            table.rows.append(RawRow(number=number, cells=cells, headers=names))
        content.tables.append(table)
