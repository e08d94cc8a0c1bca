"""Item analysis and exam-level statistics over finished attempts.

Definitions (classical test theory, as the instructor pages explain them):
- An item is a question version; it is analysed over the attempts that drew it, so randomized
  exams work. Its score in an attempt is points / max points (0..1; partial credit in between).
- Facility p: the mean item score.
- Discrimination: the point-biserial correlation (Pearson's r) between the item score and the rest
  of the attempt (its points without this item, as a fraction of the rest's maximum), so an item is
  not correlated with itself. None when either side does not vary.
- Distractors: how often each option was picked (for types with options: the type counts them); a
  wrong option nobody picks does no work. Other types list their most common wrong answers instead.
- Flags (with at least MIN_FOR_FLAGS attempts): p above 0.95 or below 0.2, r below 0.20 (weak)
  or below 0 (negative), a distractor nobody picks. r is rounded to two decimals, as shown, before
  it is classified, so r = -0.004 (shown "-0.00") is not negative.
- Exam level: scores in percent; mean; the sample standard deviation (n - 1); a distribution in
  ten-point bands; reliability: KR-20 when every attempt drew the same dichotomously scored items,
  Cronbach's alpha (its generalization) when they are the same but some give partial credit, and
  for randomized exams (attempts drew different questions) coefficient alpha from pooled pairwise
  item variances and covariances, which equals KR-20/alpha exactly on a fixed form. None below
  MIN_FOR_RELIABILITY attempts. docs/ITEM_ANALYSIS.md gives the formulas and why this estimate.
"""
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from markupsafe import Markup
from sqlalchemy import select

from lms.questions import QUESTION_TYPES, ChoiceCount
from lms.extensions import db
from lms.models import Attempt, AttemptQuestion, Question, QuestionVersion

MIN_FOR_FLAGS = 5
EASY, HARD = 0.95, 0.2
# Discrimination below this (after rounding to two decimals, as shown) is weak: Ebel's lowest band
# ("poor, to be revised or discarded") starts under 0.20.
WEAK_R = 0.20
# Below this many finished attempts no reliability is reported: a coefficient from fewer is noise.
MIN_FOR_RELIABILITY = 5
BANDS = [(i * 10, i * 10 + 10) for i in range(10)]
STEM_PREVIEW = 80  # characters of a question's text shown before "more"


@dataclass
class Flag:
    """A reason to look at an item: a short label for the table and the detail on a second line."""

    code: str  # easy, hard, weak, negative, unused_distractor
    label: str
    detail: str


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
    flags: list[Flag] = field(default_factory=list)

    @property
    def type_label(self) -> str:
        """The question type in words ("Single choice")."""
        return QUESTION_TYPES[self.qtype].label

    @property
    def stem_text(self) -> str:
        """The question's text without markup."""
        return Markup(self.stem_html).striptags()  # nosec B704: only to strip tags; the text is escaped on output

    @property
    def stem_preview(self) -> str:
        """The question's text shortened to about STEM_PREVIEW characters, at a word boundary."""
        return shorten(self.stem_text, STEM_PREVIEW)


@dataclass
class Reliability:
    """A reliability coefficient, or why none applies."""

    name: str | None
    value: float | None
    reason: str = ""
    note: str = ""  # how it was estimated, when that is worth saying


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


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0] if " " in text[:limit - 1] else text[:limit - 1]
    return cut.rstrip(",;:.") + "…"


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


def pairwise_alpha(attempts: list[dict], *, length: float | None = None) -> tuple[float | None, int]:
    """Coefficient alpha of a ``length``-item test from an incomplete attempts x items matrix.

    ``attempts`` holds one {item: score} dict per attempt, with the items that attempt drew (a
    randomized exam leaves most cells empty). Alpha of a k-item test is k c / (v + (k - 1) c), with v
    the mean item variance and c the mean covariance between two different items; here v pools each
    item's sum of squares over the attempts that drew it (n_i - 1 degrees of freedom) and c pools each
    pair's sum of cross-products over the attempts that drew both (pairwise means, n_ij - 1 degrees of
    freedom; pairs seen together fewer than twice are left out). On a fixed form every n is the same
    and this is exactly KR-20 / Cronbach's alpha. ``length`` defaults to the mean number of items per
    attempt. Returns (alpha or None, the number of item pairs used).
    """
    if not attempts:
        return None, 0
    k = length if length is not None else mean(len(a) for a in attempts)
    item_sums = defaultdict(lambda: [0, 0.0, 0.0])  # n, sum x, sum x^2
    pair_sums = defaultdict(lambda: [0, 0.0, 0.0, 0.0])  # n, sum x, sum y, sum xy
    for scores in attempts:
        for item, x in scores.items():
            sums = item_sums[item]
            sums[0] += 1
            sums[1] += x
            sums[2] += x * x
        for a, b in combinations(sorted(scores), 2):
            sums = pair_sums[a, b]
            x, y = scores[a], scores[b]
            sums[0] += 1
            sums[1] += x
            sums[2] += y
            sums[3] += x * y
    ss = df_items = 0.0
    for n, sx, sxx in item_sums.values():
        if n >= 2:
            ss += sxx - sx * sx / n
            df_items += n - 1
    sp = df_pairs = 0.0
    pairs = 0
    for n, sx, sy, sxy in pair_sums.values():
        if n >= 2:
            sp += sxy - sx * sy / n
            df_pairs += n - 1
            pairs += 1
    if not pairs or not df_items or k < 2:
        return None, pairs
    v, c = ss / df_items, sp / df_pairs
    total = v + (k - 1) * c
    if total <= 1e-12:
        return None, pairs
    return k * c / total, pairs


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


