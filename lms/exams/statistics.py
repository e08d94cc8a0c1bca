"""Item analysis and exam-level statistics over finished attempts.

Definitions (classical test theory, as the instructor pages explain them):
- An item is a question version; it is analysed over the attempts that drew it, so randomized
  exams work. Its score in an attempt is points / max points (0..1; partial credit in between).
- Facility p: the mean item score.
- Discrimination: the point-biserial correlation (Pearson's r) between the item score and the rest
  of the attempt (its points without this item, as a fraction of the rest's maximum), so an item is
  not correlated with itself. None when either side does not vary.
- Distractors: how often each choice was picked; a wrong choice nobody picks does no work.
- Flags (with at least MIN_FOR_FLAGS attempts): p above 0.95 or below 0.2, negative
  discrimination, a distractor nobody picks.
- Exam level: scores in percent; mean; the sample standard deviation (n - 1); a distribution in
  ten-point bands; reliability: KR-20 when every attempt drew the same dichotomously scored items,
  Cronbach's alpha (its generalization) when they are the same but some give partial credit, none
  when attempts drew different questions (the coefficient assumes one fixed form).
"""
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from ..extensions import db
from ..models import Attempt, AttemptQuestion, Question, QuestionVersion
from .pages import describe_response

MIN_FOR_FLAGS = 5
EASY, HARD = 0.95, 0.2
BANDS = [(i * 10, i * 10 + 10) for i in range(10)]


@dataclass
class ChoiceCount:
    """How often a choice was picked."""

    label: str
    text: str
    is_key: bool
    count: int


@dataclass
class ItemStats:
    """One question version's statistics."""

    version_id: int
    question_slug: str
    version_number: int
    qtype: str
    objective: str
    difficulty: str
    stem_html: str
    n: int
    facility: float | None
    discrimination: float | None
    unanswered: int
    choices: list[ChoiceCount] = field(default_factory=list)
    wrong_answers: list[tuple[str, int]] = field(default_factory=list)  # text answers: most common wrong ones
    flags: list[str] = field(default_factory=list)


@dataclass
class Reliability:
    """A reliability coefficient, or why none applies."""

    name: str | None
    value: float | None
    reason: str = ""


@dataclass
class ExamStatistics:
    """Exam-level figures and the items."""

    n: int
    scores: list[float]
    mean: float | None
    sd: float | None
    minimum: float | None
    maximum: float | None
    pass_rate: float | None
    bands: list[tuple[str, int]]
    reliability: Reliability
    items: list[ItemStats]


