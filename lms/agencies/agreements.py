"""Agreements (MOUs) with ICE and the agencies that sign them: record, edit (audited, which is their
history), attach the signed document, nominate enrollments under one, and end it.

An MOU names the tracks its people take, the functions it authorizes (printed on certificates issued
under it) and optional agency annex modules that only its enrollments see and must complete. Ending an
agreement suspends or revokes, in one audited action, every certification earned under it that is
still in force.
"""
import re

from sqlalchemy import func, select

from lms.audit import record_event
from lms.certification import status as cert_status
from lms.certification.issue import reevaluate_withheld
from lms.extensions import db
from lms.inputs import identity_problem
from lms.clock import program_today
from lms.models import (
    MOU_MODELS, Certification, Enrollment, Module, Mou, MouDocument, MouModel, Track,
)
from lms.models.certification import ACTIVE, SUSPENDED
from lms.uploads import PDF_ONLY, store_upload


class AgreementError(ValueError):
    """An agreement request that cannot be carried out."""


def create_mou(*, agency, model: str, signed_on, effective_on, authorized_functions, ends_on=None,
               officer_cap=None, track_slugs=(), annex_slugs=(), actor=None, now) -> Mou:
    """Record an agency's signed agreement, the functions it authorizes, its tracks and annexes."""
    models = mou_models()
    if model not in models:
        raise AgreementError(f"Unknown 287(g) model {model!r}; use one of {', '.join(models)}.")
    functions = _functions(authorized_functions)
    _check_terms(functions=functions, effective_on=effective_on, ends_on=ends_on, officer_cap=officer_cap)
    tracks, annexes = _checked_tracks(track_slugs), _checked_annexes(annex_slugs)
    mou = Mou(agency_id=agency.id, model=model, signed_on=signed_on, effective_on=effective_on, ends_on=ends_on,
              authorized_functions=functions, officer_cap=officer_cap, track_slugs=tracks, annex_slugs=annexes,
              created_at=now)
    db.session.add(mou)
    db.session.flush()
    record_event("mou.create", actor=actor, obj=mou, now=now,
                 details={"agency_id": agency.id, "model": model, "functions": functions, "tracks": tracks,
                          "annexes": annexes, "officer_cap": officer_cap})
    return mou


def _functions(authorized_functions) -> list[str]:
    return [f.strip() for f in authorized_functions if f and f.strip()]


def _check_terms(*, functions, effective_on, ends_on, officer_cap) -> None:
    """The terms every agreement must meet, on creation and on every edit."""
    if not functions:
        raise AgreementError("An agreement must list the functions it authorizes.")
    for function in functions:  # printed on certificates: shown as typed, like a name
        problem = identity_problem(function, f"The authorized function {function!r}")
        if problem:
            raise AgreementError(problem)
    if ends_on is not None and ends_on < effective_on:
        raise AgreementError("An agreement cannot end before it takes effect.")
    if officer_cap is not None and officer_cap < 1:
        raise AgreementError("An officer cap is at least 1 (leave it empty for none).")


def attach_mou(enrollment: Enrollment, mou: Mou, *, actor=None, now) -> None:
    """Nominate an enrollment under an agreement of the trainee's own agency."""
    if enrollment.user.agency_id != mou.agency_id:
        raise AgreementError("The agreement belongs to another agency than the trainee's.")
    if mou.terminated_at is not None:
        raise AgreementError(f"MOU {mou.id} was terminated; no one can be nominated under it.")
    enrollment.mou_id = mou.id
    db.session.flush()
    record_event("enrollment.set_mou", actor=actor, obj=enrollment, now=now, details={"mou_id": mou.id})


