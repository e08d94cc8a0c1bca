"""The base of the models that are known by an integer key."""
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db


class Record(db.Model):
    """A row known by an integer primary key, ``id`` (the table's first column)."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
