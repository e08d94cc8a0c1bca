"""Item-quality and currency warnings over a validated catalog: what `lms content check` warns about.

Errors (check.py) make content unusable; warnings make it weaker than a certification decision deserves:
a key that sits in one position or is always the longest option, unbalanced true/false items, negative
stems, "all of the above", near-duplicate stems, exams too short to carry a pass/fail decision, blueprint
cells with no spare questions, modules not reviewed for a year, sources without a date. Every threshold is
in QualityRules, the one place they are set (docs/CONTENT_FORMAT.md explains each).
"""
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher

from lms.content.check import normalize_stem

from lms.content.blueprints import blueprint_shortfall, cell_pools, describe_cell, draw_rounds

from lms.content.catalog import Catalog, ContentError
from lms.content.standard_setting import angoff_result
from lms.questions import QUESTION_TYPES

LETTERS = "ABCDEFGH"


@dataclass(frozen=True, order=True)
class ContentWarning(ContentError):
    """A weakness in a content file, at a line: the content loads, but a reviewer should look."""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: warning: {self.message}"


@dataclass(frozen=True)
class QualityRules:
    """The thresholds of every content warning, in one place."""

    review_max_days: int = 365  # a module not reviewed for longer is flagged (LMS_CONTENT_REVIEW_DAYS)
    min_items_for_share_rules: int = 8  # key-position and key-length shares are judged on banks this large
    key_position_max_share: float = 0.40  # no answer position holds more than this share of a bank's keys
    key_longest_max_share: float = 0.35  # the key is the strictly longest option in at most this share
    true_false_min_items: int = 6  # true/false balance is judged on banks with this many such items
    true_share_min: float = 0.30  # ... where "true" is the key for between 30 %
    true_share_max: float = 0.70  # ... and 70 % of them
    similar_stem_ratio: float = 0.80  # stems this alike across banks are flagged unless one family
    min_exam_items: int = 15  # an exam that counts toward certification draws at least this many items
    spare_items_per_cell: int = 2  # each cell has this many questions beyond what all attempts draw
    hours_per_week: int = 40  # a course stated in weeks holds this many hours of training a week
    online_hours_tolerance: float = 0.5  # stated online hours may differ this much from module + exam time


RULES = QualityRules()
# Upper-case NOT/EXCEPT is the usual way a negative stem is flagged to the reader; "which ... is not" too.
_NEGATIVE_STEM = re.compile(r"\b(NOT|EXCEPT|NEVER|LEAST)\b|(?i:\bwhich of the following (is|are|does|would) not\b)")
_ALL_OR_NONE = re.compile(r"\b(all|none|both|neither) of the (above|choices|options|answers)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(1[6-9]|20)\d\d\b")


def _share(part: int, whole: int) -> str:
    return f"{part} of {whole} ({round(100 * part / whole)} %)"


def _module_warnings(catalog: Catalog, rules: QualityRules, today: date) -> list[ContentWarning]:
    found = []
    for module in catalog.modules.values():
        reviewed = module.reviewed
        if reviewed is None:
            found.append(ContentWarning(module.path, 2, f"module '{module.id}' has no 'reviewed:' date"))
        elif (today - reviewed).days > rules.review_max_days:
            found.append(ContentWarning(
                module.path, module.reviewed_line,
                f"module '{module.id}' was last reviewed on {reviewed.isoformat()}, "
                f"{(today - reviewed).days} days ago (more than {rules.review_max_days})"))
        for source in module.sources:
            if not _YEAR.search(source):
                found.append(ContentWarning(module.path, module.sources_line,
                                            f"source without a date (a year or 'as of ...'): {source!r}"))
    return found


def _keyed_choices(question: dict) -> tuple[list[int], list[int]]:
    """(positions of the keys, lengths of the options) of a single or multiple choice question."""
    choices = question["choices"]
    return [i for i, ch in enumerate(choices) if ch.get("correct")], [len(ch["text"]) for ch in choices]


