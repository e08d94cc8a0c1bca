"""GIFT (Moodle's "General Import Format Template"): read a file into bank questions, write a bank as GIFT.

Libraries evaluated (PyPI, December 2026), none kept:
- ``pygiftparser`` 1.1 (2017): unmaintained; builds HTML for its own player, keeps no line numbers.
- ``pygiftparserrgmf`` 0.0.5 (2022): a PLY grammar whose results live in module globals (not safe for two
  imports at once), prints lexer errors to stdout instead of returning them, keeps no line numbers; needs
  ``ply``, itself no longer released.
- ``gift-to-moodlexml`` (listed, 2026): not served by the package index here; it converts GIFT to Moodle
  XML text rather than to a model, so we would still parse XML afterwards.
So this is a small grammar-based parser of our own, written to Moodle's GIFT documentation:

    file      = { blank-line | comment-line | category-line | question }      (questions end at a blank line)
    comment   = "//" ... end of line
    category  = "$CATEGORY:" path
    question  = [ "::" title "::" ] [ "[" format "]" ] text [ "{" answers "}" [ text ] ]
    answers   = ""                                    essay: not supported, reported
              | ( "T" | "TRUE" | "F" | "FALSE" ) [ "#" feedback [ "#" feedback ] ]
              | "#" numeric { numeric-alternative }
              | choice { choice }
              , [ "####" general-feedback ]
    choice    = ( "=" | "~" ) [ "%" weight "%" ] text [ "->" text ] [ "#" feedback ]
    numeric   = number [ ":" tolerance ] | number ".." number
    escapes   = \\~  \\=  \\#  \\{  \\}  \\:  \\\\  and \\n (a new line)

A question with text after its answers is a "missing word" question: the stem gets a blank (_____) where
the answers were. Which of our types an answer block becomes is decided in ``_answers`` (one place per
type): "=" alone is short answer, "=" and "~" single choice, "~" with positive weights multiple choice,
"=a -> b" matching. Weights become partial credit where our types have it (multiple choice); elsewhere
the answer is reported.
"""
import re

from lms.content.interchange.common import (
    DEFAULT_RIGHT, DEFAULT_WRONG, MATCHING, MULTIPLE, NUMERIC, SHORT, SINGLE, TRUE_FALSE, Defaults, Imported,
    choice_ids, default_feedback, equal_weights, finish, number, plain_text, plain_to_markdown, weight_text,
)

_ESCAPABLE = "~=#{}:\\"
# Escaped characters become private-use characters while the structure is read, then are put back.
_HIDE = {c: chr(0xE000 + i) for i, c in enumerate(_ESCAPABLE)}
_HIDE["n"] = chr(0xE0FF)
_SHOW = {v: ("\n" if k == "n" else k) for k, v in _HIDE.items()}
_WEIGHT = re.compile(r"^\s*%(-?[0-9]+(?:\.[0-9]+)?)%")
_FORMAT = re.compile(r"^\s*\[(markdown|html|plain|moodle)\]", re.I)
_TRUE_FALSE = re.compile(r"^(TRUE|T|FALSE|F)(?=\s*(#|$))")
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_RANGE = re.compile(rf"^({_NUMBER})\.\.({_NUMBER})$")
_TOLERANCE = re.compile(rf"^({_NUMBER})(?::({_NUMBER}))?$")


def _hide(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _HIDE.get(m.group(1), m.group(0)), text)


def _show(text: str) -> str:
    return "".join(_SHOW.get(c, c) for c in text)


def _blocks(text: str):
    """(first line number, lines) of each question or category, blank lines and comments left out."""
    block, start = [], 0
    for number_, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        if not stripped:
            if block:
                yield start, block
            block = []
            continue
        if stripped.upper().startswith("$CATEGORY:"):
            if block:
                yield start, block
            yield number_, [stripped]
            block = []
            continue
        if not block:
            start = number_
        block.append(line)
    if block:
        yield start, block


def parse_gift(text: str, defaults: Defaults) -> Imported:
    """Read GIFT text into bank questions and the problems, each at its line."""
    result = Imported()
    category = ""
    for start, lines in _blocks(text.lstrip("\ufeff")):
        if lines[0].strip().upper().startswith("$CATEGORY:"):
            category = lines[0].strip()[len("$CATEGORY:"):].strip()
            continue
        _question(result, start, _hide("\n".join(lines)), defaults, category)
    return result


def _line(start: int, block: str, offset: int) -> str:
    return f"line {start + block.count(chr(10), 0, max(offset, 0))}"


