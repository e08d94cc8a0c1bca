"""Object-level access: a user who may not see an object named in the URL gets 404 (no hint it exists),
for every route that names one; the owner (or a permitted viewer) gets the page."""
from sqlalchemy import select

from lms.models import Nomination

from ..conftest import csrf_token
from .conftest import changed_tables, snapshot
from .routes import notification_of_cert_owner

# (method, url(world), outsiders(world) -> users who get 404)
A_ATTEMPT = lambda w: w.a.attempt.id  # noqa: E731
CASES = {
    # A trainee's attempt: their peer in the same cohort and a trainee of the other agency.
    "attempt page": ("GET", lambda w: f"/exams/attempts/{A_ATTEMPT(w)}", lambda w: [w.peer, w.b.trainee]),
    "attempt status": ("GET", lambda w: f"/exams/attempts/{A_ATTEMPT(w)}/status", lambda w: [w.peer, w.b.trainee]),
    "attempt confirm": ("GET", lambda w: f"/exams/attempts/{A_ATTEMPT(w)}/submit", lambda w: [w.peer, w.b.trainee]),
    "attempt result": ("GET", lambda w: f"/exams/attempts/{A_ATTEMPT(w)}/result", lambda w: [w.peer, w.b.trainee]),
    "attempt save": ("POST", lambda w: f"/exams/attempts/{A_ATTEMPT(w)}/save", lambda w: [w.peer, w.b.trainee]),
    "attempt autosave": ("JSON", lambda w: f"/exams/attempts/{A_ATTEMPT(w)}/autosave", lambda w: [w.peer]),
    "attempt submit": ("POST", lambda w: f"/exams/attempts/{A_ATTEMPT(w)}/submit", lambda w: [w.peer, w.b.trainee]),
    "challenge a question": ("POST", lambda w: f"/exams/attempts/{A_ATTEMPT(w)}/questions/1/challenge",
                             lambda w: [w.peer, w.b.trainee]),
    # An exam or module outside the trainee's tracks.
    "exam not in my track": ("GET", lambda w: "/exams/mixed-exam", lambda w: [w.a.certification.user]),
    "start exam not in my track": ("POST", lambda w: "/exams/mixed-exam/start", lambda w: [w.a.certification.user]),
    "module not in my track": ("GET", lambda w: "/course/modules/agreement/basics", lambda w: [w.a.certification.user]),
    "complete module not in my track": ("POST", lambda w: "/course/modules/agreement/basics/complete",
                                        lambda w: [w.a.certification.user]),
    # Another trainee's certificate.
    "certificate": ("GET", lambda w: f"/certificates/{w.a.certification.number}", lambda w: [w.a.trainee, w.b.trainee]),
    "certificate pdf": ("GET", lambda w: f"/certificates/{w.a.certification.number}/certificate.pdf",
                        lambda w: [w.a.trainee]),
    "certificate record": ("GET", lambda w: f"/certificates/{w.a.certification.number}/record.json",
                           lambda w: [w.b.certification.user]),
    # Registry: another agency's certification.
    "registry detail": ("GET", lambda w: f"/registry/{w.a.certification.number}", lambda w: [w.b.coordinator]),
    "registry pdf": ("GET", lambda w: f"/registry/{w.a.certification.number}/certificate.pdf",
                     lambda w: [w.b.coordinator]),
    "registry record": ("GET", lambda w: f"/registry/{w.a.certification.number}/record.json",
                        lambda w: [w.b.coordinator]),
    # Cohorts and results: another instructor's or another agency's cohort.
    "roster": ("GET", lambda w: f"/cohorts/{w.a.cohort.id}", lambda w: [w.b.instructor, w.b.coordinator]),
    "open week": ("POST", lambda w: f"/cohorts/{w.a.cohort.id}/weeks/open", lambda w: [w.b.instructor]),
    "open week confirmation": ("GET", lambda w: f"/cohorts/{w.a.cohort.id}/weeks/open?week=2",
                               lambda w: [w.b.instructor]),
    "enroll a trainee": ("POST", lambda w: f"/cohorts/{w.a.cohort.id}/enroll", lambda w: [w.b.instructor]),
    "cohort roster import": ("GET", lambda w: f"/cohorts/{w.a.cohort.id}/roster-import", lambda w: [w.b.instructor]),
    "cohort roster import sent": ("POST", lambda w: f"/cohorts/{w.a.cohort.id}/roster-import",
                                  lambda w: [w.b.instructor]),
    "cohort notice": ("POST", lambda w: f"/cohorts/{w.a.cohort.id}/notices", lambda w: [w.b.instructor]),
    "exam results": ("GET", lambda w: f"/results/cohorts/{w.a.cohort.id}/exams/mixed-exam",
                     lambda w: [w.b.instructor, w.b.coordinator]),
    "exam results csv": ("GET", lambda w: f"/results/cohorts/{w.a.cohort.id}/exams/mixed-exam/results.csv",
                         lambda w: [w.b.instructor, w.b.coordinator]),
    "cohort statistics": ("GET", lambda w: f"/results/cohorts/{w.a.cohort.id}/exams/mixed-exam/statistics",
                          lambda w: [w.b.instructor]),
    "results trainee": ("GET", lambda w: f"/results/cohorts/{w.a.cohort.id}/trainees/{w.a.trainee.id}",
                        lambda w: [w.b.instructor, w.b.coordinator]),
    "results trainee of another cohort": ("GET", lambda w: f"/results/cohorts/{w.a.cohort.id}/trainees/"
                                                           f"{w.b.trainee.id}",
                                          lambda w: [w.a.instructor, w.a.coordinator, w.staff]),
    "attempt detail": ("GET", lambda w: f"/results/attempts/{A_ATTEMPT(w)}",
                       lambda w: [w.b.instructor, w.b.coordinator]),
    "extra time": ("POST", lambda w: f"/results/cohorts/{w.a.cohort.id}/trainees/{w.a.trainee.id}/exams/mixed-exam/"
                                     "extra-time", lambda w: [w.b.instructor]),
    "extra attempt": ("POST", lambda w: f"/results/cohorts/{w.a.cohort.id}/trainees/{w.a.trainee.id}/exams/mixed-exam/"
                                        "extra-attempt", lambda w: [w.b.instructor]),
    "multiplier": ("POST", lambda w: f"/results/cohorts/{w.a.cohort.id}/trainees/{w.a.trainee.id}/multiplier",
                   lambda w: [w.b.instructor]),
    # The classroom: another instructor's or agency's cohort, session, trainee; a trainee of another cohort.
    "classroom": ("GET", lambda w: f"/classroom/cohorts/{w.a.classroom.id}",
                  lambda w: [w.b.instructor, w.b.coordinator]),
    "schedule session": ("POST", lambda w: f"/classroom/cohorts/{w.a.classroom.id}/sessions",
                         lambda w: [w.b.instructor]),
    "attendance": ("GET", lambda w: f"/classroom/sessions/{w.a.class_session.id}/attendance",
                   lambda w: [w.b.instructor]),
    "take attendance": ("POST", lambda w: f"/classroom/sessions/{w.a.class_session.id}/attendance",
                        lambda w: [w.b.instructor]),
    "cancel session": ("POST", lambda w: f"/classroom/sessions/{w.a.class_session.id}/cancel",
                       lambda w: [w.b.instructor]),
    "grade": ("POST", lambda w: f"/classroom/cohorts/{w.a.classroom.id}/trainees/{w.a.classroom_enrollment.id}"
                                "/practicals/drill-report", lambda w: [w.b.instructor]),
    "grade a trainee of another cohort": ("GET", lambda w: f"/classroom/cohorts/{w.a.classroom.id}/trainees/"
                                                           f"{w.b.classroom_enrollment.id}/practicals/drill-report",
                                          lambda w: [w.a.instructor, w.staff]),
    "training record": ("GET", lambda w: f"/classroom/cohorts/{w.a.classroom.id}/training-record.csv",
                        lambda w: [w.b.instructor, w.b.coordinator]),
    "trainee transcript": ("GET", lambda w: f"/classroom/cohorts/{w.a.classroom.id}/trainees/"
                                            f"{w.a.classroom_enrollment.id}/transcript.pdf",
                           lambda w: [w.b.instructor, w.b.coordinator]),
    "edit session": ("POST", lambda w: f"/classroom/sessions/{w.a.class_session.id}/edit", lambda w: [w.b.instructor]),
    "practical not in my track": ("GET", lambda w: "/classroom/practicals/drill-report", lambda w: [w.peer]),
    # Agencies, agreements, documents, nominations: another agency's.
    "agency": ("GET", lambda w: f"/agencies/{w.a.agency.id}", lambda w: [w.b.coordinator]),
    "mou": ("GET", lambda w: f"/mous/{w.a.mou.id}", lambda w: [w.b.coordinator]),
    "document of another mou": ("GET", lambda w: f"/mous/{w.b.mou.id}/documents/{w.a.document.id}",
                                lambda w: [w.staff]),
    "nomination": ("GET", lambda w: f"/nominations/{w.a.nomination.id}", lambda w: [w.b.coordinator]),
    "nomination evidence": ("GET", lambda w: f"/nominations/{w.a.nomination.id}/evidence", lambda w: [w.b.coordinator]),
    "program people of another agency": ("GET", lambda w: f"/program/people?group=nominated&agency_id={w.a.agency.id}",
                                         lambda w: [w.b.coordinator]),
    "program people of another mou": ("GET", lambda w: f"/program/people?group=nominated&mou_id={w.a.mou.id}",
                                      lambda w: [w.b.coordinator]),
    # Another person's notification.
    "notification": ("POST", lambda w: f"/notifications/{notification_of_cert_owner(w)}/read",
                     lambda w: [w.a.trainee, w.b.certification.user, w.admin]),
    # Objects that do not exist are 404 for those who could see them.
    "no such user": ("GET", lambda w: "/admin/users/999999", lambda w: [w.admin]),
    "no such attempt": ("GET", lambda w: "/exams/attempts/999999", lambda w: [w.a.trainee]),
    "no such certificate": ("GET", lambda w: "/registry/287G-2026-999999", lambda w: [w.staff]),
    "no such agency": ("GET", lambda w: "/agencies/999999", lambda w: [w.staff]),
    "no such nomination": ("GET", lambda w: "/nominations/999999", lambda w: [w.staff]),
    "no such challenge": ("POST", lambda w: "/challenges/999999/decide", lambda w: [w.a.instructor, w.staff]),
    "no such held regrade": ("POST", lambda w: "/challenges/holds/999999", lambda w: [w.staff]),
    "no such exam to rate": ("GET", lambda w: "/standard-setting/exams/no-such-exam", lambda w: [w.a.instructor]),
    "no such bank": ("GET", lambda w: "/banks/no-such-bank/export/gift", lambda w: [w.a.instructor]),
    "no such module in the studio": ("GET", lambda w: "/studio/modules/agreement/none/revisions",
                                     lambda w: [w.a.instructor]),
    "no such revision": ("GET", lambda w: "/studio/modules/agreement/basics/revisions/99", lambda w: [w.a.instructor]),
}


