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
