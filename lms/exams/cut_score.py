"""How an exam's pass mark was set: the modified-Angoff panel its file records, recomputed from the
questions its blueprint can draw today (lms.content.standard_setting holds the formula)."""
from dataclasses import dataclass

from sqlalchemy import select

from lms.content.standard_setting import angoff_result
from lms.exams.draw import draw_pools, load_candidates
from lms.extensions import db
from lms.models import ExamVersion, Question


@dataclass(frozen=True)
class CutScoreRecord:
    """A recorded panel and what its ratings give for the blueprint as it stands."""

    method: str
    date: str
    note: str
    raters: list[str]
    rater_cuts: dict[str, float]  # each rater's cut, in percent
    cut: float  # the panel's cut recomputed now, in percent
    recorded_cut: float  # the cut the file states
    spread: float  # standard deviation of the raters' cuts, in points
    rated: int  # questions the blueprint can draw that the panel rated
    unrated: list[str]  # questions the blueprint can draw that no rating covers (added since the panel)
    pass_mark: float

    @property
    def agrees(self) -> bool:
        """The recomputed cut rounds to the pass mark and every drawable question was rated."""
        return not self.unrated and round(self.cut) == round(self.pass_mark)


def drawable_pools(cells: list[dict]) -> list[list[str]]:
    """The question ids each blueprint cell can draw today (the pools the Angoff formula weighs)."""
    candidates = load_candidates(cells)
    slugs = dict(db.session.execute(
        select(Question.id, Question.slug).where(Question.id.in_([c.question_id for c in candidates]))).all())
    return [[slugs[c.question_id] for c in pool] for pool in draw_pools(cells, candidates)]


def cut_score_record(version: ExamVersion) -> CutScoreRecord | None:
    """The exam version's standard-setting record, recomputed; None when the file records none."""
    blueprint = version.blueprint
    panel = blueprint.get("standard_setting")
    if not panel:
        return None
    cells = blueprint["draw"]
    pools = drawable_pools(cells)
    result = angoff_result(cells, pools, panel["raters"], panel["ratings"])
    drawable = {slug for pool in pools for slug in pool}
    return CutScoreRecord(
        method=panel["method"], date=str(panel["date"]), note=panel.get("note", ""), raters=list(panel["raters"]),
        rater_cuts=result.rater_cuts, cut=result.cut, recorded_cut=panel["cut"], spread=result.spread,
        rated=len(drawable) - len(result.unrated), unrated=result.unrated, pass_mark=blueprint["pass_mark"],
    )