def terminate_mou(mou: Mou, *, action: str, reason: str, actor=None, actor_label=None, now) -> list[Certification]:
    """End an agreement and suspend or revoke (``action``) every certification in force under it.

    "suspend" affects active certifications; "revoke" active and suspended ones (a suspended one
    could otherwise be reinstated under an agreement that no longer exists). Expired and revoked
    ones are left as they are. Returns the certifications changed.
    """
    if action not in ("suspend", "revoke"):
        raise AgreementError("Choose whether to suspend or revoke the certifications.")
    reason = (reason or "").strip()
    if not reason:
        raise AgreementError("Give a reason for ending the agreement.")
    if mou.terminated_at is not None:
        raise AgreementError(f"MOU {mou.id} was already terminated on {mou.terminated_at:%Y-%m-%d}.")
    mou.terminated_at, mou.termination_reason = now, reason
    service = cert_status.suspend if action == "suspend" else cert_status.revoke
    changed = certifications_ended_by(mou, action, today=program_today(now))
    for certification in changed:
        service(certification, reason=f"MOU {mou.id} terminated: {reason}", actor=actor, actor_label=actor_label,
                now=now, details={"mou_id": mou.id})
    db.session.flush()
    record_event("mou.terminate", actor=actor, actor_label=actor_label, obj=mou, now=now,
                 details={"action": action, "reason": reason, "count": len(changed),
                          "numbers": [c.number for c in changed]})
    return changed


def certifications_ended_by(mou: Mou, action: str, *, today) -> list[Certification]:
    """The certifications that terminating the agreement with ``action`` would suspend or revoke (the rule
    terminate_mou applies, and its confirmation page counts)."""
    statuses = {ACTIVE} if action == "suspend" else {ACTIVE, SUSPENDED}
    candidates = db.session.scalars(
        select(Certification).where(Certification.mou_id == mou.id, Certification.status.in_(statuses))
        .order_by(Certification.id))
    # One past its expiry date is already out of force.
    return [c for c in candidates if cert_status.effective_status(c, today) in statuses]


# -- agencies and agreements, as staff edit them -------------------------------------------------


def mou_models() -> dict[str, str]:
    """The 287(g) models: the built-in ones and those staff added."""
    models = dict(MOU_MODELS)
    models.update({m.key: m.label for m in db.session.scalars(select(MouModel).order_by(MouModel.label))})
    return models


def model_label(key: str) -> str:
    """A 287(g) model's name ("Jail Enforcement" for ``jail_enforcement``)."""
    return mou_models().get(key, key)


def track_titles(slugs) -> list[str]:
    """The titles of tracks named by slug, in the given order (a slug no longer known stays as it is)."""
    slugs = list(slugs or [])
    rows = db.session.execute(select(Track.slug, Track.title).where(Track.slug.in_(slugs))).all() if slugs else []
    titles = {slug: title for slug, title in rows}
    return [titles.get(slug, slug) for slug in slugs]


def module_titles(slugs) -> list[str]:
    """The current titles of modules named by slug (annexes), in the given order."""
    slugs = list(slugs or [])
    found = {m.slug: m for m in db.session.scalars(select(Module).where(Module.slug.in_(slugs)))} if slugs else {}
    return [found[s].current_version.title if s in found and found[s].current_version else s for s in slugs]


def add_mou_model(*, key: str, label: str, actor=None, now) -> MouModel:
    """Add a model to the list (e.g. a new program model ICE announces)."""
    key, label = (key or "").strip().lower(), (label or "").strip()
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,29}", key or ""):
        raise AgreementError("A model key is 2 to 30 lower-case letters, digits or underscores.")
    if not label:
        raise AgreementError("Give the model's name.")
    if key in mou_models():
        raise AgreementError(f"The model {key} already exists.")
    model = MouModel(key=key, label=label[:100], created_at=now)
    db.session.add(model)
    db.session.flush()
    record_event("mou_model.create", actor=actor, object_type="mou_model", object_id=key, now=now,
                 details={"label": model.label})
    return model


