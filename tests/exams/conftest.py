"""Exam fixtures: the fixture course with every question type, a cohort in week 1, a trainee
(built by tests/factories.py, where ``start``, ``answer_all`` and ``form_values_for`` live too)."""
import pytest

from ..factories import ExamWorld, exam_world


@pytest.fixture
def world(factory) -> ExamWorld:
    """The fixture course synced, a cohort that started today (week 1 open), two trainees."""
    return exam_world(factory)