def _bank_warnings(catalog: Catalog, rules: QualityRules) -> list[ContentWarning]:
    found = []
    for bank in catalog.banks.values():
        active = [q for q in bank.questions if q.get("status", "active") == "active"]
        # Questions whose key is one option among others shown in order (single choice): its position and length.
        singles = [q for q in active if QUESTION_TYPES[q["type"]].key_is_one_of_options]
        positions, longest = Counter(), 0
        for q in singles:
            keys, lengths = _keyed_choices(q)
            if not keys:
                continue
            positions[keys[0]] += 1
            if all(lengths[keys[0]] > n for i, n in enumerate(lengths) if i != keys[0]):
                longest += 1
        if len(singles) >= rules.min_items_for_share_rules:
            position, count = max(positions.items(), key=lambda kv: (kv[1], -kv[0]), default=(0, 0))
            if count / len(singles) > rules.key_position_max_share:
                found.append(ContentWarning(
                    bank.path, 1, f"bank '{bank.id}': the key is option {LETTERS[position]} in "
                                  f"{_share(count, len(singles))} single-choice questions "
                                  f"(at most {round(100 * rules.key_position_max_share)} %)"))
            if longest / len(singles) > rules.key_longest_max_share:
                found.append(ContentWarning(
                    bank.path, 1, f"bank '{bank.id}': the key is the longest option in "
                                  f"{_share(longest, len(singles))} single-choice questions "
                                  f"(at most {round(100 * rules.key_longest_max_share)} %)"))
        true_false = [q for q in active if QUESTION_TYPES[q["type"]].key_is_true_or_false]
        if len(true_false) >= rules.true_false_min_items:
            trues = sum(1 for q in true_false if q["answer"])
            if not rules.true_share_min <= trues / len(true_false) <= rules.true_share_max:
                found.append(ContentWarning(
                    bank.path, 1, f"bank '{bank.id}': 'true' is the key of {_share(trues, len(true_false))} "
                                  f"true/false questions (keep it between {round(100 * rules.true_share_min)} "
                                  f"and {round(100 * rules.true_share_max)} %)"))
        for q in active:
            line = bank.question_lines.get(q["id"], 1)
            if _NEGATIVE_STEM.search(q["stem"]):
                found.append(ContentWarning(bank.path, line, f"question '{q['id']}' has a negative stem "
                                                             "(ask what is true, not what is not)"))
            if any(_ALL_OR_NONE.search(ch["text"]) for ch in q.get("choices", [])):
                found.append(ContentWarning(bank.path, line, f"question '{q['id']}' offers "
                                                             "'all/none of the above' as an option"))
    return found


def _words(stem: str) -> list[str]:
    return normalize_stem(stem).split()


def _similar_stem_warnings(catalog: Catalog, rules: QualityRules, only: str | None = None) -> list[ContentWarning]:
    """Stems alike across different banks, unless the questions are declared one family (``only``: the
    pairs one question is part of).

    Compared word by word (a few hundred stems pair up in well under a second that way; character by
    character, English text looks alike to the quick filters and every pair costs a full comparison).
    """
    stems = [(_words(q["stem"]), q, bank) for bank in catalog.banks.values() for q in bank.questions]
    found = []
    for i, (words, q, bank) in enumerate(stems):
        for other, oq, obank in stems[:i]:
            if only is not None and only != q["id"] and only != oq["id"]:
                continue
            if obank.id == bank.id or (q.get("family") and q.get("family") == oq.get("family")):
                continue
            shorter, longer = sorted((len(words), len(other)))
            if not longer or 2 * shorter / (shorter + longer) < rules.similar_stem_ratio:
                continue
            matcher = SequenceMatcher(None, words, other, autojunk=False)
            if matcher.quick_ratio() >= rules.similar_stem_ratio and matcher.ratio() >= rules.similar_stem_ratio:
                found.append(ContentWarning(
                    bank.path, bank.question_lines.get(q["id"], 1),
                    f"question '{q['id']}' is much like '{oq['id']}' ({obank.path}:"
                    f"{obank.question_lines.get(oq['id'], 1)}): rewrite one, or give both the same 'family'"))
    return found


def _exam_warnings(catalog: Catalog, rules: QualityRules) -> list[ContentWarning]:
    certifying = {exam for track in catalog.tracks.values() for *_, exams in track.schedule for exam in exams}
    found = []
    for exam in catalog.exams.values():
        cells = exam.data["draw"]
        items = sum(cell["count"] for cell in cells)
        if exam.id in certifying and items < rules.min_exam_items:
            found.append(ContentWarning(
                exam.path, 1, f"exam '{exam.id}' draws {items} questions; an exam that counts toward "
                              f"certification draws at least {rules.min_exam_items}"))
        found += _standard_setting_warnings(catalog, exam, certifying=exam.id in certifying)
        rounds = draw_rounds(exam.data)
        spare = [dict(cell, count=cell["count"] * rounds + rules.spare_items_per_cell) for cell in cells]
        for index, needed, available in blueprint_shortfall(spare, catalog.banks, 1):
            cell = cells[index]
            what = describe_cell(cell)
            found.append(ContentWarning(
                exam.path, exam.draw_lines[index] if exam.draw_lines else 1,
                f"cell {index + 1} ({what}) has fewer than {rules.spare_items_per_cell} spare questions "
                f"beyond the {cell['count'] * rounds} that {rounds} attempt(s) draw: {available} in the pool"))
    return found


