"""Cohorts: cohorts and their enrollments, who may see and manage them, the roster and the week schedule."""
