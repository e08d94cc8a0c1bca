"""Modified-Angoff cut scores for exams drawn at random from banks.

Each rater judges, for each question, the probability that a minimally competent officer answers it
correctly. On a fixed form the cut is the sum of the item means. Our exams are drawn per blueprint cell,
so every form differs: the cut is the expected score of a minimally competent officer on a form drawn
from the blueprint, that is, each cell's count times the mean rating of the questions the cell can draw,
summed over the cells, as a percentage of the questions drawn. Every question counts one point, as in
grading. The same formula per rater gives each rater's cut; their spread shows how far the panel agrees.
"""
from dataclasses import dataclass
from statistics import mean, pstdev


@dataclass(frozen=True)
class AngoffResult:
    """A panel's result for one blueprint."""

    rater_cuts: dict[str, float]  # rater -> that rater's cut, in percent
    cut: float  # the panel's cut, in percent (the mean of the item means, blueprint-weighted)
    spread: float  # the standard deviation of the raters' cuts, in percentage points
    unrated: list[str]  # questions a cell can draw that no rating covers


def angoff_result(cells: list[dict], pools: list[list[str]], raters: list[str],
                  ratings: dict[str, list[float]]) -> AngoffResult:
    """The cut for a blueprint (``cells`` with counts, ``pools`` the question ids each cell can draw)."""
    total = sum(cell["count"] for cell in cells)
    unrated = sorted({qid for pool in pools for qid in pool if qid not in ratings})

    def cut_for(score) -> float:
        expected = 0.0
        for cell, pool in zip(cells, pools):
            rated = [score(qid) for qid in pool if qid in ratings]
            expected += cell["count"] * (mean(rated) if rated else 0.0)
        return 100 * expected / total if total else 0.0

    rater_cuts = {rater: cut_for(lambda qid, k=k: ratings[qid][k]) for k, rater in enumerate(raters)}
    return AngoffResult(
        rater_cuts=rater_cuts,
        cut=cut_for(lambda qid: mean(ratings[qid])),
        spread=pstdev(rater_cuts.values()) if len(rater_cuts) > 1 else 0.0,
        unrated=unrated,
    )
