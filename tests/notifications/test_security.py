"""Account security notices: each security fact told once, in the app and by e-mail, whatever the person chose;
the temporary password never in it; the preference page shows them as always on."""
import re

import pyotp
import pytest
from sqlalchemy import select

from lms import jobs
from lms.accounts import login as login_service
from lms.accounts import twofactor
from lms.accounts.users import AccountError, change_role, disable_user, enable_user, generate_password, reset_password
from lms.models import Notification, Role
from lms.notifications.kinds import optional_kinds
from lms.notifications.service import PreferenceError, set_preferences

from ..conftest import PASSWORD, csrf_token, login, post
from .conftest import PUBLIC_URL

NEW_PASSWORD = "Another long passphrase 42"


def _security(db, user):
    return db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == "account_security").order_by(Notification.id)).all()


def _mails(smtp, user):
    jobs.run_periodic("send-pending")
    jobs.run_periodic("send-pending")  # a second sweep sends nothing more
    return [(m["Subject"].split(": ", 1)[1], m.get_body(("plain",)).get_content()) for m in smtp.to(user.email)]


def _everything_off(user, clock):
    set_preferences(user, dict.fromkeys(optional_kinds(), "off"), actor=user, now=clock())


def test_a_persons_own_security_changes_are_told_once_each_in_the_app_and_by_email(factory, db, smtp, clock):
    trainee = factory.user(Role.TRAINEE, email="tess@example.test")
    _everything_off(trainee, clock)  # none of the optional kinds: security notices come all the same
    db.session.commit()

    login_service.change_password(trainee, PASSWORD, NEW_PASSWORD, now=clock())
    db.session.commit()
    clock.advance(minutes=1)
    secret = twofactor.new_secret()
    totp = pyotp.TOTP(secret)
    twofactor.enrol(trainee, secret, totp.at(clock()), now=clock())
    db.session.commit()
    clock.advance(minutes=1)
    codes = twofactor.regenerate_recovery_codes(trainee, now=clock())
    db.session.commit()
    clock.advance(minutes=1)
    assert twofactor.check_code(trainee, codes[0], now=clock()) == twofactor.RECOVERY_CODE
    db.session.commit()

    told = _security(db, trainee)
    assert [n.subject for n in told] == ["Your password was changed", "Two-step verification is turned on",
                                         "New recovery codes were made", "A recovery code was used to log in"]
    assert all(n.essential for n in told)
    assert "March 2, 2026, 9:00 AM EST" in told[0].body  # the program's time zone (14:00 UTC)
    assert "9 left" in told[3].body
    assert all(f"{PUBLIC_URL}/account/password" in n.body and "If this was not you" in n.body for n in told)
    mails = _mails(smtp, trainee)
    assert [subject for subject, _ in mails] == [n.subject for n in told]
    assert all("always sent" in text and "127.0.0.1" not in text for _, text in mails)
    assert not any(code in n.body or code.replace("-", "") in n.body for n in told for code in codes)


def test_a_wrong_current_password_or_a_role_unchanged_tells_nothing(factory, db, smtp, clock):
    trainee = factory.user(Role.TRAINEE)
    admin = factory.user(Role.ADMIN)
    with pytest.raises(AccountError):
        login_service.change_password(trainee, "not the password at all", NEW_PASSWORD, now=clock())
    change_role(trainee, Role.TRAINEE, actor=admin, now=clock())  # the same role: nothing changed
    twofactor.reset(trainee, actor=admin, now=clock())  # there was no second factor to turn off
    db.session.commit()
    assert _security(db, trainee) == [] and _mails(smtp, trainee) == []