def _question(result: Imported, start: int, block: str, defaults: Defaults, category: str) -> None:
    where = f"line {start}"
    title, body, body_at = "", block, 0
    stripped = block.lstrip()
    if stripped.startswith("::"):
        end = stripped.find("::", 2)
        if end < 0:
            result.error(where, "the title has no closing '::'")
            return
        title = _show(stripped[2:end]).strip()
        body_at = len(block) - len(stripped) + end + 2
        body = block[body_at:]
    fmt = _FORMAT.match(body)
    if fmt:
        body_at += fmt.end()
        body = body[fmt.end():]
    text_format = fmt.group(1).lower() if fmt else "moodle"
    opening = body.find("{")
    if opening < 0:
        result.error(where, "a description (text without answers) is not a question; not imported")
        return
    closing = body.find("}", opening)
    if closing < 0:
        result.error(_line(start, block, body_at + opening), "the answers have no closing '}'")
        return
    before, answers, after = body[:opening].strip(), body[opening + 1:closing], body[closing + 1:].strip()
    stem = f"{before} _____ {after}" if after else before
    stem = _show(stem).strip()
    if text_format == "html":
        result.warn(where, "HTML text kept as it is: the stem is shown through the sanitizer")
    elif text_format == "plain":
        stem = plain_to_markdown(stem)
    answers_at = body_at + opening + 1
    general = ""
    if "####" in answers:
        answers, general = answers.split("####", 1)
        general = _show(general).strip()
    draft = _answers(result, start, block, answers, answers_at, general)
    if draft is None:
        return
    finish(result, {"stem": stem, **draft}, defaults, where, title=title, category=category, rationale=general)


def _answers(result, start, block, answers, at, general):
    where = _line(start, block, at)
    body = answers.strip()
    lead = at + len(answers) - len(answers.lstrip())
    if not body:
        result.error(where, "essay questions (an empty answer block) are not supported; not imported")
        return None
    if body.startswith("#"):
        return _numeric(result, start, block, body[1:], lead + 1, general)
    tf = _TRUE_FALSE.match(body)
    if tf:
        return _true_false(result, where, tf.group(1).upper().startswith("T"), body[tf.end():])
    choices = _choices(result, start, block, answers, at)
    if choices is None:
        return None
    if not choices:
        result.error(where, "no answer starts with '=' or '~'")
        return None
    right = [c for c in choices if c["marker"] == "="]
    wrong = [c for c in choices if c["marker"] == "~"]
    if right and not wrong:
        if all("->" in c["text"] for c in right):
            return _matching(result, right, general)
        if any("->" in c["text"] for c in right):
            result.error(where, "some answers are matching pairs ('->') and some are not")
            return None
        return _short(result, right, general)
    weighted = [c for c in wrong if (c["weight"] or 0) > 0]
    if right:
        return _single(result, where, right, choices)
    if weighted:
        return _multiple(result, where, choices)
    result.error(where, "no answer is marked right: give one '=' answer, or weights '~%50%' for several")
    return None


def _choices(result, start, block, answers, at):
    """The answers of a choice, short-answer or matching block: marker, weight, text, feedback, line."""
    out = []
    for match in re.finditer(r"[=~][^=~]*", answers):
        piece, where = match.group(0), _line(start, block, at + match.start())
        rest = piece[1:]
        weight = None
        found = _WEIGHT.match(rest)
        if found:
            weight = float(found.group(1))
            rest = rest[found.end():]
        elif rest.lstrip().startswith("%"):
            result.error(where, f"the weight in {_show(piece).strip()!r} is not a percentage such as %50%")
            return None
        text, _, feedback = rest.partition("#")
        out.append({"marker": piece[0], "weight": weight, "text": _show(text), "feedback": _show(feedback).strip(),
                    "where": where})
    for choice in out:
        if "->" not in choice["text"]:
            choice["text"] = plain_text(choice["text"])
    return out


def _single(result, where, right, choices):
    if len(right) > 1:
        result.error(where, f"{len(right)} answers start with '=': a single-answer question has one")
        return None
    for choice in choices:
        if choice["marker"] == "=" and choice["weight"] not in (None, 100.0):
            result.warn(choice["where"], f"the right answer's weight {weight_text(choice['weight'])}% is read as "
                                         "100%")
        if choice["marker"] == "~" and choice["weight"]:
            result.warn(choice["where"], f"partial credit ({weight_text(choice['weight'])}%) for "
                                         f"{choice['text']!r} is not kept: single-answer questions score the "
                                         "key only, so it is a wrong choice")
    items = [{"id": cid, "text": c["text"], **({"correct": True} if c["marker"] == "=" else {}),
              "feedback": c["feedback"]} for cid, c in zip(choice_ids(len(choices)), choices)]
    default_feedback(result, where, items)
    return {"type": SINGLE, "choices": items}