def test_outsiders_get_404_and_change_nothing(world, as_user, db):
    """One world for every case (building it per case would make this the slowest file of the suite)."""
    problems = []
    for case, (method, url, outsiders) in CASES.items():
        problems += [f"{case}: {p}"
                     for p in _outsider_problems(world, as_user, db, method, url(world), outsiders(world))]
    assert problems == []


def _outsider_problems(world, as_user, db, method, target, outsiders) -> list[str]:
    problems = []
    for user in outsiders:
        client = as_user(user)
        token = csrf_token(client, "/account/password")
        before = snapshot(db)
        if method == "GET":
            response = client.get(target)
        elif method == "JSON":
            response = client.post(target, json={"position": 0, "flagged": True}, headers={"X-CSRFToken": token})
        else:
            response = client.post(target, data={"csrf_token": token, "minutes": "10", "reason": "r",
                                                 "multiplier": "1.5", "week": "2"})
        body = response.get_data(as_text=True)
        if response.status_code != 404:
            problems.append(f"{user.role} {user.name}: {response.status_code}")
        if changed := changed_tables(before, snapshot(db)):
            problems.append(f"{user.role} {user.name}: changed {changed}")
        for secret in (world.a.trainee.name, world.a.certification.user.name, world.a.nomination.name):
            if secret in body and secret != user.name:
                problems.append(f"{user.role} {user.name}: the 404 page names {secret!r}")
    return problems


