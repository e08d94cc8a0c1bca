"""Question types: one class per type, one module per type, in one registry (as CTFd's FLAG_CLASSES).

The rest of the application asks ``QUESTION_TYPES[name]`` and never names
a type: a new type is a module here (its class), its partial templates/exams/questions/<name>.html (or a
shared one its class names in ``template``) and
its tests. Importing this package imports every module in it, and each QuestionType subclass with a
``name`` registers itself (base.py says what a type answers).
"""
import importlib
import pkgutil

from lms.questions.base import (  # noqa: F401 - the package's public names
    ACCEPT_ANSWER, CREDIT_ALL, DROP, MAX_TEXT, Adjustment, ChoiceCount, Grade, Option, QuestionType, ResponseInvalid,
    ReviewChoice, records, registry,
)

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

from lms.questions.numeric import parse_number  # noqa: E402,F401
from lms.questions.short import normalize_text  # noqa: E402,F401

QUESTION_TYPES: dict[str, QuestionType] = registry()


def grade(question: dict, response, adjustments=()) -> Grade:
    """Grade a response to a question version's data, by its type (with any decisions on challenges)."""
    kind = QUESTION_TYPES[question["type"]]
    return kind.adjusted_grade(question, response, adjustments) if adjustments else kind.grade(question, response)
