"""Certification: issue (issue.py, subscribed to learning and exam progress), sign and publish keys
(signing.py), status after issue (status.py), public verification (verify.py) and the links to it
(links.py), the certificate PDF (pdf.py), the pass list (passlist.py) and the registry search (registry.py).
"""
from lms.certification.issue import CertificationWithheld, issue_if_complete, requirements
from lms.certification.links import public_base_url, verification_link
from lms.certification.signing import SigningKeyError
from lms.certification.status import TransitionRefused, effective_status

__all__ = ["CertificationWithheld", "SigningKeyError", "TransitionRefused", "effective_status",
           "issue_if_complete", "public_base_url", "requirements", "verification_link"]