def test_a_coordinator_sees_only_their_agency_in_lists_and_exports(world, as_user):
    """Filters in the query string cannot widen a coordinator's scope."""
    client = as_user(world.b.coordinator)
    a = world.a
    for url in ("/registry", f"/registry?agency_id={a.agency.id}",
                "/registry/due?days=730&agency_id=" + str(a.agency.id),
                f"/passlist?agency_id={a.agency.id}", f"/passlist.csv?agency_id={a.agency.id}",
                f"/passlist.json?agency_id={a.agency.id}", "/nominations", "/agencies", "/program",
                "/program/people?group=nominated", "/program/people?group=current", "/cohorts", "/results"):
        body = client.get(url).get_data(as_text=True)
        for name in (a.certification.user.name, a.nomination.name, a.agency.name, a.trainee.name, a.cohort.name):
            assert name not in body, f"{url} shows {name!r} to another agency's coordinator"


def test_a_coordinator_cannot_nominate_under_another_agencys_mou(world, as_user, db):
    client = as_user(world.b.coordinator)
    count = len(db.session.scalars(select(Nomination)).all())
    token = csrf_token(client, "/nominations/new")
    response = client.post("/nominations/new", data={
        "csrf_token": token, "mou_id": world.a.mou.id, "track": "exam-track", "name": "Smuggled Nominee",
        "email": "smuggled@example.test", "background_check_on": "2025-06-01", "years_experience": "5",
        "citizenship_attested": "y", "commits_two_years": "y"})
    assert response.status_code in (200, 400, 404)
    db.session.rollback()
    assert len(db.session.scalars(select(Nomination)).all()) == count


