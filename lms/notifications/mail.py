"""E-mail: a notification written as plain text and HTML, sent over SMTP or kept in the local outbox.

Called by the delivery job (lms.jobs), never from a request. Without ``SMTP_HOST`` (quickstart's
default) a message is not sent: it goes to the outbox, which administrators read in the app.
A delivery already sent (or put in the outbox) is never sent again: a repeated or retried job stops.
"""
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app, render_template
from sqlalchemy import select

from lms.certification.links import public_base_url
from lms.extensions import db
from lms.models import EmailDelivery
from lms.models.notification import FAILED, OUTBOX, PENDING, SENT

PROGRAM_NAME = "287(g) Training"


class DeliveryFailed(Exception):
    """The SMTP server could not take the message (the job retries it)."""


def compose(delivery: EmailDelivery) -> EmailMessage:
    """The message: the program's name in the subject and sender, the public URL in the link."""
    notification = delivery.notification
    base = public_base_url()
    link = base + notification.link if notification.link else base
    words = {"program": PROGRAM_NAME, "notification": notification, "link": link, "site": base,
             "preferences": f"{base}/notifications/preferences"}
    message = EmailMessage()
    message["Subject"] = f"{PROGRAM_NAME}: {notification.subject}"
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = delivery.to_address
    message["Date"] = format_datetime(delivery.created_at)
    message["Message-ID"] = delivery.message_id or make_msgid(idstring=f"lms-{delivery.id}")
    message.set_content(render_template("notifications/email.txt", **words))
    message.add_alternative(render_template("notifications/email.html", **words), subtype="html")
    return message


def _send(message: EmailMessage) -> None:
    config = current_app.config
    host, port, timeout = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TIMEOUT"]
    if config["SMTP_SSL"]:
        server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(host, port, timeout=timeout)
    with server:
        if config["SMTP_STARTTLS"] and not config["SMTP_SSL"]:
            server.starttls(context=ssl.create_default_context())
        if config["SMTP_USER"]:
            server.login(config["SMTP_USER"], config["SMTP_PASSWORD"] or "")
        server.send_message(message)


def deliver(delivery_id: int, *, now, last_try: bool = False) -> str:
    """Send one delivery (or put it in the outbox) unless that was done; returns its status. A failure is
    recorded on the delivery (marked failed on the ``last_try``) and raised as DeliveryFailed. Flushes."""
    delivery = db.session.scalar(select(EmailDelivery).where(EmailDelivery.id == delivery_id).with_for_update())
    if delivery is None or delivery.status in (SENT, OUTBOX):
        return getattr(delivery, "status", "gone")
    delivery.tries += 1
    message = compose(delivery)
    delivery.message_id = message["Message-ID"]
    if not current_app.config["SMTP_HOST"]:
        delivery.status, delivery.sent_at = OUTBOX, now
        db.session.flush()
        return OUTBOX
    try:
        _send(message)
    except (OSError, smtplib.SMTPException) as error:
        delivery.status, delivery.last_error = ((FAILED if last_try else PENDING),
                                                f"{type(error).__name__}: {error}"[:1000])
        db.session.flush()
        raise DeliveryFailed(delivery.last_error) from error
    delivery.status, delivery.sent_at, delivery.last_error = SENT, now, None
    db.session.flush()
    return SENT


def pending_deliveries(*, limit: int = 500) -> list[int]:
    """Ids of the deliveries still to send, oldest first (the sweep re-enqueues what was missed)."""
    return list(db.session.scalars(select(EmailDelivery.id).where(EmailDelivery.status == PENDING)
                                   .order_by(EmailDelivery.id).limit(limit)))


def outbox(*, limit: int = 200) -> list[EmailDelivery]:
    """The local outbox (messages not sent because no SMTP server is set) and failures, newest first."""
    return list(db.session.scalars(select(EmailDelivery).where(EmailDelivery.status.in_((OUTBOX, FAILED)))
                                   .order_by(EmailDelivery.id.desc()).limit(limit)))
