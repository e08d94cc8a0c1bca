"""Cross-domain steps as signals: a domain announces what happened; the domain that cares subscribes.

Learning and the exam engine do not know about certification: when a trainee completes a module or
an attempt is passed, they send a signal, and certification (subscribed by the app factory)
decides in the same transaction whether the track is now complete and a certification is due.
Receivers take the sender (the enrollment) and ``now``.
"""
from blinker import Namespace

_signals = Namespace()

module_completed = _signals.signal("module-completed")  # sender: the enrollment; now=
attempt_passed = _signals.signal("attempt-passed")  # sender: the enrollment; now=, attempt=

# What people are told about (lms.notifications subscribes; the senders never import it).
attempt_finished = _signals.signal("attempt-finished")  # sender: the attempt; now=
certification_changed = _signals.signal("certification-changed")  # sender: the certification; now=, action=
nomination_decided = _signals.signal("nomination-decided")  # sender: the nomination; now=
challenge_decided = _signals.signal("challenge-decided")  # sender: the item challenge; now=
# A finished attempt's grade changed by a regrade (a challenge's decision, or staff applying a held one):
# sender: the attempt; now=, key= (the decision, so each is told once), percent_before=, passed_before=.
attempt_regraded = _signals.signal("attempt-regraded")
# Every audit event as it is appended (lms.audit.record_event; sender: the flushed AuditEvent). Account
# security notices subscribe to it: each security fact is audited exactly once, in the service that did it.
audit_recorded = _signals.signal("audit-recorded")
# The classroom (lms.classroom): a session changed or cancelled (sender: the session; now=, change=
# "changed" | "cancelled"), a practical graded (sender: the enrollment; now=, grade=), and any step that
# may complete a track's classroom requirements (sender: the enrollment; now=).
session_changed = _signals.signal("session-changed")
practical_graded = _signals.signal("practical-graded")
classroom_progress = _signals.signal("classroom-progress")
# The classroom took something back (sender: the enrollment; now=, actor=, cause= "attendance" | "practical"):
# a mark that earns fewer hours than before, a practical regraded from a pass to a fail. Certification
# decides whether an issued certification must go to staff for review (lms.certification.review).
classroom_setback = _signals.signal("classroom-setback")
# A certification review (lms.certification.review): put up for staff (sender: the review; now=), and
# decided by staff (sender: the review; now=, outcome= "kept" | "suspended").
certification_review_opened = _signals.signal("certification-review-opened")
certification_reviewed = _signals.signal("certification-reviewed")
