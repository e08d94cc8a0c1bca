"""Aiken: Moodle's simplest format, single-answer multiple choice only.

    Question text (one or more lines)
    A. first option            (or "A)"; letters in order, A to Z)
    B. second option
    ANSWER: B

Questions are separated by blank lines (Moodle also accepts a question right after an ANSWER line). No
library was evaluated worth keeping for a format this small (the PyPI ``aiken`` 0.1.0 package is an empty
2017 template); this reader is a line-by-line state machine and reports every problem at its line.
Aiken has no feedback, so each choice gets "Correct." or "Not correct." and the import says so.
"""
import re

from lms.content.interchange.common import (
    MAX_CHOICES, SINGLE, Defaults, Imported, choice_ids, default_feedback, finish, plain_text,
)

_OPTION = re.compile(r"^([A-Z])[.)]\s+(.*\S)\s*$")
_ANSWER = re.compile(r"^ANSWER\s*:\s*(.*?)\s*$", re.I)


def parse_aiken(text: str, defaults: Defaults) -> Imported:
    """Read Aiken text into single-answer questions and the problems, each at its line."""
    result = Imported()
    stem, options, start, broken = [], [], 0, []

    def reset():
        stem.clear()
        options.clear()
        broken.clear()

    for number_, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line:
            if options:
                result.error(f"line {start}", "the question's options are not followed by an 'ANSWER:' line; "
                                              "not imported")
                reset()
            elif stem:
                stem.append("")
            continue
        if not stem and not options:
            start = number_
        answer = _ANSWER.match(line)
        option = _OPTION.match(line)
        if answer and (options or stem):
            if not broken:
                _finish(result, start, number_, stem, options, answer.group(1), defaults)
            reset()
        elif answer:
            result.error(f"line {number_}", "an 'ANSWER:' line without a question before it")
        elif option and stem:
            expected = chr(ord("A") + len(options))
            if option.group(1) != expected:
                result.error(f"line {number_}", f"option {option.group(1)} where {expected} was expected; the "
                                                "question is not imported")
                broken.append(number_)
            options.append((option.group(1), option.group(2), number_))
        elif options:
            result.error(f"line {number_}", f"{line[:40]!r} is neither an option ('A. text') nor an 'ANSWER:' "
                                            "line; the question is not imported")
            broken.append(number_)
        else:
            stem.append(line)
    if stem or options:
        result.error(f"line {start}", "the last question has no 'ANSWER:' line; not imported")
    return result


def _finish(result, start, answer_line, stem, options, letter, defaults) -> None:
    where = f"line {start}"
    letter = letter.strip().upper()
    letters = [o[0] for o in options]
    if not options:
        result.error(where, "a question without options (A., B., ...); not imported")
        return
    if not re.fullmatch(r"[A-Z]", letter):
        result.error(f"line {answer_line}", f"'ANSWER: {letter}' must name one option letter")
        return
    if letter not in letters:
        result.error(f"line {answer_line}", f"'ANSWER: {letter}' names no option (the options are "
                                            f"{', '.join(letters)})")
        return
    low, high = MAX_CHOICES[SINGLE]
    if not low <= len(options) <= high:
        result.error(where, f"{len(options)} options: a single-answer question has {low} to {high}")
        return
    choices = [{"id": cid, "text": plain_text(text), **({"correct": True} if key == letter else {}), "feedback": ""}
               for cid, (key, text, _) in zip(choice_ids(len(options)), options)]
    default_feedback(result, where, choices)
    finish(result, {"type": SINGLE, "stem": "\n".join(stem).strip(), "choices": choices}, defaults, where)
