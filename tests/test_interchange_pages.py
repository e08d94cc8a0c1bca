"""The question banks page: exports for download, and an import that shows its preview first."""
import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.content import sync_content
from lms.models import AuditEvent, Question, QuestionBank, Role

from .conftest import csrf_from, login

FIXTURES = Path(__file__).parent / "fixtures"
GIFT = (FIXTURES / "interchange" / "features.gift").read_bytes()


@pytest.fixture
def instructor(app, db, clock, factory):
    sync_content(FIXTURES / "content", now=clock())
    db.session.commit()
    user = factory.user(Role.INSTRUCTOR)
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    return client


def in_bank(db, slug="agreement") -> int:
    bank = db.session.scalar(select(QuestionBank).where(QuestionBank.slug == slug))
    return db.session.scalar(select(func.count()).select_from(Question).where(Question.bank_id == bank.id))


def preview(client, data=GIFT, name="features.gift", fmt="gift", objective="AG-9.1"):
    token = csrf_from(client.get("/banks/import?bank=agreement").get_data(as_text=True))
    return client.post("/banks/import", data={
        "csrf_token": token, "fmt": fmt, "bank": "agreement", "objective": objective, "difficulty": "easy",
        "questions": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def confirm(client, page: str, **changes):
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    return client.post("/banks/import/confirm", data={**fields, **changes})


def test_an_import_previews_first_then_imports_once(instructor, db):
    before = in_bank(db)
    response = preview(instructor)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and in_bank(db) == before  # a preview changes nothing
    assert "13 questions can be imported into the bank <strong>agreement</strong>" in page
    assert "who supervises</strong> the designated officers?" in page  # the stem as trainees see it
    assert "Single choice" in page and "key: ICE" in page and "feedback: No: the sheriff keeps administrative" in page
    assert "line 51" in page and "essay questions (an empty answer block) are not supported; not imported" in page
    assert page.count(">new</td>") == 13

    done = confirm(instructor, page)
    assert done.status_code == 302 and done.headers["Location"] == "/banks"
    assert "Imported into agreement: 13 new" in instructor.get("/banks").get_data(as_text=True)
    assert in_bank(db) == before + 13
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "questions.import")).details["created"] == 13

    again = preview(instructor).get_data(as_text=True)  # the same file again: nothing new
    assert again.count(">unchanged</td>") == 13
    confirm(instructor, again)
    assert in_bank(db) == before + 13


def test_the_import_is_the_file_previewed_or_nothing(instructor, db):
    before = in_bank(db)
    page = preview(instructor).get_data(as_text=True)
    refused = confirm(instructor, page, sha256="0" * 64)
    assert refused.headers["Location"] == "/banks/import" and in_bank(db) == before
    assert "The preview has expired" in instructor.get("/banks/import").get_data(as_text=True)
    wrong_type = preview(instructor, name="features.pdf").get_data(as_text=True)
    assert "Only .gift, .txt files are accepted." in wrong_type and in_bank(db) == before
    not_text = preview(instructor, data=b"\xff\xfe\x00bad").get_data(as_text=True)
    assert "features.gift is not UTF-8 text." in not_text
    unknown = preview(instructor, objective="ZZ-1.1").get_data(as_text=True)
    assert "Not a valid choice" in unknown and in_bank(db) == before


def test_a_bank_downloads_in_each_format(instructor, db):
    page = instructor.get("/banks").get_data(as_text=True)
    assert 'href="/banks/agreement/export/qti"' in page
    gift = instructor.get("/banks/agreement/export/gift")
    assert gift.headers["Content-Disposition"] == 'attachment; filename="agreement.gift"'
    assert "Which statute creates the program?" in gift.get_data(as_text=True)
    qti = instructor.get("/banks/agreement/export/qti")
    assert "imsmanifest.xml" in zipfile.ZipFile(io.BytesIO(qti.data)).namelist()
    assert b"<quiz>" in instructor.get("/banks/agreement/export/moodle-xml").data
    assert instructor.get("/banks/no-such-bank/export/gift").status_code == 404
