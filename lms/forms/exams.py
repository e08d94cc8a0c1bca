"""Exam forms: starting and submitting (CSRF only), and the instructor's grants."""
from wtforms import BooleanField, DecimalField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms.forms.base import ButtonForm


class StartForm(ButtonForm, button="Start the exam"):
    """Start (or resume) an attempt."""


class SubmitForm(ButtonForm, button="Submit my answers for grading"):
    """Submit an attempt for grading."""


class ExtraTimeForm(ButtonForm, button="Grant extra time"):
    """Extra minutes on one exam: the open attempt now, or the next attempt."""

    minutes = IntegerField("Extra minutes", validators=[DataRequired(), NumberRange(min=1, max=600)])
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=500)])


class ExtraAttemptForm(ButtonForm, button="Grant an extra attempt"):
    """One more attempt than the blueprint allows, with or without the wait between attempts."""

    waive_cooldown = BooleanField("The trainee may start it at once: no wait between attempts")
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=500)])


class MultiplierForm(ButtonForm, button="Set the multiplier"):
    """The trainee's standing time multiplier (an accommodation)."""

    multiplier = DecimalField("Time multiplier", places=2, validators=[DataRequired(), NumberRange(min=1, max=4)],
                              description="1 is the standard time; 1.5 gives half as much again on every exam.")
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=500)])