def test_an_administrators_changes_are_told_once_and_never_carry_the_temporary_password(factory, db, smtp, clock):
    trainee = factory.user(Role.TRAINEE, email="ida@example.test", name="Ida Officer")
    admin = factory.user(Role.ADMIN)
    _everything_off(trainee, clock)
    secret = twofactor.new_secret()
    twofactor.enrol(trainee, secret, pyotp.TOTP(secret).at(clock()), now=clock())
    db.session.commit()
    before = len(_security(db, trainee))

    temporary = generate_password(email=trainee.email, name=trainee.name)
    reset_password(trainee, temporary, actor=admin, now=clock())
    twofactor.reset(trainee, actor=admin, now=clock())
    change_role(trainee, Role.INSTRUCTOR, actor=admin, now=clock())
    disable_user(trainee, actor=admin, now=clock(), reason="Left the agency (internal note)")
    db.session.commit()
    clock.advance(days=1)
    enable_user(trainee, actor=admin, now=clock())
    db.session.commit()

    told = _security(db, trainee)[before:]
    assert [n.subject for n in told] == [
        "Your password was reset by an administrator", "Two-step verification was turned off by an administrator",
        "Your role changed", "Your account is disabled", "Your account is enabled again"]
    assert "you are now instructor" in told[2].body
    assert "disabled on March 2, 2026, 9:00 AM EST by an administrator" in told[3].body
    assert "internal note" not in told[3].body  # the administrator's reason stays in the audit log
    assert "March 3, 2026" in told[4].body
    mails = _mails(smtp, trainee)
    assert [subject for subject, _ in mails][before:] == [n.subject for n in told]  # the disabled account too
    assert all(temporary not in n.body and temporary not in n.subject for n in told)
    assert all(temporary not in text for _, text in mails)


def test_a_lockout_after_failed_log_ins_is_told_once(factory, db, smtp, clock, app):
    trainee = factory.user(Role.TRAINEE)
    threshold = app.config["LOCKOUT_THRESHOLD"]
    for _ in range(threshold + 2):  # failures past the lockout lock nothing again
        result = login_service.authenticate(trainee.email, "a wrong password", ip="203.0.113.9", now=clock())
        db.session.commit()
        assert result.user is None
    [told] = _security(db, trainee)
    assert told.subject == "Your account is locked after failed log-ins"
    assert f"after {threshold} failed log-ins" in told.body and "someone may be guessing your password" in told.body
    assert "203.0.113.9" not in told.body
    [(subject, text)] = _mails(smtp, trainee)
    assert subject == told.subject and "203.0.113.9" not in text


def test_security_notices_cannot_be_turned_off_and_the_page_shows_them_always_on(factory, db, client, clock):
    trainee = factory.user(Role.TRAINEE)
    with pytest.raises(PreferenceError):
        set_preferences(trainee, {"account_security": "off"}, actor=trainee, now=clock())
    login(client, trainee.email)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'name="account_security"' not in page
    assert "Account security: always on" in page
    response = client.post("/notifications/preferences", data={
        "account_security": "off", "csrf_token": csrf_token(client, "/notifications/preferences")},
        follow_redirects=True)
    assert response.status_code == 200
    login_service.change_password(trainee, PASSWORD, NEW_PASSWORD, now=clock())
    db.session.commit()
    assert len(_security(db, trainee)) == 1



def test_the_staff_only_kind_is_offered_to_staff_only(factory, db, app):
    for role, offered in ((Role.TRAINEE, False), (Role.STAFF, True)):
        client = app.test_client()
        login(client, factory.user(role).email)
        page = client.get("/notifications/preferences").get_data(as_text=True)
        assert ('name="certification_review"' in page) is offered
        assert "Account security: always on" in page


def test_a_reset_through_the_administrators_page_mails_the_notice_without_the_generated_password(
        factory, db, smtp, app):
    trainee = factory.user(Role.TRAINEE, email="rita@example.test")
    admin = factory.user(Role.ADMIN)
    client = app.test_client()
    login(client, admin.email)
    page = f"/admin/users/{trainee.id}"
    response = post(client, f"/admin/users/{trainee.id}/reset-password", {"password": ""}, page=page)
    temporary = re.search(r'<code class="temporary-password">([^<]+)</code>', response.get_data(as_text=True)).group(1)
    [told] = _security(db, trainee)
    assert told.subject == "Your password was reset by an administrator"
    [(_, text)] = _mails(smtp, trainee)  # the request queued it; the job sent it once
    [message] = smtp.to(trainee.email)
    assert temporary not in told.body and temporary not in text
    assert temporary not in message.get_body(("html",)).get_content()


def test_an_account_disabled_for_inactivity_is_told_why(factory, db, smtp, clock):
    trainee = factory.user(Role.TRAINEE)
    disable_user(trainee, now=clock(), reason="inactive for 90 days")
    db.session.commit()
    [told] = _security(db, trainee)
    assert "disabled on March 2, 2026, 9:00 AM EST because it was not used for a long time" in told.body
    assert [subject for subject, _ in _mails(smtp, trainee)] == ["Your account is disabled"]
