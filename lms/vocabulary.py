"""The words people read, in one place: pages, PDFs, flashes, the CLI and exports take their labels
from here, so a status is called the same everywhere (docs/VOCABULARY.md lists the choices).

Codes (``active``, ``failed``, ``mou.create``) stay in the database, URLs and the JSON pass list,
where programs read them; people read the labels. This module imports nothing from the app, so any
layer (models included) may use it.
"""

# An account's status (User.status): on the accounts pages and in `lms users list` (which prints the code).
ACCOUNT_STATUS = {"active": "Active", "locked": "Locked", "disabled": "Disabled"}
# A certification in force is "Valid" everywhere (registry, verification page, pass list files); the
# code stays "active" in the database and in the JSON pass list's "status" field.
CERTIFICATION_STATUS = {"active": "Valid", "suspended": "Suspended", "revoked": "Revoked", "expired": "Expired"}

# One finished attempt, and an exam as the trainee's course shows it. An attempt below the pass mark
# has "Not passed", never "Failed": while a retake remains nothing has failed yet.
ATTEMPT_OUTCOME = {True: "Passed", False: "Not passed"}
EXAM_STATE = {"locked": "Locked", "not_started": "Not started", "in_progress": "In progress", "passed": "Passed",
              "failed": "Not passed"}
# Why an attempt finished, after its time: "Finished 14:05 (submitted)".
FINISH_REASON = {"submitted": "submitted", "expired": "time ran out"}
ATTENDANCE_STATUS = {"present": "Present", "late": "Late", "excused": "Excused", "absent": "Absent"}
MODULE_STATE = {"locked": "Locked", "open": "Not started", "read": "Read", "completed": "Completed"}

# A supervision note on a certified officer (lms.certification.supervision).
NOTE_KIND = {"observation": "Observation", "corrective_training": "Corrective training", "commendation": "Commendation"}



def note_kind(code: str) -> str:
    """A supervision note's kind as people read it."""
    return NOTE_KIND.get(code, code)


NOMINATION_STATUS = {"pending": "Awaiting decision", "accepted": "Accepted and enrolled", "declined": "Declined"}

