"""One vocabulary (lms/vocabulary.py, docs/VOCABULARY.md): pages, the PDF and the CLI say the same words,
plurals agree, and no internal code (slugs, event names, "active") reaches people. Each test names the old
wording it guards against."""
import io
import re
from pathlib import Path

import pypdf
import pytest
import yaml

from lms import vocabulary
from lms.exams.attempts import submit_attempt
from lms.extensions import db as _db
from lms.certification.pdf import certificate_pdf
from lms.vocabulary import noun, plural

from .conftest import PROJECT_ROOT, login
from .factories import answer_all, security_world, start


@pytest.fixture
def world(db, factory, clock):
    return security_world(db, factory, clock)


def text(response) -> str:
    return response.get_data(as_text=True)


def test_plurals_agree_with_their_count():
    assert plural(1, "trainee") == "1 trainee" and plural(2, "trainee") == "2 trainees"
    assert plural(1, "agency") == "1 agency" and plural(0, "agency") == "0 agencies"
    assert plural(3, "person") == "3 people" and plural(1234, "row") == "1,234 rows"
    assert noun(1, "bad row") == "bad row" and plural(2, "criterion", "criteria") == "2 criteria"


def test_every_event_the_code_records_reads_as_words():
    """An event code the application records (record_event("x.y", ...)) has a sentence for people."""
    source = "\n".join(p.read_text() for p in (PROJECT_ROOT / "lms").rglob("*.py"))
    codes = set(re.findall(r'record_event\(\s*"([a-z_]+\.[a-z_]+)"', source))
    codes |= {f"certification.{verb}" for verb in ("suspend", "reinstate", "revoke", "expire")}  # built by verb
    assert len(codes) > 30
    assert sorted(codes - vocabulary.EVENTS.keys()) == []
    assert vocabulary.event("mou.create") == "Agreement recorded"
    assert vocabulary.event("brand.new_thing") == "Brand: new thing"  # unknown codes are still readable


def test_a_not_passed_attempt_reads_the_same_on_every_page_while_a_retake_remains(world, as_trainee, clock):
    """Was: "NOT PASSED" on the result page but "Failed" on the course page."""
    trainee, client = as_trainee
    attempt = start(trainee, "mixed-exam", clock)  # two attempts allowed
    answer_all(attempt, clock, right=False)
    submit_attempt(attempt, now=clock(), actor=trainee)
    _db.session.commit()
    course = text(client.get("/course"))
    assert 'data-state="failed"' in course and ">Not passed</span>" in course and "Failed" not in course
    # Exams are named by their own title: no "Exam: " in front.
    assert ">Mixed question types exam</a>" in course and "Exam: " not in course
    result = text(client.get(f"/exams/attempts/{attempt.id}/result", follow_redirects=True))
    assert "Not passed" in result and "Failed" not in result


@pytest.fixture
def as_trainee(world, client):
    login(client, world.a.trainee.email)
    return world.a.trainee, client


def test_staff_pages_use_words_not_codes(world, client):
    """Was: "1 agencies", raw track slugs on the MOU page, "Recorded mou.create" in its history."""
    login(client, world.staff.email)
    agencies = text(client.get("/agencies"))
    assert "<caption>2 agencies</caption>" in agencies
    mou = text(client.get(f"/mous/{world.a.mou.id}"))
    assert "<dt>Tracks</dt><dd>Exam test track</dd>" in mou and "exam-track" not in mou
    history = mou.split('id="history-heading"')[1]
    assert "Agreement recorded" in history and "mou.create" not in history
    registry = text(client.get("/registry"))
    assert "<caption>2 certifications</caption>" in registry and ">Valid</span>" in registry
    assert ">Active<" not in registry and ">active<" not in registry
    results = text(client.get("/results"))
    assert " trainees</p>" in results and "1 trainees" not in results


def test_results_overview_says_one_trainee(world, client, factory):
    """Was: "1 trainees"."""
    cohort = factory.cohort("exam-track", agencies=[world.a.agency], instructors=[world.a.instructor], name="Solo")
    factory.enroll(factory.user(agency=world.a.agency), cohort)
    login(client, world.a.instructor.email)
    page = text(client.get("/results"))
    assert "· 1 trainee</p>" in page and "1 trainees" not in page


def test_the_certificate_pdf_spells_287g_and_counts_its_examinations(world, clock):
    """Was: "SECTION 287(G)" (CSS uppercase) and "each of its 1 examinations"."""
    pdf = certificate_pdf(world.a.certification, now=clock())
    content = " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Section 287(g) of the Immigration and Nationality Act" in content
    assert "287(G)" not in content and "SECTION" not in content
    assert "passed each of its 2 examinations" in content and "2 weeks" in content


def test_bundled_exam_titles_do_not_say_examination_twice():
    """Was: "Exam: … (examination)"."""
    titles = [yaml.safe_load(p.read_text())["title"] for p in Path(PROJECT_ROOT, "curriculum", "exams").glob("*.yml")]
    assert titles and not [t for t in titles if "(examination)" in t]
