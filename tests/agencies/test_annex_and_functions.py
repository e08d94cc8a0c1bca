"""An MOU's agency annex modules are required of its own trainees only and block certification until
completed; its authorized functions are printed on certificates issued under it, and not on others."""
import json

from sqlalchemy import select

from lms.agencies.agreements import AgreementError, attach_mou, create_mou, update_mou

from lms.learning.course import active_enrollments, course_path, mark_completed, module_access
from lms.models import Certification, Module

from ..conftest import login


def _annex(kit, db, slug="annex/booking"):
    module = kit.module(slug)
    module.is_annex = True
    db.session.commit()
    return module


def test_annex_blocks_certification_for_its_mou_only(kit, program, db, clock):
    track = kit.track()
    _annex(kit, db)
    with_annex = program("Annex County", tracks=[track.slug], annexes=["annex/booking"])
    plain = program("Plain County", tracks=[track.slug])
    first = kit.enrollment(track, agency=with_annex.agency)
    attach_mou(first, with_annex.mou, now=clock())
    second = kit.enrollment(track, agency=plain.agency)
    attach_mou(second, plain.mou, now=clock())
    db.session.commit()

    for enrollment in (first, second):
        kit.complete_modules(enrollment, issue=False)  # the track's modules only
        for item in track.items:
            if item.kind == "exam":
                kit.pass_exam(enrollment, item.ref)
    # The plain MOU's trainee is certified; the annex MOU's trainee is not, until the annex is completed.
    assert db.session.scalar(select(Certification).where(Certification.enrollment_id == second.id)) is not None
    assert db.session.scalar(select(Certification).where(Certification.enrollment_id == first.id)) is None
    path = course_path(first, clock())
    assert [i.slug for i in path.annex] == ["annex/booking"] and path.annex[0].state == "open"
    assert course_path(second, clock()).annex == []
    assert module_access(active_enrollments(second.user), "annex/booking", clock()) is None

    access = module_access(active_enrollments(first.user), "annex/booking", clock())
    mark_completed(access, clock())  # the last requirement: issues in the same transaction
    db.session.commit()
    certification = db.session.scalar(select(Certification).where(Certification.enrollment_id == first.id))
    assert certification is not None
    assert [m["slug"] for m in json.loads(certification.snapshot)["modules"]][-1] == "annex/booking"


def test_annex_page_is_visible_only_to_the_mou_s_trainees(kit, program, db, clock, client, make_client):
    track = kit.track(modules=("m/one",), exams=())
    _annex(kit, db)
    side = program("Annex County", tracks=[track.slug], annexes=["annex/booking"])
    other = program("Other County", tracks=[track.slug])
    mine = kit.enrollment(track, agency=side.agency)
    attach_mou(mine, side.mou, now=clock())
    theirs = kit.enrollment(track, agency=other.agency)
    attach_mou(theirs, other.mou, now=clock())
    db.session.commit()
    login(client, mine.user.email)
    page = client.get("/course").get_data(as_text=True)
    assert "Agency annex" in page and "/course/modules/annex/booking" in page
    assert client.get("/course/modules/annex/booking").status_code == 200
    stranger = make_client()
    login(stranger, theirs.user.email)
    assert "Agency annex" not in stranger.get("/course").get_data(as_text=True)
    assert stranger.get("/course/modules/annex/booking").status_code == 404


def test_only_annex_modules_can_be_annexes(kit, program, db, clock):
    kit.module("m/plain")
    side = program()
    try:
        update_mou(side.mou, annex_slugs=["m/plain"], now=clock())
    except AgreementError as error:
        assert "not an agency annex" in str(error)
    else:
        raise AssertionError("a normal module was accepted as an annex")


def test_functions_are_on_certificates_under_the_mou_and_not_on_others(kit, program, db, clock, client, factory):
    track = kit.track()
    side = program(functions=["Interrogate about immigration status", "Prepare Form I-213"])
    under = kit.certified(track, agency=side.agency, mou=side.mou)
    without = kit.certified(track, agency=side.agency)
    assert json.loads(under.snapshot)["mou"]["authorized_functions"] == [
        "Interrogate about immigration status", "Prepare Form I-213"]
    assert json.loads(without.snapshot)["mou"] is None
    staff = factory.user("staff")
    login(client, staff.email)
    assert "Prepare Form I-213" in client.get(f"/registry/{under.number}").get_data(as_text=True)
    assert "Prepare Form I-213" not in client.get(f"/registry/{without.number}").get_data(as_text=True)
    # Editing the MOU afterwards changes nothing on the issued certificate.
    update_mou(side.mou, authorized_functions=["Something else"], now=clock())
    db.session.commit()
    assert "Prepare Form I-213" in client.get(f"/registry/{under.number}").get_data(as_text=True)


def test_the_bundled_annex_module_syncs_as_an_annex(factory, db):
    factory.synced_content()
    module = db.session.scalar(select(Module).where(Module.slug == "annex/booking-desk-screening"))
    assert module.is_annex and module.current_version.title.startswith("Agency annex (sample)")


def test_create_mou_refuses_unknown_tracks(program, clock, factory):
    agency = factory.agency()
    try:
        create_mou(agency=agency, model="task_force", signed_on=clock().date(), effective_on=clock().date(),
                   authorized_functions=["x"], track_slugs=["no-such-track"], now=clock())
    except AgreementError as error:
        assert "Unknown track" in str(error)
    else:
        raise AssertionError


