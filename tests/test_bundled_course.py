"""The bundled sample course meets its coverage rules (issue: the bundled curriculum and banks)."""
import re
from collections import Counter

import markdown as md
import pytest

from lms.content import check_content
from lms.content.blueprints import blueprint_shortfall
from lms.markdown import ALLOWED_CLASSES, EXTENSION_CONFIGS, EXTENSIONS, ID_PREFIX, render_document

from .conftest import PROJECT_ROOT

MAJOR_BANKS = {"immigration-law", "civil-rights", "racial-profiling", "intercultural"}


@pytest.fixture(scope="module")
def catalog():
    catalog, errors = check_content(PROJECT_ROOT)
    assert [str(e) for e in errors] == []
    return catalog


def test_a_bank_per_topic_with_the_required_number_of_questions(catalog):
    topics = {m.topic for m in catalog.modules.values() if not m.annex}  # annexes are agency-specific, not examined
    assert topics <= set(catalog.banks)
    for bank in catalog.banks.values():
        active = [q for q in bank.questions if q.get("status", "active") == "active"]
        assert len(active) >= (40 if bank.id in MAJOR_BANKS else 15), bank.id


def test_banks_mix_question_types_and_every_question_is_explained(catalog):
    for bank in catalog.banks.values():
        types = Counter(q["type"] for q in bank.questions)
        assert len(types) >= 4 and types["single"] < len(bank.questions), (bank.id, types)
        for q in bank.questions:
            assert q["rationale"].strip() and q["source"].strip(), q["id"]
    all_types = Counter(q["type"] for b in catalog.banks.values() for q in b.questions)
    assert set(all_types) == {"single", "multiple", "true_false", "short", "numeric", "matching"}


def test_every_objective_has_enough_questions_for_two_draws(catalog):
    per_objective = Counter(q["objective"] for b in catalog.banks.values() for q in b.questions
                            if q.get("status", "active") == "active")
    for objective, module in catalog.objectives().items():
        if not catalog.modules[module].annex:
            assert per_objective[objective] >= 4, objective


def test_every_module_is_a_sourced_lesson_of_800_to_2000_words_with_a_scenario(catalog):
    for module in catalog.modules.values():
        words = len(module.body.split())
        assert 800 <= words <= 2000, (module.id, words)
        assert module.sources and 3 <= len(module.objectives) <= 5, module.id
        assert '!!! example "Scenario' in module.body, module.id


def test_exams_cover_every_objective_of_their_topic_and_are_drawable_for_every_attempt(catalog):
    # Every topic has a unit exam (not a track's final) that draws all of its objectives; two small
    # topics may share one (consular-outreach-exam), each kept whole.
    # A track's final is its last exam, when it has others (a one-exam track's exam is its unit exam).
    finals = {exams[-1] for exams in ([e for week in track.schedule for e in week[3]]
                                      for track in catalog.tracks.values()) if len(exams) > 1}
    units = [exam for exam in catalog.exams.values() if exam.id not in finals]
    for topic in {m.topic for m in catalog.modules.values() if not m.annex}:
        wanted = {o["id"] for m in catalog.modules.values() if m.topic == topic for o in m.objectives}
        covering = [exam.id for exam in units if wanted <= {cell["objective"] for cell in exam.data["draw"]}]
        assert covering, topic
    for exam in catalog.exams.values():
        data = exam.data
        assert data["no_repeats"] and data["attempts"] >= 2 and 70 <= data["pass_mark"] <= 90, exam.id
        total = sum(cell["count"] for cell in data["draw"])
        assert 0.9 <= data["time_limit_minutes"] / total <= 2.5, exam.id  # minutes per question
        assert blueprint_shortfall(data["draw"], catalog.banks, data["attempts"]) == []


def _track_objectives(catalog, track):
    return {o["id"] for week in track.schedule for slug in week[2] for o in catalog.modules[slug].objectives}


def test_tracks_their_length_and_that_their_exams_fit_their_scope(catalog):
    officer, custody = catalog.tracks["officer-basic"], catalog.tracks["custody-assistant"]
    assert (officer.weeks, custody.weeks) == (5, 4)
    refresher = catalog.tracks["officer-refresher"]
    assert refresher.refresher_of == "officer-basic"
    for track in catalog.tracks.values():
        assert track.sample and "illustrative sample" in track.description
        scope = _track_objectives(catalog, track)
        exams = [e for week in track.schedule for e in week[3]]
        for exam_id in exams:
            drawn = {cell["objective"] for cell in catalog.exams[exam_id].data["draw"]}
            assert drawn <= scope, (track.id, exam_id, drawn - scope)
        # A comprehensive final covers every objective of the track (the refresher's exam is its final).
        final = catalog.exams[exams[-1]]
        assert {cell["objective"] for cell in final.data["draw"]} == scope, track.id
        # A realistic weekly reading load: at most ten hours of modules a week.
        for week, _, modules, _ in track.schedule:
            assert sum(catalog.modules[m].minutes for m in modules) <= 600, (track.id, week)
    topics = {catalog.modules[m].topic for week in officer.schedule for m in week[2]}
    assert {"agreement", "immigration-law", "civil-rights", "racial-profiling", "intercultural", "use-of-force",
            "consular", "outreach", "liability"} <= topics
    assert "custody" in {catalog.modules[m].topic for week in custody.schedule for m in week[2]}


def test_the_readme_says_the_course_is_a_sample():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "illustrative sample" in readme


def test_every_bundled_module_renders_with_working_anchors_and_only_allowed_classes(catalog):
    """The attribute-list narrowing drops nothing the bundled course uses, and every in-page link
    (table of contents, footnotes) still reaches an id of the same page."""
    for module in catalog.modules.values():
        raw = md.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS).convert(module.body)
        doc = render_document(module.body)
        raw_classes = {c for v in re.findall(r'class="([^"]*)"', raw) for c in v.split()}
        assert raw_classes <= ALLOWED_CLASSES, (module.id, raw_classes - ALLOWED_CLASSES)
        ids = re.findall(r'id="([^"]*)"', doc.html)
        assert len(ids) == len(set(ids)) and all(i.startswith(ID_PREFIX) for i in ids), module.id
        links = [h for h in re.findall(r'href="#([^"]*)"', doc.html + doc.toc_html)]
        assert set(links) <= set(ids), (module.id, set(links) - set(ids))
        assert doc.toc_html, module.id


@pytest.mark.parametrize("track_id, topic, hours", [("task-force", "task-force", 40),
                                                     ("warrant-service-officer", "warrant-service", 8)])
def test_the_task_force_and_warrant_service_officer_tracks_match_their_model(catalog, track_id, topic, hours):
    """The shorter models have courses of their own: stated in hours (about 40 and 8), with modules on their
    model, a certification of their own, and exams that weigh the model's own objectives most."""
    track = catalog.tracks[track_id]
    assert track.length_unit == "hours" and track.online_hours + track.classroom_hours == hours
    assert track.refresher_of is None
    others = {t.certification_title for t in catalog.tracks.values() if t.id != track_id}
    assert track.certification_title not in others
    modules = [m for week in track.schedule for m in week[2]]
    own = {o["id"] for m in modules if catalog.modules[m].topic == topic for o in catalog.modules[m].objectives}
    assert len(own) >= 6
    for exam_id in [e for week in track.schedule for e in week[3]]:
        cells = catalog.exams[exam_id].data["draw"]
        assert sum(c["count"] for c in cells) >= 15
        per_objective = Counter()
        for cell in cells:
            per_objective[cell["objective"]] += cell["count"]
        assert max(per_objective.values()) == max(per_objective[o] for o in own), exam_id
