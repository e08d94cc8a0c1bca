"""IMS QTI 2.1 content package: one assessmentItem per question and an imsmanifest.xml, in a zip.

Written with lxml to the QTI 2.1 information model (final v2.1, 2012): each item declares RESPONSE
(cardinality and base type per type), the outcome SCORE, an itemBody with one interaction, and response
processing written out (what the standard templates match_correct and map_response do, or rules for a
numeric tolerance or range). Each choice's feedback is a feedbackInline shown when the choice is picked
(the FEEDBACK outcome holds the response); the rationale (and a type's one review feedback) is a
modalFeedback shown after any response (the RATIONALE outcome). Stems and feedback are our sanitized
rendering of their Markdown, rebuilt in the QTI namespace with only the XHTML elements QTI allows.

QTI 3.0 is not written: the one maintained converter on PyPI (``citolab-qti-convert``) is GPL-3.0, fine
for a test that checks our package through it, not for the product to ship.
"""
import io
import zipfile

import lxml.html
from lxml import etree

from lms.content.interchange.common import MATCHING, MULTIPLE, NUMERIC, SHORT, SINGLE, TRUE_FALSE
from lms.markdown import render_markdown

QTI_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
QTI_XSD = "http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
CP_XSD = "http://www.imsglobal.org/xsd/imscp_v1p1.xsd"
ITEM_RESOURCE = "imsqti_item_xmlv2p1"

# XHTML elements QTI 2.1's itemBody accepts (a subset of what our sanitizer lets through).
_BLOCK = {"p", "ul", "ol", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "div", "table",
          "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd", "hr", "caption"}
_INLINE = {"em", "strong", "code", "a", "br", "span", "sub", "sup", "b", "i", "abbr", "cite", "q", "kbd",
           "small", "big", "dfn", "samp", "var", "tt"}