# Audit event codes as people read them, in an object's history or the audit log.
EVENTS = {
    "attendance.correct": "Attendance corrected after the session's day",
    "attendance.record": "Attendance recorded",
    "practical.grade": "Practical exercise graded",
    "practical.regrade": "Practical exercise regraded",
    "practical.submit": "Practical exercise handed in",
    "session.cancel": "Classroom session cancelled",
    "session.change": "Classroom session changed",
    "session.schedule": "Classroom session scheduled",
    "transcript.download": "Training transcript downloaded",
    "transcript.export": "Cohort training record exported",
    "account.access_review": "Access reviewed",
    "account.disable": "Account disabled",
    "account.enable": "Account enabled",
    "account.lock": "Account locked after failed log-ins",
    "account.password_change": "Password changed",
    "account.password_reset": "Password reset",
    "account.role_change": "Role changed",
    "account.unlock": "Account unlocked",
    "agency.create": "Agency registered",
    "agency.update": "Agency edited",
    "attempt.finish": "Exam attempt finished",
    "attempt.start": "Exam attempt started",
    "auth.login": "Logged in",
    "auth.logout": "Logged out",
    "auth.password": "Password accepted; second factor asked",
    "bank.create": "Question bank created in the browser",
    "certification.expire": "Certification expired",
    "certification.issue": "Certification issued",
    "certification_review.clear": "Certification review cleared (a later correction meets the requirements again)",
    "certification_review.keep": "Certification kept after review",
    "certification_review.open": "Certification put up for review (a correction fell below the track's requirements)",
    "certification_review.suspend": "Certification suspended after review",
    "certification.reinstate": "Certification reinstated",
    "certification.revoke": "Certification revoked",
    "certification.suspend": "Certification suspended",
    "certification.withhold": "Certification withheld",
    "challenge.decide": "Question challenge decided (accepted: every attempt that drew it regraded)",
    "challenge.open": "Question challenged by a trainee",
    "cohort.create": "Cohort created",
    "cohort.open_week": "Week opened early",
    "cohort.notice": "Notice posted to a cohort",
    "cohort.roster_import": "Trainees enrolled in a cohort from a CSV roster",
    "content.sync": "Course content loaded",
    "content.export": "Course content written to files",
    "database.backup": "Database backed up",
    "database.restore": "Database restored",
    "enrollment.create": "Trainee enrolled",
    "enrollment.import": "Enrollment roster imported",
    "enrollment.set_mou": "Enrollment placed under an agreement",
    "enrollment.set_time_multiplier": "Time multiplier set",
    "exam.grant_extra_attempt": "Extra attempt granted",
    "exam.grant_extra_time": "Extra time granted",
    "exam.create": "Exam created in the browser (its first version)",
    "exam.save_blueprint": "Exam blueprint saved in the browser (a new version)",
    "module.draft_save": "Module draft saved",
    "module.publish": "Module version published",
    "module.review": "Module marked reviewed",
    "module.revision_comment": "Comment on a module draft",
    "exercise.draft_save": "Practical exercise draft saved",
    "exercise.publish": "Practical exercise version published",
    "exercise.revision_comment": "Comment on a practical exercise draft",
    "mou.attach_document": "Document attached",
    "mou.create": "Agreement recorded",
    "mou.terminate": "Agreement terminated",
    "mou.update": "Agreement edited",
    "mou_model.create": "287(g) model added",
    "nomination.accept": "Nomination accepted",
    "nomination.create": "Officer nominated",
    "nomination.decline": "Nomination declined",
    "nomination.import": "Nomination roster imported",
    "notification.preferences": "Notification preferences changed",
    "passlist.export": "Pass list downloaded",
    "export.request": "Export asked for",
    "export.retry": "Export asked for again after a failure",
    "export.prepare": "Export file prepared",
    "export.fail": "Export failed",
    "export.download": "Export file downloaded",
    "export.expire": "Export file deleted on expiry",
    "question.create": "Question written in the browser",
    "question.edit": "Question edited in the browser",
    "question.reinstate": "Question put back into use",
    "question.retire": "Question retired",
    "questions.export": "Question bank exported to a file",
    "questions.import": "Questions imported from a file",
    "regrade.apply": "Held regrade applied (the attempt no longer passes)",
    "regrade.keep": "Held regrade not applied (the attempt keeps its grade)",
    "signing_key.generate": "Signing key created",
    "signing_key.register": "Signing key registered",
    "signing_key.rotate": "Signing key replaced",
    "standard_setting.adopt": "Panel's cut score adopted as the pass mark (a new exam version)",
    "standard_setting.rate": "Questions rated for standard setting",
    "supervision_note.create": "Supervision note recorded",
    "two_factor.enrol": "Two-step verification set up",
    "two_factor.recovery_code_use": "Recovery code used to log in",
    "two_factor.recovery_codes": "Recovery codes issued",
    "two_factor.reset": "Two-step verification reset",
    "user.create": "Account created",
    "user.set_time_multiplier": "Time multiplier set (before multipliers belonged to enrollments)",
}

# The few nouns whose plural is not the singular + "s".
_PLURALS = {"agency": "agencies", "person": "people", "entry": "entries"}


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` and the noun that agrees with it: "1 trainee", "2 trainees", "0 agencies"."""
    return f"{count:,} {noun(count, singular, plural_form)}"


def noun(count: int, singular: str, plural_form: str | None = None) -> str:
    """The noun alone, singular for exactly one: "agency", "agencies"."""
    if count == 1:
        return singular
    return plural_form or _PLURALS.get(singular) or singular + "s"


def account_status(code: str) -> str:
    """An account's status in words ("Locked" for ``locked``)."""
    return ACCOUNT_STATUS.get(code, code)


def certification_status(code: str) -> str:
    """A certification status in words ("Valid" for ``active``)."""
    return CERTIFICATION_STATUS.get(code, code)


def attempt_outcome(passed: bool | None) -> str:
    """A finished attempt's outcome ("Passed", "Not passed"); "" while it has none."""
    return "" if passed is None else ATTEMPT_OUTCOME[bool(passed)]


def event(action: str) -> str:
    """An audit event code in words ("Agreement recorded" for ``mou.create``); an unknown code made readable."""
    if action in EVENTS:
        return EVENTS[action]
    return action.replace("_", " ").replace(".", ": ", 1).capitalize()
