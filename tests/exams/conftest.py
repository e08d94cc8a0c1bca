"""Exam fixtures: the fixture course with every question type, a cohort in week 1, a trainee
(tests/factories.py builds them; ``start``, ``answer_all`` and ``form_values_for`` live there too)."""
import pytest

from ..factories import EXAM_ROOT, ExamWorld, answer_all, exam_world, form_values_for, start  # noqa: F401


@pytest.fixture
def world(factory) -> ExamWorld:
    """The fixture course synced, a cohort that started today (week 1 open), two trainees."""
    return exam_world(factory)
