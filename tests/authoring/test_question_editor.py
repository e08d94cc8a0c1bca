"""The question editor: every registered type created and edited in the browser, its problems in the words of
``lms content check`` with nothing typed lost, a new version on edit (old attempts keep the old text),
retiring, quality warnings, item statistics, and who may use it."""
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.authoring import questions as authoring
from lms.content.check import check_content
from lms.content.sync_exams import question_content
from lms.exams.attempts import submit_attempt
from lms.exams.draw import load_candidates
from lms.models import AuditEvent, Question, QuestionVersion, Role
from lms.questions import QUESTION_TYPES, editor

from ..conftest import csrf_from, login
from ..factories import PROJECT_ROOT, answer_all, start

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"


def _samples() -> dict[str, dict]:
    """One valid question of each type, from the test fixtures' banks (as lms content check reads them)."""
    found = {}
    for root in sorted(p.parent for p in FIXTURES.glob("*/question_banks")):
        catalog, _ = check_content(Path(root))
        for bank in catalog.banks.values():
            for q in bank.questions:
                found.setdefault(q["type"], q)
    return found


SAMPLES = _samples()
URL = "/studio/banks/{bank}/questions"


def _values(data: dict, *, creating: bool) -> dict[str, str]:
    """The form a person fills in for ``data``: the common fields, then the type's own."""
    kind = QUESTION_TYPES[data["type"]]
    common = authoring.common_fields((), creating=creating)
    return {**editor.write(common, data), **kind.editor_values(data)}


def _post(client, url, values, action="save"):
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={**values, "csrf_token": token, "action": action})


@pytest.mark.parametrize("name", sorted(QUESTION_TYPES))
def test_every_type_is_created_and_edited_through_its_editor(instructor, db, name):
    assert name in SAMPLES, f"no question of type {name} in the test fixtures' banks: add one"
    sample = dict(SAMPLES[name], id=f"new-{name.replace('_', '-')}", objective="AG-1.1", difficulty="hard",
                  stem=f"Zanzibar quokka {name} editor question one?")
    sample.pop("status", None)
    url = URL.format(bank="fixed") + f"/new?type={name}"
    page = instructor.get(url).get_data(as_text=True)
    values = _values(sample, creating=True)
    for field in values:  # the page draws every field of the type
        assert f'name="{field}"' in page, field

    response = _post(instructor, url, values)
    assert response.status_code == 302, response.get_data(as_text=True)
    question = db.session.scalar(select(Question).where(Question.slug == sample["id"]))
    assert question.bank.slug == "fixed" and question.status == "active"
    assert question.current_version.number == 1
    assert question.current_version.data == question_content(sample)
    assert question.current_version.source_path == "browser:question_banks/fixed.yml"

    edit_url = URL.format(bank="fixed") + f"/{sample['id']}"
    page = instructor.get(edit_url).get_data(as_text=True)
    assert "Zanzibar quokka" in page and "As the trainee sees it" in page
    edited = dict(sample, stem=f"Zanzibar quokka {name} editor question two?", rationale="A new rationale.")
    response = _post(instructor, edit_url, _values(edited, creating=False))
    assert response.status_code == 302
    db.session.refresh(question)
    assert question.current_version.number == 2
    assert question.current_version.data == question_content(edited)
    assert db.session.scalar(select(func.count()).select_from(QuestionVersion)
                             .where(QuestionVersion.question_id == question.id)) == 2
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "question",
                                                                 AuditEvent.object_id == str(question.id)))
    assert sorted(actions) == ["question.create", "question.edit"]


@pytest.mark.parametrize("name, change, message, typed", [
    ("single", {"choices-1-text": "Kangaroo choice typed"}, "has no correct choice (no key)", "Kangaroo choice typed"),
    ("numeric", {"answer": "twelve"}, "&#39;twelve&#39; is not of type &#39;number&#39;", "twelve"),
])
def test_invalid_input_shows_the_types_problem_and_keeps_what_was_typed(instructor, db, name, change, message, typed):
    sample = dict(SAMPLES[name], id="broken-one", objective="AG-1.1", stem="Wombat stem typed by the author?")
    values = {**_values(sample, creating=True), **change}
    values = {k: "" if k.endswith("-correct") else v for k, v in values.items()}  # no key ticked
    before = db.session.scalar(select(func.count()).select_from(Question))
    response = _post(instructor, URL.format(bank="fixed") + f"/new?type={name}", values)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert "Wombat stem typed by the author?" in page and typed in page
    assert db.session.scalar(select(func.count()).select_from(Question)) == before


