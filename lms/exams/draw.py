"""Drawing an attempt's questions from a blueprint: seeded, per cell, without repeats when asked.

Cells may overlap (an objective cell and a whole-bank cell), so a question must not fill two
slots: the draw is a bipartite matching of cell slots to questions (Kuhn's augmenting paths) over
candidate lists shuffled by the attempt's seed, the same reasoning ``lms content check`` uses to
prove a blueprint drawable. With ``no_repeats`` the matching first uses only questions the trainee
has not seen in this exam, and falls back to seen ones only for slots it cannot fill otherwise
(more attempts granted than the banks can serve fresh). Questions of one family (the same fact asked
in two banks) are never drawn into one attempt: when the first matching puts two of a family on this
attempt, the attempt is matched again with the family as the unit, so the rule holds exactly for the
attempt drawn (the reservation for later attempts then counts questions, not families).
"""
import functools
import random
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from lms.exams.versions import forget_pinned_versions, pinned_versions
from lms.extensions import db
from lms.models import Question, QuestionBank, QuestionPool, QuestionVersion


class DrawError(RuntimeError):
    """The active questions cannot fill the blueprint (a content problem, caught by content check)."""


@dataclass(frozen=True)
class Candidate:
    """An active question that a cell may draw."""

    question_id: int
    version_id: int
    bank: str
    objective: str
    difficulty: str
    position: int
    family: str | None = None
    content_hash: str | None = None  # the pinned version's, which names its (immutable) content


@dataclass(frozen=True)
class Drawn:
    """A question drawn for a cell."""

    cell: int
    candidate: Candidate
    repeat: bool = False


_ANY = object()


def draw_pools(cells: list[dict], candidates) -> list[list[Candidate]]:
    """Each cell's candidates (its bank's, of its objective and difficulty when it names them), in their order.

    The candidates are indexed by bank and by objective once for all the cells: a final has a cell for each of its
    objectives (68 of them), and going through every candidate for each cell was most of its draw."""
    by_bank, by_objective = defaultdict(list), defaultdict(list)
    for candidate in candidates:
        by_bank[candidate.bank].append(candidate)
        by_objective[candidate.bank, candidate.objective].append(candidate)
    pools = []
    for cell in cells:
        objective, difficulty = cell.get("objective", _ANY), cell.get("difficulty", _ANY)
        pool = by_bank[cell["bank"]] if objective is _ANY else by_objective[cell["bank"], objective]
        pools.append([c for c in pool if difficulty is _ANY or difficulty == c.difficulty])
    return pools


# The pool's token (lms.models.exam.QuestionPool), which names the state of every bank's questions: read with a
# start's context (lms.exams.attempts) and with the candidates, in the same statement as each.
POOL_TOKEN = select(QuestionPool.token).where(QuestionPool.id == 1).scalar_subquery()


@functools.cache  # one per number of banks (a blueprint draws from a few)
def _candidates(banks: int):
    """The active questions of ``banks`` banks (bound as bank0, bank1, ...: plain binds, where an expanding IN
    would be rendered again at each execution), in a stable order, each row with the pool's token."""
    return (
        select(Question.id, Question.current_version_id, QuestionBank.slug, Question.objective, Question.difficulty,
               Question.position, Question.family, QuestionVersion.content_hash, POOL_TOKEN)
        .join(QuestionBank, QuestionBank.id == Question.bank_id)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(QuestionBank.slug.in_([bindparam(f"bank{i}") for i in range(banks)]), QuestionBank.retired_at.is_(None),
               Question.status == "active")
        .order_by(Question.id)
    )


# The same row makes the same (immutable) candidate: kept, bounded, so a start builds only the new ones.
_CANDIDATE_OF: dict[tuple, Candidate] = {}
_CANDIDATE_LIMIT = 50_000
# Each set of banks' candidates as last read, with the pool's token they were read under: (token, candidates).
_POOLS: dict[tuple[str, ...], tuple[str, tuple[Candidate, ...]]] = {}
_POOLS_LIMIT = 200


def load_candidates(cells: list[dict], pool_token: str | None = None) -> tuple[Candidate, ...]:
    """The active questions of the blueprint's banks, in a stable order. ``pool_token``, the pool's token as the
    caller's transaction reads it (lms.models.exam.QuestionPool): the candidates kept under that token are the
    ones it would read, so they are not read again; without one, or with another, they are read (one query)."""
    banks = tuple(sorted({cell["bank"] for cell in cells}))
    kept = _POOLS.get(banks)
    if pool_token is not None and kept is not None and kept[0] == pool_token:
        return kept[1]
    rows = db.session.connection().execute(_candidates(len(banks)),
                                           {f"bank{i}": bank for i, bank in enumerate(banks)}).all()
    if len(_CANDIDATE_OF) + len(rows) > _CANDIDATE_LIMIT:
        _CANDIDATE_OF.clear()
    candidates = []
    for row in rows:
        key = tuple(row[:-1])
        candidate = _CANDIDATE_OF.get(key)
        if candidate is None:
            candidate = _CANDIDATE_OF[key] = Candidate(*key)
        candidates.append(candidate)
    candidates = tuple(candidates)
    token = rows[0][-1] if rows else None  # the token of the snapshot the rows were read in
    if token is not None:
        if len(_POOLS) >= _POOLS_LIMIT:
            _POOLS.clear()
        _POOLS[banks] = (token, candidates)
    return candidates


