"""Standard setting in the browser: instructors rate each question an exam version can draw (modified
Angoff: the probability that a minimally competent officer answers it correctly); the page shows each
rater's ratings and cut, the panel's cut and spread (lms.content.standard_setting's formula, the one
the content check uses); staff adopt the cut as the exam's pass mark.

Adopting fills the panel's record (StandardSetting: the exam file's ``standard_setting`` section, one
field per key) and makes a new exam version whose blueprint carries the new pass mark and that section,
as a sync of the edited file would: attempts in progress keep the version they started with.
"""
import copy
from dataclasses import dataclass, field
from statistics import mean

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from lms.audit import record_event
from lms.clock import program_today
from lms.content.catalog import content_hash
from lms.content.standard_setting import AngoffResult, angoff_result
from lms.exams.cut_score import drawable_pools
from lms.extensions import db
from lms.models import AngoffRating, ExamVersion, Question, QuestionVersion, StandardSetting, User
from lms.models.standard_setting import ANGOFF_METHOD, PANEL_ADOPTED, PANEL_OPEN

MIN_RATERS = 2  # a panel: at least two raters who rated every question
MAX_NOTE = 500


class StandardSettingError(ValueError):
    """A rating or an adoption that cannot be made (the message says why)."""


@dataclass
class RatedItem:
    """A question the blueprint can draw, with its ratings (by rater id) and their mean."""

    slug: str
    stem_html: str
    ratings: dict[int, float] = field(default_factory=dict)

    @property
    def mean(self) -> float | None:
        return mean(self.ratings.values()) if self.ratings else None


@dataclass
class Rater:
    """One rater: how many questions they rated, and their cut once they rated them all."""

    id: int
    name: str
    rated: int
    cut: float | None = None
    total: float = 0.0  # the sum of their ratings

    @property
    def mean(self) -> float | None:
        """Their mean rating over the questions they rated."""
        return self.total / self.rated if self.rated else None

    def complete(self, total: int) -> bool:
        return self.rated == total


@dataclass
class Panel:
    """What the rating page shows for one exam version."""

    version: ExamVersion
    record: StandardSetting | None
    items: list[RatedItem]
    raters: list[Rater]
    result: AngoffResult | None  # from the raters who rated every question (None: nobody yet)
    panel_raters: list[Rater] = field(default_factory=list)

    @property
    def can_adopt(self) -> bool:
        return self.result is not None and len(self.panel_raters) >= MIN_RATERS and self.result.cut > 0


def open_panel(version: ExamVersion) -> StandardSetting | None:
    """The open panel of an exam version, if any."""
    return db.session.scalar(select(StandardSetting).where(StandardSetting.exam_version_id == version.id,
                                                           StandardSetting.status == PANEL_OPEN))


def panel(version: ExamVersion) -> Panel:
    """The ratings of an exam version's open panel and what they give."""
    cells = version.blueprint["draw"]
    pools = drawable_pools(cells)
    slugs = sorted({slug for pool in pools for slug in pool})
    stems = dict(db.session.execute(
        select(Question.slug, QuestionVersion.rendered)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.slug.in_(slugs or [""]))).all())
    items = [RatedItem(slug, stems[slug]["stem"]) for slug in slugs]
    record = open_panel(version)
    raters: dict[int, Rater] = {}
    if record is not None:
        by_slug = {item.slug: item for item in items}
        rows = db.session.execute(
            select(AngoffRating, User.name).join(User, User.id == AngoffRating.rater_id)
            .where(AngoffRating.standard_setting_id == record.id).order_by(AngoffRating.id)).all()
        for rating, name in rows:
            if rating.question_slug not in by_slug:
                continue  # a question the blueprint no longer draws
            by_slug[rating.question_slug].ratings[rating.rater_id] = rating.probability
            rater = raters.setdefault(rating.rater_id, Rater(rating.rater_id, name, 0))
            rater.rated, rater.total = rater.rated + 1, rater.total + rating.probability
    complete = [r for r in raters.values() if r.complete(len(items))]
    result = None
    if complete and items:
        result = angoff_result(cells, pools, [str(r.id) for r in complete],
                               {item.slug: [item.ratings[r.id] for r in complete] for item in items})
        for r in complete:
            r.cut = result.rater_cuts[str(r.id)]
    return Panel(version, record, items, list(raters.values()), result, complete)


