"""What text is accepted: no control characters in any input (issue 10, defect 6), no control or format
characters in identity fields (defect 7), on every path in: forms, query strings, JSON, CSV, CLI."""
import sys
import unicodedata

import pytest
from sqlalchemy import func, select

from lms import inputs
from lms.models import Agency, AuditEvent, Role, User

from .conftest import csrf_token, login, post

BIDI_NAME = "Alice \u202egnp.exe Smith"  # shows as "Alice htimS exe.png"


def test_a_nul_in_the_log_in_form_is_refused_with_a_clear_400(client, factory, db):
    """Regression: on PostgreSQL this answered 500."""
    factory.user(email="t@example.test")
    response = login(client, "a\x00b@example.test", "wrong password but long enough")
    assert response.status_code == 400
    assert "control character" in response.get_data(as_text=True)
    # Refused before anything was looked up or written.
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "auth.login")) == 0
    assert login(client, "t@example.test", "pass\x00word is long enough", ack=False).status_code == 400


@pytest.mark.parametrize("role, url", [(Role.ADMIN, "/admin/users?q=%00"), (Role.STAFF, "/registry?q=%00"),
                                       (Role.STAFF, "/registry?q=a%1Bb"), (Role.ADMIN, "/admin/users?q=a%09b"),
                                       (Role.STAFF, "/registry?status=x&%00=1")])
def test_a_control_character_in_a_query_string_is_refused(client, factory, role, url):
    """Regression: ``?q=%00`` on the admin and registry searches answered 500 on PostgreSQL."""
    login(client, factory.user(role).email)
    response = client.get(url)
    assert response.status_code == 400 and "control character" in response.get_data(as_text=True)
    assert client.get(url.split("?")[0] + "?q=plain").status_code == 200


def test_a_control_character_in_a_json_body_is_refused_with_json(client, factory):
    login(client, factory.user(Role.TRAINEE).email)
    token = csrf_token(client, "/account/password")
    response = client.post("/attempts/1/autosave", json={"position": 0, "fields": [["q1", "an\u0000swer"]]},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid"
    assert "control character" in response.get_json()["message"]


def test_line_breaks_are_accepted_in_form_fields_but_not_in_a_url(app):
    with app.test_request_context("/x", method="POST", data={"reason": "line one\r\nline two\tend"}):
        assert inputs.request_problem(app.test_request_context().request) is None
    for kwargs in ({"data": {"reason": "bell\x07"}}, {"data": {"reason": "del\x7f"}},
                   {"data": {"reason": "c1\x85"}}, {"query_string": {"q": "two\nlines"}},
                   {"json": {"a": ["ok", {"b\x00": 1}]}}, {"json": {"a": "\ud800"}}):
        with app.test_request_context("/x", method="POST", **kwargs) as context:
            assert inputs.request_problem(context.request) == inputs.CONTROL_MESSAGE, kwargs
    with app.test_request_context("/x", method="POST", json={"a": ["fine\ttext\n", {"b": "ok"}]}) as context:
        assert inputs.request_problem(context.request) is None


def test_text_problem_refuses_exactly_the_control_characters_and_surrogates_of_unicode():
    """Its regular expressions against unicodedata's categories (Cc and Cs), for every code point: in a line, and in
    a text of several lines (tab, line feed and carriage return allowed)."""
    for point in range(sys.maxunicode + 1):
        char = chr(point)
        refused = unicodedata.category(char) in ("Cc", "Cs")
        assert (inputs.text_problem(char, multiline=False) == char) is refused, hex(point)
        assert (inputs.text_problem(char) == char) is (refused and char not in "\t\n\r"), hex(point)
    assert inputs.text_problem("an essay\nof two lines, then a \x1b and a \x00") == "\x1b"  # the first one
    assert inputs.text_problem("plain\ttext") is None and inputs.text_problem("plain\ttext", multiline=False) == "\t"


def test_identity_fields_refuse_control_and_format_characters():
    assert inputs.identity_problem("Ana María O'Brien-Núñez 李", "The name") is None
    for bad in (BIDI_NAME, "Zero\u200bwidth", "soft\u00adhyphen", "tab\there", "line\u2028separator", "nul\x00"):
        problem = inputs.identity_problem(bad, "The name")
        assert problem and problem.startswith("The name contains an invisible"), bad
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE)" in inputs.identity_problem(BIDI_NAME, "The name")


def test_the_admin_form_refuses_a_name_with_a_bidirectional_override(client, factory, db):
    """Regression: ``Alice \\u202Egnp.exe Smith`` was stored and shown reversed on the certificate."""
    login(client, factory.user(Role.ADMIN).email)
    response = post(client, "/admin/users/new", {"email": "alice@example.test", "name": BIDI_NAME, "role": "staff",
                                                  "agency_id": "0", "password": ""}, page="/admin/users/new")
    assert "The name contains an invisible control or formatting character, U+202E (RIGHT-TO-LEFT OVERRIDE)" in \
        response.get_data(as_text=True)
    response = post(client, "/admin/users/new", {"email": "ali\u200bce@example.test", "name": "Alice",
                                                  "role": "staff", "agency_id": "0", "password": ""},
                    page="/admin/users/new")
    assert "The e-mail address contains an invisible" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email.like("ali%"))) is None


def test_agency_forms_refuse_format_characters(client, factory, db):
    login(client, factory.user(Role.STAFF).email)
    response = post(client, "/agencies/new", {"name": "North \u202eCounty", "state": "VA", "ori": "VA0000999",
                                              "kind": "State police", "contacts": ""}, page="/agencies/new")
    assert "The agency&#39;s name contains an invisible" in response.get_data(as_text=True)
    assert db.session.scalar(select(Agency).where(Agency.ori == "VA0000999")) is None
    agency = factory.agency(ori="VA0000998")
    db.session.commit()
    response = post(client, f"/agencies/{agency.id}/edit", {"name": "Renamed\u2066 Agency", "state": "VA",
                                                            "kind": "State police", "contacts": "two\nlines"},
                    page=f"/agencies/{agency.id}/edit")
    assert "The agency&#39;s name contains an invisible" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Agency, agency.id).name != "Renamed\u2066 Agency"


def test_cli_commands_refuse_format_characters_in_identity_fields(app, factory, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "alice@example.test", "--name", BIDI_NAME, "--role", "staff"])
    assert result.exit_code != 0 and "RIGHT-TO-LEFT OVERRIDE" in result.output
    result = runner.invoke(args=["cohorts", "create-agency", "--name", "Zero\u200bWidth Agency", "--state", "VA",
                                 "--ori", "VA0000997"])
    assert result.exit_code != 0 and "The agency's name contains an invisible" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert db.session.scalar(select(Agency).where(Agency.ori == "VA0000997")) is None
    # Any other text argument or option with a control character is refused before the command runs.
    for args in (["users", "disable", "someone@example.test", "--reason", "bell\x07"],
                 ["cohorts", "create", "--name", "Esc\x1bCohort", "--track", "officer-basic", "--start", "2026-03-02"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 2 and "control character" in result.output, result.output


def test_an_agreement_s_authorized_functions_refuse_format_characters(factory, db, clock):
    """They are printed on certificates, like the holder's name."""
    from datetime import date

    from lms.agencies.agreements import AgreementError, create_mou

    with pytest.raises(AgreementError, match="invisible control or formatting character, U\\+202E"):
        create_mou(agency=factory.agency(), model="task_force", signed_on=date(2025, 1, 6),
                   effective_on=date(2025, 2, 1), authorized_functions=["Interview", "Arrest \u202ewithout"],
                   now=clock())