def forget_pools() -> None:
    """Empty the kept candidates (tests that count a process's first start)."""
    _POOLS.clear()


def version_data(drawn: list[Drawn]) -> dict[int, dict]:
    """The stored data of the drawn questions' pinned versions, by version id (kept per process by version id
    and content hash: lms.exams.versions)."""
    pinned = pinned_versions({(d.candidate.version_id, d.candidate.content_hash) for d in drawn})
    return {vid: data for vid, (data, _rendered) in pinned.items()}


def forget_version_data() -> None:
    """Empty the kept version data and candidates (tests that count a cold start)."""
    forget_pinned_versions()
    forget_pools()


def _question_key(cand: Candidate):
    return cand.question_id


def _family_key(cand: Candidate):
    """A question's family, or the question itself when it has none."""
    return cand.family if cand.family else cand.question_id


def _match(slots: list[list[Candidate]], owner: dict, assigned: dict[int, Candidate], todo: list[int],
           key=_question_key) -> None:
    """Augment the matching ``owner`` (resource -> slot; a resource is ``key(candidate)``, the question
    itself unless families are the unit) for each slot in ``todo``."""

    def augment(slot: int, visited: set) -> bool:
        for cand in slots[slot]:
            resource = key(cand)
            if resource in visited:
                continue
            visited.add(resource)
            holder = owner.get(resource)
            if holder is None or augment(holder, visited):
                owner[resource] = slot
                assigned[slot] = cand
                return True
        return False

    for slot in todo:
        augment(slot, set())


def _repeats_a_family(candidates) -> bool:
    families = [c.family for c in candidates if c.family]
    return len(families) != len(set(families))


def draw_questions(cells: list[dict], candidates: list[Candidate], rng: random.Random, *,
                   seen: frozenset[int] = frozenset(), rounds: int = 1, shuffle: bool = True) -> list[Drawn]:
    """Fill every cell's count with distinct questions; the result is in the order to show.

    ``rounds`` is how many attempts (this one included) must still be served without repeats: the
    draw matches the slots of all of them at once over unseen questions and keeps this attempt's, so
    an early attempt never uses up what a later one needs (the reservation ``lms content check``
    proved possible). With fewer unseen questions than that, it reserves for fewer rounds; only when
    even this attempt cannot be served fresh do seen questions fill the gaps. Deterministic for a
    given seed and candidate list. Raises DrawError when even repeats cannot fill the blueprint.
    """
    pools = draw_pools(cells, candidates)
    for pool in pools:
        rng.shuffle(pool)
    cell_of_slot = [i for i, cell in enumerate(cells) for _ in range(cell["count"])]
    size = len(cell_of_slot)
    fresh_pools = [[c for c in pool if c.question_id not in seen] for pool in pools]
    for reserve in range(max(1, rounds), 0, -1):
        slots = [fresh_pools[cell_of_slot[s % size]] for s in range(size * reserve)]
        owner: dict[int, int] = {}
        assigned: dict[int, Candidate] = {}
        _match(slots, owner, assigned, list(range(len(slots))))
        if len(assigned) == len(slots):
            break
    owner = {qid: slot for qid, slot in owner.items() if slot < size}
    assigned = {slot: cand for slot, cand in assigned.items() if slot < size}
    # Unseen questions first, then seen ones: only the slots still empty reach for a repeat.
    everyone = [[*fresh_pools[cell_of_slot[s]], *[c for c in pools[cell_of_slot[s]] if c.question_id in seen]]
                for s in range(size)]
    missing = [s for s in range(size) if s not in assigned]
    if missing:
        _match(everyone, owner, assigned, missing)
    if _repeats_a_family(assigned.values()):
        owner, assigned = {}, {}
        _match([fresh_pools[cell_of_slot[s]] for s in range(size)], owner, assigned, list(range(size)), _family_key)
        _match(everyone, owner, assigned, [s for s in range(size) if s not in assigned], _family_key)
    if len(assigned) < size:
        short = sorted({cell_of_slot[s] for s in range(size) if s not in assigned})
        raise DrawError(f"not enough active questions for blueprint cell(s) {short}")
    drawn = [Drawn(cell_of_slot[s], assigned[s], assigned[s].question_id in seen) for s in range(size)]
    if shuffle:
        rng.shuffle(drawn)
    else:
        drawn.sort(key=lambda d: (d.cell, d.candidate.bank, d.candidate.position))
    return drawn
