"""The base of every form: a form that ends in one submit button names its label in the class statement."""
from flask_wtf import FlaskForm
from wtforms import SubmitField


class _ButtonFormMeta(type(FlaskForm)):
    """Takes ``button="Label"`` in a class statement and adds ``submit``, after the class's own fields."""

    def __new__(mcs, name, bases, attrs, button: str | None = None):
        return super().__new__(mcs, name, bases, attrs)

    def __init__(cls, name, bases, attrs, button: str | None = None):
        super().__init__(name, bases, attrs)
        if button is not None:
            cls.submit = SubmitField(button)


class ButtonForm(FlaskForm, metaclass=_ButtonFormMeta):
    """A form with CSRF protection; ``class EnrollForm(ButtonForm, button="Enroll")`` gives it its submit button
    (a subclass without ``button`` keeps its parent's)."""