def parse_probability(text) -> float | None:
    """A rating as typed: a probability from 0 to 1 ("0.75"), or a percentage ("75%"); blank: None."""
    text = str(text if text is not None else "").strip()
    if not text:
        return None
    percent = text.endswith("%")
    try:
        value = float(text.rstrip("%").strip())
    except ValueError:
        raise StandardSettingError(f"'{text}' is not a probability from 0 to 1.") from None
    value = value / 100 if percent else value
    if not 0 <= value <= 1 or value != value:
        raise StandardSettingError(f"'{text}' is not a probability from 0 to 1.")
    return round(value, 4)


def rate_items(version: ExamVersion, values: dict[str, str], *, actor, now) -> int:
    """Record the rater's probabilities for questions of the exam version (blank leaves a rating as it
    was); opens the version's panel on the first rating. Returns how many ratings were saved."""
    if version.exam.current_version_id != version.id:
        raise StandardSettingError("This exam has a newer version; rate that one.")
    drawable = {slug for pool in drawable_pools(version.blueprint["draw"]) for slug in pool}
    parsed = {}
    for slug, text in values.items():
        if slug not in drawable:
            raise StandardSettingError(f"Question '{slug}' is not drawn by this exam.")
        value = parse_probability(text)
        if value is not None:
            parsed[slug] = value
    if not parsed:
        raise StandardSettingError("Enter at least one rating.")
    record = open_panel(version)
    if record is None:
        record = StandardSetting(exam_id=version.exam_id, exam_version_id=version.id, status=PANEL_OPEN,
                                 method=ANGOFF_METHOD, note="", created_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(record)
                db.session.flush()
        except IntegrityError:  # another rater opened it at the same moment
            record = open_panel(version)
    existing = {r.question_slug: r for r in db.session.scalars(select(AngoffRating).where(
        AngoffRating.standard_setting_id == record.id, AngoffRating.rater_id == actor.id))}
    for slug, value in parsed.items():
        if slug in existing:
            existing[slug].probability, existing[slug].rated_at = value, now
        else:
            db.session.add(AngoffRating(standard_setting_id=record.id, rater_id=actor.id, question_slug=slug,
                                        probability=value, rated_at=now))
    db.session.flush()
    record_event("standard_setting.rate", actor=actor, obj=record, now=now, details={
        "exam_version_id": version.id, "ratings": len(parsed)})
    return len(parsed)


def adopt_cut(version: ExamVersion, *, note: str = "", actor, now) -> ExamVersion:
    """Adopt the panel's cut as the exam's pass mark: the record is filled in (the exam file's
    standard_setting section) and a new exam version carries it; attempts started keep theirs."""
    exam = version.exam
    if exam.current_version_id != version.id:
        raise StandardSettingError("This exam has a newer version; its panel must rate that one.")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise StandardSettingError(f"Keep the note under {MAX_NOTE} characters.")
    figures = panel(version)
    if not figures.can_adopt:
        raise StandardSettingError(f"At least {MIN_RATERS} raters must rate every question before the cut "
                                   "can be adopted.")
    record, result, raters = figures.record, figures.result, figures.panel_raters
    claimed = db.session.execute(  # a conditional update: two staff adopting at once adopt once
        update(StandardSetting).where(StandardSetting.id == record.id, StandardSetting.status == PANEL_OPEN)
        .values(status=PANEL_ADOPTED).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        raise StandardSettingError("This panel's cut has already been adopted.")
    cut = round(result.cut, 1)
    record.date, record.note, record.cut = program_today(now), note, cut
    record.raters = [r.name for r in raters]
    record.ratings = {item.slug: [item.ratings[r.id] for r in raters] for item in figures.items}
    blueprint = copy.deepcopy(version.blueprint)
    before = blueprint["pass_mark"]
    blueprint["pass_mark"] = cut
    blueprint["standard_setting"] = record.as_file_section()
    number = db.session.scalar(select(func.max(ExamVersion.number)).where(ExamVersion.exam_id == exam.id))
    adopted = ExamVersion(exam_id=exam.id, number=number + 1, content_hash=content_hash(blueprint),
                          title=version.title, description_html=version.description_html, blueprint=blueprint,
                          source_path=version.source_path, created_at=now)
    db.session.add(adopted)
    db.session.flush()
    exam.current_version_id = adopted.id
    record.status, record.adopted_by_id, record.adopted_at, record.adopted_version_id = (
        PANEL_ADOPTED, actor.id, now, adopted.id)  # the status the claim above wrote, on the loaded object too
    db.session.flush()
    record_event("standard_setting.adopt", actor=actor, obj=record, now=now, details={
        "exam": exam.slug, "from_version": version.number, "to_version": adopted.number, "pass_mark_before": before,
        "pass_mark": cut, "spread": round(result.spread, 2), "raters": len(raters), "questions": len(figures.items)})
    return adopted
