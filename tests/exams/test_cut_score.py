"""How the pass mark was set: the exam file's modified-Angoff panel, recomputed from the questions the
blueprint can draw, and shown to staff beside the exam's statistics."""
import copy

from sqlalchemy import select

from lms.content.check import check_content

from lms.content.blueprints import cell_pools
from lms.content.standard_setting import angoff_result
from lms.exams.cut_score import cut_score_record
from lms.extensions import db
from lms.models import Exam, Role

from ..conftest import PROJECT_ROOT, login


def _version(slug):
    return db.session.scalar(select(Exam).where(Exam.slug == slug)).current_version


def test_the_recorded_panel_is_recomputed_from_the_synced_questions(factory):
    factory.synced_content()
    record = cut_score_record(_version("officer-final-exam"))
    # The same figures as the content check computes from the files.
    catalog, _ = check_content(PROJECT_ROOT)
    data = catalog.exams["officer-final-exam"].data
    panel = data["standard_setting"]
    expected = angoff_result(data["draw"], cell_pools(data["draw"], catalog.banks), panel["raters"], panel["ratings"])
    assert abs(record.cut - expected.cut) < 1e-9 and record.rater_cuts == expected.rater_cuts
    assert record.agrees and record.unrated == [] and record.rated == len(panel["ratings"])
    assert round(record.cut) == record.pass_mark == data["pass_mark"]


def test_a_question_added_since_the_panel_shows_as_unrated_and_the_record_no_longer_agrees(factory):
    factory.synced_content()
    version = _version("custody-exam")
    blueprint = copy.deepcopy(version.blueprint)
    dropped = sorted(blueprint["standard_setting"]["ratings"])[0]
    del blueprint["standard_setting"]["ratings"][dropped]
    version.blueprint = blueprint
    record = cut_score_record(version)
    assert record.unrated == [dropped] and not record.agrees


def test_staff_see_the_panel_beside_the_statistics(client, factory):
    factory.synced_content()
    staff = factory.user(Role.STAFF, email="staff@example.test")
    login(client, staff.email)
    page = client.get("/results/exams/officer-final-exam/statistics").get_data(as_text=True)
    record = cut_score_record(_version("officer-final-exam"))
    assert "How the pass mark was set" in page and "modified angoff panel of 3 raters" in page
    assert f"{record.cut:.1f}%" in page and "Illustrative only" in page and "no longer matches" not in page
