"""Question interchange forms: a file of another system's questions to preview, then to import."""
from flask_wtf import FlaskForm
from wtforms import FileField, HiddenField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from lms.content.interchange.common import DIFFICULTIES

FORMAT_CHOICES = [SelectChoice("gift", "GIFT (Moodle's text format, .gift or .txt)"),
                  SelectChoice("aiken", "Aiken (.txt)"), SelectChoice("moodle-xml", "Moodle XML (.xml)")]


class ImportChoicesForm(FlaskForm):
    """Where the questions go: the bank, the objective and difficulty they are filed under."""

    fmt = SelectField("Format of the file", choices=FORMAT_CHOICES, validators=[DataRequired()])
    bank = SelectField("Question bank", validators=[DataRequired()])
    objective = SelectField("Objective the questions test", validators=[DataRequired()],
                            description="The formats do not name our objectives: every question is filed under "
                                        "this one.")
    difficulty = SelectField("Difficulty", default="medium", choices=[SelectChoice(d, d) for d in DIFFICULTIES],
                             validators=[DataRequired()])


class ImportUploadForm(ImportChoicesForm):
    """The first step: the file and where its questions would go; the preview follows."""

    questions = FileField("File of questions")
    submit = SubmitField("Preview")


class ImportConfirmForm(ImportChoicesForm):
    """The second step: the previewed file (kept on the server, named by its hash) imported as previewed."""

    sha256 = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Import")
