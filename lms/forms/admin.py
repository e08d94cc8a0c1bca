"""Administrator forms: accounts."""
from wtforms.fields.choices import SelectChoice
from wtforms import EmailField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from lms.forms.base import ButtonForm
from lms.models import Role
from lms.forms.validators import IdentityText

ROLE_CHOICES = [SelectChoice(r.value, r.label) for r in Role]


class UserCreateForm(ButtonForm, button="Create account"):
    """Create an account; leave the password empty to generate one."""

    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=254),
                                                     IdentityText("The e-mail address")])
    name = StringField("Full name", validators=[DataRequired(), Length(max=200), IdentityText("The name")])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
    agency_id = SelectField("Agency", coerce=int, validators=[Optional()],
                            description="Required for trainees and agency coordinators.")
    password = PasswordField("Initial password (optional)", validators=[Optional(), Length(max=1024)],
                             description="Leave empty to generate one. The user must change it at first log-in.")


class RoleForm(ButtonForm, button="Change role"):
    """Change an account's role and agency."""

    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
    agency_id = SelectField("Agency", coerce=int, validators=[Optional()])


class ResetPasswordForm(ButtonForm, button="Reset password"):
    """Set a temporary password (or generate one)."""

    password = PasswordField("Temporary password (optional)", validators=[Optional(), Length(max=1024)],
                             description="Leave empty to generate one.")


class ReasonForm(ButtonForm, button="Confirm"):
    """An action that records why it was taken."""

    reason = TextAreaField("Reason", validators=[Optional(), Length(max=500)])


class ActionForm(ButtonForm, button="Confirm"):
    """A button that changes state: CSRF only."""


class AccessReviewForm(ButtonForm):
    """The annual access review of one account: the button pressed carries the decision."""

    decision = RadioField("Decision", choices=[SelectChoice("keep", "Access still needed"),
                                               SelectChoice("disable", "No longer needed: disable")],
                          validators=[DataRequired()])
    note = StringField("Note (optional)", validators=[Optional(), Length(max=500)])
