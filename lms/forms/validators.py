"""Validators shared by the forms."""
from wtforms.validators import ValidationError

from lms.inputs import identity_problem


class IdentityText:
    """An identity field (a name, an e-mail address, an ORI): no control or format character, by the one
    rule of lms.inputs that the services also apply, so the error shows beside the field."""

    def __init__(self, label: str):
        self.label = label

    def __call__(self, form, field):
        problem = identity_problem(field.data or "", self.label)
        if problem:
            raise ValidationError(problem)