def _multiple(result, where, choices):
    positive = [c["weight"] for c in choices if (c["weight"] or 0) > 0]
    negative = [c["weight"] or 0.0 for c in choices if (c["weight"] or 0) <= 0]
    share = 100 / len(positive)
    if not equal_weights(positive) or abs(sum(positive) - 100) > 0.1:
        result.warn(where, "the right answers' weights (" + ", ".join(weight_text(w) for w in positive)
                    + f"%) are read as {weight_text(share)}% each: partial scoring gives each right choice "
                      "an equal share")
    if not negative or any(abs(w + share) > 0.1 for w in negative):
        result.warn(where, f"wrong choices are read as -{weight_text(share)}% each: partial scoring takes one "
                           "right choice's share off for each wrong choice picked (never below zero)")
    items = [{"id": cid, "text": c["text"], **({"correct": True} if (c["weight"] or 0) > 0 else {}),
              "feedback": c["feedback"]} for cid, c in zip(choice_ids(len(choices)), choices)]
    default_feedback(result, where, items)
    return {"type": MULTIPLE, "scoring": "partial", "choices": items}


def _short(result, right, general):
    accepted, feedbacks = [], []
    for answer in right:
        if answer["weight"] not in (None, 100.0):
            result.warn(answer["where"], f"the answer {answer['text']!r} earns {weight_text(answer['weight'])}% in "
                                         "the file; short answers here are right or wrong, so it is not accepted")
            continue
        accepted.append(answer["text"])
        if answer["feedback"] and answer["feedback"] not in feedbacks:
            feedbacks.append(answer["feedback"])
    if not accepted:
        result.error(right[0]["where"], "no answer earns full marks")
        return None
    if len(feedbacks) > 1:
        result.warn(right[0]["where"], "the answers have different feedback; a short-answer question has one, "
                                       "so they are joined")
    return {"type": SHORT, "answers": accepted, "feedback": _feedback(result, right[0]["where"],
                                                                         " ".join(feedbacks), general)}


def _matching(result, right, general):
    pairs = []
    for answer in right:
        prompt, _, target = answer["text"].partition("->")
        prompt, target = plain_text(prompt), plain_text(target)
        if not prompt:
            result.warn(answer["where"], f"the extra answer {target!r} (a distractor with no prompt) is not kept: "
                                         "matching questions here offer the pairs' answers only")
            continue
        pairs.append({"prompt": prompt, "answer": target})
    return {"type": MATCHING, "pairs": pairs, "feedback": _feedback(result, right[0]["where"], "", general)}


def _true_false(result, where, answer, rest):
    parts = [_show(p).strip() for p in rest.split("#")[1:]]
    wrong_fb = parts[0] if parts else ""
    right_fb = parts[1] if len(parts) > 1 else ""
    if not wrong_fb or not right_fb:
        result.warn(where, f'feedback missing for an answer: "{DEFAULT_RIGHT}" or "{DEFAULT_WRONG}" was written')
    right_fb, wrong_fb = right_fb or DEFAULT_RIGHT, wrong_fb or DEFAULT_WRONG
    feedback = {"true": right_fb, "false": wrong_fb} if answer else {"true": wrong_fb, "false": right_fb}
    return {"type": TRUE_FALSE, "answer": answer, "feedback": feedback}


def _numeric(result, start, block, body, at, general):
    where = _line(start, block, at)
    if body.lstrip()[:1] in ("=", "~"):
        options = _choices(result, start, block, body, at)
        if options is None:
            return None
        full = [o for o in options if o["marker"] == "=" and o["weight"] in (None, 100.0)]
        for option in options:
            if option not in full[:1]:
                result.warn(option["where"], f"the numeric answer {option['text']!r} is not kept: a numeric "
                                             "question here has one right answer (or one range), no partial credit")
        if not full:
            result.error(where, "no numeric answer earns full marks")
            return None
        value, feedback, where = full[0]["text"], full[0]["feedback"], full[0]["where"]
    else:
        value, _, feedback = body.partition("#")
        value, feedback = _show(value), _show(feedback).strip()
    value = value.strip()
    try:
        found = _RANGE.match(value)
        if found:
            spec = {"range": [number(found.group(1)), number(found.group(2))]}
        else:
            found = _TOLERANCE.match(value)
            if not found:
                raise ValueError
            spec = {"answer": number(found.group(1))}
            if found.group(2) is not None and float(found.group(2)) != 0:
                spec["tolerance"] = abs(number(found.group(2)))
    except ValueError:
        result.error(where, f"{value!r} is not a number, number:tolerance or minimum..maximum")
        return None
    return {"type": NUMERIC, **spec, "feedback": _feedback(result, where, feedback, general)}


