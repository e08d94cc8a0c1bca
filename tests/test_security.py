"""Password policy, role checks and security headers."""
import pytest

from lms.models import Role
from lms.security import MIN_PASSWORD_LENGTH, is_safe_redirect, password_problems

from .conftest import login


def test_password_length_rule_without_composition_rules():
    assert password_problems("a" * 3 + "bcdefghijklm") == []  # 15 lower-case letters are fine
    assert any("at least 15" in p for p in password_problems("x7#Kp!2qZ"))
    assert password_problems("plain words are a fine passphrase " * 2) != []  # a repeated phrase is not
    assert len("my very long but perfectly memorable passphrase that goes on and on..") >= 64
    assert password_problems("my very long but perfectly memorable passphrase that goes on and on..") == []
    assert MIN_PASSWORD_LENGTH == 15


@pytest.mark.parametrize("common", ["passwordpassword", "1234567890123456", "qwertyuiopasdfgh",
                                    "iloveyouiloveyou", "abcabcabcabcabcabc", "PasswordPassword"])
def test_common_and_repetitive_passwords_are_rejected(common):
    assert any("too common" in p for p in password_problems(common))


def test_the_users_own_details_are_rejected():
    problems = password_problems("terrytrainee is my password", context=("terrytrainee@example.test", "Terry"))
    assert any("name or e-mail" in p for p in problems)


@pytest.mark.parametrize("target, ok", [("/course", True), ("/a/b?c=1", True), ("//evil.example", False),
                                        ("https://evil.example", False), ("/\\evil", False), ("", False),
                                        (None, False), ("javascript:alert(1)", False), ("/\tx", False)])
def test_safe_redirects(target, ok):
    assert is_safe_redirect(target) is ok


@pytest.mark.parametrize("role, url, status", [
    (Role.TRAINEE, "/admin/users", 403),
    (Role.TRAINEE, "/cohorts", 403),
    (Role.INSTRUCTOR, "/admin/users", 403),
    (Role.INSTRUCTOR, "/course", 403),
    (Role.COORDINATOR, "/admin/audit", 403),
    (Role.STAFF, "/admin/users", 403),
    (Role.STAFF, "/admin/audit", 200),
    (Role.ADMIN, "/admin/users", 200),
    (Role.INSTRUCTOR, "/cohorts", 200),
])
def test_role_required(client, factory, role, url, status):
    user = factory.user(role)
    login(client, user.email)
    assert client.get(url).status_code == status


def test_anonymous_users_are_sent_to_log_in(client, db):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_security_headers(client, db):
    response = client.get("/notice")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