def _standard_setting_warnings(catalog: Catalog, exam, *, certifying: bool) -> list[ContentWarning]:
    """A certifying exam records how its cut was set; its pass mark is that cut; the panel rated every item."""
    record = exam.data.get("standard_setting")
    if record is None:
        if certifying:
            return [ContentWarning(exam.path, 1, f"exam '{exam.id}' records no standard setting "
                                                 "(standard_setting: a modified-Angoff panel's ratings and cut)")]
        return []
    cells = exam.data["draw"]
    result = angoff_result(cells, cell_pools(cells, catalog.banks), record["raters"], record["ratings"])
    found = []
    if round(result.cut) != round(exam.data["pass_mark"]):
        found.append(ContentWarning(exam.path, 1, f"exam '{exam.id}': the pass mark {exam.data['pass_mark']:g} is "
                                                  f"not the panel's cut {result.cut:.0f}"))
    if result.unrated:
        shown = ", ".join(result.unrated[:5]) + (" ..." if len(result.unrated) > 5 else "")
        found.append(ContentWarning(exam.path, 1, f"exam '{exam.id}': the panel did not rate {len(result.unrated)} "
                                                  f"question(s) it can draw: {shown}"))
    return found


def question_warnings(catalog: Catalog, bank_id: str, question_id: str, *,
                      rules: QualityRules = RULES) -> list[ContentWarning]:
    """The warnings of a validated catalog that concern one question: its own (negative stem, "all of the
    above"), its bank's that count it (key position and length, true/false balance), stems much like its own."""
    bank = catalog.banks[bank_id]
    found = _bank_warnings(Catalog(banks={bank_id: bank}), rules) + _similar_stem_warnings(catalog, rules, question_id)
    named, bank_wide = f"'{question_id}'", f"bank '{bank_id}'"
    return sorted(w for w in found if named in w.message or w.message.startswith(bank_wide))


def track_online_minutes(catalog: Catalog, track) -> int:
    """Module study time plus exam time of everything the track places: its online hours, in minutes."""
    minutes = 0
    for _, _, modules, exams in track.schedule:
        minutes += sum(catalog.modules[m].minutes for m in modules if m in catalog.modules)
        minutes += sum(catalog.exams[e].data["time_limit_minutes"] for e in exams if e in catalog.exams)
    return minutes


def _hours(value: float) -> str:
    return f"{value:g}"


def _track_warnings(catalog: Catalog, rules: QualityRules) -> list[ContentWarning]:
    """A track states its online and classroom hours, and they add up."""
    found = []
    for track in catalog.tracks.values():
        if track.online_hours is None:
            found.append(ContentWarning(track.path, 1, f"track '{track.id}' states no hours "
                                                       "(hours: {online: ..., classroom: ...})"))
            continue
        online = track_online_minutes(catalog, track) / 60
        if abs(online - track.online_hours) > rules.online_hours_tolerance:
            found.append(ContentWarning(
                track.path, 1, f"track '{track.id}' states {_hours(track.online_hours)} online hours, but its "
                               f"modules and exams take {online:.1f} hours"))
        total = track.online_hours + track.classroom_hours
        if track.length_unit == "weeks" and total != track.weeks * rules.hours_per_week:
            found.append(ContentWarning(
                track.path, 1, f"track '{track.id}' runs {track.weeks} week(s) of {rules.hours_per_week} hours, "
                               f"but its online and classroom hours add up to {_hours(total)}"))
    return found


def quality_warnings(catalog: Catalog, *, today: date, rules: QualityRules = RULES) -> list[ContentWarning]:
    """Every warning for a validated catalog, sorted by file and line."""
    return sorted(
        _module_warnings(catalog, rules, today) + _bank_warnings(catalog, rules)
        + _similar_stem_warnings(catalog, rules) + _exam_warnings(catalog, rules) + _track_warnings(catalog, rules)
    )
