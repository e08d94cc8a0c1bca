"""Moodle XML: read a quiz file into bank questions, write a bank as Moodle XML.

Libraries evaluated (PyPI, December 2026), none kept:
- ``moodle-xml-parser`` 0.3.1 (2025): parses with the standard library's ElementTree (no control over
  entities or DTDs beyond the interpreter's expat), drops what it does not know without a word, and keeps
  no element paths for problems.
- ``moodle-questions`` 0.2.1 (2020): writes Moodle XML from Python objects; no reader; unmaintained.
So this reads the XML with lxml (already a dependency), with a parser that resolves no entity, loads no
DTD and reaches no network, and refuses a document with a DOCTYPE at all (XXE, billion laughs). Every
problem names its element path (``/quiz/question[3]/answer[2]``).

Supported: multichoice (single and multiple answers), multichoiceset (all or nothing), truefalse,
shortanswer, numerical, matching. Reported, never dropped silently: essay, description, calculated*,
multianswer (cloze), drag-and-drop, gapselect, random* and any other type.
"""
import re

import lxml.html
from lxml import etree

from lms.content.interchange.common import (
    DEFAULT_RIGHT, DEFAULT_WRONG, MATCHING, MULTIPLE, NUMERIC, SHORT, SINGLE, TRUE_FALSE, Defaults, Imported,
    choice_ids, default_feedback, equal_weights, finish, number, plain_text, plain_to_markdown, weight_text,
)

MAX_BYTES = 20 * 1024 * 1024


_NO_DOCTYPE = ("a document type declaration (<!DOCTYPE ...>) is not accepted: it can define entities that read "
               "local files or expand without end")


class UnsafeXML(ValueError):
    """An XML document refused before any question is read (a DOCTYPE, entities, not XML)."""


