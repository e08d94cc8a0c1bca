"""Full-text search over module texts, on SQLite FTS5 and PostgreSQL alike: ranked, highlighted, sanitized,
scoped to what a person may read, and following every publish."""
from datetime import date

from sqlalchemy import delete, select

from lms.content.search import search_modules
from lms.learning.search import search_for
from lms.models import Module, ModuleText, ModuleVersion, Role

from .conftest import login


def _publish(db, kit, slug, title, body_html):
    """A new current version of the module, as a sync or a browser edit publishes one."""
    module = kit.module(slug)
    number = 1 + len(db.session.scalars(select(ModuleVersion.id).where(ModuleVersion.module_id == module.id)).all())
    version = ModuleVersion(module_id=module.id, number=number, content_hash=f"{number:064d}", title=title, minutes=30,
                            objectives=[], sources=[], body_md="-", body_html=body_html, toc_html="",
                            source_path=f"{slug}.md", created_at=kit.clock())
    db.session.add(version)
    db.session.flush()
    module.current_version_id = version.id
    db.session.commit()
    return module


def test_results_are_ranked_highlighted_and_follow_each_publish(kit, db):
    _publish(db, kit, "law/consular", "Consular notification",
             "<p>Article 36 of the Vienna Convention: consular notification without delay.</p>")
    _publish(db, kit, "law/detainers", "Detainers", "<p>A detainer asks the jail to notify ICE; consular "
             "officers are a different matter.</p>")
    hits = search_modules("consular")
    assert [h.slug for h in hits] == ["law/consular", "law/detainers"]  # the title's match ranks first
    assert "<mark>consular</mark>" in str(hits[0].snippet).lower()
    assert search_modules("consular notification")[0].slug == "law/consular"

    _publish(db, kit, "law/consular", "Consular access", "<p>Foreign nationals may ask to contact their consulate.</p>")
    assert [h.slug for h in search_modules("Vienna")] == []  # the old version's words are gone
    assert [h.slug for h in search_modules("foreign nationals")] == ["law/consular"]
    module = db.session.scalar(select(Module).where(Module.slug == "law/detainers"))
    module.retired_at = kit.clock()
    db.session.commit()
    assert search_modules("detainer") == []


def test_snippets_are_text_never_markup_and_odd_queries_are_harmless(kit, db):
    _publish(db, kit, "m/x", "Escapes", "<p>A script tag &lt;script&gt;alert(1)&lt;/script&gt; is text here; "
             "quotes \" and NEAR( too.</p>")
    [hit] = search_modules("script tag")
    assert "<mark>" in str(hit.snippet) and "<script>" not in str(hit.snippet)
    for query in ('"', "NEAR(", "*", "a AND OR NOT", "' OR 1=1 --", "   "):
        search_modules(query)  # no syntax error reaches the searcher


def test_trainees_search_what_is_open_to_them_and_keep_it_once_certified(kit, db, factory, clock, client):
    track = kit.track(modules=("m/one", "m/two"), weeks=2)
    _publish(db, kit, "m/one", "Module one", "<p>Interpreters in interviews.</p>")
    _publish(db, kit, "m/two", "Module two", "<p>Interpreters again.</p>")
    _publish(db, kit, "m/elsewhere", "Elsewhere", "<p>Interpreters elsewhere.</p>")
    enrollment = kit.enrollment(track, start=date(2026, 3, 2))
    trainee = enrollment.user
    assert {h.slug for h in search_for(trainee, "interpreters", now=clock())} == {"m/one", "m/two"}
    instructor = factory.user(Role.INSTRUCTOR)
    assert {h.slug for h in search_for(instructor, "interpreters", now=clock())} == {"m/one", "m/two", "m/elsewhere"}
    other = kit.enrollment(track, start=date(2026, 4, 6)).user  # a cohort that has not started
    assert search_for(other, "interpreters", now=clock()) == []

    for item in track.items:
        if item.kind == "exam":
            kit.pass_exam(enrollment, item.ref)
    kit.complete_modules(enrollment)
    assert enrollment.status == "completed"
    assert {h.slug for h in search_for(trainee, "interpreters", now=clock())} == {"m/one", "m/two"}

    login(client, trainee.email)
    page = client.get("/search?q=interpreters").get_data(as_text=True)
    assert "2 modules found" in page and 'href="/course/modules/m/one"' in page and "<mark>" in page
    assert "Elsewhere" not in page


def test_lms_content_reindex_rebuilds_the_index(kit, db, app):
    _publish(db, kit, "m/one", "Module one", "<p>Booking desk screening.</p>")
    db.session.execute(delete(ModuleText))
    db.session.commit()
    assert search_modules("screening") == []
    result = app.test_cli_runner().invoke(args=["content", "reindex"])
    assert result.exit_code == 0 and "Search index rebuilt: 1 module." in result.output, result.output
    assert [h.slug for h in search_modules("screening")] == ["m/one"]