def test_in_a_cohort_shared_by_two_agencies_a_coordinator_sees_only_their_own_people(world, factory, clock, as_user):
    from datetime import date

    from ..factories import start
    from lms.models import Role

    cohort = factory.cohort("exam-track", start=date(2026, 3, 2), agencies=[world.a.agency, world.b.agency],
                            instructors=[world.a.instructor], name="Shared Cohort")
    mine = factory.user(Role.TRAINEE, agency=world.a.agency, name="Mina Ownagency")
    theirs = factory.user(Role.TRAINEE, agency=world.b.agency, name="Theo Otheragency")
    factory.enroll(mine, cohort)
    factory.enroll(theirs, cohort)
    start(mine, "fixed-exam", clock)
    attempt = start(theirs, "fixed-exam", clock)
    client = as_user(world.a.coordinator)
    for url in (f"/cohorts/{cohort.id}", f"/results/cohorts/{cohort.id}/exams/fixed-exam",
                f"/results/cohorts/{cohort.id}/exams/fixed-exam/results.csv"):
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "Mina Ownagency" in body, url
        assert "Theo Otheragency" not in body, url
    assert client.get(f"/results/cohorts/{cohort.id}/trainees/{theirs.id}").status_code == 404
    assert client.get(f"/results/attempts/{attempt.id}").status_code == 404
    assert client.get(f"/results/cohorts/{cohort.id}/trainees/{mine.id}").status_code == 200
