"""Certification tests use the ``kit`` fixture (tests/conftest.py): a small track built directly in the
database, and finished attempts as the exam engine's grading would leave them (tests/factories.py)."""
