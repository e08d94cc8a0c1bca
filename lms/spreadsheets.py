"""Files that are safe to open in a spreadsheet: CSV and XLSX writers that neutralize every text cell.

Every text cell that a spreadsheet could read as a formula (starting with = + - @, tab, carriage
return or line feed, or their full-width forms, even after leading spaces) is neutralized with a
leading apostrophe, after OWASP's CSV injection guidance. That holds in the XLSX too, where text
cells are also stored as strings: a cell re-entered by hand in Excel stays text. Rows are written as
they come, so a large export never sits in memory.
"""
import csv
import io
import re
import tempfile
from datetime import date
from typing import Iterable, Iterator

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
    """Write an XLSX in openpyxl's write-only mode (rows go to disk as they come); returns the row count."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    cells = []
    for label in header:
        cell = WriteOnlyCell(sheet, value=neutralize(label))
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)
    count = 0
    for row in rows:
        # Neutralized text never starts with "=", so openpyxl stores every str as a string, never a formula.
        sheet.append([neutralize(v) for v in row])
        count += 1
    workbook.save(fileobj)
    return count


def xlsx_chunks(header: list[str], rows: Iterable[tuple], *, title: str, widths=(),
                chunk_size: int = 256 * 1024) -> Iterator[bytes]:
    """The XLSX built in a temporary file, then read back in chunks (a zip is written at the end)."""
    with tempfile.TemporaryFile() as spool:
        write_xlsx(header, rows, spool, title=title, widths=widths)
        spool.seek(0)
        while chunk := spool.read(chunk_size):
            yield chunk
