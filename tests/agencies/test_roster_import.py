"""CSV roster import: every row validated first; bad rows reported with their line and reason; nothing
imported from a file with errors unless the user chooses to import only the good rows."""
import io

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
    assert "2 nomination(s) imported; 4 bad row(s) left out" in page
    names = set(db.session.scalars(select(Nomination.name)))
    assert names == {"Ann Able", "Cy Clear"}
    assert {n.source for n in db.session.scalars(select(Nomination))} == {"csv"}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "nomination.import")
                                .order_by(AuditEvent.seq)).all()
    assert [e.outcome for e in events] == ["denied", "success"]
    assert events[1].details["bad_lines"] == [3, 6, 7, 8]


def test_a_clean_file_imports_every_row_and_a_repeat_is_refused(kit, program, db, client):
    track = kit.track()
    side = program(tracks=[track.slug])
    login(client, side.coordinator.email)
    text = "\ufeff" + "\r\n".join(ROSTER.format(track=track.slug).splitlines()[:2]) + "\r\n"
    assert "1 nomination(s) imported" in _upload(client, side.mou, text).get_data(as_text=True)
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
