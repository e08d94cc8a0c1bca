"""The classroom side of a blended course: sessions and attendance, practical exercises graded with rubrics,
hours, and the training record. Certification (above) reads it; learning, exams and cohorts (below) are read.
"""


class ClassroomError(ValueError):
    """A classroom request that cannot be carried out (the message says why)."""
