"""Exam forms: starting and submitting (CSRF only), and the instructor's grants."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class StartForm(FlaskForm):
    """Start (or resume) an attempt."""

    submit = SubmitField("Start the exam")


class SubmitForm(FlaskForm):
    """Submit an attempt for grading."""

    submit = SubmitField("Submit my answers for grading")


class ExtraTimeForm(FlaskForm):
    """Extra minutes on one exam: the open attempt now, or the next attempt."""

    minutes = IntegerField("Extra minutes", validators=[DataRequired(), NumberRange(min=1, max=600)])
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Grant extra time")


class ExtraAttemptForm(FlaskForm):
    """One more attempt than the blueprint allows, with or without the wait between attempts."""

    waive_cooldown = BooleanField("The trainee may start it at once: no wait between attempts")
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Grant an extra attempt")


class MultiplierForm(FlaskForm):
    """The trainee's standing time multiplier (an accommodation)."""

    multiplier = DecimalField("Time multiplier", places=2, validators=[DataRequired(), NumberRange(min=1, max=4)],
                              description="1 is the standard time; 1.5 gives half as much again on every exam.")
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Set the multiplier")
