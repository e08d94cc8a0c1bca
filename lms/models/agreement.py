"""Agreements (MOUs / MOAs) between an agency and ICE, under which officers are certified."""
from sqlalchemy import Date, ForeignKey, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models.base import Record
from lms.models.types import JSONText, UTCDateTime

MOU_MODELS = {
    "jail_enforcement": "Jail Enforcement",
    "task_force": "Task Force",
    "warrant_service_officer": "Warrant Service Officer",
}


class Mou(Record):
    """An agency's signed agreement: its model, dates and the functions it authorizes."""

    __tablename__ = "mou"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    model: Mapped[str] = mapped_column(String(30))  # a key of MOU_MODELS
    signed_on = mapped_column(Date(), nullable=False)
    effective_on = mapped_column(Date(), nullable=False)
    ends_on = mapped_column(Date(), nullable=True)
    terminated_at = mapped_column(UTCDateTime(), nullable=True)
    termination_reason: Mapped[str | None] = mapped_column(Text)
    authorized_functions = mapped_column(JSONText(), nullable=False)  # [str], as the agreement words them
    officer_cap: Mapped[int | None] = mapped_column(Integer)
    # Slugs of the tracks its people take, and of the agency annex modules its trainees must also complete.
    track_slugs = mapped_column(JSONText(), nullable=False, default=list, server_default=text("'[]'"))
    annex_slugs = mapped_column(JSONText(), nullable=False, default=list, server_default=text("'[]'"))
    created_at = mapped_column(UTCDateTime(), nullable=False)

    agency = relationship("Agency")
    documents = relationship("MouDocument", back_populates="mou", order_by="MouDocument.uploaded_at")

    @property
    def model_label(self) -> str:
        return MOU_MODELS.get(self.model, self.model)

    def is_in_force(self, today) -> bool:
        """Not terminated, already effective and not past its end date on ``today``."""
        return (self.terminated_at is None and self.effective_on <= today
                and (self.ends_on is None or today <= self.ends_on))

    @property
    def annexes(self) -> list[str]:
        return list(self.annex_slugs or [])

    def __repr__(self) -> str:
        return f"<Mou {self.id} agency={self.agency_id} {self.model}>"


class MouModel(db.Model):
    """A 287(g) model staff added to the built-in ones (MOU_MODELS)."""

    __tablename__ = "mou_model"

    key: Mapped[str] = mapped_column(String(30), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    created_at = mapped_column(UTCDateTime(), nullable=False)


class MouDocument(Record):
    """A file attached to an agreement (the signed MOU as PDF), stored outside static/ under a generated name."""

    __tablename__ = "mou_document"

    mou_id: Mapped[int] = mapped_column(ForeignKey("mou.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    uploaded_at = mapped_column(UTCDateTime(), nullable=False)

    mou = relationship("Mou", back_populates="documents")
