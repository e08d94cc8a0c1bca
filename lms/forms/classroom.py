"""Classroom forms: scheduling a session, cancelling one, handing in a written exercise, grading one. The
attendance roster and the rubric's levels are plain form controls named per trainee and per criterion."""
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms.forms.base import ButtonForm
from lms.models.classroom import FIRST_GRADER, SECOND_GRADER


class SessionForm(ButtonForm):
    """A classroom session, its times in the program's time zone."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    day = DateField("Date", validators=[DataRequired()])
    start = TimeField("Starts", validators=[DataRequired()])
    end = TimeField("Ends", validators=[DataRequired()])
    place = StringField("Place", validators=[DataRequired(), Length(max=200)])
    hours = FloatField("Classroom hours it counts for", validators=[DataRequired(), NumberRange(min=0.25, max=24)])
    week = IntegerField("Week of the course", validators=[DataRequired(), NumberRange(min=1, max=52)])
    covers = SelectMultipleField("Modules and exercises covered", validators=[Optional()],
                                 description="Hold Ctrl (or Command) to choose several.")


class CancelSessionForm(ButtonForm):
    """Why a session is cancelled."""

    reason = StringField("Reason for cancelling", validators=[DataRequired(), Length(max=500)])


class SubmissionForm(ButtonForm):
    """A written exercise: typed text, or a PDF."""

    text = TextAreaField("Type your work", validators=[Optional(), Length(max=50_000)])
    document = FileField("Or upload it as a PDF", description="PDF only, at most 10 MB.")


class GradeForm(ButtonForm):
    """The grader's role and comments (each criterion's level is a radio group named score-<criterion>)."""

    role = SelectField("Grading as", choices=[SelectChoice(FIRST_GRADER, "First grader (the grade that counts)"),
                                              SelectChoice(SECOND_GRADER, "Second grader (a check of the first)")])
    comments = TextAreaField("Comments for the trainee", validators=[Optional(), Length(max=5000)])
