"""Forms for the certification registry and the public verification look-up."""
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from lms.certification.review import MAX_REASON
from lms.certification.verify import normalize_number
from lms.forms.base import ButtonForm
from lms.vocabulary import NOTE_KIND


class StatusReasonForm(ButtonForm, button="Confirm"):
    """Suspend, reinstate or revoke: the reason is recorded in the status history and the audit log."""

    reason = TextAreaField("Reason", validators=[DataRequired(message="Give the reason; it is kept in the history."),
                                                 Length(max=2000)],
                           description="Kept in the certification's history and the audit log.")


class ReviewDecisionForm(ButtonForm, button="Record the decision"):
    """Staff keep a certification put up for review, or suspend it."""

    action = RadioField("Decision", choices=[SelectChoice("keep", "Keep the certification: it stays valid"),
                                             SelectChoice("suspend", "Suspend the certification")],
                        validators=[DataRequired("Choose keep or suspend.")])
    reason = TextAreaField("Reason (the holder and their agency's coordinators are told it)",
                           validators=[DataRequired("Give the reason for the decision."), Length(max=MAX_REASON)])


class SupervisionNoteForm(ButtonForm, button="Record the note"):
    """A dated supervision note on a certified officer (ICE program staff)."""

    kind = SelectField("Kind", choices=[SelectChoice(code, label) for code, label in NOTE_KIND.items()],
                       validators=[DataRequired()])
    noted_on = DateField("Date", validators=[DataRequired(message="Give the note's date.")])
    text = TextAreaField("Note", validators=[DataRequired(message="Write the note."), Length(max=5000)])
    shared_with_agency = BooleanField("Show this note to the officer's agency coordinator")


class VerifyNumberForm(ButtonForm, button="Verify"):
    """The public look-up by number: it needs the holder's last name, as printed on the certificate."""

    number = StringField("Certificate number", description="For example 287G-2026-000123",
                         validators=[DataRequired(message="Enter the certificate number."), Length(max=40)],
                         render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 40})
    last_name = StringField("Holder's last name", description="As printed on the certificate",
                            validators=[DataRequired(message="Enter the holder's last name."), Length(max=100)],
                            render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 100})

    def validate_number(self, field):
        """A number in any accepted spelling, normalized ("287g-2026-12" -> "287G-2026-000012")."""
        normalized = normalize_number(field.data)
        if normalized is None:
            raise ValidationError("That is not a certificate number; they look like 287G-2026-000123.")
        field.data = normalized
