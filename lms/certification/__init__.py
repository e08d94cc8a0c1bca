"""Certification: issue (issue.py), sign and publish keys (signing.py), status after issue
(status.py), and public verification (verify.py). Pass-list files are written by lms.exports, the
certificate PDF by lms.pdf.
"""
from .issue import CertificationWithheld, issue_if_complete, requirements, verification_url
from .signing import SigningKeyError
from .status import TransitionRefused, effective_status

__all__ = ["CertificationWithheld", "SigningKeyError", "TransitionRefused", "effective_status",
           "issue_if_complete", "requirements", "verification_url"]
