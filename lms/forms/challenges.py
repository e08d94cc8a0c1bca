"""Forms of item challenges (the trainee's challenge, the instructor's decision, staff's call on a held
regrade) and of standard setting (adopting the panel's cut)."""
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from lms.exams.challenges import DECISIONS, MAX_REASON
from lms.exams.standard_setting import MAX_NOTE
from lms.forms.base import ButtonForm


class ChallengeForm(ButtonForm, button="Challenge this question"):
    """A trainee challenges one question of their attempt."""

    reason = TextAreaField("Why do you think this question was graded wrongly?",
                           validators=[DataRequired("Give the reason for your challenge."), Length(max=MAX_REASON)])


class DecisionForm(ButtonForm, button="Record the decision"):
    """An instructor decides a challenge."""

    decision = RadioField("Decision", choices=[SelectChoice(value, label) for value, label in DECISIONS.items()],
                          validators=[DataRequired("Choose a decision.")])
    answer = SelectField("Answer to accept (for \"Accept another answer\")", choices=[], validate_choice=False,
                         validators=[Optional()])
    reason = TextAreaField("Reason (the trainee sees the outcome; the reason is kept in the audit log)",
                           validators=[DataRequired("Give the reason for the decision."), Length(max=MAX_REASON)])


class HoldForm(ButtonForm, button="Record the decision"):
    """Staff apply a held regrade (the attempt no longer passes) or keep the attempt's grade."""

    action = RadioField("Decision", choices=[SelectChoice("apply", "Apply the regrade: the attempt no longer passes"),
                                             SelectChoice("keep", "Keep the attempt's grade")],
                        validators=[DataRequired("Choose apply or keep.")])
    reason = TextAreaField("Reason", validators=[DataRequired("Give the reason for the decision."),
                                                 Length(max=MAX_REASON)])


class AdoptForm(ButtonForm, button="Adopt the cut score as the pass mark"):
    """Staff adopt the panel's cut score as the exam's pass mark."""

    note = TextAreaField("Note for the record (for example, who the panel were)",
                         validators=[Optional(), Length(max=MAX_NOTE)])