def mean(values) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def sample_sd(values) -> float | None:
    """The standard deviation with n - 1 in the denominator (None below two values)."""
    values = list(values)
    if len(values) < 2:
        return None
    m = mean(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


def population_variance(values) -> float:
    m = mean(values)
    return sum((v - m) ** 2 for v in values) / len(values)


def pearson(xs, ys) -> float | None:
    """Pearson's correlation; None when either variable does not vary or there are fewer than two pairs."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = mean(xs), mean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / math.sqrt(sxx * syy)


def kr20(matrix: list[list[float]]) -> float | None:
    """KR-20 (or, with item scores between 0 and 1, Cronbach's alpha) of an attempts x items matrix."""
    k = len(matrix[0]) if matrix else 0
    if len(matrix) < 2 or k < 2:
        return None
    totals = [sum(row) for row in matrix]
    total_var = population_variance(totals)
    if total_var <= 1e-12:
        return None
    item_var = sum(population_variance([row[i] for row in matrix]) for i in range(k))
    return k / (k - 1) * (1 - item_var / total_var)


def band_label(low: int, high: int) -> str:
    return f"{low}–{high}%" if high == 100 else f"{low}–{high - 1}%"


def exam_statistics(exam_id: int, *, enrollment_ids=None) -> ExamStatistics:
    """Statistics of an exam's finished attempts (optionally only those of some enrollments)."""
    query = select(Attempt.id, Attempt.percent, Attempt.points, Attempt.max_points, Attempt.passed).where(
        Attempt.exam_id == exam_id, Attempt.status == "finished")
    if enrollment_ids is not None:
        query = query.where(Attempt.enrollment_id.in_(list(enrollment_ids) or [-1]))
    attempts = {row.id: row for row in db.session.execute(query)}
    rows = []
    if attempts:
        rows = db.session.execute(
            select(AttemptQuestion.attempt_id, AttemptQuestion.question_version_id, AttemptQuestion.response,
                   AttemptQuestion.points, AttemptQuestion.max_points, AttemptQuestion.shown)
            .where(AttemptQuestion.attempt_id.in_(list(attempts)))
        ).all()
    by_version = defaultdict(list)
    by_attempt = defaultdict(dict)
    for row in rows:
        by_version[row.question_version_id].append(row)
        by_attempt[row.attempt_id][row.question_version_id] = row
    versions = {}
    if by_version:
        versions = {v.id: (v, slug) for v, slug in db.session.execute(
            select(QuestionVersion, Question.slug).join(Question, Question.id == QuestionVersion.question_id)
            .where(QuestionVersion.id.in_(list(by_version))))}
    items = [_item(versions[vid][0], versions[vid][1], item_rows, attempts)
             for vid, item_rows in by_version.items()]
    items.sort(key=lambda i: (i.question_slug, i.version_number))
    scores = [attempts[a].percent for a in attempts]
    bands = Counter()
    for score in scores:
        bands[min(int(score // 10), 9)] += 1
    return ExamStatistics(
        n=len(scores), scores=scores, mean=mean(scores), sd=sample_sd(scores),
        minimum=min(scores, default=None), maximum=max(scores, default=None),
        pass_rate=mean([1.0 if attempts[a].passed else 0.0 for a in attempts]),
        bands=[(band_label(low, high), bands[i]) for i, (low, high) in enumerate(BANDS)],
        reliability=_reliability(by_attempt, {vid: v for vid, (v, _) in versions.items()}), items=items,
    )


def _partial_credit(version: QuestionVersion) -> bool:
    """True when the item can score between 0 and 1 (matching, multiple response with partial credit)."""
    return version.qtype == "matching" or (version.qtype == "multiple" and version.data.get("scoring") == "partial")


def _reliability(by_attempt: dict, versions: dict) -> Reliability:
    if len(by_attempt) < 2:
        return Reliability(None, None, "fewer than two finished attempts")
    forms = {frozenset(items) for items in by_attempt.values()}
    if len(forms) > 1:
        return Reliability(None, None, "attempts drew different questions, so there is no single form to measure")
    order = sorted(next(iter(forms)))
    matrix = [[items[v].points / items[v].max_points for v in order] for items in by_attempt.values()]
    dichotomous = not any(_partial_credit(versions[v]) for v in order)
    value = kr20(matrix)
    name = "KR-20" if dichotomous else "Cronbach's alpha"
    if value is None:
        return Reliability(name, None, "the total scores do not vary")
    return Reliability(name, value)


def _item(version: QuestionVersion, slug: str, rows, attempts) -> ItemStats:
    scores, rests = [], []
    for row in rows:
        attempt = attempts[row.attempt_id]
        score = row.points / row.max_points if row.max_points else 0.0
        rest_max = attempt.max_points - row.max_points
        scores.append(score)
        rests.append((attempt.points - row.points) / rest_max if rest_max else 0.0)
    data = version.data
    item = ItemStats(
        version_id=version.id, question_slug=slug, version_number=version.number, qtype=version.qtype,
        objective=version.objective, difficulty=version.difficulty, stem_html=version.rendered["stem"],
        n=len(rows), facility=mean(scores), discrimination=pearson(scores, rests),
        unanswered=sum(1 for row in rows if row.response is None),
    )
    if version.qtype in ("single", "multiple"):
        picked = Counter()
        for row in rows:
            chosen = row.response if isinstance(row.response, list) else [row.response] if row.response else []
            picked.update(chosen)
        item.choices = [ChoiceCount(c["id"], c["text"], bool(c.get("correct")), picked[c["id"]])
                        for c in data["choices"]]
    elif version.qtype == "true_false":
        picked = Counter(row.response for row in rows if row.response is not None)
        item.choices = [ChoiceCount(str(v).lower(), str(v), data["answer"] == v, picked[v]) for v in (True, False)]
    elif version.qtype in ("short", "numeric", "matching"):
        wrong = Counter(describe_response(version.qtype, data, row.response) for row in rows
                        if row.response is not None and row.points < row.max_points)
        item.wrong_answers = wrong.most_common(5)
    if item.n >= MIN_FOR_FLAGS:
        if item.facility > EASY:
            item.flags.append(f"very easy (p = {item.facility:.2f} > {EASY})")
        if item.facility < HARD:
            item.flags.append(f"very hard (p = {item.facility:.2f} < {HARD})")
        if item.discrimination is not None and item.discrimination < 0:
            item.flags.append(f"negative discrimination (r = {item.discrimination:.2f})")
        for choice in item.choices:
            if not choice.is_key and choice.count == 0:
                item.flags.append(f"distractor “{choice.text}” was never picked")
    return item
