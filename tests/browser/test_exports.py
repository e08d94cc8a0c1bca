"""Export jobs in a real browser: staff ask for the pass list as XLSX, watch the progress page while a
worker prepares it (`lms jobs drain`, as `lms worker` would), see the page turn into a download link
without reloading it themselves, download the file and open it."""
import io
import re

import openpyxl
import pytest
from conftest import log_in  # tests/browser/conftest.py

from lms.certification.passlist import HEADER


pytestmark = pytest.mark.browser

# Runs inside the live server's instance: three officers of an agency of this test's own certified (built as
# the certification tests build them), one with a name a spreadsheet would run as a formula.
SETUP = r"""
import json
from lms.app import create_app
from lms.clock import utcnow
from lms.extensions import db
from tests.factories import CertKit, Factory

app = create_app()
with app.app_context():
    clock = utcnow
    factory = Factory(db, clock)
    kit = CertKit(db, factory, clock)
    agency = factory.agency(name="Export Browser County", ori="VAEXP0100")
    track = kit.track("export-browser-track", title="Export browser track")
    for name in ("Erin Export", "Xavier Export", "=1+1"):
        kit.certified(track, trainee=factory.user("trainee", agency=agency, name=name,
                                                  email=f"export.{len(name)}.{name[0]}@demo.example"))
    db.session.commit()
    print(json.dumps({"agency_id": agency.id}))
"""


@pytest.fixture(scope="module")
def certified(live_server):
    return live_server.run_script(SETUP)


def test_staff_prepare_the_pass_list_as_xlsx_and_download_it_when_ready(page, live_server, certified, tmp_path):
    from playwright.sync_api import expect

    email, password = live_server.account("staff")
    log_in(page, email, password, privileged=True)
    page.goto(f"/passlist?agency_id={certified['agency_id']}")
    heading = page.get_by_role("heading", level=2, name=re.compile(r"^Download [\d,]+ rows?$")).inner_text()
    total = int(re.search(r"[\d,]+", heading).group(0).replace(",", ""))
    page.get_by_role("button", name="Prepare Excel (XLSX)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pass list (Excel (XLSX))")
    expect(page.locator("#export-count")).to_have_text("Waiting to start.")  # no worker has run yet
    expect(page.get_by_role("link", name=re.compile(r"^Download pass-list"))).to_have_count(0)

    assert re.search(r"\d+ queued job\(s\) run\.", live_server.cli("jobs", "drain"))  # the export (and any other job)
    link = page.get_by_role("link", name=re.compile(r"^Download pass-list-\d{4}-\d{2}-\d{2}\.xlsx$"))
    expect(link).to_be_visible()  # the page's script saw the file ready and showed the link
    expect(page.locator("#export-progress")).to_contain_text(f"{total:,} row")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert re.fullmatch(r"pass-list-\d{4}-\d{2}-\d{2}\.xlsx", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = openpyxl.load_workbook(io.BytesIO(path.read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER and len(rows) == total + 1 == 4
    assert sorted(row[1] for row in rows[1:]) == ["'=1+1", "Erin Export", "Xavier Export"]  # formula-safe
    assert {row[8] for row in rows[1:]} == {"Valid"}

    page.goto("/exports")
    expect(page.get_by_role("heading", level=1)).to_have_text("My exports")
    expect(page.get_by_role("link", name=download.suggested_filename)).to_be_visible()
    assert page.recorder.errors == []