def _feedback(result, where, feedback, general):
    if feedback:
        return feedback
    if general:
        return general
    result.warn(where, "no feedback: the review will say only whether the answer was right")
    return "See the correct answer above."


# -- export -----------------------------------------------------------------


def escape(text: str) -> str:
    """Text as GIFT writes it: the special characters escaped, new lines as \\n."""
    out = "".join("\\" + c if c in _ESCAPABLE else c for c in text)
    return out.replace("\r\n", "\n").replace("\n", "\\n")


def _fb(text: str) -> str:
    return f"#{escape(text)}" if text else ""


def _export_choices(q, problems):
    if q["type"] == SINGLE:
        return [f"{'=' if c.get('correct') else '~'}{escape(c['text'])}{_fb(c['feedback'])}" for c in q["choices"]]
    keys = sum(1 for c in q["choices"] if c.get("correct"))
    if q.get("scoring") != "partial":
        problems.append(f"{q['id']}: GIFT has no all-or-nothing multiple choice; written with partial-credit "
                        "weights")
    share = weight_text(100 / keys)
    return [f"~%{'' if c.get('correct') else '-'}{share}%{escape(c['text'])}{_fb(c['feedback'])}"
            for c in q["choices"]]


def _export_answers(q, problems) -> list[str]:
    kind = q["type"]
    if kind in (SINGLE, MULTIPLE):
        return _export_choices(q, problems)
    if kind == TRUE_FALSE:
        right, wrong = (q["feedback"]["true"], q["feedback"]["false"])[:: 1 if q["answer"] else -1]
        return [f"{'TRUE' if q['answer'] else 'FALSE'}{_fb(wrong)}{_fb(right)}"]
    if kind == SHORT:
        if q.get("case_sensitive"):
            problems.append(f"{q['id']}: GIFT short answers are not case-sensitive; written without it")
        return [f"={escape(a)}{_fb(q['feedback'])}" for a in q["answers"]]
    if kind == NUMERIC:
        if q.get("unit"):
            problems.append(f"{q['id']}: GIFT has no unit for a numeric answer; the unit {q['unit']!r} is not "
                            "written")
        if "range" in q:
            value = f"{q['range'][0]}..{q['range'][1]}"
        else:
            value = f"{q['answer']}" + (f":{q['tolerance']}" if q.get("tolerance") else "")
        return [f"#{value}{_fb(q['feedback'])}"]
    if kind == MATCHING:
        return [f"={escape(p['prompt'])} -> {escape(p['answer'])}" for p in q["pairs"]]
    problems.append(f"{q['id']}: the type {kind!r} has no GIFT form; not exported")
    return []


def export_gift(bank: dict) -> tuple[str, list[str]]:
    """A bank (the bank-format dict) as GIFT text, and what could not be written as it is."""
    problems: list[str] = []
    out = [f"// Question bank {bank['id']}: {bank.get('title', '')}".rstrip(": "),
           f"$CATEGORY: {bank['id']}", ""]
    for q in bank["questions"]:
        answers = _export_answers(q, problems)
        if not answers:
            continue
        general = ""
        if q.get("rationale"):
            general = f"\n  ####{escape(q['rationale'])}"
        # Matching and numeric hold their review feedback in the general feedback when it differs.
        if q["type"] == MATCHING and q.get("feedback") and q["feedback"] != q.get("rationale"):
            problems.append(f"{q['id']}: GIFT matching has no feedback of its own; the rationale is written")
        out.append(f"// {q['id']} ({q['objective']}, {q['difficulty']}); source: {q.get('source', '')}")
        out.append(f"::{escape(q['id'])}::[markdown]{escape(q['stem'])} {{")
        out += [f"  {a}" for a in answers]
        out[-1] += general
        out.append("}")
        out.append("")
    return "\n".join(out), problems
