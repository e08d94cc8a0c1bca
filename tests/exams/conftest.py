"""Exam fixtures: a small content tree with every question type, a cohort in week 1, a trainee."""
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from lms.questions import QUESTION_TYPES
from lms.models import Role

EXAM_ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "exam_content"


@dataclass
class ExamWorld:
    """What the exam tests start from."""

    cohort: object
    instructor: object
    trainee: object
    other: object
    agency: object
    enrollment: object = None  # the trainee's enrollment in the cohort (attempts and grants belong to it)


@pytest.fixture
def world(factory) -> ExamWorld:
    """The fixture course synced, a cohort that started today (week 1 open), two trainees."""
    factory.synced_content(EXAM_ROOT)
    instructor = factory.user(Role.INSTRUCTOR, name="Ivy Instructor")
    agency = factory.agency(name="Test County Sheriff")
    cohort = factory.cohort("exam-track", start=date(2026, 3, 2), agencies=[agency], instructors=[instructor])
    trainee = factory.user(Role.TRAINEE, agency=agency, name="Terry Trainee")
    other = factory.user(Role.TRAINEE, agency=agency, name="Olive Other")
    enrollment = factory.enroll(trainee, cohort)
    factory.enroll(other, cohort)
    return ExamWorld(cohort, instructor, trainee, other, agency, enrollment)


def start(user, slug, clock, **kw):
    """Start (or resume) an attempt through the service, committed."""
    from lms.exams.attempts import exam_context, start_attempt
    from lms.extensions import db

    context = exam_context(user, slug, clock())
    assert context is not None, f"{slug} is not in the trainee's track"
    attempt = start_attempt(context, user, now=clock(), **kw)
    db.session.commit()
    return attempt


def answer_all(attempt, clock, *, right=True):
    """Answer every question of an attempt through the save service, right or wrong."""
    from lms.exams.pages import save_answer
    from lms.extensions import db

    for aq in attempt.questions:
        save_answer(attempt_id=attempt.id, user_id=attempt.user_id, position=aq.position,
                    values=form_values_for(aq, right=right), now=clock())
    db.session.commit()


def form_values_for(aq, *, right=True):
    """The form values a trainee would send to answer ``aq`` right (or wrong: scoring nothing, for the types
    spelled out here, which the exam tests' expected scores rely on)."""
    data = aq.version.data
    kind = data["type"]
    if kind in ("single", "multiple"):
        keys = [c["id"] for c in data["choices"] if c.get("correct") == right or (not right and not c.get("correct"))]
        if kind == "single" or not right:
            keys = keys[:1]
        return [str(aq.shown.index(k) + 1) for k in keys]
    if kind == "true_false":
        return ["true" if data["answer"] == right else "false"]
    if kind == "short":
        return [data["answers"][0] if right else "nothing like it"]
    if kind == "numeric":
        value = data["answer"] if "answer" in data else data["range"][0]
        return [str(value) if right else "-1"]
    if kind == "matching":
        prompts, answers = aq.shown["prompts"], aq.shown["answers"]
        if right:
            return [str(answers.index(p) + 1) for p in prompts]
        return [str(answers.index((p + 1) % len(prompts)) + 1) for p in prompts]
    # Any other type: its own sample answer (wrong: as the fact-sheet simulation answers it).
    return QUESTION_TYPES[kind].sample_values(data, aq.shown, correct=right, rng=random.Random(0))
