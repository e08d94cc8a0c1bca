"""Question interchange: GIFT, Aiken and Moodle XML read into bank questions (every feature we support, the
rest reported at its line or element path), GIFT and Moodle XML round trips, the QTI 2.1 package checked
by an independent implementation, the import service (versions, sanitized rendering, idempotent, audited)
and the `lms banks` commands."""
import io
import zipfile
from pathlib import Path

import pytest
import yaml
from lxml import etree
from sqlalchemy import func, select

from lms.content import sync_content
from lms.content.interchange import (
    Defaults, UnsafeXML, export_gift, export_moodle_xml, parse_aiken, parse_file, parse_gift, parse_moodle_xml,
)
from lms.content.interchange.common import NO_RATIONALE, question_problems
from lms.content.interchange.qti import QTI_NS, export_qti, export_qti_files
from lms.content.interchange.service import (
    ImportRefused, bank_data, export_questions, import_questions, preview_import,
)
from lms.markdown import render_markdown
from lms.models import AuditEvent, Question, QuestionBank, QuestionVersion

from .conftest import PROJECT_ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "interchange"
CONTENT = Path(__file__).parent / "fixtures" / "content"
DEFAULTS = Defaults(objective="AG-9.1", source="Imported from a test file")


def read(name: str, fmt: str, defaults=DEFAULTS):
    return parse_file((FIXTURES / name).read_bytes(), fmt, defaults)


def by_title(imported) -> dict:
    return {q.title: q.data for q in imported.questions}


def problems_at(imported, severity="error") -> dict:
    """Where -> the messages there (joined by " | ")."""
    found = {}
    for p in imported.problems:
        if p.severity == severity:
            found[p.where] = f"{found[p.where]} | {p.message}" if p.where in found else p.message
    return found


