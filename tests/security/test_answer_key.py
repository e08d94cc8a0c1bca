"""During an open attempt no page or JSON answer the trainee can reach carries the answer key
(correct flags, accepted answers, numeric keys, per-choice feedback, rationales)."""
import re

from sqlalchemy import select

from lms.models import AttemptQuestion

from ..conftest import csrf_token

KEY = re.compile(r"FB[A-Z]{3,}|RAT[A-Z]{3,}|zebra omega|zulu omega|7341|912\d|data-correct|\"correct\"|is-correct")


def test_no_page_of_an_open_attempt_leaks_the_key(world, as_user, db):
    attempt = world.a.attempt
    client = as_user(world.a.trainee)
    pages = -(-len(attempt.questions) // 3)
    urls = ["/", "/course", "/course/modules/agreement/basics", "/exams/mixed-exam", "/exams/fixed-exam",
            f"/exams/attempts/{attempt.id}/submit", f"/exams/attempts/{attempt.id}/status",
            f"/exams/attempts/{attempt.id}/result", "/certificates", "/account/password"]
    urls += [f"/exams/attempts/{attempt.id}?page={n}" for n in range(1, pages + 1)]
    leaks = []
    for url in urls:
        response = client.get(url, follow_redirects=True)
        if found := KEY.findall(response.get_data(as_text=True)):
            leaks.append(f"{url}: {sorted(set(found))}")
    # The JSON answers of the autosave endpoint, for every question.
    token = csrf_token(client, f"/exams/attempts/{attempt.id}")
    positions = db.session.scalars(select(AttemptQuestion.position).where(
        AttemptQuestion.attempt_id == attempt.id)).all()
    for position in positions:
        response = client.post(f"/exams/attempts/{attempt.id}/autosave", headers={"X-CSRFToken": token},
                               json={"position": position, "flagged": True})
        assert response.status_code == 200
        if found := KEY.findall(response.get_data(as_text=True)):
            leaks.append(f"autosave {position}: {found}")
    # Saving a page and following the redirect.
    response = client.post(f"/exams/attempts/{attempt.id}/save", data={"csrf_token": token, "page": "0", "go": "next"},
                           follow_redirects=True)
    if found := KEY.findall(response.get_data(as_text=True)):
        leaks.append(f"save: {found}")
    assert leaks == []


def test_the_key_pattern_does_find_the_key_once_the_attempt_is_reviewed(world, as_user):
    """A control: the instructor's record of the attempt shows the key, so the pattern above would see it."""
    body = as_user(world.a.instructor).get(f"/results/attempts/{world.a.attempt.id}").get_data(as_text=True)
    client = as_user(world.a.trainee)
    token = csrf_token(client, f"/exams/attempts/{world.a.attempt.id}/submit")
    client.post(f"/exams/attempts/{world.a.attempt.id}/submit", data={"csrf_token": token})
    review = client.get(f"/exams/attempts/{world.a.attempt.id}/result").get_data(as_text=True)
    assert KEY.search(review), "the review after submission shows answers (review: answers after_submit)"
    assert body  # the instructor's page renders
