"""A readable line diff between two revisions of a module's file (front matter and body), for the page
that compares them: changed lines with a little context, each row numbered on both sides."""
import difflib
from dataclasses import dataclass

CONTEXT_LINES = 3


@dataclass(frozen=True)
class DiffRow:
    """One line of the diff: ``kind`` is "same", "removed", "added", or "gap" (unchanged lines left out)."""

    kind: str
    old_number: int | None
    new_number: int | None
    text: str


def diff_rows(old: str, new: str, context: int = CONTEXT_LINES) -> list[DiffRow]:
    """The lines of ``new`` against ``old``: removed and added lines with ``context`` unchanged ones around."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    for index, group in enumerate(difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context)):
        if index or group[0][1] > 0:
            rows.append(DiffRow("gap", None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [DiffRow("same", i + 1, j1 + k + 1, a[i]) for k, i in enumerate(range(i1, i2))]
                continue
            rows += [DiffRow("removed", i + 1, None, a[i]) for i in range(i1, i2)]
            rows += [DiffRow("added", None, j + 1, b[j]) for j in range(j1, j2)]
    return rows