def test_a_stem_like_another_questions_is_refused_in_check_words(instructor, db):
    existing = db.session.scalar(select(Question).where(Question.slug == "mx-single")).current_version.data
    sample = dict(SAMPLES["single"], id="copy-cat", objective="AG-1.1", stem=existing["stem"])
    response = _post(instructor, URL.format(bank="fixed") + "/new?type=single", _values(sample, creating=True))
    assert response.status_code == 400
    assert "question &#39;copy-cat&#39; has the same stem as &#39;mx-single&#39;" in response.get_data(as_text=True)


def test_editing_a_drawn_question_makes_a_new_version_and_the_old_attempt_keeps_the_old_text(
        instructor, db, world, clock, make_client):
    attempt = start(world.trainee, "mixed-exam", clock)
    answer_all(attempt, clock)
    submit_attempt(attempt, now=clock())
    db.session.commit()
    question = db.session.scalar(select(Question).where(Question.slug == "mx-single"))
    old_version = question.current_version_id
    old_stem = question.current_version.data["stem"]

    url = URL.format(bank="mixed") + "/mx-single"
    values = {**authoring.question_values(question), "stem": "Which statute, as amended, creates the program?"}
    assert _post(instructor, url, values).status_code == 302
    db.session.refresh(question)
    assert question.current_version_id != old_version and question.current_version.number == 2
    assert db.session.get(QuestionVersion, old_version).data["stem"] == old_stem  # never edited in place

    record = instructor.get(f"/results/attempts/{attempt.id}").get_data(as_text=True)
    assert old_stem in record and "as amended" not in record
    trainee = make_client()
    login(trainee, world.trainee.email)
    own_review = trainee.get(f"/exams/attempts/{attempt.id}/result").get_data(as_text=True)
    assert old_stem in own_review and "as amended" not in own_review
    editor_page = instructor.get(url).get_data(as_text=True)
    assert "as amended" in editor_page
    # The item statistics of the version the attempt drew, and the versions with their attempts.
    assert "Item statistics" in editor_page and "No finished attempt has drawn" not in editor_page
    [item] = authoring.item_statistics(question)  # the version the attempt drew, answered right
    assert (item.version_number, item.n, item.facility) == (1, 1, 1.0)
    assert [(v.number, v.attempts, v.current) for v in authoring.version_rows(question)] == [(2, 0, True),
                                                                                             (1, 1, False)]


def test_a_save_over_someone_elses_is_refused_and_keeps_what_was_typed(instructor, db, world, clock):
    url = URL.format(bank="mixed") + "/mx-short"
    page = instructor.get(url).get_data(as_text=True)
    assert 'name="base_version" value="1"' in page
    question = db.session.scalar(select(Question).where(Question.slug == "mx-short"))
    values = authoring.question_values(question)
    authoring.edit_question(question, authoring.draft(QUESTION_TYPES["short"], {**values, "rationale": "Theirs."},
                                                      slug="mx-short"), actor=world.instructor, now=clock())
    db.session.commit()  # another instructor saved version 2 meanwhile
    response = instructor.post(url, data={**values, "rationale": "Mine, typed.", "base_version": "1",
                                          "csrf_token": csrf_from(page), "action": "save"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "was saved by someone else while you edited it (it is now version 2)" in html and "Mine, typed." in html
    db.session.refresh(question)
    assert question.current_version.number == 2 and question.current_version.data["rationale"] == "Theirs."


def test_saving_unchanged_makes_no_version(instructor, db):
    question = db.session.scalar(select(Question).where(Question.slug == "mx-tf"))
    assert _post(instructor, URL.format(bank="mixed") + "/mx-tf",
                 authoring.question_values(question)).status_code == 302
    db.session.refresh(question)
    assert question.current_version.number == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "question.edit")) == 0


