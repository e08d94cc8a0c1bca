"""Log-in, system-use notice and password forms."""
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from lms.forms.base import ButtonForm


class NoticeForm(ButtonForm, button="Acknowledge and continue"):
    """The system-use notice must be acknowledged before the log-in form."""

    acknowledge = BooleanField("I have read and understand this notice", validators=[DataRequired(
        message="You must acknowledge the notice to continue.")])


class LoginForm(ButtonForm, button="Log in"):
    """E-mail and password."""

    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class PasswordChangeForm(ButtonForm, button="Change password"):
    """The user chooses a new password."""

    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)],
                                 description="At least 15 characters. A few unrelated words make a good passphrase.")
    confirm = PasswordField("Repeat the new password", validators=[
        DataRequired(), EqualTo("new_password", message="The two new passwords do not match.")])


class CodeForm(ButtonForm, button="Verify"):
    """The second step of log-in: a code from the authenticator app, or a recovery code."""

    code = StringField("Authentication code", validators=[DataRequired(), Length(max=32)],
                       render_kw={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"},
                       description="The 6-digit code your authenticator app shows now, or one of your recovery codes.")


class EnrolForm(ButtonForm, button="Turn on two-factor log-in"):
    """The first code from a newly added authenticator, which turns the second factor on."""

    code = StringField("Code from the app", validators=[DataRequired(), Length(max=32)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
                       description="The 6-digit code the app shows for this account.")


class RecoveryCodesForm(ButtonForm, button="Make new recovery codes"):
    """New recovery codes replace the old ones; a current authenticator code confirms it is the user."""

    code = StringField("Code from your authenticator app", validators=[DataRequired(), Length(max=32)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})
