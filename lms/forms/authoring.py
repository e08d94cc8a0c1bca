"""The module editor: the front matter's keys as fields, the Markdown body in a plain text area.

No validators of their own beyond CSRF: `lms content check`'s code judges the draft and its messages are
put on the fields (lms.authoring.modules.check_draft)."""
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from lms.content.schemas import TOPICS
from lms.forms.base import ButtonForm


class ModuleForm(ButtonForm):
    """A module's file as fields."""

    id = StringField("Module id", description='"topic/slug", e.g. civil-rights/fourth-amendment; it never changes.')
    title = StringField("Title")
    topic = SelectField("Topic", choices=[SelectChoice("", "- Choose a topic -")] + [SelectChoice(t, t) for t in TOPICS],
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
