"""CSV roster import: every row validated first; bad rows reported with their line and reason; nothing
imported from a file with errors unless the user chooses to import only the good rows."""
import io
import re

from sqlalchemy import func, select

from lms.models import AuditEvent, Nomination

from ..conftest import csrf_token, login

ROSTER = """name,email,track,background_check_on,years_experience,citizenship_attested,commits_two_years
Ann Able,ann@north.example,{track},2024-05-01,4,yes,yes
Bob Bad,not-an-email,{track},2024-05-01,4,yes,yes
Cy Clear,cy@north.example,{track},2023-01-15,12,Yes,Y

Dee Old,dee@north.example,{track},2019-01-01,3,yes,yes
Ed Else,ed@north.example,no-such-track,2024-05-01,two,no,yes
Ann Again,ann@north.example,{track},2024-05-01,4,yes,yes
"""


def _upload(client, mou, text, mode="all", name="roster.csv"):
    data = {"csrf_token": csrf_token(client, "/nominations/import"), "mou_id": mou.id, "mode": mode,
            "roster": (io.BytesIO(text.encode("utf-8")), name)}
    return client.post("/nominations/import", data=data, content_type="multipart/form-data")


def test_a_file_with_bad_rows_imports_nothing_unless_only_good_rows_is_chosen(kit, program, db, client):
    track = kit.track()
    side = program(tracks=[track.slug])
    login(client, side.coordinator.email)
    text = ROSTER.format(track=track.slug)
    page = _upload(client, side.mou, text).get_data(as_text=True)
    assert "Nothing was imported" in page
    assert db.session.scalar(select(func.count()).select_from(Nomination)) == 0
    # Each bad row by its line in the file (the header is line 1; the blank line 5 is not a row).
    for line, reason in ((3, "e-mail address is not valid"), (6, "older than 5 years"),
                         (7, "track &#39;no-such-track&#39;"), (7, "years of experience"),
                         (7, "citizenship is not attested"), (8, "same person and track as line 2")):
        assert f"<th scope=\"row\">{line}</th>" in page and reason in page, (line, reason)
    assert "<th scope=\"row\">2</th>" not in page and "<th scope=\"row\">4</th>" not in page

    page = _upload(client, side.mou, text, mode="good").get_data(as_text=True)
    assert "2 nominations imported; 4 bad rows left out" in page
    names = set(db.session.scalars(select(Nomination.name)))
    assert names == {"Ann Able", "Cy Clear"}
    assert {n.source for n in db.session.scalars(select(Nomination))} == {"csv"}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "nomination.import")
                                .order_by(AuditEvent.id)).all()
    assert [e.outcome for e in events] == ["denied", "success"]
    assert events[1].details["bad_lines"] == [3, 6, 7, 8]


def test_a_clean_file_imports_every_row_and_a_repeat_is_refused(kit, program, db, client):
    track = kit.track()
    side = program(tracks=[track.slug])
    login(client, side.coordinator.email)
    text = "\ufeff" + "\r\n".join(ROSTER.format(track=track.slug).splitlines()[:2]) + "\r\n"
    assert "1 nomination imported" in _upload(client, side.mou, text).get_data(as_text=True)
    page = _upload(client, side.mou, text).get_data(as_text=True)
    assert "already nominated for this track" in page
    assert db.session.scalar(select(func.count()).select_from(Nomination)) == 1


def test_bad_files_are_refused_whole(kit, program, db, client):
    track = kit.track()
    side = program(tracks=[track.slug])
    login(client, side.coordinator.email)
    assert "header must name the columns" in _upload(client, side.mou, "name,email\nA,b@c.d\n").get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, "/nominations/import"), "mou_id": side.mou.id, "mode": "good",
            "roster": (io.BytesIO(b"name\xff\xfe,email\n"), "r.csv")}
    page = client.post("/nominations/import", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert "not UTF-8" in page
    assert "Choose a .csv file" in _upload(client, side.mou, "x", name="roster.xlsx").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Nomination)) == 0


# -- enrollment rosters: staff enroll a CSV roster in a cohort under an MOU ------------------------

ENROLL_PAGE = "/nominations/import-enrollments"


def _enroll_upload(client, mou, cohort, text, mode="all", name="roster.csv"):
    data = {"csrf_token": csrf_token(client, ENROLL_PAGE), "mou_id": mou.id, "cohort_id": cohort.id, "mode": mode,
            "roster": (io.BytesIO(text.encode("utf-8")), name)}
    return client.post(ENROLL_PAGE, data=data, content_type="multipart/form-data")


