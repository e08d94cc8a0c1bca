"""Forms for the certification registry."""
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class StatusReasonForm(FlaskForm):
    """Suspend, reinstate or revoke: the reason is recorded in the status history and the audit log."""

    reason = TextAreaField("Reason", validators=[DataRequired(message="Give the reason; it is kept in the history."),
                                                 Length(max=2000)],
                           description="Kept in the certification's history and the audit log.")
    submit = SubmitField("Confirm")
