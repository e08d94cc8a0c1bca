"""XLSX writers for the 100,000-row pass list, side by side: time and memory for the same rows (issue 15).

Each writer gets the same rows (the pass list's ten columns, text neutralized by lms.spreadsheets.neutralize,
two dates) in a fresh child process; the file is then reopened with openpyxl and its values compared
with the rows (a writer that changes a value is disqualified, whatever its speed). Needs the writers
installed: `.venv/bin/pip install xlsxwriter pyexcelerate` (rustpy-xlsxwriter is the app's; openpyxl the tests').
Peak memory growth is the child's peak resident set after the imports' own peak: a floor, not a total.

    .venv/bin/python bench/xlsx_writers.py --rows 100000 --repeat 3
"""
import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lms.certification.passlist import HEADER, XLSX_WIDTHS  # after the path
from lms.spreadsheets import neutralize


def rows(count: int):
    """Pass-list-like rows, some of whose text cells a spreadsheet would read as formulas."""
    base = date(2026, 1, 1)
    for i in range(count):
        name = f"=HYPERLINK(\"x\",\"Officer {i}\")" if i % 997 == 0 else f"Officer {i:06d} Smith-Jones"
        yield (f"287G-2026-{i:06d}", name, f"County Sheriff's Office {i % 300}", f"VA{i % 10_000_000:07d}",
               "Jail Enforcement Model: officer basic", f"Cohort {i % 40}", base + timedelta(days=i % 365),
               base + timedelta(days=730 + i % 365), "Valid", f"https://lms.example/verify/{i:012x}")


def openpyxl_write_only(count, path):
    """What lms.spreadsheets.write_xlsx did before (openpyxl's write-only mode, lxml installed)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Pass list")
    for index, width in enumerate(XLSX_WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    cells = []
    for label in HEADER:
        cell = WriteOnlyCell(sheet, value=neutralize(label))
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)
    for row in rows(count):
        sheet.append([neutralize(v) for v in row])
    book.save(path)


def lms_write_xlsx(count, path):
    """What the app uses now: lms.spreadsheets.write_xlsx."""
    from lms.spreadsheets import write_xlsx

    with open(path, "wb") as out:
        write_xlsx(HEADER, rows(count), out, title="Pass list", widths=XLSX_WIDTHS)


def xlsxwriter_constant_memory(count, path):
    import xlsxwriter

    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                      "strings_to_urls": False, "strings_to_numbers": False})
    sheet = book.add_worksheet("Pass list")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, [neutralize(h) for h in HEADER], book.add_format({"bold": True}))
    for r, row in enumerate(rows(count), start=1):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(r, c, value, dates)
            else:
                sheet.write_string(r, c, neutralize(value))
    book.close()


def pyexcelerate_whole(count, path):
    from pyexcelerate import Workbook

    book = Workbook()
    book.new_sheet("Pass list", data=[list(HEADER)] + [[neutralize(v) for v in row] for row in rows(count)])
    book.save(path)


def rustpy_xlsxwriter_stream(count, path):
    from rustpy_xlsxwriter import FastExcel

    def records():
        for row in rows(count):
            yield {h: neutralize(v) for h, v in zip(HEADER, row)}

    FastExcel(path).sheet("Pass list", records()).save()


WRITERS = {"openpyxl write-only (before)": openpyxl_write_only,
           "lms.spreadsheets.write_xlsx (now: rustpy-xlsxwriter)": lms_write_xlsx,
           "xlsxwriter constant_memory": xlsxwriter_constant_memory,
           "pyexcelerate (all rows in memory)": pyexcelerate_whole,
           "rustpy-xlsxwriter (generator)": rustpy_xlsxwriter_stream}


def _measure(name, count, path, queue):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    begin = time.perf_counter()
    try:
        WRITERS[name](count, path)
    except Exception as error:  # noqa: BLE001 - reported
        queue.put({"error": repr(error)})
        return
    queue.put({"seconds": round(time.perf_counter() - begin, 2),
               "peak MB growth": round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)})


def same_values(path, count, sample=2000) -> str:
    """'same' when openpyxl reads back the neutralized rows (the first ``sample`` of them), else the first
    difference."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    sheet = book.worksheets[0]
    expected = iter([list(HEADER)] + [[neutralize(v) for v in row] for row in rows(min(count, sample))])
    for got, want in zip(sheet.iter_rows(values_only=True, max_row=sample + 1), expected):
        got = [g.date() if hasattr(g, "hour") else g for g in got]  # a date cell reads back as a datetime
        if got != want:
            return f"differs: {got} != {want}"
    return "same"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated writer names (prefixes) to run")
    args = parser.parse_args()
    chosen = [n for n in WRITERS if not args.only or any(n.startswith(p) for p in args.only.split(","))]
    results = {}
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as folder:
        runs = {name: [] for name in chosen}
        for i in range(args.repeat):  # round robin: the machine's load changes fall on every writer alike
            for name in chosen:
                path = str(Path(folder) / f"{chosen.index(name)}-{i}.xlsx")
                queue = context.Queue()
                child = context.Process(target=_measure, args=(name, args.rows, path, queue))
                child.start()
                runs[name].append(queue.get())
                child.join()
                print(name, runs[name][-1], flush=True)
        for name in chosen:
            first = Path(folder) / f"{chosen.index(name)}-0.xlsx"
            failed = next((r["error"] for r in runs[name] if "error" in r), None)
            results[name] = {"runs": runs[name], "values": failed or same_values(str(first), args.rows),
                             "size MB": None if failed else round(first.stat().st_size / 2**20, 1)}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
