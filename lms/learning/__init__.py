"""Learning: cohorts and enrollments, the week-by-week course path and module progress."""
