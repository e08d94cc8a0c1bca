"""Certification: issue (issue.py), sign and publish keys (signing.py), status after issue
(status.py), public verification (verify.py) and the links to it (links.py). Pass-list files are written by lms.exports, the
certificate PDF by lms.pdf.
"""
from .issue import CertificationWithheld, issue_if_complete, requirements
from .links import public_base_url, verification_link
from .signing import SigningKeyError
from .status import TransitionRefused, effective_status

__all__ = ["CertificationWithheld", "SigningKeyError", "TransitionRefused", "effective_status",
           "issue_if_complete", "public_base_url", "requirements", "verification_link"]
