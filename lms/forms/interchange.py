"""Question interchange forms: a file of another system's questions to preview, then to import."""
from wtforms import FileField, HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from lms.content.interchange.common import DIFFICULTIES
from lms.forms.base import ButtonForm

FORMAT_CHOICES = [SelectChoice("gift", "GIFT (Moodle's text format, .gift or .txt)"),
                  SelectChoice("aiken", "Aiken (.txt)"), SelectChoice("moodle-xml", "Moodle XML (.xml)")]


class ImportChoicesForm(ButtonForm):
    """Where the questions go: the bank, the objective and difficulty they are filed under."""

    fmt = SelectField("Format of the file", choices=FORMAT_CHOICES, validators=[DataRequired()])
    bank = SelectField("Question bank", validators=[DataRequired()])
    objective = SelectField("Objective the questions test", validators=[DataRequired()],
                            description="The formats do not name our objectives: every question is filed under "
                                        "this one.")
    difficulty = SelectField("Difficulty", default="medium", choices=[SelectChoice(d, d) for d in DIFFICULTIES],
                             validators=[DataRequired()])


class ImportUploadForm(ImportChoicesForm, button="Preview"):
    """The first step: the file and where its questions would go; the preview follows."""

    questions = FileField("File of questions")


class ImportConfirmForm(ImportChoicesForm, button="Import"):
    """The second step: the previewed file (kept on the server, named by its hash) imported as previewed."""

    sha256 = HiddenField(validators=[DataRequired()])