def test_staff_enroll_a_roster_with_bad_rows_only_when_only_good_rows_is_chosen(kit, program, db, client, factory):
    from lms.models import Enrollment, Role, User

    track, other_track = kit.track(), kit.track()
    side = program(tracks=[track.slug, other_track.slug])
    cohort = factory.cohort(track.slug, agencies=[side.agency])
    existing = factory.user(Role.TRAINEE, email="cy@north.example", agency=side.agency, name="Cy Clear")
    factory.user(Role.STAFF, email="fay@north.example")  # an account that is not a trainee
    enrolled_already = factory.user(Role.TRAINEE, email="gil@north.example", agency=side.agency)
    factory.enroll(enrolled_already, cohort)
    staff = factory.user(Role.STAFF)
    login(client, staff.email)
    text = ROSTER.format(track=track.slug) + (
        f"Fay Staff,fay@north.example,{track.slug},2024-05-01,4,yes,yes\n"
        f"Gil Twice,gil@north.example,{track.slug},2024-05-01,4,yes,yes\n"
        f"Hal Other,hal@north.example,{other_track.slug},2024-05-01,4,yes,yes\n")
    page = _enroll_upload(client, side.mou, cohort, text).get_data(as_text=True)
    assert "Nothing was imported" in page
    assert db.session.scalar(select(func.count()).select_from(Nomination)) == 0
    # The nomination roster's checks (same lines and reasons), plus the enrollment ones.
    for line, reason in ((3, "e-mail address is not valid"), (6, "older than 5 years"),
                         (7, "citizenship is not attested"), (8, "same person and track as line 2"),
                         (9, "not a trainee of this agency"), (10, "already enrolled in this cohort"),
                         (11, "is not the cohort&#39;s track")):
        assert f"<th scope=\"row\">{line}</th>" in page and reason in page, (line, reason)
    assert "<th scope=\"row\">2</th>" not in page and "<th scope=\"row\">4</th>" not in page

    response = _enroll_upload(client, side.mou, cohort, text, mode="good")
    page = response.get_data(as_text=True)
    assert "2 officers enrolled; 7 bad rows left out" in page
    assert response.headers["Cache-Control"] == "no-store"
    passwords = re.findall(r'class="temporary-password">([^<]+)<', page)
    assert len(passwords) == 1  # Ann is new; Cy already had an account
    db.session.expire_all()
    ann = db.session.scalar(select(User).where(User.email == "ann@north.example"))
    assert ann.role == "trainee" and ann.agency_id == side.agency.id and ann.must_change_password
    enrollments = db.session.scalars(select(Enrollment).where(Enrollment.cohort_id == cohort.id,
                                                              Enrollment.user_id.in_([ann.id, existing.id]))).all()
    assert len(enrollments) == 2 and {e.mou_id for e in enrollments} == {side.mou.id}
    nominations = db.session.scalars(select(Nomination)).all()
    assert {(n.email, n.status, n.source) for n in nominations} == {
        ("ann@north.example", "accepted", "csv"), ("cy@north.example", "accepted", "csv")}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "enrollment.import")
                                .order_by(AuditEvent.id)).all()
    assert [e.outcome for e in events] == ["denied", "success"]
    assert events[1].details["bad_lines"] == [3, 6, 7, 8, 9, 10, 11]
    assert events[1].details["accounts_created"] == 1 and events[1].object_id == str(cohort.id)
    assert passwords[0] not in str([e.details for e in db.session.scalars(select(AuditEvent))])

    # The new officer logs in with the temporary password and must change it first.
    other = client.application.test_client()
    login(other, "ann@north.example", passwords[0])
    assert other.get("/course").headers["Location"].endswith("/account/password")


def test_enrollment_import_respects_the_cap_the_cohort_and_who_may_use_it(kit, program, db, client, factory):
    from lms.models import Role

    track = kit.track()
    side = program(tracks=[track.slug])
    side.mou.officer_cap = 1
    db.session.commit()
    cohort = factory.cohort(track.slug, agencies=[side.agency])
    closed = factory.cohort(track.slug, agencies=[factory.agency(name="South")])
    login(client, factory.user(Role.STAFF).email)
    lines = ROSTER.format(track=track.slug).splitlines()
    text = "\n".join([lines[0], lines[1], lines[3]]) + "\n"  # Ann (line 2), Cy (line 3)
    page = _enroll_upload(client, side.mou, cohort, text).get_data(as_text=True)
    assert "<th scope=\"row\">3</th>" in page and "cap of 1 officers" in page
    page = _enroll_upload(client, side.mou, closed, text, mode="good").get_data(as_text=True)
    assert "is not open to North County Sheriff" in page
    assert db.session.scalar(select(func.count()).select_from(Nomination)) == 0
    assert "1 officer enrolled; 1 bad row left out" in _enroll_upload(client, side.mou, cohort, text,
                                                                      mode="good").get_data(as_text=True)

    coordinator = client.application.test_client()
    login(coordinator, side.coordinator.email)
    assert coordinator.get(ENROLL_PAGE).status_code == 403
    data = {"csrf_token": csrf_token(coordinator, "/nominations"), "mou_id": side.mou.id, "cohort_id": cohort.id,
            "mode": "good", "roster": (io.BytesIO(text.encode()), "r.csv")}
    assert coordinator.post(ENROLL_PAGE, data=data, content_type="multipart/form-data").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Nomination)) == 1


def test_a_roster_with_a_nul_or_a_bidirectional_name_is_refused(kit, program, db, client):
    """Regression (issue 10, defects 6 and 7): SQLite stored a NUL in a roster name; names could hold
    right-to-left overrides."""
    track = kit.track()
    side = program(tracks=[track.slug])
    login(client, side.coordinator.email)
    header = ROSTER.splitlines()[0] + "\n"
    row = "{name},{email},%s,2024-05-01,4,yes,yes\n" % track.slug
    good = row.format(name="Ann Able", email="ann@north.example")
    page = _upload(client, side.mou, header + good + row.format(name="Nul\x00Name", email="nul@north.example"),
                   mode="good").get_data(as_text=True)
    assert "line 3: the file contains a control character, U+0000 (NUL)" in page
    assert db.session.scalar(select(func.count()).select_from(Nomination)) == 0
    page = _upload(client, side.mou, header + good + row.format(name="Alice \u202egnp.exe Smith",
                                                                 email="alice@north.example"),
                   mode="good").get_data(as_text=True)
    assert "the name contains an invisible control or formatting character, U+202E" in page
    assert set(db.session.scalars(select(Nomination.name))) == {"Ann Able"}  # only the good row