def safe_parser() -> etree.XMLParser:
    """lxml configured against XXE and entity expansion: no entity resolved, no DTD, no network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def parse_xml(data: bytes, root_name: str):
    """The root element of a document, or UnsafeXML: a DOCTYPE or an entity declaration is refused."""
    if len(data) > MAX_BYTES:
        raise UnsafeXML(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        tree = etree.ElementTree(etree.fromstring(data, safe_parser()))
    except etree.XMLSyntaxError as error:
        if b"<!DOCTYPE" in data:
            raise UnsafeXML(_NO_DOCTYPE) from None
        raise UnsafeXML(f"not well-formed XML: {error}") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeXML(_NO_DOCTYPE)
    root = tree.getroot()
    if root.tag != root_name:
        raise UnsafeXML(f"the root element is <{root.tag}>, not <{root_name}>")
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise UnsafeXML(f"an entity reference ({node.text}) is not accepted")
    return root


UNSUPPORTED = {
    "essay": "essay questions are marked by hand",
    "description": "a description is text without a question",
    "calculated": "calculated questions draw random values",
    "calculatedsimple": "calculated questions draw random values",
    "calculatedmulti": "calculated questions draw random values",
    "multianswer": "embedded answers (cloze) hold several questions in one text",
    "ddwtos": "drag-and-drop questions are not supported",
    "ddimageortext": "drag-and-drop questions are not supported",
    "ddmarker": "drag-and-drop questions are not supported",
    "gapselect": "select-missing-words questions are not supported",
    "randomsamatch": "random short-answer matching draws other questions",
    "random": "a random question is a slot, not a question",
}


def _path(el) -> str:
    return el.getroottree().getpath(el)


def _text(el, name: str = "text") -> str:
    node = el.find(name) if el is not None else None
    return (node.text or "") if node is not None else ""


def _formatted(el, plain: bool):
    """The text of an element holding <text> and a format: as Markdown for a stem or feedback (HTML kept,
    the sanitizer renders it), as plain text for a choice, an answer or a matching pair."""
    if el is None:
        return ""
    text, fmt = _text(el), el.get("format", "html")
    if fmt == "html" and plain and text.strip():
        text = lxml.html.fromstring(f"<div>{text}</div>").text_content()
    if plain:
        return plain_text(text)
    return plain_to_markdown(text.strip()) if fmt == "plain_text" else text.strip()


def _fraction(result, el):
    raw = el.get("fraction", "0")
    try:
        return float(raw)
    except ValueError:
        result.error(_path(el), f"the fraction {raw!r} is not a number")
        return None


def parse_moodle_xml(data: bytes, defaults: Defaults) -> Imported:
    """Read a Moodle XML quiz into bank questions and the problems, each at its element path. Raises
    UnsafeXML for a document refused whole."""
    root = parse_xml(data, "quiz")
    result = Imported()
    category = ""
    for question in root.iterfind("question"):
        kind = question.get("type", "")
        where = _path(question)
        if kind == "category":
            category = _text(question.find("category")).strip()
            continue
        reader = _READERS.get(kind)
        if reader is None:
            reason = UNSUPPORTED.get(kind, "this type is not one of ours")
            result.error(where, f"the question type {kind!r} is not supported ({reason}); not imported")
            continue
        if question.find(".//file") is not None or "@@PLUGINFILE@@" in etree.tostring(question, encoding=str):
            result.warn(where, "embedded files (images) are not imported; the text refers to them")
        draft = reader(result, question)
        if draft is None:
            continue
        stem = _formatted(question.find("questiontext"), plain=False)
        finish(result, {"stem": stem, **draft}, defaults, where, title=_text(question.find("name")).strip(),
               category=category, rationale=_formatted(question.find("generalfeedback"), plain=False))
    return result


def _answers(result, question):
    out = []
    for answer in question.iterfind("answer"):
        fraction = _fraction(result, answer)
        if fraction is None:
            return None
        out.append({"el": answer, "fraction": fraction, "text": _formatted(answer, plain=True),
                    "feedback": _formatted(answer.find("feedback"), plain=False)})
    return out


def _choices(items, correct):
    return [{"id": cid, "text": a["text"], **({"correct": True} if correct(a) else {}), "feedback": a["feedback"]}
            for cid, a in zip(choice_ids(len(items)), items)]


def _multichoice(result, question):
    answers = _answers(result, question)
    if answers is None:
        return None
    where = _path(question)
    if (_text(question, "single").strip().lower() or "true") in ("true", "1"):  # Moodle's default: single
        full = [a for a in answers if a["fraction"] >= 100]
        if len(full) != 1:
            result.error(where, f"{len(full)} answers earn 100%: a single-answer question has one key")
            return None
        for a in answers:
            if 0 < a["fraction"] < 100:
                result.warn(_path(a["el"]), f"partial credit ({weight_text(a['fraction'])}%) for {a['text']!r} is "
                                            "not kept: single-answer questions score the key only")
        choices = _choices(answers, lambda a: a["fraction"] >= 100)
        default_feedback(result, where, choices)
        return {"type": SINGLE, "choices": choices}
    positive = [a["fraction"] for a in answers if a["fraction"] > 0]
    if not positive:
        result.error(where, "no answer earns credit")
        return None
    share = 100 / len(positive)
    if not equal_weights(positive) or abs(sum(positive) - 100) > 0.1:
        result.warn(where, "the right answers' fractions are read as equal shares of "
                           f"{weight_text(share)}%: partial scoring gives each right choice an equal share")
    if any(abs(a["fraction"] + share) > 0.1 for a in answers if a["fraction"] <= 0):
        result.warn(where, f"wrong choices are read as -{weight_text(share)}% each: partial scoring takes one "
                           "right choice's share off for each wrong choice picked (never below zero)")
    choices = _choices(answers, lambda a: a["fraction"] > 0)
    default_feedback(result, where, choices)
    return {"type": MULTIPLE, "scoring": "partial", "choices": choices}


def _multichoiceset(result, question):
    answers = _answers(result, question)
    if answers is None:
        return None
    choices = _choices(answers, lambda a: a["fraction"] > 0)
    default_feedback(result, _path(question), choices)
    return {"type": MULTIPLE, "scoring": "all_or_nothing", "choices": choices}


def _truefalse(result, question):
    answers = _answers(result, question)
    if answers is None:
        return None
    by_value = {a["text"].strip().lower(): a for a in answers}
    if set(by_value) != {"true", "false"}:
        result.error(_path(question), "a true/false question needs the answers 'true' and 'false'")
        return None
    key = by_value["true"]["fraction"] >= 100
    feedback = {}
    for value, answer in by_value.items():
        right = (value == "true") == key
        feedback[value] = answer["feedback"] or (DEFAULT_RIGHT if right else DEFAULT_WRONG)
    if not all(a["feedback"] for a in answers):
        result.warn(_path(question), f'feedback missing for an answer: "{DEFAULT_RIGHT}" or "{DEFAULT_WRONG}" '
                                     "was written")
    return {"type": TRUE_FALSE, "answer": key, "feedback": feedback}


def _review_feedback(result, question, feedbacks):
    distinct = list(dict.fromkeys(f for f in feedbacks if f))
    if len(distinct) > 1:
        result.warn(_path(question), "the answers have different feedback; the question has one, so they are "
                                     "joined")
    if distinct:
        return " ".join(distinct)
    combined = _formatted(question.find("correctfeedback"), plain=False)
    if combined:
        return combined
    general = _formatted(question.find("generalfeedback"), plain=False)
    if general:
        return general
    result.warn(_path(question), "no feedback: the review will say only whether the answer was right")
    return "See the correct answer above."


def _shortanswer(result, question):
    answers = _answers(result, question)
    if answers is None:
        return None
    accepted, feedbacks = [], []
    for a in answers:
        if a["fraction"] < 100:
            if a["fraction"] > 0:
                result.warn(_path(a["el"]), f"the answer {a['text']!r} earns {weight_text(a['fraction'])}%; short "
                                            "answers here are right or wrong, so it is not accepted")
            continue
        if "*" in a["text"]:
            result.warn(_path(a["el"]), f"the answer {a['text']!r} uses the wildcard '*', which is not supported; "
                                        "not accepted")
            continue
        accepted.append(a["text"])
        feedbacks.append(a["feedback"])
    if not accepted:
        result.error(_path(question), "no answer earns full marks")
        return None
    draft = {"type": SHORT, "answers": accepted, "feedback": _review_feedback(result, question, feedbacks)}
    if _text(question, "usecase").strip() == "1":
        draft["case_sensitive"] = True
    return draft


def _numerical(result, question):
    answers = _answers(result, question)
    if answers is None:
        return None
    full = [a for a in answers if a["fraction"] >= 100]
    for a in answers:
        if a not in full[:1]:
            result.warn(_path(a["el"]), f"the numeric answer {a['text']!r} is not kept: a numeric question here "
                                        "has one right answer, no partial credit")
    if not full:
        result.error(_path(question), "no numeric answer earns full marks")
        return None
    answer = full[0]
    try:
        draft = {"type": NUMERIC, "answer": number(answer["text"])}
        tolerance = float(_text(answer["el"], "tolerance") or 0)
    except ValueError:
        result.error(_path(answer["el"]), f"{answer['text']!r} is not a number")
        return None
    if tolerance:
        draft["tolerance"] = abs(number(repr(tolerance)))
    units = [u for u in question.iterfind("units/unit") if _text(u, "multiplier").strip() in ("1", "1.0", "")]
    if units and _text(units[0], "unit_name").strip():
        draft["unit"] = _text(units[0], "unit_name").strip()
    if len(question.findall("units/unit")) > 1:
        result.warn(_path(question), "only the unit with multiplier 1 is kept; other units are not accepted")
    draft["feedback"] = _review_feedback(result, question, [answer["feedback"]])
    return draft


def _matching(result, question):
    pairs = []
    for sub in question.iterfind("subquestion"):
        prompt = _formatted(sub, plain=True)
        target = plain_text(_text(sub.find("answer")))
        if not prompt:
            result.warn(_path(sub), f"the extra answer {target!r} (a distractor with no prompt) is not kept: "
                                    "matching questions here offer the pairs' answers only")
            continue
        pairs.append({"prompt": prompt, "answer": target})
    return {"type": MATCHING, "pairs": pairs, "feedback": _review_feedback(result, question, [])}


_READERS = {
    "multichoice": _multichoice,
    "multichoiceset": _multichoiceset,
    "truefalse": _truefalse,
    "shortanswer": _shortanswer,
    "numerical": _numerical,
    "matching": _matching,
}


# -- export -----------------------------------------------------------------


def _add_text(parent, name, text, fmt=None):
    el = etree.SubElement(parent, name)
    if fmt:
        el.set("format", fmt)
    inner = etree.SubElement(el, "text")
    inner.text = etree.CDATA(text) if text and re.search(r"[<>&]", text) else text
    return el


def _answer(question, fraction, text, feedback="", fmt="plain_text"):
    answer = etree.SubElement(question, "answer", fraction=weight_text(fraction), format=fmt)
    inner = etree.SubElement(answer, "text")
    inner.text = text
    if feedback:
        _add_text(answer, "feedback", feedback, "markdown")
    return answer


def _export_question(quiz, q, problems):
    kinds = {SINGLE: "multichoice", MULTIPLE: "multichoice", TRUE_FALSE: "truefalse",
             SHORT: "shortanswer", NUMERIC: "numerical", MATCHING: "matching"}
    kind = kinds.get(q["type"])
    if q["type"] == MULTIPLE and q.get("scoring") != "partial":
        kind = "multichoiceset"
    if kind is None:
        problems.append(f"{q['id']}: the type {q['type']!r} has no Moodle XML form; not exported")
        return
    el = etree.SubElement(quiz, "question", type=kind)
    _add_text(el, "name", q["id"])
    _add_text(el, "questiontext", q["stem"], "markdown")
    _add_text(el, "generalfeedback", q.get("rationale", ""), "markdown")
    etree.SubElement(el, "defaultgrade").text = "1"
    etree.SubElement(el, "penalty").text = "0"
    etree.SubElement(el, "hidden").text = "0"
    etree.SubElement(el, "idnumber").text = q["id"]
    _EXPORTERS[q["type"]](el, q)


def _export_choices(el, q):
    keys = sum(1 for c in q["choices"] if c.get("correct"))
    if q["type"] == SINGLE or q.get("scoring") == "partial":
        etree.SubElement(el, "single").text = "true" if q["type"] == SINGLE else "false"
    etree.SubElement(el, "shuffleanswers").text = "1"
    etree.SubElement(el, "answernumbering").text = "abc"
    for c in q["choices"]:
        if q["type"] == SINGLE:
            fraction = 100 if c.get("correct") else 0
        elif q.get("scoring") == "partial":
            fraction = 100 / keys if c.get("correct") else -100 / keys
        else:
            fraction = 100 if c.get("correct") else 0
        _answer(el, fraction, c["text"], c["feedback"])


def _export_true_false(el, q):
    for value in ("true", "false"):
        _answer(el, 100 if (value == "true") == q["answer"] else 0, value, q["feedback"][value],
                fmt="moodle_auto_format")


def _export_short(el, q):
    etree.SubElement(el, "usecase").text = "1" if q.get("case_sensitive") else "0"
    for text in q["answers"]:
        _answer(el, 100, text, q["feedback"])


def _export_numeric(el, q):
    if "range" in q:
        low, high = q["range"]
        answer, tolerance = (low + high) / 2, (high - low) / 2
    else:
        answer, tolerance = q["answer"], q.get("tolerance", 0)
    node = _answer(el, 100, f"{answer}", q["feedback"], fmt="moodle_auto_format")
    etree.SubElement(node, "tolerance").text = f"{tolerance}"
    if q.get("unit"):
        unit = etree.SubElement(etree.SubElement(el, "units"), "unit")
        etree.SubElement(unit, "multiplier").text = "1"
        etree.SubElement(unit, "unit_name").text = q["unit"]


def _export_matching(el, q):
    etree.SubElement(el, "shuffleanswers").text = "true"
    for name in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
        _add_text(el, name, q["feedback"], "markdown")
    for pair in q["pairs"]:
        sub = _add_text(el, "subquestion", pair["prompt"], "plain_text")
        _add_text(sub, "answer", pair["answer"])


_EXPORTERS = {
    SINGLE: _export_choices,
    MULTIPLE: _export_choices,
    TRUE_FALSE: _export_true_false,
    SHORT: _export_short,
    NUMERIC: _export_numeric,
    MATCHING: _export_matching,
}


def export_moodle_xml(bank: dict) -> tuple[bytes, list[str]]:
    """A bank (the bank-format dict) as a Moodle XML quiz file, and what could not be written as it is."""
    problems: list[str] = []
    quiz = etree.Element("quiz")
    category = etree.SubElement(quiz, "question", type="category")
    _add_text(category, "category", f"$course$/top/{bank['id']}")
    for q in bank["questions"]:
        _export_question(quiz, q, problems)
    return etree.tostring(quiz, xml_declaration=True, encoding="UTF-8", pretty_print=True), problems
