"""The notifications page, the header's unread count, marking read, and the preference page."""
from sqlalchemy import select

from lms.models import AuditEvent, Notification, NotificationPreference, Role
from lms.notifications.service import notify

from ..conftest import login, post


def test_the_header_counts_unread_notifications_and_the_page_marks_them_read(factory, db, client, clock):
    trainee = factory.user(Role.TRAINEE)
    first = notify(trainee, kind="exam_result", key="x:1", subject="Exam A: passed", body="Well done.",
                   link="/course", now=clock())
    notify(trainee, kind="exam_result", key="x:2", subject="Exam B: <b>passed</b>", body="Again.", now=clock())
    db.session.commit()
    login(client, trainee.email)
    home = client.get("/notifications").get_data(as_text=True)
    assert 'id="unread-count">2<' in home and "Exam A: passed" in home
    assert "&lt;b&gt;passed&lt;/b&gt;" in home  # text, never markup

    response = post(client, f"/notifications/{first.id}/read", {"open": "1"}, page="/notifications")
    assert response.status_code == 302 and response.headers["Location"].endswith("/course")
    assert 'id="unread-count">1<' in client.get("/notifications").get_data(as_text=True)
    post(client, "/notifications/read-all", page="/notifications")
    page = client.get("/notifications").get_data(as_text=True)
    assert 'id="unread-count"' not in page and "0 unread notifications" in page


def test_a_person_chooses_how_optional_messages_reach_them(factory, db, client):
    trainee = factory.user(Role.TRAINEE)
    login(client, trainee.email)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert "Your exam results" in page and 'name="certificate_status"' not in page  # essential: not offered
    post(client, "/notifications/preferences", {"exam_result": "off", "week_opened": "app", "exam_window": "all",
                                                "refresher_due": "all", "nomination_decided": "all"},
         page="/notifications/preferences")
    stored = {p.kind: (p.in_app, p.email) for p in db.session.scalars(select(NotificationPreference))}
    assert stored == {"exam_result": (False, False), "week_opened": (True, False)}
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "notification.preferences")) is not None
    response = post(client, "/notifications/preferences", {"exam_result": "sometimes"},
                    page="/notifications/preferences")
    assert "Choose how to be told" in response.get_data(as_text=True)
    assert db.session.scalar(select(Notification)) is None
