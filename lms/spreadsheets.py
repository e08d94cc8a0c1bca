"""Files that are safe to open in a spreadsheet: CSV and XLSX writers that neutralize every text cell; a
CSV reader that checks an uploaded file and numbers its rows by their lines.

Every text cell that a spreadsheet could read as a formula (starting with = + - @, tab, carriage
return or line feed, or their full-width forms, even after leading spaces) is neutralized with a
leading apostrophe, after OWASP's CSV injection guidance. That holds in the XLSX too, where text
cells are also stored as strings: a cell re-entered by hand in Excel stays text. Rows are written as
they come, so a large export never sits in memory.
"""
import csv
import io
import itertools
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Iterable, Iterator

from rustpy_xlsxwriter import FastExcel

from lms.inputs import describe, text_problem

# = + - @ and the full-width forms some spreadsheets also accept; tab, CR and LF.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")


# Characters XML 1.0 (so XLSX) cannot hold; removed from every format so the files agree.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def neutralize(value):
    """A text cell made safe to open in a spreadsheet; other values unchanged."""
    if not isinstance(value, str):
        return value
    value = _ILLEGAL.sub("", value)
    if value and (value[0] in FORMULA_TRIGGERS or value.lstrip()[:1] in FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_chunks(header: list[str], rows: Iterable[tuple], *, batch: int = 1000) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (so Excel reads accents), every cell quoted and neutralized."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([neutralize(label) for label in header])
    pending = 0
    for row in rows:
        writer.writerow([neutralize(v.isoformat() if isinstance(v, date) else v) for v in row])
        pending += 1
        if pending >= batch:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")




def write_xlsx(header: list[str], rows: Iterable[tuple], fileobj, *, title: str, widths=()) -> int:
    """Write an XLSX with rust_xlsxwriter (through rustpy-xlsxwriter), the rows streamed to it as they come;
    returns the row count. Every text cell is neutralized and stored as a string (the writer makes no
    formula of a string); dates are dates. About ten times openpyxl's speed for the 100,000-row pass list,
    against XlsxWriter and pyexcelerate too: bench/xlsx_writers.py, bench/README.md."""
    labels = [neutralize(label) for label in header]
    if len(set(labels)) != len(labels):
        raise ValueError("XLSX column labels must differ")  # each row is a mapping by label
    count = 0

    def records():
        nonlocal count
        for row in rows:
            count += 1
            yield {label: neutralize(value) for label, value in zip(labels, row)}

    data = records()
    first = next(data, None)
    # No row: one row of empty cells carries the header (the writer takes its header from the rows).
    data = itertools.chain([first], data) if first is not None else [dict.fromkeys(labels)]
    book = FastExcel(fileobj, columns=labels).format(bold_headers=True, datetime_format="yyyy-mm-dd")
    book.sheet(title, data, column_widths=list(widths) or None).save()
    return count


def xlsx_chunks(header: list[str], rows: Iterable[tuple], *, title: str, widths=(),
                chunk_size: int = 256 * 1024) -> Iterator[bytes]:
    """The XLSX built in a temporary file, then read back in chunks (a zip is written at the end)."""
    with tempfile.TemporaryFile() as spool:
        write_xlsx(header, rows, spool, title=title, widths=widths)
        spool.seek(0)
        while chunk := spool.read(chunk_size):
            yield chunk


# -- reading an uploaded CSV file ------------------------------------------------------------------------


@dataclass
class RowError:
    """A bad row of an uploaded CSV file: its line in the file and why."""

    line: int
    reasons: list[str]

    def __str__(self) -> str:
        return f"line {self.line}: " + "; ".join(self.reasons)


class CsvFileError(ValueError):
    """The file as a whole cannot be read (too large, not UTF-8, a bad header...): nothing of it is used."""


def csv_rows(data: bytes, *, columns: list[str], optional: list[str] = (), max_bytes: int,
             max_rows: int) -> Iterator[tuple[int, dict | RowError]]:
    """The rows of a CSV file whose header names ``columns`` (and perhaps ``optional`` ones), each as
    (line, {column: cell}) or (line, RowError) when it cannot be read; blank lines are skipped and lines
    are numbered as in the file (the header is line 1). Raises CsvFileError, when it is found, for a file
    that cannot be used at all."""
    if len(data) > max_bytes:
        raise CsvFileError(f"The file is larger than {max_bytes // 1024} KB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvFileError("The file is not UTF-8 text; save it from the spreadsheet as CSV UTF-8.") from None
    refused = text_problem(text)
    if refused:
        line = text.count("\n", 0, text.index(refused)) + 1
        raise CsvFileError(f"line {line}: the file contains a control character, {describe(refused)}, that no "
                           "field accepts; remove it and upload the file again.")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise CsvFileError("The file is empty.") from None
    except csv.Error as error:
        raise CsvFileError(f"line 1: not a readable CSV header ({error}).") from None
    missing = [c for c in columns if c not in header]
    unknown = [c for c in header if c not in list(columns) + list(optional)]
    if missing or unknown:
        raise CsvFileError("line 1: the header must name the columns " + ", ".join(columns)
                           + (f" (missing: {', '.join(missing)})" if missing else "")
                           + (f" (unknown: {', '.join(unknown)})" if unknown else "") + ".")
    rows = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            yield reader.line_num, RowError(reader.line_num, [f"not readable as CSV ({error})"])
            break
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank lines are not rows
        rows += 1
        if rows > max_rows:
            raise CsvFileError(f"The file has more than {max_rows} rows; split it.")
        if len(cells) != len(header):
            yield line, RowError(line, [f"expected {len(header)} cells, found {len(cells)}"])
            continue
        yield line, dict(zip(header, cells))


@dataclass
class CheckedRows:
    """A CSV file read through a row check: the good rows as (line, value), the bad ones with their
    reasons, and why the file as a whole cannot be used (None when it can)."""

    good: list[tuple[int, object]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    file_error: str | None = None


def check_rows(data: bytes, check: Callable[[int, dict], tuple[object, list[str]]], result: CheckedRows | None = None,
               **reading) -> CheckedRows:
    """Every row of a CSV file (read by csv_rows with ``reading``) through ``check(line, row) -> (value,
    problems)``, into ``result`` (a report that extends CheckedRows, or a new one); a row is good when it has no
    problem. Nothing is written."""
    result = CheckedRows() if result is None else result
    try:
        for line, row in csv_rows(data, **reading):
            if isinstance(row, RowError):
                result.errors.append(row)
                continue
            value, problems = check(line, row)
            if problems:
                result.errors.append(RowError(line, problems))
            else:
                result.good.append((line, value))
    except CsvFileError as error:
        result.file_error = str(error)
        return result
    if not result.good and not result.errors:
        result.file_error = "The file has a header but no rows."
    return result
