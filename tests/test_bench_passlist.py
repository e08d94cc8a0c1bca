"""The pass-list export benchmark (bench/passlist_export.py) at a tiny size, so that its seeding keeps up
with the schema (it once failed on a column added later, certification.verification_code, and nobody saw):
the rows are seeded in bulk, the export runs in a child process and reports what it wrote. Nothing here is
timed."""
from openpyxl import load_workbook

from .conftest import bench_script


def test_the_benchmark_seeds_the_current_schema_and_exports_every_row(tmp_path):
    benchmark = bench_script("passlist_export")
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    [result] = benchmark.run("sqlite", url, tmp_path, 25, ["xlsx"])
    assert result["format"] == "xlsx" and result["rows"] == 25 and result["bytes"] > 0

    from lms.app import create_app
    from lms.certification.passlist import PassListFilters, export_chunks
    from lms.extensions import db

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        data = b"".join(export_chunks(PassListFilters(), "xlsx", today=benchmark.NOW.date(), now=benchmark.NOW,
                                      actor_label="bench"))
        db.engine.dispose()
    (tmp_path / "list.xlsx").write_bytes(data)
    sheet = load_workbook(tmp_path / "list.xlsx", read_only=True).active
    numbers = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]}
    assert len(numbers) == 25 and all(str(n).startswith("287G-") for n in numbers)