def stripped(value):
    """Texts without their leading and trailing white space (a YAML block scalar's final new line)."""
    if isinstance(value, dict):
        return {k: stripped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [stripped(v) for v in value]
    return value.strip() if isinstance(value, str) else value


def comparable(question: dict) -> dict:
    """A question without where it is filed (the import sets those from its options)."""
    return {k: v for k, v in question.items() if k not in ("source", "objective", "difficulty")}


# -- GIFT -------------------------------------------------------------------


def test_gift_reads_every_supported_feature():
    imported = read("features.gift", "gift")
    q = by_title(imported)
    assert len(imported.questions) == 13
    assert all(question_problems(p.data) == [] for p in imported.questions)  # valid per the bank schema
    assert {p.category for p in imported.questions} == {"$course$/top/Agreement basics"}

    single = q["Supervision"]
    assert single["type"] == "single" and single["objective"] == "AG-9.1" and single["difficulty"] == "medium"
    assert single["stem"] == "Under a 287(g) agreement, **who supervises** the designated officers?"  # [markdown]
    assert [(c["text"], c.get("correct", False)) for c in single["choices"]] == [
        ("ICE", True), ("The sheriff alone", False), ("The county: board of supervisors", False),
        ("A state judge", False)]
    assert single["choices"][0]["feedback"] == "Right: the MOU places them under ICE supervision."
    assert single["rationale"] == "Section 287(g)(3) requires ICE supervision."  # #### general feedback
    assert single["source"] == "Imported from a test file"

    escapes = q["Escapes"]
    assert escapes["stem"] == "Which characters does GIFT escape: ~ = # { } and the colon?"
    assert escapes["choices"][0] == {"id": "a", "text": "All six, with a backslash \\", "correct": True,
                                     "feedback": "Right = yes."}

    assert q["Detainer TF"]["answer"] is True
    assert q["Detainer TF"]["feedback"] == {"true": "Yes: 8 CFR 287.7(d).", "false": "It does ask that: 48 hours."}
    assert q["False one"]["answer"] is False
    assert q["False one"]["feedback"] == {"true": "A consensual encounter is not a seizure.",
                                          "false": "Right: no seizure."}

    assert (q["Hours"]["answer"], q["Hours"]["feedback"]) == (48, "Yes: 48 hours.") and "tolerance" not in q["Hours"]
    assert q["Range"]["range"] == [10, 20] and "answer" not in q["Range"]
    assert q["Multiple numeric"]["answer"] == 48 and q["Multiple numeric"]["feedback"] == "Full marks."

    assert q["Matching"]["pairs"] == [
        {"prompt": "I-247A", "answer": "Immigration detainer"},
        {"prompt": "I-200", "answer": "Warrant for arrest of alien"},
        {"prompt": "I-205", "answer": "Warrant of removal/deportation"}]
    assert q["Matching"]["feedback"] == "The forms are named in the MOU."

    assert q["Short"]["answers"] == ["ICE", "Immigration and Customs Enforcement"]
    assert q["Short"]["feedback"] == "Immigration and Customs Enforcement."

    several = q["Several right"]
    assert several["type"] == "multiple" and several["scoring"] == "partial"
    assert [c.get("correct", False) for c in several["choices"]] == [True, True, False, False]

    tolerance = q["Tolerance"]  # [html]: kept, rendered through the sanitizer
    assert (tolerance["answer"], tolerance["tolerance"]) == (365, 1)
    assert (tolerance["stem"].startswith("<p>How many days")
            and tolerance["rationale"] == "The MOU sets a yearly review.")
    lines = q["New lines"]  # [plain] and the \n escape
    assert lines["stem"] == "First line\nsecond line of the stem."
    assert lines["choices"][0]["feedback"] == "Right.\nIndeed."

    missing = q["Missing word"]
    assert missing["stem"] == "A 287(g) agreement is signed by ICE and _____ that nominates officers."
    assert [c["text"] for c in missing["choices"] if c.get("correct")] == ["the agency"]


def test_gift_reports_what_it_cannot_import_with_its_line():
    imported = read("features.gift", "gift")
    assert problems_at(imported) == {
        "line 51": "essay questions (an empty answer block) are not supported; not imported",
        "line 53": "a description (text without answers) is not a question; not imported",
        "line 55": "2 answers start with '=': a single-answer question has one",
        "line 57": "'forty' is not a number, number:tolerance or minimum..maximum",
        "line 59": "the answers have no closing '}'",
    }
    warnings = problems_at(imported, "warning")
    assert "partial credit (50%)" in warnings["line 8"]  # a weighted wrong choice in a single-answer question
    assert "'72:0' is not kept" in warnings["line 28"]  # a partial-credit numeric alternative
    assert "'Notice to appear'" in warnings["line 35"]  # a matching distractor
    assert "'DHS' earns 50%" in warnings["line 39"]  # a partial-credit short answer
    assert "no general feedback" in warnings["line 13"]
    assert warnings["line 61"] == "HTML text kept as it is: the stem is shown through the sanitizer"
    assert q_rationale(imported, "Escapes") == NO_RATIONALE


def q_rationale(imported, title):
    return by_title(imported)[title]["rationale"]


def test_gift_ids_come_from_content_and_a_repeated_question_is_reported():
    text = (FIXTURES / "features.gift").read_text()
    first, again = parse_gift(text, DEFAULTS), parse_gift(text, Defaults(objective="CR-9.1", difficulty="hard"))
    assert [q.data["id"] for q in first.questions] == [q.data["id"] for q in again.questions]
    assert all(q.data["id"].startswith("imp-") for q in first.questions)
    twice = parse_gift("Q? {=a ~b}\n\nQ? {=a ~b}\n", DEFAULTS)
    assert len(twice.questions) == 1
    assert problems_at(twice) == {"line 3": "the same question appears earlier in the file; imported once"}


def test_exported_gift_reimports_to_the_same_questions():
    imported = read("features.gift", "gift")
    bank = {"id": "agreement", "title": "Agreement", "questions": [q.data for q in imported.questions]}
    text, problems = export_gift(bank)
    assert problems == []
    again = parse_gift(text, DEFAULTS)
    assert [p for p in again.problems if p.severity == "error"] == []
    assert [q.data for q in again.questions] == [q.data for q in imported.questions]


@pytest.mark.parametrize("path", sorted((PROJECT_ROOT / "question_banks").glob("*.yml")), ids=lambda p: p.stem)
def test_every_bundled_bank_survives_a_gift_round_trip(path):
    bank = yaml.safe_load(path.read_text())
    for q in bank["questions"]:  # YAML reads true/false keys as booleans; the catalog names them
        if isinstance(q.get("feedback"), dict):
            q["feedback"] = {str(k).lower(): v for k, v in q["feedback"].items()}
    text, problems = export_gift(bank)
    again = parse_gift(text, DEFAULTS)
    assert [p for p in again.problems if p.severity == "error"] == []
    # What GIFT cannot hold is said, not hidden: all-or-nothing multiple choice (written with partial weights)
    # and a matching question's own feedback (GIFT matching has the general feedback only).
    all_or_nothing = {q["id"] for q in bank["questions"] if q.get("scoring") == "all_or_nothing"}
    matching = {q["id"] for q in bank["questions"] if q["type"] == "matching" and q["feedback"] != q["rationale"]}
    units = {q["id"] for q in bank["questions"] if q.get("unit")}
    case = {q["id"] for q in bank["questions"] if q.get("case_sensitive")}
    assert sorted(p.split(":")[0] for p in problems) == sorted([*all_or_nothing, *matching, *units, *case])
    assert len(again.questions) == len(bank["questions"])
    for original, read_back in zip(bank["questions"], again.questions):
        expected = {k: v for k, v in stripped(comparable(original)).items() if k not in ("id", "family", "status")}
        if original["id"] in all_or_nothing:
            expected["scoring"] = "partial"
        if original["id"] in matching:
            expected["feedback"] = original["rationale"].strip()
        for key, default in (("tolerance", 0), ("case_sensitive", False), ("unit", None), ("case_sensitive", True)):
            if expected.get(key, default) == default or key == "unit":
                expected.pop(key, None)  # a default, or what GIFT cannot hold (reported above)
        assert {k: v for k, v in comparable(read_back.data).items() if k != "id"} == expected


def test_gift_questions_outside_our_limits_are_reported_in_words():
    choices = " ".join(f"~option {i}" for i in range(6))
    imported = parse_gift(f"Seven choices? {{=right {choices}}}\n\nTwo pairs? {{=a -> 1 =b -> 2}}\n\n"
                          "Every one right? {~%50%a ~%50%b}\n", DEFAULTS)
    assert imported.questions == []
    assert problems_at(imported) == {"line 1": "7 choices: a single-answer question has 2 to 6",
                                     "line 3": "2 pairs: a matching question has 3 to 6",
                                     "line 5": "2 choices: a multiple-answer question has 3 to 8"}


def test_moodle_multichoice_without_single_is_single_answer_as_in_moodle():
    xml = (b'<quiz><question type="multichoice"><questiontext><text>Pick one.</text></questiontext>'
           b'<answer fraction="100"><text>a</text></answer><answer fraction="0"><text>b</text></answer>'
           b'</question></quiz>')
    assert parse_moodle_xml(xml, DEFAULTS).questions[0].data["type"] == "single"


def test_plain_text_stems_show_as_written_not_as_markdown():
    gift = parse_gift("[plain]Is *this* <b>bold</b>? {T}\n", DEFAULTS).questions[0].data["stem"]
    xml = parse_moodle_xml(b'<quiz><question type="truefalse"><questiontext format="plain_text"><text>Is *this* '
                           b'&lt;b&gt;bold&lt;/b&gt;?</text></questiontext><answer fraction="100"><text>true</text>'
                           b'</answer><answer fraction="0"><text>false</text></answer></question></quiz>',
                           DEFAULTS).questions[0].data["stem"]
    assert gift == xml
    assert render_markdown(gift) == "<p>Is *this* &lt;b&gt;bold&lt;/b&gt;?</p>"


# -- Aiken ------------------------------------------------------------------


def test_aiken_reads_questions_and_reports_bad_ones_with_their_line():
    imported = read("features.aiken", "aiken")
    first, second = (q.data for q in imported.questions)
    assert first["type"] == "single" and first["stem"].startswith("Which agency supervises")
    assert [c["text"] for c in first["choices"]] == ["U.S. Immigration and Customs Enforcement",
                                                    "The state attorney general", "The county board",
                                                    "The Department of Labor"]  # "A." and "C)" both read
    assert [c.get("correct", False) for c in first["choices"]] == [True, False, False, False]
    assert first["choices"][0]["feedback"] == "Correct." and first["choices"][1]["feedback"] == "Not correct."
    assert second["stem"] == ("Under the Fourth Amendment, a consensual encounter is\na contact the person may end "
                              "at any time:\nwhich is true?")  # a stem over several lines
    assert second["choices"][1]["correct"] is True
    assert problems_at(imported) == {
        "line 18": "'ANSWER: E' names no option (the options are A, B)",
        "line 20": "the question's options are not followed by an 'ANSWER:' line; not imported",
        "line 26": "option C where B was expected; the question is not imported",
    }
    assert "had no feedback" in problems_at(imported, "warning")["line 1"]


def test_aiken_with_too_many_options_or_no_answer_at_the_end():
    options = "\n".join(f"{chr(65 + i)}. option {i}" for i in range(7))
    imported = parse_aiken(f"Seven options?\n{options}\nANSWER: A\n\nLast one\nA. x\nB. y\n", DEFAULTS)
    assert imported.questions == []
    assert problems_at(imported) == {"line 1": "7 options: a single-answer question has 2 to 6",
                                     "line 11": "the last question has no 'ANSWER:' line; not imported"}


# -- Moodle XML -------------------------------------------------------------


def test_moodle_xml_reads_the_supported_types():
    imported = read("features.xml", "moodle-xml")
    q = by_title(imported)
    assert {p.category for p in imported.questions} == {"$course$/top/Imported from Moodle"}
    assert all(question_problems(p.data) == [] for p in imported.questions)
    single = q["Supervision"]
    assert single["type"] == "single"
    assert single["stem"] == "<p>Who <strong>supervises</strong> designated officers?</p>"  # HTML: sanitized later
    assert [c["text"] for c in single["choices"]] == ["ICE", "The sheriff", "The county"]  # choice HTML to text
    assert single["rationale"] == "<p>Section 287(g)(3).</p>"
    models = q["Models"]
    assert (models["type"], models["scoring"]) == ("multiple", "partial")
    assert models["stem"] == "Which are **287(g)** models?"
    assert [c.get("correct", False) for c in models["choices"]] == [True, True, False]
    assert q["All or nothing"]["scoring"] == "all_or_nothing"
    assert q["Detainer"]["answer"] is True
    assert q["Detainer"]["feedback"] == {"true": "Right: 48 hours.", "false": "It does."}
    assert q["Agency"]["answers"] == ["ICE"] and q["Agency"]["case_sensitive"] is True
    assert (q["Hours"]["answer"], q["Hours"]["tolerance"], q["Hours"]["unit"]) == (48, 1, "hours")
    assert [p["prompt"] for p in q["Forms"]["pairs"]] == ["I-247A", "I-200", "I-205"]
    assert q["Forms"]["feedback"] == "All matched."


def test_moodle_xml_reports_unsupported_types_and_answers_by_element_path():
    imported = read("features.xml", "moodle-xml")
    errors = problems_at(imported)
    assert errors == {
        "/quiz/question[9]": "the question type 'essay' is not supported (essay questions are marked by hand); "
                             "not imported",
        "/quiz/question[10]": "the question type 'description' is not supported (a description is text without a "
                              "question); not imported",
        "/quiz/question[11]": "the question type 'calculated' is not supported (calculated questions draw random "
                              "values); not imported",
    }
    warnings = problems_at(imported, "warning")
    assert "partial credit (50%)" in warnings["/quiz/question[2]/answer[3]"]
    assert "wildcard" in warnings["/quiz/question[6]/answer[3]"]
    assert "'Notice to appear'" in warnings["/quiz/question[8]/subquestion[4]"]


def test_moodle_xml_warns_of_embedded_files_and_refuses_what_is_not_a_quiz():
    xml = (b'<quiz><question type="truefalse"><name><text>Img</text></name><questiontext format="html">'
           b'<text><![CDATA[<p>See <img src="@@PLUGINFILE@@/map.png"></p>]]></text>'
           b'<file name="map.png" encoding="base64">aGk=</file></questiontext>'
           b'<generalfeedback><text>Why.</text></generalfeedback>'
           b'<answer fraction="100"><text>true</text><feedback><text>Yes.</text></feedback></answer>'
           b'<answer fraction="0"><text>false</text><feedback><text>No.</text></feedback></answer>'
           b'</question></quiz>')
    imported = parse_moodle_xml(xml, DEFAULTS)
    assert len(imported.questions) == 1
    assert problems_at(imported, "warning") == {
        "/quiz/question": "embedded files (images) are not imported; the text refers to them"}
    with pytest.raises(UnsafeXML, match="the root element is <html>, not <quiz>"):
        parse_moodle_xml(b"<html/>", DEFAULTS)
    with pytest.raises(UnsafeXML, match="not well-formed"):
        parse_moodle_xml(b"<quiz><question></quiz>", DEFAULTS)


@pytest.mark.parametrize("name", ["xxe.xml", "billion-laughs.xml"])
def test_hostile_moodle_xml_is_refused_whole(name):
    with pytest.raises(UnsafeXML, match="document type declaration"):
        read(name, "moodle-xml")


def test_an_entity_in_an_xml_file_never_reads_a_local_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    hostile = (f'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY s SYSTEM "file://{secret}">]>'
               '<quiz><question type="shortanswer"><questiontext><text>&s;</text></questiontext>'
               '<answer fraction="100"><text>x</text></answer></question></quiz>').encode()
    with pytest.raises(UnsafeXML) as refused:
        parse_moodle_xml(hostile, DEFAULTS)
    assert "TOP-SECRET" not in str(refused.value)


def test_exported_moodle_xml_reimports_to_the_same_questions():
    questions = [q.data for q in read("features.xml", "moodle-xml").questions]
    questions += [q.data for q in read("features.gift", "gift").questions]
    data, problems = export_moodle_xml({"id": "mixed", "title": "Mixed", "questions": questions})
    assert problems == []
    again = parse_moodle_xml(data, DEFAULTS)
    assert [p for p in again.problems if p.severity == "error"] == []
    numeric_range = next(q for q in questions if "range" in q)
    expected = []
    for q in questions:
        if q is numeric_range:  # Moodle writes a range as its middle and a tolerance
            low, high = q["range"]
            rest = {k: v for k, v in q.items() if k not in ("range", "feedback", "rationale", "source")}
            q = {**rest, "answer": (low + high) // 2, "tolerance": (high - low) // 2, "feedback": q["feedback"],
                 "rationale": q["rationale"], "source": q["source"]}
        expected.append({k: v for k, v in comparable(q).items() if k != "id"})
    assert [{k: v for k, v in comparable(q.data).items() if k != "id"} for q in again.questions] == expected


# -- QTI 2.1 ----------------------------------------------------------------


def _all_questions():
    return [q.data for q in read("features.xml", "moodle-xml").questions] + \
        [q.data for q in read("features.gift", "gift").questions]


def test_qti_package_has_a_manifest_and_one_item_per_question_with_the_required_parts():
    """Our own structural checks against the QTI 2.1 information model's required elements and attributes
    (no XSD of QTI 2.1 ships in a PyPI package; see the next test for the independent check)."""
    questions = _all_questions()
    package, problems = export_qti({"id": "mixed", "title": "Mixed", "questions": questions})
    assert problems == []
    archive = zipfile.ZipFile(io.BytesIO(package))
    names = set(archive.namelist())
    assert names == {"imsmanifest.xml"} | {f"items/{q['id']}.xml" for q in questions}
    manifest = etree.fromstring(archive.read("imsmanifest.xml"))
    cp = {"cp": "http://www.imsglobal.org/xsd/imscp_v1p1"}
    resources = manifest.findall("cp:resources/cp:resource", cp)
    assert len(resources) == len(questions)
    assert manifest.findtext("cp:metadata/cp:schema", namespaces=cp) == "QTIv2.1 Package"
    for resource in resources:
        assert resource.get("type") == "imsqti_item_xmlv2p1" and resource.get("href") in names
        assert resource.find("cp:file", cp).get("href") == resource.get("href")
    ns = {"q": QTI_NS}
    interactions = {"single": "choiceInteraction", "multiple": "choiceInteraction", "true_false": "choiceInteraction",
                    "short": "textEntryInteraction", "numeric": "textEntryInteraction",
                    "matching": "matchInteraction"}
    for q in questions:
        item = etree.fromstring(archive.read(f"items/{q['id']}.xml"))
        assert item.tag == f"{{{QTI_NS}}}assessmentItem"
        assert {item.get(a) for a in ("identifier", "title", "adaptive", "timeDependent")} >= {q["id"], "false"}
        order = [etree.QName(child).localname for child in item]
        assert order == sorted(order, key=["responseDeclaration", "outcomeDeclaration", "itemBody",
                                           "responseProcessing", "modalFeedback"].index)
        declared = {o.get("identifier") for o in item.findall("q:outcomeDeclaration", ns)}
        modal = item.find("q:modalFeedback", ns)  # the rationale, shown after any response
        assert modal.get("outcomeIdentifier") == "RATIONALE" and modal.get("outcomeIdentifier") in declared
        assert etree.tostring(modal, method="text", encoding=str).strip().endswith(
            etree.fromstring(f"<x>{render_markdown(q['rationale'])}</x>").xpath("string()").strip())
        declaration = item.find("q:responseDeclaration", ns)
        assert declaration.get("identifier") == "RESPONSE" and declaration.get("baseType")
        assert item.find("q:outcomeDeclaration[@identifier='SCORE']", ns) is not None
        interaction = item.find(f".//q:{interactions[q['type']]}", ns)
        assert interaction is not None and interaction.get("responseIdentifier") == "RESPONSE"
        assert item.find("q:responseProcessing", ns) is not None
        if q["type"] in ("single", "multiple"):
            keys = [f"choice_{c['id']}" for c in q["choices"] if c.get("correct")]
            assert [v.text for v in declaration.findall("q:correctResponse/q:value", ns)] == keys
            assert len(interaction.findall("q:simpleChoice", ns)) == len(q["choices"])
            inline = [f.text for f in interaction.findall("q:simpleChoice/q:feedbackInline", ns)]
            assert inline == [c["feedback"] for c in q["choices"]] and "FEEDBACK" in declared


def test_qti_package_round_trips_through_an_independent_qti_implementation():
    """Validation by a round trip through citolab-qti-convert (PyPI; Cito's QTI 2.x <-> 3.0 converter, the
    Python port of @citolab/qti-convert): our QTI 2.1 package is upgraded to QTI 3.0 and back to 2.1, and
    every item keeps its interaction, its key and its scoring. No PyPI package ships the QTI 2.1 XSD, so
    this is the independent check; the structural test above is our own."""
    qti_convert = pytest.importorskip("qti_convert")
    questions = _all_questions()
    files, _ = export_qti_files({"id": "mixed", "title": "Mixed", "questions": questions})
    upgraded = qti_convert.upgrade_package_files(files).files
    manifest3 = upgraded["imsmanifest.xml"]
    manifest3 = manifest3 if isinstance(manifest3, str) else manifest3.decode()
    assert "imsqti_item_xmlv3p0" in manifest3
    for q in questions:
        item3 = upgraded[f"items/{q['id']}.xml"]
        item3 = item3 if isinstance(item3, bytes) else item3.encode()
        root = etree.fromstring(item3)
        assert etree.QName(root).localname == "qti-assessment-item"
        ns3 = {"q": etree.QName(root).namespace}
        keys3 = [v.text for v in root.findall("q:qti-response-declaration/q:qti-correct-response/q:qti-value", ns3)]
        item2 = etree.fromstring(files[f"items/{q['id']}.xml"])
        keys2 = [v.text for v in item2.findall(f"{{{QTI_NS}}}responseDeclaration/{{{QTI_NS}}}correctResponse/"
                                               f"{{{QTI_NS}}}value")]
        assert keys3 == keys2
        assert root.find(".//q:qti-response-processing", ns3) is not None
        interaction3 = {"single": "qti-choice-interaction", "multiple": "qti-choice-interaction",
                        "true_false": "qti-choice-interaction", "short": "qti-text-entry-interaction",
                        "numeric": "qti-text-entry-interaction", "matching": "qti-match-interaction"}[q["type"]]
        assert root.find(f".//q:{interaction3}", ns3) is not None  # recognized as the QTI interaction it is
        assert root.find("q:qti-modal-feedback", ns3) is not None
        if q["type"] in ("single", "multiple", "true_false"):
            assert len(root.findall(".//q:qti-feedback-inline", ns3)) == len(q.get("choices", "tf"))
        declared = root.find("q:qti-response-declaration", ns3)
        assert (declared.get("cardinality"), declared.get("base-type")) == (
            item2.find(f"{{{QTI_NS}}}responseDeclaration").get("cardinality"),
            item2.find(f"{{{QTI_NS}}}responseDeclaration").get("baseType"))
    back = qti_convert.downgrade_package_files(upgraded).files
    for q in questions:
        item = back[f"items/{q['id']}.xml"]
        item = item if isinstance(item, bytes) else item.encode()
        again = etree.fromstring(item)
        original = etree.fromstring(files[f"items/{q['id']}.xml"])
        path = f"{{{QTI_NS}}}responseDeclaration/{{{QTI_NS}}}correctResponse/{{{QTI_NS}}}value"
        assert [v.text for v in again.findall(path)] == [v.text for v in original.findall(path)]


def test_qti_stem_keeps_safe_markup_only():
    question = {**_all_questions()[0], "stem": "A **bold** claim <script>alert(1)</script> [link](https://x.test)"}
    files, _ = export_qti_files({"id": "x", "title": "X", "questions": [question]})
    item = files[f"items/{question['id']}.xml"].decode()
    assert "<strong>bold</strong>" in item and "script" not in item and 'href="https://x.test"' in item


def test_a_type_a_format_cannot_hold_is_reported_by_every_exporter_not_dropped_silently():
    ordering = {"id": "o-001", "type": "ordering", "objective": "AG-9.1", "difficulty": "easy",
                "stem": "Put the steps in order.", "items": ["first", "second", "third"], "feedback": "So.",
                "rationale": "Because.", "source": "Test"}
    bank = {"id": "b", "title": "B", "questions": [_all_questions()[0], ordering]}
    for export in (export_gift, export_moodle_xml, export_qti):
        _, problems = export(bank)
        assert problems == ["o-001: the type 'ordering' has no " + {export_gift: "GIFT form; not exported",
                                                                   export_moodle_xml: "Moodle XML form; not exported",
                                                                   export_qti: "QTI form here; not exported"}[export]]


# -- the service and the database ---------------------------------------------


@pytest.fixture
def synced(db, clock):
    sync_content(CONTENT, now=clock())
    db.session.commit()
    return db


def test_import_stores_versions_rendered_and_sanitized_and_a_second_import_creates_nothing(synced, clock):
    text = (FIXTURES / "features.gift").read_text().replace(
        "Which is right?", "Which is right? <script>alert(1)</script>")
    imported = parse_gift(text + "\n\nHostile <img src=x onerror=alert(1)> stem? {=yes ~no}\n", DEFAULTS)
    report = import_questions(imported, bank="agreement", file_name="features.gift", fmt="gift", actor=None,
                              actor_label="cli:test", now=clock())
    synced.session.commit()
    assert len(report.created) == 14 and report.updated == [] and report.unchanged == []
    hostile = synced.session.scalar(select(Question).where(Question.slug == report.created[-1]))
    assert hostile.bank.slug == "agreement" and hostile.status == "active" and hostile.objective == "AG-9.1"
    version = hostile.current_version
    assert version.number == 1 and version.source_path == "import:features.gift"
    assert "onerror" not in version.rendered["stem"] and "<script" not in version.rendered["stem"]
    positions = synced.session.scalars(select(Question.position).where(Question.slug.in_(report.created))).all()
    assert min(positions) > 0  # after the bank's own questions
    event = synced.session.scalar(select(AuditEvent).where(AuditEvent.action == "questions.import"))
    assert event.details["created"] == 14 and event.details["not_imported"] == 5

    again = import_questions(imported, bank="agreement", file_name="features.gift", fmt="gift", actor=None,
                             actor_label="cli:test", now=clock())
    assert again.created == [] and len(again.unchanged) == 14
    assert synced.session.scalar(select(func.count(QuestionVersion.id))
                                 .join(Question, Question.id == QuestionVersion.question_id)
                                 .where(Question.slug.in_(report.created))) == 14


def test_importing_under_another_objective_makes_a_new_version(synced, clock):
    first = parse_gift("Q one? {=a ~b}\n", DEFAULTS)
    import_questions(first, bank="agreement", file_name="a.gift", fmt="gift", actor=None, now=clock())
    moved = parse_gift("Q one? {=a ~b}\n", Defaults(objective="AG-9.2"))
    report = import_questions(moved, bank="agreement", file_name="a.gift", fmt="gift", actor=None, now=clock())
    question = synced.session.scalar(select(Question).where(Question.slug == report.updated[0]))
    assert question.objective == "AG-9.2" and question.current_version.number == 2


def test_a_question_already_in_another_bank_is_left_there(synced, clock):
    synced.session.add(QuestionBank(slug="other", title="Other", description="", source_path="import",
                                    created_at=clock(), updated_at=clock()))
    imported = parse_gift("Q one? {=a ~b}\n\nQ two? {=a ~b}\n", DEFAULTS)
    import_questions(parse_gift("Q one? {=a ~b}\n", DEFAULTS), bank="other", file_name="a.gift", fmt="gift",
                     actor=None, now=clock())
    assert list(preview_import(imported, bank="agreement").values()) == ["in bank other", "new"]
    report = import_questions(imported, bank="agreement", file_name="b.gift", fmt="gift", actor=None, now=clock())
    assert report.elsewhere == [(imported.questions[0].data["id"], "other")] and len(report.created) == 1


def test_import_refuses_an_unknown_bank_or_objective(synced, clock):
    imported = parse_gift("Q? {=a ~b}\n", Defaults(objective="ZZ-1.1"))
    with pytest.raises(ImportRefused, match="No question bank 'nope'"):
        import_questions(imported, bank="nope", file_name="f", fmt="gift", actor=None, now=clock())
    with pytest.raises(ImportRefused, match="ZZ-1.1"):
        import_questions(imported, bank="agreement", file_name="f", fmt="gift", actor=None, now=clock())


def test_a_bank_exported_from_the_database_reimports_to_the_same_questions(synced, clock):
    bank = bank_data("agreement")
    assert [(q["id"], q["type"]) for q in bank["questions"]] == [("t-001", "single"), ("t-002", "true_false")]
    data, problems = export_questions("agreement", "gift", actor=None, actor_label="cli:test", now=clock())
    again = parse_gift(data.decode(), DEFAULTS)
    assert [p for p in again.problems if p.severity == "error"] == []
    assert [{k: v for k, v in comparable(q.data).items() if k != "id"} for q in again.questions] == \
        [{k: v for k, v in comparable(q).items() if k not in ("id", "family")} for q in bank["questions"]]
    assert synced.session.scalar(select(AuditEvent).where(AuditEvent.action == "questions.export")) is not None


# -- the commands -------------------------------------------------------------


def test_cli_dry_run_previews_and_changes_nothing(app, synced):
    runner = app.test_cli_runner()
    before = synced.session.scalar(select(func.count(Question.id)))
    result = runner.invoke(args=["banks", "import", str(FIXTURES / "features.gift"), "--format", "gift",
                                 "--bank", "agreement", "--objective", "AG-9.1", "--dry-run"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert 'line 5: imp-' in out and 'single "Supervision" (new) [category $course$/top/Agreement basics]' in out
    assert "key a. ICE -- feedback: Right: the MOU places them under ICE supervision." in out
    assert "key: from 10 to 20" in out and "pair: I-247A -> Immigration detainer" in out  # the key as its type says
    assert "key: ICE\n  also accepted: Immigration and Customs Enforcement" in out
    assert "feedback if true: Yes: 8 CFR 287.7(d)." in out and "scoring: partial" in out
    assert "line 51: error: essay questions" in out and "line 59: error: the answers have no closing '}'" in out
    assert "13 questions can be imported; 5 parts of the file cannot." in out and "Dry run" in out
    synced.session.rollback()
    assert synced.session.scalar(select(func.count(Question.id))) == before


def test_cli_imports_then_exports_every_format(app, synced, tmp_path):
    runner = app.test_cli_runner()
    args = ["banks", "import", str(FIXTURES / "features.xml"), "--format", "moodle-xml", "--bank", "agreement",
            "--objective", "AG-9.2"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "Imported into agreement: 7 new questions, 0 new versions, 0 unchanged." in result.output
    assert "Imported into agreement: 0 new questions, 0 new versions, 7 unchanged." in runner.invoke(args=args).output
    preview = runner.invoke(args=[*args[:-1], "AG-9.1", "--dry-run"]).output  # filed under another objective
    assert preview.count("(new version)") == 7 and "(new)" not in preview
    for fmt, name in (("gift", "bank.gift"), ("moodle-xml", "bank.xml"), ("qti", "bank.zip")):
        out = tmp_path / name
        result = runner.invoke(args=["banks", "export", "agreement", "--format", fmt, "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    assert zipfile.ZipFile(tmp_path / "bank.zip").read("imsmanifest.xml").startswith(b"<?xml")
    assert len(parse_gift((tmp_path / "bank.gift").read_text(), DEFAULTS).questions) == 9


def test_cli_refuses_hostile_xml_and_an_unknown_objective(app, synced):
    runner = app.test_cli_runner()
    hostile = runner.invoke(args=["banks", "import", str(FIXTURES / "billion-laughs.xml"), "--format", "moodle-xml",
                                  "--bank", "agreement", "--objective", "AG-9.1"])
    assert hostile.exit_code != 0 and "document type declaration" in hostile.output
    unknown = runner.invoke(args=["banks", "import", str(FIXTURES / "features.aiken"), "--format", "aiken",
                                  "--bank", "agreement", "--objective", "ZZ-9.9"])
    assert unknown.exit_code != 0 and "No module declares the objective ZZ-9.9" in unknown.output
