"""Exam fixtures: the fixture course with every question type, a cohort in week 1, a trainee
(built by tests/factories.py, where ``start``, ``answer_all`` and ``form_values_for`` live too); another
request's work committed between a service's reads and its writes (``meanwhile``)."""
import threading

import pytest

from lms.exams import attempts as attempts_service
from lms.extensions import db as _db

from ..factories import ExamWorld, exam_world


@pytest.fixture
def world(factory) -> ExamWorld:
    """The fixture course synced, a cohort that started today (week 1 open), two trainees."""
    return exam_world(factory)


@pytest.fixture
def meanwhile(app, monkeypatch):
    """``meanwhile(work)`` runs ``work`` in another thread (in an app context of its own, committed), to its
    end, when a start or a finish of an attempt has read and is about to write (lms.exams.attempts'
    ``begin_writes``; the first time only: ``work`` may start or finish one itself). Returns a list that holds
    what ``work`` returned, once run."""
    def arrange(work) -> list:
        real, done = attempts_service.begin_writes, []

        def committed():
            with app.app_context():
                done[0] = work()
                _db.session.commit()

        def begin_writes():
            if not done:
                done.append(None)
                other = threading.Thread(target=committed)
                other.start()
                other.join(timeout=30)
            return real()

        monkeypatch.setattr(attempts_service, "begin_writes", begin_writes)
        return done
    return arrange
