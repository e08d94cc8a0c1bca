"""The certification registry's search: find certifications by name, number or agency within filters."""
from datetime import date

from sqlalchemy import func, select

from lms.certification.passlist import PassListFilters, count_query, filtered
from lms.extensions import db
from lms.models import Certification


def find_certifications(filters: PassListFilters, *, today: date, q: str = "", limit: int = 50,
                        offset: int = 0) -> tuple[list[Certification], int]:
    """A page of certifications for the registry (newest first) and how many match in all.

    ``q`` matches the number or the holder's name (as certified), case-insensitively.
    """
    query = filtered(select(Certification), filters, today)
    counter = count_query(filters, today=today)
    q = (q or "").strip()
    if q:
        like = f"%{q.lower()}%"
        condition = func.lower(Certification.holder_name).like(like) | func.lower(Certification.number).like(like)
        query, counter = query.where(condition), counter.where(condition)
    total = db.session.scalar(counter)
    rows = db.session.scalars(query.order_by(Certification.issued_at.desc(), Certification.id.desc())
                              .limit(limit).offset(offset)).all()
    return list(rows), total