def _checked_tracks(slugs) -> list[str]:
    slugs = [s for s in dict.fromkeys(slugs or []) if s]
    known = set(db.session.scalars(select(Track.slug).where(Track.slug.in_(slugs)))) if slugs else set()
    unknown = [s for s in slugs if s not in known]
    if unknown:
        raise AgreementError(f"Unknown track(s): {', '.join(unknown)}.")
    return slugs


def _checked_annexes(slugs) -> list[str]:
    slugs = [s for s in dict.fromkeys(slugs or []) if s]
    found = {m.slug: m for m in db.session.scalars(select(Module).where(Module.slug.in_(slugs)))} if slugs else {}
    for slug in slugs:
        module = found.get(slug)
        if module is None or module.retired_at is not None:
            raise AgreementError(f"No module {slug}.")
        if not module.is_annex:
            raise AgreementError(f"Module {slug} is not an agency annex (annex: true in its front matter).")
    return slugs


def annex_modules() -> list[Module]:
    """Every current agency annex module, to choose from on the MOU form."""
    return list(db.session.scalars(select(Module).where(Module.is_annex.is_(True), Module.retired_at.is_(None))
                                   .order_by(Module.slug)))


def update_mou(mou: Mou, *, model=None, signed_on=None, effective_on=None, ends_on=None, authorized_functions=None,
               officer_cap=None, track_slugs=None, annex_slugs=None, actor=None, now) -> Mou:
    """Edit an agreement; every changed field is audited (its history). Certifications already issued keep
    the functions they were issued with (their snapshot is frozen)."""
    if mou.terminated_at is not None:
        raise AgreementError(f"MOU {mou.id} was terminated; it can no longer be edited.")
    new = {
        "model": model if model is not None else mou.model,
        "signed_on": signed_on or mou.signed_on,
        "effective_on": effective_on or mou.effective_on,
        "ends_on": ends_on,
        "authorized_functions": (_functions(authorized_functions) if authorized_functions is not None
                                 else list(mou.authorized_functions)),
        "officer_cap": officer_cap,
        "track_slugs": _checked_tracks(track_slugs) if track_slugs is not None else list(mou.track_slugs or []),
        "annex_slugs": _checked_annexes(annex_slugs) if annex_slugs is not None else list(mou.annex_slugs or []),
    }
    if new["model"] not in mou_models():
        raise AgreementError(f"Unknown 287(g) model {new['model']!r}.")
    _check_terms(functions=new["authorized_functions"], effective_on=new["effective_on"], ends_on=new["ends_on"],
                 officer_cap=new["officer_cap"])
    changes = {}
    for attr, value in new.items():
        before = getattr(mou, attr)
        if before != value:
            changes[attr] = {"from": _jsonable(before), "to": _jsonable(value)}
            setattr(mou, attr, value)
    db.session.flush()
    if changes:
        record_event("mou.update", actor=actor, obj=mou, now=now, details={"changes": changes})
        reevaluate_withheld(now=now, mou_id=mou.id)  # the change may have put the agreement in force
    return mou


def _jsonable(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def attach_document(mou: Mou, file_storage, *, actor, now) -> MouDocument:
    """Attach a document (the signed agreement, as PDF) to an MOU."""
    stored = store_upload(file_storage, kind="mou", allowed=PDF_ONLY)
    document = MouDocument(mou_id=mou.id, original_name=stored.original_name, stored_name=stored.stored_name,
                           content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                           uploaded_by_id=getattr(actor, "id", None), uploaded_at=now)
    db.session.add(document)
    db.session.flush()
    record_event("mou.attach_document", actor=actor, obj=mou, now=now,
                 details={"document_id": document.id, "name": document.original_name, "size": document.size,
                          "sha256": document.sha256})
    return document


def enrolled_under(mou: Mou) -> int:
    """How many enrollments (not withdrawn) are nominated under the agreement (against its officer cap)."""
    return db.session.scalar(select(func.count()).select_from(Enrollment).where(
        Enrollment.mou_id == mou.id, Enrollment.status != "withdrawn")) or 0