def test_retiring_removes_a_question_from_future_draws_only(instructor, db, world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)  # an open attempt that drew every question of the bank
    question = db.session.scalar(select(Question).where(Question.slug == "mx-short"))
    url = URL.format(bank="mixed") + "/mx-short/retire"
    assert "Retire question mx-short?" in instructor.get(url).get_data(as_text=True)
    token = csrf_from(instructor.get(url).get_data(as_text=True))
    assert instructor.post(url, data={"csrf_token": token, "confirm": "yes"}).status_code == 302
    db.session.refresh(question)
    assert question.status == "retired"
    drawable = {c.question_id for c in load_candidates([{"bank": "mixed", "count": 1}])}
    assert question.id not in drawable and len(drawable) == 7
    db.session.refresh(attempt)
    assert question.id in {aq.question_id for aq in attempt.questions}  # the open attempt keeps it
    # The exam that draws the whole bank can no longer be drawn: its editor says so.
    page = instructor.get("/studio/exams/mixed-exam").get_data(as_text=True)
    assert "cannot draw 8 question(s) (bank mixed): needs 8 active, has 7" in page

    token = csrf_from(instructor.get(URL.format(bank="mixed") + "/mx-short").get_data(as_text=True))
    instructor.post(URL.format(bank="mixed") + "/mx-short/reinstate", data={"csrf_token": token})
    db.session.refresh(question)
    assert question.status == "active"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action.in_(["question.retire", "question.reinstate"]))) == 2


def test_the_quality_warnings_of_lms_content_check_are_shown(instructor, db):
    sample = dict(SAMPLES["single"], id="negative-one", objective="AG-1.1",
                  stem="Which of these does a designated officer NOT need before an interview?")
    response = _post(instructor, URL.format(bank="fixed") + "/new?type=single", _values(sample, creating=True),
                     action="preview")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "question &#39;negative-one&#39; has a negative stem" in page
    assert "As the trainee sees it" in page and 'name="preview"' in page and "disabled" in page
    assert db.session.scalar(select(func.count()).select_from(Question).where(Question.slug == "negative-one")) == 0


def test_the_bank_wide_key_position_warning_counts_the_question_being_written(db, world, clock):
    """The fixed bank's six single-choice questions are all keyed A; the rule judges banks of 8 or more."""
    bank = db.session.scalar(select(Question).where(Question.slug == "fx-1")).bank

    def keyed_a(slug, stem):
        return {"id": slug, "type": "single", "objective": "AG-1.1", "difficulty": "easy", "stem": stem,
                "choices": [{"id": "a", "text": "Right", "correct": True, "feedback": "Yes."},
                            {"id": "b", "text": "Wrong", "feedback": "No."}],
                "rationale": "Because.", "source": "Fixture (2026)"}

    draft = keyed_a("fx-8", "Which form starts a detainer review in the seventh county?")
    assert not [n for n in authoring.quality_notes(draft, bank) if "the key is option" in n]
    authoring.create_question(bank, keyed_a("fx-7", "Who signs the annual steering committee report?"),
                              actor=world.instructor, now=clock())
    notes = authoring.quality_notes(draft, bank)
    assert "bank 'fixed': the key is option A in 8 of 8 (100 %) single-choice questions (at most 40 %)" in notes


@pytest.mark.parametrize("url, status", [
    ("/studio/banks/pool/questions/mx-single", 404),  # a question of another bank
    ("/studio/banks/nope/questions/mx-single", 404),
    ("/studio/banks/mixed/questions/new?type=essay", 404),  # no such type
    ("/studio/banks/mixed/questions/mx-single", 200),
])
def test_objects_are_scoped_to_their_bank(instructor, url, status):
    assert instructor.get(url).status_code == status


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.COORDINATOR])
def test_trainees_and_coordinators_may_not_author(client, factory, world, role):
    user = world.trainee if role == Role.TRAINEE else factory.user(Role.COORDINATOR, agency=world.agency)
    login(client, user.email)
    assert client.get("/studio/banks/mixed/questions/mx-single").status_code == 403
    assert client.get("/studio/exams/mixed-exam").status_code == 403