def question_statistics(question_id: int) -> list[ItemStats]:
    """One question's item statistics, one per version, over every finished attempt (of any exam) that drew
    it: the figures the question editor shows beside the question, computed as the exam's item analysis does."""
    rows = db.session.execute(
        select(AttemptQuestion.attempt_id, AttemptQuestion.question_version_id, AttemptQuestion.response,
               AttemptQuestion.points, AttemptQuestion.max_points, AttemptQuestion.shown)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(AttemptQuestion.question_id == question_id, Attempt.status == "finished")
    ).all()
    if not rows:
        return []
    attempts = {row.id: row for row in db.session.execute(
        select(Attempt.id, Attempt.points, Attempt.max_points).where(Attempt.id.in_({r.attempt_id for r in rows})))}
    by_version = defaultdict(list)
    for row in rows:
        by_version[row.question_version_id].append(row)
    versions = db.session.execute(
        select(QuestionVersion, Question.slug).join(Question, Question.id == QuestionVersion.question_id)
        .where(QuestionVersion.id.in_(list(by_version)))).all()
    items = [_item(version, slug, by_version[version.id], attempts) for version, slug in versions]
    return sorted(items, key=lambda item: item.version_number, reverse=True)


def _partial_credit(version: QuestionVersion) -> bool:
    """True when the item can score between 0 and 1 (its type and settings say)."""
    return QUESTION_TYPES[version.qtype].partial_credit(version.data)


def _reliability(by_attempt: dict, versions: dict) -> Reliability:
    n = len(by_attempt)
    if n < MIN_FOR_RELIABILITY:
        return Reliability(None, None, f"not enough attempts ({n} finished; at least {MIN_FOR_RELIABILITY} needed)")
    scores = [{v: row.points / row.max_points if row.max_points else 0.0 for v, row in items.items()}
              for items in by_attempt.values()]
    forms = {frozenset(items) for items in by_attempt.values()}
    if len(forms) == 1:
        order = sorted(next(iter(forms)))
        dichotomous = not any(_partial_credit(versions[v]) for v in order)
        name = "KR-20" if dichotomous else "Cronbach's alpha"
        value = kr20([[row[v] for v in order] for row in scores])
        if value is None:
            return Reliability(name, None, "the total scores do not vary")
        return Reliability(name, value)
    length = mean(len(row) for row in scores)
    value, pairs = pairwise_alpha(scores, length=length)
    name = "Coefficient alpha (randomized exam)"
    if value is None:
        return Reliability(name, None, "not enough attempts: too few questions were drawn together in two or "
                                       "more attempts, or the scores do not vary")
    return Reliability(name, value, note=f"estimated for a {length:g}-question attempt from {pairs} pairs of "
                                         f"questions drawn together")


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
    kind = QUESTION_TYPES[version.qtype]
    counts = kind.choice_counts(data, [row.response for row in rows])
    if counts is not None:
        item.choices = counts
    else:
        wrong = Counter(kind.describe_response(data, row.response) for row in rows
                        if row.response is not None and row.points < row.max_points)
        item.wrong_answers = wrong.most_common(5)
    item.flags = item_flags(item)
    return item


def item_flags(item: ItemStats) -> list[Flag]:
    """Why an item deserves a look (none below MIN_FOR_FLAGS attempts).

    Discrimination is rounded to two decimals, as the page shows it, before it is classified: an r
    shown as -0.00 is neither negative nor different from 0.00.
    """
    if item.n < MIN_FOR_FLAGS:
        return []
    flags = []
    if item.facility > EASY:
        flags.append(Flag("easy", "Very easy", f"p = {item.facility:.2f}, above {EASY}"))
    if item.facility < HARD:
        flags.append(Flag("hard", "Very hard", f"p = {item.facility:.2f}, below {HARD}"))
    if item.discrimination is not None:
        r = round(item.discrimination, 2) + 0.0  # + 0.0 turns -0.0 into 0.0
        if r < 0:
            flags.append(Flag("negative", "Negative r", f"r = {r:.2f}: stronger trainees did worse on it"))
        elif r < WEAK_R:
            flags.append(Flag("weak", "Weak r", f"r = {r:.2f}, below {WEAK_R:.2f}"))
    unused = [choice for choice in item.choices if not choice.is_key and choice.count == 0]
    if unused:
        label = "Unused distractor" if len(unused) == 1 else f"{len(unused)} unused distractors"
        flags.append(Flag("unused_distractor", label,
                          "Never picked: " + "; ".join(f"“{shorten(c.text, 40)}”" for c in unused)))
    return flags


# How the item table sorts: a query parameter names the column, None values go last either way.
SORT_KEYS = {
    "question": lambda item: (item.question_slug, item.version_number),
    "objective": lambda item: item.objective,
    "n": lambda item: item.n,
    "p": lambda item: item.facility,
    "r": lambda item: item.discrimination,
    "flags": lambda item: len(item.flags),
}


def sort_items(items: list[ItemStats], key: str, descending: bool = False) -> list[ItemStats]:
    """The items ordered by one column of SORT_KEYS (unknown keys: by question); items without a value
    (an r that cannot be computed) come last in either direction, ties keep the question order."""
    getter = SORT_KEYS.get(key, SORT_KEYS["question"])
    by_question = sorted(items, key=SORT_KEYS["question"])
    known = [item for item in by_question if getter(item) is not None]
    missing = [item for item in by_question if getter(item) is None]
    return sorted(known, key=getter, reverse=descending) + missing
