"""The module studio: the preview is the trainee's rendering, drafts are checked with the content check's
own words, two-person publish, revision diffs and restores, versions and completions, review dates."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.authoring import modules as authoring
from lms.authoring import reviews
from lms.authoring.diff import diff_rows
from lms.content.check import check_content
from lms.learning import course as learning
from lms.markdown import render_document
from lms.models import AuditEvent, Module, ModuleProgress, ContentRevision, ModuleVersion

from ..conftest import csrf_from, post

SLUG = "agreement/basics"
EDIT = f"/studio/modules/{SLUG}/edit"

# Markdown and raw HTML that must reach nobody as live markup: the preview must sanitize it exactly as the
# trainee's page does.
XSS_CORPUS = [
    "Plain paragraph with **bold** and a [link](https://example.org).",
    "<script>alert('x')</script>",
    "[click me](javascript:alert(1))",
    '<a href="javascript:alert(2)">raw link</a>',
    '<img src=x onerror="alert(3)">',
    '<p onclick="alert(4)" onmouseover="alert(5)">handlers</p>',
    '<iframe src="https://evil.example"></iframe><object data="x"></object>',
    "<svg onload=alert(6)><circle r=1 /></svg>",
    '<div class="usa-alert position-fixed" id="main-content" style="color:red">fake alert</div>',
    "## A heading {: #skip-link .usa-alert onclick=alert(7) }",
    "<!-- a comment --> <style>body{display:none}</style>",
    '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg4KTwvc2NyaXB0Pg==)',
]
BODY = "\n\n".join(XSS_CORPUS) + "\n"


def _form(front: dict, body: str, action="save") -> dict:
    values = authoring.form_from_front(front)
    data = {k: v for k, v in values.items() if k != "annex"}
    if values["annex"]:
        data["annex"] = "y"
    return {**data, "body": body, "action": action}


def _revision(number):
    return next(r for r in authoring.revisions_of("module", SLUG) if r.number == number)


def _module():
    return authoring.module_by_slug(SLUG)


def _save(client, body, front=None):
    front = front or authoring.front_from_version(_module())
    return post(client, EDIT, _form(front, body), page=EDIT)


def _draft(user, clock, body="## Revised\n\nNew text for trainees.\n", front=None):
    module = _module()
    revision = authoring.save_draft(SLUG, front or authoring.front_from_version(module), body, actor=user, now=clock())
    return revision


def test_the_preview_is_what_the_trainee_sees_on_the_xss_corpus(studio, as_user, db, clock):
    instructor = as_user(studio.author)
    # The preview the editor's script asks for, and the one the Preview button shows without scripts.
    fragment = post(instructor, "/studio/preview", _form(authoring.front_from_version(_module()), BODY),
                    page=EDIT).get_data(as_text=True)
    page = post(instructor, EDIT, _form(authoring.front_from_version(_module()), BODY, action="preview"),
                page=EDIT).get_data(as_text=True)
    assert db.session.scalars(select(ContentRevision)).all() == []  # a preview saves nothing
    assert _save(instructor, BODY).status_code == 302
    post(instructor, f"/studio/modules/{SLUG}/revisions/1/publish", page=f"/studio/modules/{SLUG}/revisions/1")
    version = _module().current_version
    assert version.number == 2 and version.body_md == BODY

    trainee_page = as_user(studio.trainee).get(f"/course/modules/{SLUG}").get_data(as_text=True)
    stored = version.body_html
    assert stored == authoring.preview(BODY).html
    assert stored in fragment and stored in page and stored in trainee_page
    for text in ("fake alert", "handlers", "raw link", "click me"):
        assert text in stored  # the text stays; only the markup goes
    for html in (stored, fragment):
        lowered = html.lower()
        for bad in ("<script", "javascript:", "onerror", "onclick", "onload", "onmouseover", "<iframe", "<object",
                    "<svg", "<img", "<style", "usa-alert", "position-fixed", 'id="main-content"', "data:text"):
            assert bad not in lowered, bad


def test_errors_are_placed_at_their_fields_in_the_content_checks_words(studio, as_user, db, tmp_path):
    front = {**authoring.front_from_version(_module()), "minutes": "soon", "title": "",
             "objectives": [{"id": "bad id", "text": "An objective."}], "reviewed": "2026-02-30"}
    # What `lms content check` says of the same file.
    folder = tmp_path / "curriculum" / "modules" / "agreement"
    folder.mkdir(parents=True)
    (folder / "basics.md").write_text(authoring.module_text(front, "Body.\n"))
    _, file_errors = check_content(tmp_path)
    expected = {e.message for e in file_errors if e.path.endswith("basics.md")}
    check = authoring.check_draft(front, "Body.\n", "curriculum/modules/agreement/basics.md")
    assert not check.ok and {m for ms in check.errors.values() for m in ms} == expected
    assert set(check.errors) == {"minutes", "title", "objectives"}  # the date is judged once the schema passes

    response = post(as_user(studio.author), EDIT, _form(front, "Body.\n"), page=EDIT)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "It was not saved" in page
    assert 'id="minutes-error"' in page and "minutes: &#39;soon&#39; is not of type &#39;integer&#39;" in page
    assert db.session.scalars(select(ContentRevision)).all() == []

    check = authoring.check_draft({**authoring.front_from_version(_module()), "reviewed": "2026-02-30"}, "  \n",
                                  "x.md")
    assert check.errors == {"body": ["the module has an empty body"]}
    check = authoring.check_draft({**authoring.front_from_version(_module()), "reviewed": "2026-02-30"}, "Body",
                                  "x.md")
    assert check.errors == {"reviewed": ["'reviewed' is not a date that exists: 2026-02-30"]}


def test_two_person_publish_needs_a_second_instructor(studio, as_user, db, clock, two_person):
    author, reviewer = as_user(studio.author), as_user(studio.reviewer)
    assert _save(author, "## Revised\n\nSecond edition.\n").status_code == 302
    revision_page = f"/studio/modules/{SLUG}/revisions/1"
    assert "Approve and publish" not in author.get(revision_page).get_data(as_text=True)
    post(author, f"{revision_page}/publish", page=revision_page)
    assert _module().current_version.number == 1  # the author cannot approve their own draft
    with pytest.raises(authoring.AuthoringError, match="second instructor"):
        authoring.publish_revision(_revision(1), actor=studio.author, now=clock(), two_person=True)

    post(reviewer, f"{revision_page}/comments", {"comment": "Cite the statute."}, page=revision_page)
    assert "Cite the statute." in author.get(revision_page).get_data(as_text=True)
    assert "Approve and publish" in reviewer.get(revision_page).get_data(as_text=True)
    post(reviewer, f"{revision_page}/publish", page=revision_page)

    module = _module()
    first, second = db.session.scalars(select(ModuleVersion).where(ModuleVersion.module_id == module.id)
                                       .order_by(ModuleVersion.number)).all()
    assert module.current_version_id == second.id and second.number == 2
    assert "Second edition." in second.body_html and "Second edition." not in first.body_md  # v1 untouched
    revision = _revision(1)
    assert revision.status == "published" and revision.approved_by_id == studio.reviewer.id
    assert revision.published_version_id == second.id
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "module.publish")).all()
    assert event.details["two_person"] is True and event.details["version"] == 2
    assert "Second edition." in as_user(studio.trainee).get(f"/course/modules/{SLUG}").get_data(as_text=True)


def test_without_two_person_publish_the_author_publishes(studio, db, clock, app):
    assert app.config["TWO_PERSON_PUBLISH"] is False  # the default outside production
    revision = _draft(studio.author, clock)
    version = authoring.publish_revision(revision, actor=studio.author, now=clock(), two_person=False)
    assert version.number == 2 and _module().current_version_id == version.id and revision.approved_by_id is None
    with pytest.raises(authoring.AuthoringError, match="not a draft"):
        authoring.publish_revision(revision, actor=studio.author, now=clock(), two_person=False)
    same = _draft(studio.author, clock)
    with pytest.raises(authoring.AuthoringError, match="nothing to publish"):
        authoring.publish_revision(same, actor=studio.author, now=clock(), two_person=False)


def test_revision_diff_and_restore(studio, as_user, db, clock):
    first = _draft(studio.author, clock, body="## Scope\n\nOld sentence.\n\nShared line.\n")
    clock.advance(minutes=5)
    second = _draft(studio.author, clock, body="## Scope\n\nNew sentence.\n\nShared line.\n")
    db.session.commit()
    rows = diff_rows(authoring.module_text(first.front, first.body_md),
                     authoring.module_text(second.front, second.body_md))
    assert [(r.kind, r.text) for r in rows if r.kind in ("removed", "added")] == [
        ("removed", "Old sentence."), ("added", "New sentence.")]
    page = as_user(studio.author).get(f"/studio/modules/{SLUG}/diff?a=1&b=2").get_data(as_text=True)
    assert "<del>Old sentence.</del>" in page and "<ins>New sentence.</ins>" in page
    live = as_user(studio.reviewer).get(f"/studio/modules/{SLUG}/diff?a=live&b=2").get_data(as_text=True)
    assert "<ins>New sentence.</ins>" in live and "published version 1" in live

    client = as_user(studio.reviewer)
    response = post(client, f"/studio/modules/{SLUG}/revisions/1/restore", page=f"/studio/modules/{SLUG}/revisions/1")
    assert response.headers["Location"].endswith(f"/studio/modules/{SLUG}/revisions/3")
    restored = db.session.scalar(select(ContentRevision).where(ContentRevision.number == 3))
    assert restored.body_md == first.body_md and restored.front == first.front
    assert restored.restored_from_id == first.id and restored.author_id == studio.reviewer.id
    assert [r.number for r in authoring.revisions_of("module", SLUG)] == [3, 2, 1]
    assert authoring.latest_draft("module", SLUG).number == 3
    # The editor opens the newest draft.
    assert "Old sentence." in client.get(EDIT).get_data(as_text=True)


def test_a_completion_of_version_1_stays_after_version_2_and_the_roster_shows_it(studio, as_user, db, clock):
    access = learning.module_access(learning.active_enrollments(studio.trainee), SLUG, clock())
    learning.mark_completed(access, clock())
    db.session.commit()
    v1 = _module().current_version_id
    clock.advance(days=1)
    authoring.publish_revision(_draft(studio.author, clock), actor=studio.author, now=clock(), two_person=False)
    db.session.commit()
    progress = db.session.scalar(select(ModuleProgress))
    assert progress.completed_version_id == v1 and progress.completed_at is not None
    assert _module().current_version.number == 2
    roster = as_user(studio.author).get(f"/cohorts/{studio.cohort.id}").get_data(as_text=True)
    assert "✔ v1" in roster and "version 1</span>" in roster and "(version 2 now)" in roster


def test_a_new_module_is_written_and_published_in_the_browser(studio, as_user, db, clock):
    client = as_user(studio.author)
    front = {"id": "agreement/supervision", "title": "Supervision by ICE", "topic": "agreement", "minutes": 15,
             "objectives": [{"id": "AG-2.1", "text": "Name who supervises designated officers."}],
             "sources": ["8 U.S.C. 1357(g)(3)"]}
    data = {**_form(front, "## Who supervises\n\nICE does.\n"), "id": front["id"]}
    response = post(client, "/studio/modules/new", data, page="/studio/modules/new")
    assert response.status_code == 302
    again = post(client, "/studio/modules/new", data, page="/studio/modules/new")
    assert again.status_code == 200 and "A module with the id &#39;agreement/supervision&#39; already exists." in \
        again.get_data(as_text=True)
    assert len(authoring.revisions_of("module", "agreement/supervision")) == 1
    revision = authoring.revisions_of("module", "agreement/supervision")[0]
    version = authoring.publish_revision(revision, actor=studio.author, now=clock(), two_person=False)
    module = authoring.module_by_slug("agreement/supervision")
    assert version.number == 1 and module.current_version_id == version.id
    assert version.source_path == "curriculum/modules/agreement/supervision.md"
    assert version.content_hash == authoring.check_draft(front, revision.body_md, version.source_path).spec.content_hash


def test_review_dates_and_the_due_list(studio, as_user, db, clock):
    module = _module()
    today = date(2026, 3, 2)
    assert reviews.review_state(module, today, 365).due  # never reviewed
    module.reviewed_on, module.reviewed_by = today - timedelta(days=400), "Course content review"
    db.session.commit()
    [row] = reviews.review_list(today, 365, due_only=True)
    assert row.days_since == 400 and row.reviewed_by == "Course content review"
    client = as_user(studio.reviewer)
    page = client.get("/studio/reviews").get_data(as_text=True)
    assert "Basics of the agreement" in page and "Course content review" in page
    post(client, f"/studio/modules/{SLUG}/reviewed", {"next": "reviews"}, page="/studio/reviews")
    db.session.refresh(module)
    assert module.reviewed_on == today and module.reviewed_by == "Rob Reviewer"
    assert reviews.review_list(today, 365, due_only=True) == []
    assert "No module is due for review." in client.get("/studio/reviews").get_data(as_text=True)
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "module.review")).all()
    assert event.actor == studio.reviewer.email and event.details["reviewed_on"] == "2026-03-02"
    assert event.details["previously"] == "2025-01-26"
    history = client.get(f"/studio/modules/{SLUG}/revisions").get_data(as_text=True)
    assert "Last reviewed on" in history and "Rob Reviewer" in history


def test_only_instructors_and_staff_author(studio, as_user, db):
    for user in (studio.trainee, studio.coordinator):
        client = as_user(user)
        assert client.get("/studio").status_code == 403
        assert client.get(EDIT).status_code == 403
        token = csrf_from(client.get("/account/password").get_data(as_text=True))
        assert client.post("/studio/preview", data={"csrf_token": token, "body": "x"}).status_code == 403
    instructor = as_user(studio.author)
    assert instructor.get("/studio").status_code == 200
    assert instructor.get("/studio/modules/agreement/nothing/edit").status_code == 404
    assert instructor.get(f"/studio/modules/{SLUG}/revisions/7").status_code == 404
    assert db.session.scalar(select(Module).where(Module.slug == SLUG)).current_version.number == 1


def test_an_objective_id_of_another_module_is_refused_as_the_check_refuses_it(studio, db, clock):
    front = {"id": "agreement/other", "title": "Another module", "topic": "agreement", "minutes": 10,
             "objectives": [{"id": "AG-1.1", "text": "Taken by agreement/basics."}], "sources": ["8 U.S.C. 1357(g)"]}
    check = authoring.check_draft(front, "Body.\n", "curriculum/modules/agreement/other.md")
    assert check.errors == {"objectives": ["duplicate objective id 'AG-1.1' (also in agreement/basics)"]}
    # The module's own objectives are its own.
    assert authoring.check_draft(authoring.front_from_version(_module()), "Body.\n", "x.md").ok


def test_previews_do_not_fill_the_markdown_cache(studio):
    before = render_document.cache_info().currsize
    for n in range(5):
        authoring.preview(f"Draft typed so far, pause {n}.")
    assert render_document.cache_info().currsize == before


def test_a_draft_written_before_another_version_went_live_is_not_published_over_it(studio, db, clock):
    stale = _draft(studio.author, clock, body="## Old draft\n\nWritten from version 1.\n")
    newer = _draft(studio.reviewer, clock, body="## Newer draft\n\nAlso from version 1.\n")
    authoring.publish_revision(newer, actor=studio.reviewer, now=clock(), two_person=False)
    with pytest.raises(authoring.AuthoringError, match="version 2 is live now"):
        authoring.publish_revision(stale, actor=studio.author, now=clock(), two_person=False)
    assert _module().current_version.number == 2
    # Restored, it is written from the live version and may be published.
    again = authoring.restore_revision(stale, actor=studio.author, now=clock())
    assert authoring.publish_revision(again, actor=studio.author, now=clock(), two_person=False).number == 3
