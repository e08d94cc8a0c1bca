"""Notifications (in the app), their e-mail deliveries, and people's preferences.

A Notification is one event told to one person: (user, key) is unique, so an event reaches a person
once however often its producer or a periodic job runs. An EmailDelivery is its e-mail, one per
notification, sent by a background job (lms.jobs) that records every try.
"""
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models.base import Record
from lms.models.types import UTCDateTime

PENDING, SENT, OUTBOX, FAILED = "pending", "sent", "outbox", "failed"


class Notification(Record):
    """One event told to one person in the app (and, by preference, by e-mail)."""

    __tablename__ = "notification"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(40))  # a key of lms.notifications.kinds.KINDS
    key: Mapped[str] = mapped_column(String(120))  # the event, e.g. "certification.issue:12"
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # plain text
    link: Mapped[str | None] = mapped_column(String(300))  # a path on the site
    essential: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at = mapped_column(UTCDateTime(), nullable=False)
    read_at = mapped_column(UTCDateTime(), nullable=True)

    user = relationship("User")
    delivery = relationship("EmailDelivery", back_populates="notification", uselist=False)

    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_notification_user_key"),
        Index("ix_notification_user_read", "user_id", "read_at"),
    )


class EmailDelivery(Record):
    """The e-mail of a notification: pending until the job sends it (or puts it in the local outbox)."""

    __tablename__ = "email_delivery"

    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(10), default=PENDING, index=True)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(200))
    created_at = mapped_column(UTCDateTime(), nullable=False)
    sent_at = mapped_column(UTCDateTime(), nullable=True)

    notification = relationship("Notification", back_populates="delivery")


class NotificationPreference(db.Model):
    """A person's choice for one kind of message that may be turned off: e-mail and in the app, or off."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)
