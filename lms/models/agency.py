"""Law-enforcement agencies that take part in the program."""
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.base import Record
from lms.models.types import UTCDateTime


class Agency(Record):
    """A state or local agency (identified by its ORI number)."""

    __tablename__ = "agency"

    name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(2))
    ori: Mapped[str] = mapped_column(String(9), unique=True)
    kind: Mapped[str | None] = mapped_column(String(60))
    contacts: Mapped[str | None] = mapped_column(Text)  # points of contact, as the agency gives them
    created_at = mapped_column(UTCDateTime(), nullable=False)

    users = relationship("User", back_populates="agency")

    def __repr__(self) -> str:
        return f"<Agency {self.ori} {self.name}>"
