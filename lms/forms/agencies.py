"""Forms for agencies, agreements (MOUs), nominations and roster imports."""
from flask_wtf.file import FileField
from wtforms import (
    BooleanField, DateField, EmailField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms.forms.base import ButtonForm
from lms.forms.validators import IdentityText


class AgencyForm(ButtonForm, button="Save"):
    """Create or edit an agency (the ORI is set once)."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200), IdentityText("The agency's name")])
    state = StringField("State (two letters)", validators=[DataRequired(), Length(min=2, max=2),
                                                           IdentityText("The state")])
    ori = StringField("ORI number", validators=[Optional(), Length(max=9), IdentityText("The ORI")],
                      description="Nine letters and digits, e.g. FL0370000.")
    kind = SelectField("Kind", validators=[Optional()])
    contacts = TextAreaField("Points of contact", validators=[Optional(), Length(max=2000)],
                             description="Names, roles, telephone numbers and e-mail addresses, one per line.")


class MouForm(ButtonForm, button="Save"):
    """Create or edit an agreement."""

    model = SelectField("287(g) model", validators=[DataRequired()])
    signed_on = DateField("Signed on", validators=[DataRequired()])
    effective_on = DateField("Effective on", validators=[DataRequired()])
    ends_on = DateField("Ends on (optional)", validators=[Optional()])
    functions = TextAreaField("Authorized functions", validators=[DataRequired(), Length(max=5000)],
                              description="One per line, worded as in the agreement; printed on certificates.")
    officer_cap = IntegerField("Officer cap (optional)", validators=[Optional(), NumberRange(min=1, max=100000)])
    tracks = SelectMultipleField("Tracks its people take", validators=[Optional()])
    annexes = SelectMultipleField("Agency annex modules", validators=[Optional()],
                                  description="Only this agreement's trainees see these, and must complete them.")


class MouModelForm(ButtonForm, button="Add model"):
    """Add a 287(g) model to the list."""

    key = StringField("Key", validators=[DataRequired(), Length(max=30)], description="e.g. jail_support")
    label = StringField("Name", validators=[DataRequired(), Length(max=100)])


class TerminateForm(ButtonForm, button="Terminate the agreement"):
    """End an agreement and suspend or revoke the certifications under it."""

    action = RadioField("Certifications earned under it", choices=[SelectChoice("suspend", "Suspend them"),
                                                                   SelectChoice("revoke", "Revoke them")],
                        validators=[DataRequired()])
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=2000)])


class DocumentForm(ButtonForm, button="Attach"):
    """Attach a PDF to an agreement."""

    document = FileField("Signed agreement (PDF, at most 10 MB)")


class NominationForm(ButtonForm, button="Nominate"):
    """A coordinator nominates an officer."""

    mou_id = SelectField("Agreement", coerce=int, validators=[DataRequired()])
    track = SelectField("Track", validators=[DataRequired()])
    name = StringField("Full name", validators=[DataRequired(), Length(max=200), IdentityText("The name")])
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=254),
                                                     IdentityText("The e-mail address")])
    background_check_on = DateField("Date of the last background check", validators=[DataRequired()],
                                    description="Within the last five years.")
    years_experience = IntegerField("Years of law-enforcement or custody experience",
                                    validators=[DataRequired(message="Give the years of experience."),
                                                NumberRange(min=0, max=60)])
    citizenship_attested = BooleanField("I attest that the nominee is a U.S. citizen")
    commits_two_years = BooleanField("The nominee commits to serve in the role for two years")
    notes = TextAreaField("Notes (optional)", validators=[Optional(), Length(max=2000)])
    evidence = FileField("Evidence (optional; PDF, PNG or JPEG, at most 10 MB)")


class RosterImportForm(ButtonForm, button="Import"):
    """Import nominations from a CSV roster."""

    mou_id = SelectField("Agreement", coerce=int, validators=[DataRequired()])
    roster = FileField("Roster (CSV, UTF-8)")
    mode = RadioField("If some rows are bad", default="all", choices=[
        SelectChoice("all", "Import nothing (fix the file and upload it again)"),
        SelectChoice("good", "Import only the good rows")], validators=[DataRequired()])


class EnrollmentImportForm(RosterImportForm):
    """Staff enroll a CSV roster in a cohort under an agreement."""

    cohort_id = SelectField("Cohort", coerce=int, validators=[DataRequired()])


class AcceptForm(ButtonForm, button="Accept and enroll"):
    """Staff accept a nomination into a cohort."""

    cohort_id = SelectField("Cohort", coerce=int, validators=[DataRequired()])


class DeclineForm(ButtonForm, button="Decline"):
    """Staff decline a nomination."""

    reason = TextAreaField("Reason (the coordinator sees it)", validators=[DataRequired(), Length(max=2000)])
