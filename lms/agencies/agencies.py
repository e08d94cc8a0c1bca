"""Agencies: creating and updating the law-enforcement agencies that sign agreements and nominate officers."""
import re

from sqlalchemy import select

from lms.audit import record_event
from lms.extensions import db
from lms.inputs import InputError, check_identity
from lms.models import Agency


class AgencyError(ValueError):
    """An agency that cannot be created or changed as asked; the message says why."""


def create_agency(*, name, state, ori, kind=None, contacts=None, actor=None, now) -> Agency:
    """Register an agency by its ORI number."""
    try:
        check_identity(name=(name, "The agency's name"), ori=(ori, "The ORI"), state=(state, "The state"),
                       kind=(kind, "The kind"))
    except InputError as error:
        raise AgencyError(str(error)) from None
    ori = (ori or "").strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{9}", ori):
        raise AgencyError("An ORI number is 9 letters and digits (e.g. FL0370000).")
    if not (name or "").strip() or len((state or "").strip()) != 2:
        raise AgencyError("Give the agency's name and its state's two-letter code.")
    if db.session.scalar(select(Agency.id).where(Agency.ori == ori)) is not None:
        raise AgencyError(f"An agency with ORI {ori} already exists.")
    agency = Agency(name=name.strip(), state=state.strip().upper(), ori=ori, kind=kind or None,
                    contacts=(contacts or "").strip() or None, created_at=now)
    db.session.add(agency)
    db.session.flush()
    record_event("agency.create", actor=actor, obj=agency, now=now, details={"ori": ori, "name": agency.name})
    return agency


AGENCY_KINDS = ["State police", "Sheriff's office", "Department of corrections", "City police",
                "County police", "State agency", "Other"]


def update_agency(agency: Agency, *, name, state, kind=None, contacts=None, actor=None, now) -> Agency:
    """Edit an agency's name, state, kind and points of contact (the ORI is its identity)."""
    try:
        check_identity(name=(name, "The agency's name"), state=(state, "The state"), kind=(kind, "The kind"))
    except InputError as error:
        raise AgencyError(str(error)) from None
    changes = {}
    for attr, value in (("name", (name or "").strip()), ("state", (state or "").strip().upper()),
                        ("kind", (kind or "").strip() or None), ("contacts", (contacts or "").strip() or None)):
        if attr in ("name", "state") and not value:
            raise AgencyError(f"The agency's {attr} is required.")
        if getattr(agency, attr) != value:
            changes[attr] = {"from": getattr(agency, attr), "to": value}
            setattr(agency, attr, value)
    if len(agency.state) != 2:
        raise AgencyError("Give the state as its two-letter code.")
    db.session.flush()
    if changes:
        record_event("agency.update", actor=actor, obj=agency, now=now, details={"changes": changes})
    return agency