_ATTRIBUTES = {"a": {"href"}, "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}


def _q(tag: str) -> str:
    return f"{{{QTI_NS}}}{tag}"


def _sub(parent, tag, text=None, **attrs):
    el = etree.SubElement(parent, _q(tag), {k.rstrip("_"): str(v) for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _copy(source, target) -> None:
    """Copy an HTML fragment's children into a QTI element: allowed elements kept (known attributes
    only), others replaced by their text."""
    target.text = (target.text or "") + (source.text or "")
    for child in source:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _BLOCK or tag in _INLINE:
            attrs = {k: v for k, v in child.attrib.items() if k in _ATTRIBUTES.get(tag, ())}
            new = etree.SubElement(target, _q(tag), attrs)
            _copy(child, new)
            new.tail = child.tail
        else:
            last = target[-1] if len(target) else None
            text = (child.text_content() if tag else "") + (child.tail or "")
            if last is not None:
                last.tail = (last.tail or "") + text
            else:
                target.text += text


def _stem(body, markdown: str) -> None:
    html = render_markdown(markdown)
    holder = lxml.html.fragment_fromstring(html, create_parent="div")
    stem = _sub(body, "div", class_="stem")
    _copy(holder, stem)
    if not len(stem) and not (stem.text or "").strip():
        stem.text = markdown


def identifier(slug: str) -> str:
    """A question id as a QTI identifier (an XML name: it cannot start with a digit)."""
    return slug if slug[:1].isalpha() else f"Q_{slug}"


def _item(q: dict):
    kind = q["type"]
    item = etree.Element(_q("assessmentItem"), nsmap={None: QTI_NS, "xsi": XSI_NS})
    item.set(f"{{{XSI_NS}}}schemaLocation", f"{QTI_NS} {QTI_XSD}")
    item.set("identifier", identifier(q["id"]))
    item.set("title", q["id"])
    item.set("adaptive", "false")
    item.set("timeDependent", "false")
    builder = _BUILDERS.get(kind)
    if builder is None:
        return None
    return builder(item, q)


def _outcome(item, feedback_cardinality: str | None = None) -> None:
    """SCORE and MAXSCORE; FEEDBACK (the chosen choices, for their inline feedback) when asked; RATIONALE
    (always set, so the modal feedback holding the rationale is shown after the response)."""
    score = _sub(item, "outcomeDeclaration", identifier="SCORE", cardinality="single", baseType="float")
    _sub(_sub(score, "defaultValue"), "value", "0")
    maximum = _sub(item, "outcomeDeclaration", identifier="MAXSCORE", cardinality="single", baseType="float")
    _sub(_sub(maximum, "defaultValue"), "value", "1")
    if feedback_cardinality:
        _sub(item, "outcomeDeclaration", identifier="FEEDBACK", cardinality=feedback_cardinality,
             baseType="identifier")
    _sub(item, "outcomeDeclaration", identifier="RATIONALE", cardinality="single", baseType="identifier")


def _processing(item, rule: str, feedback: bool = False):
    """Response processing written out (what the standard templates match_correct and map_response do),
    then the feedback outcomes: the chosen choices, and the rationale."""
    processing = _sub(item, "responseProcessing")
    condition = _sub(processing, "responseCondition")
    if rule == "match_correct":
        test = _sub(_sub(condition, "responseIf"), "match")
        _sub(test, "variable", identifier="RESPONSE")
        _sub(test, "correct", identifier="RESPONSE")
        _set_score(test.getparent(), "1")
        _set_score(_sub(condition, "responseElse"), "0")
    else:  # map_response
        empty = _sub(condition, "responseIf")
        _sub(_sub(empty, "isNull"), "variable", identifier="RESPONSE")
        _set_score(empty, "0")
        mapped = _sub(_sub(condition, "responseElse"), "setOutcomeValue", identifier="SCORE")
        _sub(mapped, "mapResponse", identifier="RESPONSE")
    _feedback_rules(processing, feedback)
    return processing


def _feedback_rules(processing, feedback: bool) -> None:
    if feedback:
        _sub(_sub(processing, "setOutcomeValue", identifier="FEEDBACK"), "variable", identifier="RESPONSE")
    _sub(_sub(processing, "setOutcomeValue", identifier="RATIONALE"), "baseValue", "rationale",
         baseType="identifier")


def _modal(item, q, with_feedback: bool) -> None:
    """The rationale (and, for a type with one review feedback, that feedback first) as modal feedback."""
    modal = _sub(item, "modalFeedback", outcomeIdentifier="RATIONALE", identifier="rationale", showHide="show",
                 title="Rationale")
    texts = ([q["feedback"]] if with_feedback and isinstance(q.get("feedback"), str) else []) + [q["rationale"]]
    for text in texts:
        holder = lxml.html.fragment_fromstring(render_markdown(text), create_parent="div")
        block = _sub(modal, "div")
        _copy(holder, block)


def _inline_feedback(choice_el, identifier: str, text: str) -> None:
    note = _sub(choice_el, "feedbackInline", outcomeIdentifier="FEEDBACK", identifier=identifier, showHide="show")
    note.text = text


def _choice_item(item, q):
    multiple = q["type"] == MULTIPLE
    declaration = _sub(item, "responseDeclaration", identifier="RESPONSE",
                       cardinality="multiple" if multiple else "single", baseType="identifier")
    correct = _sub(declaration, "correctResponse")
    keys = [c for c in q["choices"] if c.get("correct")]
    for choice in keys:
        _sub(correct, "value", f"choice_{choice['id']}")
    partial = multiple and q.get("scoring") == "partial"
    if partial:
        share = 1 / len(keys)
        mapping = _sub(declaration, "mapping", lowerBound="0", upperBound="1", defaultValue="0")
        for choice in q["choices"]:
            _sub(mapping, "mapEntry", mapKey=f"choice_{choice['id']}",
                 mappedValue=f"{share if choice.get('correct') else -share:.6g}", caseSensitive="true")
    _outcome(item, "multiple" if multiple else "single")
    body = _sub(item, "itemBody")
    _stem(body, q["stem"])
    interaction = _sub(body, "choiceInteraction", responseIdentifier="RESPONSE", shuffle="true",
                       maxChoices="0" if multiple else "1")
    for choice in q["choices"]:
        element = _sub(interaction, "simpleChoice", choice["text"], identifier=f"choice_{choice['id']}")
        _inline_feedback(element, f"choice_{choice['id']}", choice["feedback"])
    _processing(item, "map_response" if partial else "match_correct", feedback=True)
    _modal(item, q, with_feedback=False)
    return item


def _true_false_item(item, q):
    declaration = _sub(item, "responseDeclaration", identifier="RESPONSE", cardinality="single",
                       baseType="identifier")
    _sub(_sub(declaration, "correctResponse"), "value", "true" if q["answer"] else "false")
    _outcome(item, SINGLE)
    body = _sub(item, "itemBody")
    _stem(body, q["stem"])
    interaction = _sub(body, "choiceInteraction", responseIdentifier="RESPONSE", shuffle="false", maxChoices="1")
    for value, label in (("true", "True"), ("false", "False")):
        _inline_feedback(_sub(interaction, "simpleChoice", label, identifier=value), value, q["feedback"][value])
    _processing(item, "match_correct", feedback=True)
    _modal(item, q, with_feedback=False)
    return item


def _short_item(item, q):
    declaration = _sub(item, "responseDeclaration", identifier="RESPONSE", cardinality="single",
                       baseType="string")
    _sub(_sub(declaration, "correctResponse"), "value", q["answers"][0])
    mapping = _sub(declaration, "mapping", defaultValue="0")
    for answer in q["answers"]:
        _sub(mapping, "mapEntry", mapKey=answer, mappedValue="1",
             caseSensitive="true" if q.get("case_sensitive") else "false")
    _outcome(item)
    body = _sub(item, "itemBody")
    _stem(body, q["stem"])
    _sub(_sub(body, "p"), "textEntryInteraction", responseIdentifier="RESPONSE", expectedLength="40")
    _processing(item, "map_response")
    _modal(item, q, with_feedback=True)
    return item


def _set_score(parent, value: str) -> None:
    _sub(_sub(parent, "setOutcomeValue", identifier="SCORE"), "baseValue", value, baseType="float")


def _numeric_item(item, q):
    declaration = _sub(item, "responseDeclaration", identifier="RESPONSE", cardinality="single", baseType="float")
    if "answer" in q:
        _sub(_sub(declaration, "correctResponse"), "value", f"{q['answer']}")
    _outcome(item)
    body = _sub(item, "itemBody")
    _stem(body, q["stem"])
    paragraph = _sub(body, "p")
    _sub(paragraph, "textEntryInteraction", responseIdentifier="RESPONSE", expectedLength="12")
    if q.get("unit"):
        _sub(paragraph, "span", f" {q['unit']}")
    processing = _sub(item, "responseProcessing")
    condition = _sub(_sub(processing, "responseCondition"), "responseIf")
    if "range" in q:
        both = _sub(condition, "and")
        for test, bound in (("gte", q["range"][0]), ("lte", q["range"][1])):
            check = _sub(both, test)
            _sub(check, "variable", identifier="RESPONSE")
            _sub(check, "baseValue", f"{bound}", baseType="float")
    else:
        tolerance = q.get("tolerance", 0)
        equal = _sub(condition, "equal", toleranceMode="absolute" if tolerance else "exact")
        if tolerance:
            equal.set("tolerance", f"{tolerance} {tolerance}")
        _sub(equal, "variable", identifier="RESPONSE")
        _sub(equal, "baseValue", f"{q['answer']}", baseType="float")
    _set_score(condition, "1")
    _set_score(_sub(condition.getparent(), "responseElse"), "0")
    _feedback_rules(processing, feedback=False)
    _modal(item, q, with_feedback=True)
    return item


def _matching_item(item, q):
    pairs = q["pairs"]
    declaration = _sub(item, "responseDeclaration", identifier="RESPONSE", cardinality="multiple",
                       baseType="directedPair")
    correct = _sub(declaration, "correctResponse")
    for i, _ in enumerate(pairs):
        _sub(correct, "value", f"prompt_{i} answer_{i}")
    mapping = _sub(declaration, "mapping", lowerBound="0", upperBound="1", defaultValue="0")
    for i, _ in enumerate(pairs):
        _sub(mapping, "mapEntry", mapKey=f"prompt_{i} answer_{i}", mappedValue=f"{1 / len(pairs):.6g}",
             caseSensitive="true")
    _outcome(item)
    body = _sub(item, "itemBody")
    _stem(body, q["stem"])
    interaction = _sub(body, "matchInteraction", responseIdentifier="RESPONSE", shuffle="true",
                       maxAssociations=str(len(pairs)))
    prompts, answers = _sub(interaction, "simpleMatchSet"), _sub(interaction, "simpleMatchSet")
    for i, pair in enumerate(pairs):
        _sub(prompts, "simpleAssociableChoice", pair["prompt"], identifier=f"prompt_{i}", matchMax="1")
        _sub(answers, "simpleAssociableChoice", pair["answer"], identifier=f"answer_{i}", matchMax="1")
    _processing(item, "map_response")
    _modal(item, q, with_feedback=True)
    return item


_BUILDERS = {
    SINGLE: _choice_item,
    MULTIPLE: _choice_item,
    TRUE_FALSE: _true_false_item,
    SHORT: _short_item,
    NUMERIC: _numeric_item,
    MATCHING: _matching_item,
}


def _manifest(bank: dict, hrefs: list[tuple[str, str]]) -> bytes:
    def cp(tag):
        return f"{{{CP_NS}}}{tag}"

    manifest = etree.Element(cp("manifest"), nsmap={None: CP_NS, "xsi": XSI_NS},
                             identifier=f"MANIFEST-{bank['id']}")
    manifest.set(f"{{{XSI_NS}}}schemaLocation", f"{CP_NS} {CP_XSD}")
    metadata = etree.SubElement(manifest, cp("metadata"))
    etree.SubElement(metadata, cp("schema")).text = "QTIv2.1 Package"
    etree.SubElement(metadata, cp("schemaversion")).text = "2.1.0"
    etree.SubElement(manifest, cp("organizations"))
    resources = etree.SubElement(manifest, cp("resources"))
    for slug, href in hrefs:
        resource = etree.SubElement(resources, cp("resource"), identifier=f"RES-{slug}", type=ITEM_RESOURCE,
                                    href=href)
        etree.SubElement(resource, cp("file"), href=href)
    return etree.tostring(manifest, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def export_qti_files(bank: dict) -> tuple[dict[str, bytes], list[str]]:
    """The package's files ({path: bytes}) and what could not be written."""
    files, hrefs, problems = {}, [], []
    for q in bank["questions"]:
        item = _item(q)
        if item is None:
            problems.append(f"{q['id']}: the type {q['type']!r} has no QTI form here; not exported")
            continue
        href = f"items/{q['id']}.xml"
        files[href] = etree.tostring(item, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        hrefs.append((q["id"], href))
    files = {"imsmanifest.xml": _manifest(bank, hrefs), **files}
    return files, problems


def export_qti(bank: dict) -> tuple[bytes, list[str]]:
    """A bank as a QTI 2.1 content package (zip bytes), and what could not be written."""
    files, problems = export_qti_files(bank)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return buffer.getvalue(), problems
