"""Whether an exam's blueprint can be drawn: the questions each cell can draw, and the shortfall over
every allowed attempt without repeats."""
from collections import Counter

from lms.content.catalog import BankSpec


def describe_cell(cell: dict) -> str:
    """A blueprint cell in words: "bank civil-rights, objective CR-2.1"."""
    return ", ".join(f"{k} {cell[k]}" for k in ("bank", "objective", "difficulty") if k in cell)


def _cell_matches(cell: dict, bank_id: str, question: dict) -> bool:
    return (
        cell["bank"] == bank_id
        and question.get("status", "active") == "active"
        and cell.get("objective", question["objective"]) == question["objective"]
        and cell.get("difficulty", question["difficulty"]) == question["difficulty"]
    )


def cell_pools(cells: list[dict], banks: dict[str, BankSpec]) -> list[list[str]]:
    """The ids of the active questions each cell can draw."""
    pools = []
    for cell in cells:
        bank = banks.get(cell["bank"])
        pools.append([q["id"] for q in bank.questions if _cell_matches(cell, bank.id, q)] if bank else [])
    return pools


def draw_rounds(blueprint: dict) -> int:
    """How many attempts the blueprint must serve without repeats: all it allows, or one when it repeats."""
    return blueprint["attempts"] if blueprint.get("no_repeats", False) else 1


def blueprint_problems(blueprint: dict, banks: dict[str, BankSpec]) -> list[tuple[int, str]]:
    """Why cells of an exam (its file's values) cannot be drawn: (cell index, what ``lms content check`` says)."""
    rounds = draw_rounds(blueprint)
    problems = []
    for index, needed, found in blueprint_shortfall(blueprint["draw"], banks, rounds):
        cell = blueprint["draw"][index]
        why = f" for {rounds} attempts without repeats" if rounds > 1 else ""
        message = (f"cannot draw {cell['count']} question(s) ({describe_cell(cell)}){why}: needs {needed} active, "
                   f"has {found} (counting questions shared with other cells once)")
        problems.append((index, message))
    return problems


def blueprint_shortfall(cells: list[dict], banks: dict[str, BankSpec], rounds: int) -> list[tuple[int, int, int]]:
    """Cells that cannot be filled ``rounds`` times over with distinct questions.

    Returns (cell index, questions needed, questions found). Cells may overlap (an objective cell
    and a whole-bank cell); a bipartite matching of cell slots to questions decides exactly.
    """
    candidates = cell_pools(cells, banks)
    slots = [(i, pool) for i, (cell, pool) in enumerate(zip(cells, candidates)) for _ in range(cell["count"] * rounds)]
    owner: dict[str, int] = {}

    def assign(slot: int, seen: set) -> bool:
        for qid in slots[slot][1]:
            if qid in seen:
                continue
            seen.add(qid)
            if qid not in owner or assign(owner[qid], seen):
                owner[qid] = slot
                return True
        return False

    filled = Counter()
    for slot in range(len(slots)):
        if assign(slot, set()):
            filled[slots[slot][0]] += 1
    # A reassignment can move a filled slot, so count fills from the final matching.
    filled = Counter(slots[s][0] for s in owner.values())
    return [
        (i, cell["count"] * rounds, len(candidates[i]))
        for i, cell in enumerate(cells)
        if filled[i] < cell["count"] * rounds
    ]
