"""The module editor: the front matter's keys as fields, the Markdown body in a plain text area; the exercise
editor: its file's keys as fields, the rubric as rows of criteria and levels.

No validators of their own beyond CSRF: `lms content check`'s code judges the draft and its messages are
put on the fields (lms.authoring.modules.check_draft)."""
import re

from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from lms.content.schemas import TOPICS
from lms.forms.base import ButtonForm


class ModuleForm(ButtonForm):
    """A module's file as fields."""

    id = StringField("Module id", description='"topic/slug", e.g. civil-rights/fourth-amendment; it never changes.')
    title = StringField("Title")
    topic = SelectField("Topic",
                        choices=[SelectChoice("", "- Choose a topic -")] + [SelectChoice(t, t) for t in TOPICS],
                        validate_choice=False)
    minutes = StringField("Minutes", description="Expected reading and study time, in minutes.")
    objectives = TextAreaField("Objectives", description='One a line: "ID: text", e.g. "CR-2.1: Distinguish a '
                               'consensual encounter, a stop and an arrest."')
    sources = TextAreaField("Sources", description="One public primary source a line.")
    annex = BooleanField("Agency annex (added by an MOU, not placed in a track)")
    reviewed = StringField("Last reviewed", description="The date of the last review for accuracy, YYYY-MM-DD.")
    reviewed_by = StringField("Reviewed by")
    body = TextAreaField("Markdown", description="Headings ## and ###; see the content format for admonitions, "
                         "tables and footnotes.")

    FRONT_FIELDS = ("id", "title", "topic", "minutes", "objectives", "sources", "annex", "reviewed", "reviewed_by")

    def values(self) -> dict:
        """The fields as typed."""
        return {name: self[name].data for name in self.FRONT_FIELDS}

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        """Put the check's messages on their fields (the module id's field takes any without one)."""
        placed: dict[str, list[str]] = {}
        for name, messages in errors.items():
            placed.setdefault(name if name in self.FRONT_FIELDS + ("body",) else "id", []).extend(messages)
        for name, messages in placed.items():
            self[name].errors = messages


class CommentForm(ButtonForm):
    """A comment on a draft."""

    comment = TextAreaField("Comment")


class ExerciseForm(ButtonForm):
    """A practical exercise's file as fields; its rubric's rows are read by rubric_rows (their number changes
    as criteria and levels are added and removed, each by a button the server answers)."""

    id = StringField("Exercise id",
                     description="Lower case with hyphens, e.g. consular-notification; it never changes.")
    title = StringField("Title")
    mode = SelectField("Submission", choices=[SelectChoice("", "- Choose how it is handed in -"),
                                              SelectChoice("written", "Written work: typed text or a PDF upload"),
                                              SelectChoice("observed", "Observed by the instructor")],
                       validate_choice=False)
    instructions = TextAreaField("Instructions (Markdown)", description="What the trainee does; trainees see it "
                                 "rendered and sanitized, as the preview shows.")
    pass_total = StringField("Points to pass", description="The total a trainee needs; each criterion's own "
                             "minimum is set in its row of the rubric.")
    sources = TextAreaField("Sources", description="One public primary source a line.")

    FILE_FIELDS = ("id", "title", "mode", "pass_total", "sources")
    ERROR_FIELDS = {"id": "id", "title": "title", "mode": "mode", "instructions": "instructions",
                    "pass": "pass_total", "sources": "sources"}

    def values(self) -> dict:
        """The fields as typed."""
        return {name: self[name].data for name in self.FILE_FIELDS}

    def show_errors(self, errors: dict[str, list[str]]) -> list[str]:
        """Put the check's messages on their fields; return the rubric's (shown above its rows)."""
        rubric = []
        for key, messages in errors.items():
            if key in self.ERROR_FIELDS:
                self[self.ERROR_FIELDS[key]].errors = list(self[self.ERROR_FIELDS[key]].errors or []) + messages
            else:
                rubric.extend(messages)
        return rubric


LEVEL_KEYS = ("points", "label", "descriptor")
ROW_ACTION = re.compile(r"^(add-criterion|remove-criterion-(\d+)|add-level-(\d+)|remove-level-(\d+)-(\d+))$")


def rubric_rows(formdata) -> list[dict]:
    """The rubric's rows as typed: criterion i's fields are c-i-id, c-i-title, c-i-minimum; its level j's
    c-i-l-j-points, -label, -descriptor (i and j counted from 0, without gaps)."""
    rows, i = [], 0
    while f"c-{i}-id" in formdata:
        levels, j = [], 0
        while f"c-{i}-l-{j}-points" in formdata:
            levels.append({k: formdata.get(f"c-{i}-l-{j}-{k}", "") for k in LEVEL_KEYS})
            j += 1
        rows.append({"id": formdata.get(f"c-{i}-id", ""), "title": formdata.get(f"c-{i}-title", ""),
                     "minimum": formdata.get(f"c-{i}-minimum", ""), "levels": levels})
        i += 1
    return rows


def change_rubric_rows(rows: list[dict], action: str) -> bool:
    """Apply an add or remove button's ``action`` to the rows (a new criterion comes with two empty levels,
    the fewest a criterion has); False when ``action`` is none of them."""
    match = ROW_ACTION.match(action or "")
    if not match:
        return False
    empty_level = dict.fromkeys(LEVEL_KEYS, "")
    if action == "add-criterion":
        rows.append({"id": "", "title": "", "minimum": "", "levels": [dict(empty_level), dict(empty_level)]})
    elif match.group(2) is not None and int(match.group(2)) < len(rows):
        del rows[int(match.group(2))]
    elif match.group(3) is not None and int(match.group(3)) < len(rows):
        rows[int(match.group(3))]["levels"].append(dict(empty_level))
    elif match.group(4) is not None and int(match.group(4)) < len(rows):
        levels = rows[int(match.group(4))]["levels"]
        if int(match.group(5)) < len(levels):
            del levels[int(match.group(5))]
    return True
