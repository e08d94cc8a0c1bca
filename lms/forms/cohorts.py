"""Cohort forms for instructors: create a cohort, enroll trainees, post a notice."""
from wtforms import DateField, EmailField, FileField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from lms.cohorts.instructor_tools import MAX_NOTICE_CHARS
from lms.forms.base import ButtonForm
from lms.forms.validators import IdentityText


class CohortForm(ButtonForm, button="Create the cohort"):
    """A new cohort: a run of a track from a date, for some agencies (none: any agency's trainees)."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200), IdentityText("The name")],
                       description="Unique, e.g. “Officer basic, spring 2027, Richmond”.")
    track = SelectField("Track", validators=[DataRequired()])
    start_date = DateField("Start date (week 1 opens)", validators=[DataRequired()])
    agencies = SelectMultipleField("Agencies whose trainees it takes", coerce=int, validators=[Optional()])


class EnrollForm(ButtonForm, button="Enroll"):
    """Enroll one trainee who has an account."""

    email = EmailField("Trainee's e-mail address", validators=[DataRequired(), Length(max=254)])


class CohortRosterForm(ButtonForm, button="Enroll"):
    """Enroll the trainees a CSV file names."""

    roster = FileField("Roster (CSV, UTF-8)")


class NoticeForm(ButtonForm, button="Post the notice"):
    """A notice for the cohort's trainees."""

    body = TextAreaField("Notice", validators=[DataRequired(), Length(max=MAX_NOTICE_CHARS)],
                         description="Markdown: **bold**, lists, links. Its trainees see it on their course page.")
