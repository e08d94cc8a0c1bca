"""Certification records: frozen signed snapshots, their status history, PDFs and signing keys.

A Certification row never changes after issue except for ``status`` (and ``status_changed_at``),
whose every change is a CertificationStatusChange row (the verification code, which is not part of the
signed record, is set at issue). The copied columns (holder_name, agency_ori,
track_title, ...) repeat what the signed snapshot says, so the registry and the pass lists can
filter and stream without parsing JSON.
"""
from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models.base import Record
from lms.vocabulary import CERTIFICATION_STATUS
from lms.models.types import JSONText, UTCDateTime

ACTIVE, SUSPENDED, REVOKED, EXPIRED = "active", "suspended", "revoked", "expired"
STATUSES = (ACTIVE, SUSPENDED, REVOKED, EXPIRED)
STATUS_LABELS = CERTIFICATION_STATUS  # the words people read: lms.vocabulary


class SigningKey(Record):
    """A public Ed25519 key that signed (or signs) certifications; the private half is never stored here."""

    __tablename__ = "signing_key"

    key_id: Mapped[str] = mapped_column(String(32), unique=True)  # hex prefix of SHA-256(public key)
    algorithm: Mapped[str] = mapped_column(String(20), default="Ed25519")
    public_key: Mapped[str] = mapped_column(String(64))  # raw 32 bytes, base64url without padding
    created_at = mapped_column(UTCDateTime(), nullable=False)
    retired_at = mapped_column(UTCDateTime(), nullable=True)


class CertificateSequence(db.Model):
    """The last certificate number used in a year (numbers restart each year: 287G-2026-000001)."""

    __tablename__ = "certificate_sequence"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(default=0)


class Certification(Record):
    """One certification, issued once per enrollment, as a signed snapshot."""

    __tablename__ = "certification"

    number: Mapped[str] = mapped_column(String(20), unique=True)
    # What the public verification link and the QR code carry instead of the (sequential) number:
    # 128 random bits, URL-safe. Not part of the signed snapshot, so it can be replaced without reissuing.
    verification_code: Mapped[str] = mapped_column(String(32), unique=True)
    # Exactly one per enrollment, whatever the concurrency: the database says so.
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("track.id"), index=True)
    mou_id: Mapped[int | None] = mapped_column(ForeignKey("mou.id"), index=True)
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("certification.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    status_changed_at = mapped_column(UTCDateTime(), nullable=False)
    # Copies of the snapshot, as they were at issue.
    holder_name: Mapped[str] = mapped_column(String(200))
    agency_name: Mapped[str] = mapped_column(String(200))
    agency_ori: Mapped[str] = mapped_column(String(9))
    track_slug: Mapped[str] = mapped_column(String(100))
    track_title: Mapped[str] = mapped_column(String(300))
    cohort_name: Mapped[str] = mapped_column(String(200))
    issued_at = mapped_column(UTCDateTime(), nullable=False)
    issued_on = mapped_column(Date(), nullable=False)
    expires_on = mapped_column(Date(), nullable=False)
    # The signed record: canonical JSON (sorted keys, no whitespace); the signature covers its UTF-8 bytes.
    snapshot: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(ForeignKey("signing_key.key_id"))
    signature: Mapped[str] = mapped_column(String(100))  # base64url without padding

    user = relationship("User")
    enrollment = relationship("Enrollment")
    cohort = relationship("Cohort")
    track = relationship("Track")
    mou = relationship("Mou")
    renews = relationship("Certification", remote_side="Certification.id", foreign_keys=[renews_id])
    history = relationship("CertificationStatusChange", back_populates="certification",
                           order_by="CertificationStatusChange.id")

    __table_args__ = (
        Index("ix_certification_agency_issued", "agency_id", "issued_on"),
        Index("ix_certification_status_expires", "status", "expires_on"),
        Index("ix_certification_issued", "issued_on"),
    )

    def __repr__(self) -> str:
        return f"<Certification {self.number} {self.status}>"


class CertificationStatusChange(Record):
    """One step in a certification's life: who moved it from which status to which, when and why."""

    __tablename__ = "certification_status_change"

    certification_id: Mapped[int] = mapped_column(ForeignKey("certification.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor: Mapped[str] = mapped_column(String(254))  # e-mail, "cli:<login>" or "system", as it was
    changed_at = mapped_column(UTCDateTime(), nullable=False)

    certification = relationship("Certification", back_populates="history")


REVIEW_OPEN, REVIEW_CLEARED, REVIEW_KEPT, REVIEW_SUSPENDED = "open", "cleared", "kept", "suspended"


class CertificationReview(Record):
    """A certification put up for ICE staff's review because a correction after its issue took the holder's
    training below what the track requires (attendance lowered, a practical regraded to a fail). Never a
    silent revocation: staff keep the certification or suspend it; a correction that meets the requirements
    again before then clears the review."""

    __tablename__ = "certification_review"

    certification_id: Mapped[int] = mapped_column(ForeignKey("certification.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # open | cleared | kept | suspended
    shortfall = mapped_column(JSONText(), nullable=False)  # what falls short, as last seen (hours, practicals)
    opened_at = mapped_column(UTCDateTime(), nullable=False)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # who made the correction
    closed_at = mapped_column(UTCDateTime(), nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str | None] = mapped_column(Text)  # staff's reason for keeping or suspending

    certification = relationship("Certification")
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])

    __table_args__ = (
        # One open review per certification, enforced by the database.
        Index("uq_certification_review_one_open", "certification_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )


class CertificateDocument(db.Model):
    """The certificate PDF, rendered once from the snapshot and then served byte for byte."""

    __tablename__ = "certificate_document"

    certification_id: Mapped[int] = mapped_column(ForeignKey("certification.id"), primary_key=True,
                                                  autoincrement=False)
    pdf = mapped_column(LargeBinary(), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64))
    rendered_at = mapped_column(UTCDateTime(), nullable=False)

