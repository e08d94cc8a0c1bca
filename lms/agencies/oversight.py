"""Program oversight: per agency and per agreement, how many officers are nominated, in training,
certified and current, expiring soon, suspended, revoked or expired, and the share current on
training (the measure GAO-21-186 found missing). Every figure is the length of a list of people, so
a drill-down always shows exactly the people a figure counts.

Definitions (per agency, or per MOU):
- nominated: nominations awaiting a decision;
- in training: enrollments in progress (active, not yet certified);
- certified holders are partitioned by their latest certification (newest issue) under the agency or
  MOU: current (valid today), suspended, revoked or expired;
- expiring in 30/60/90 days: current holders whose certification expires within that many days
  (cumulative: the 60-day figure includes the 30-day one);
- share current = current / certified holders.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from lms.certification.status import effective_status
from lms.extensions import db
from lms.models import Agency, Certification, Cohort, Enrollment, Mou, Nomination, User
from lms.models.certification import ACTIVE, EXPIRED, REVOKED, SUSPENDED
from lms.models.nomination import PENDING

GROUPS = {
    "nominated": "Nominated",
    "in_training": "In training",
    "current": "Certified and current",
    "expiring_30": "Expiring in 30 days",
    "expiring_60": "Expiring in 60 days",
    "expiring_90": "Expiring in 90 days",
    "suspended": "Suspended",
    "revoked": "Revoked",
    "expired": "Expired",
}
STATUS_GROUP = {ACTIVE: "current", SUSPENDED: "suspended", REVOKED: "revoked", EXPIRED: "expired"}


@dataclass
class Person:
    """One person a figure counts, with what the drill-down shows of them."""

    user_id: int | None
    name: str
    email: str | None
    agency_id: int
    mou_id: int | None
    detail: str
    certificate_number: str | None = None
    cohort_id: int | None = None
    expires_on: date | None = None


@dataclass
class Figures:
    """The people in each group, for one agency or agreement (or the whole program)."""

    people: dict[str, list[Person]] = field(default_factory=lambda: {g: [] for g in GROUPS})

    def count(self, group: str) -> int:
        return len(self.people[group])

    @property
    def certified(self) -> int:
        return sum(self.count(g) for g in ("current", "suspended", "revoked", "expired"))

    @property
    def share_current(self) -> float | None:
        """Percent of certified holders who are current (None when nobody is certified)."""
        return round(100 * self.count("current") / self.certified, 1) if self.certified else None

    def as_dict(self) -> dict:
        data = {g: self.count(g) for g in GROUPS}
        data.update(certified=self.certified, share_current=self.share_current)
        return data


@dataclass
class AgencyFigures:
    """An agency's figures and those of each of its agreements."""

    agency: Agency
    figures: Figures
    mous: list[tuple[Mou, Figures]]


def _people(*, agency_id: int | None, today: date) -> list[tuple[str, Person, tuple]]:
    """(group, person, keys) for everyone in the program (one agency's when given); keys are (agency, mou)."""
    out = []
    nominations = select(Nomination).where(Nomination.status == PENDING)
    enrollments = (select(Enrollment, User, Cohort).join(User, User.id == Enrollment.user_id)
                   .join(Cohort, Cohort.id == Enrollment.cohort_id).where(Enrollment.status == "active",
                                                                           User.agency_id.is_not(None)))
    certifications = select(Certification).where(Certification.agency_id.is_not(None))
    if agency_id is not None:
        nominations = nominations.where(Nomination.agency_id == agency_id)
        enrollments = enrollments.where(User.agency_id == agency_id)
        certifications = certifications.where(Certification.agency_id == agency_id)
    for n in db.session.scalars(nominations.order_by(Nomination.name)):
        out.append(("nominated", Person(None, n.name, n.email, n.agency_id, n.mou_id,
                                        f"Nominated {n.nominated_at:%Y-%m-%d} for {n.track.title}"),
                    (n.agency_id, n.mou_id)))
    certified_enrollments = set(db.session.scalars(select(Certification.enrollment_id)))
    for enrollment, user, cohort in db.session.execute(enrollments.order_by(User.name)).all():
        if enrollment.id in certified_enrollments:
            continue
        out.append(("in_training", Person(user.id, user.name, user.email, user.agency_id, enrollment.mou_id,
                                          f"{cohort.name} (started {cohort.start_date:%Y-%m-%d})",
                                          cohort_id=cohort.id), (user.agency_id, enrollment.mou_id)))
    # Each holder counts once per agency and once per agreement: by their latest certification there.
    latest: dict[tuple, Certification] = {}
    for c in db.session.scalars(certifications.order_by(Certification.issued_at, Certification.id)):
        latest[("agency", c.agency_id, c.user_id)] = c
        latest[("mou", c.mou_id, c.user_id)] = c
    for (level, _, _), c in latest.items():
        status = effective_status(c, today)
        group = STATUS_GROUP[status]
        person = Person(c.user_id, c.holder_name, None, c.agency_id, c.mou_id,
                        f"{c.number}, {c.track_title}, expires {c.expires_on:%Y-%m-%d}", c.number,
                        c.cohort_id, c.expires_on)
        key = (c.agency_id, None) if level == "agency" else (None, c.mou_id)
        out.append((group, person, key))
        if group == "current":
            for days in (30, 60, 90):
                if c.expires_on <= today + timedelta(days=days):
                    out.append((f"expiring_{days}", person, key))
    return out


def _sort(figures: Figures) -> None:
    for people in figures.people.values():
        people.sort(key=lambda p: (p.name.lower(), p.user_id or 0))


def program_figures(*, today: date, agency_id: int | None = None) -> tuple[list[AgencyFigures], Figures]:
    """Figures per agency (with its MOUs) and for the whole program (or only ``agency_id``'s)."""
    agencies = select(Agency).order_by(Agency.name)
    if agency_id is not None:
        agencies = agencies.where(Agency.id == agency_id)
    agencies = list(db.session.scalars(agencies))
    by_agency = {a.id: Figures() for a in agencies}
    mous = {m.id: m for m in db.session.scalars(select(Mou).where(Mou.agency_id.in_([a.id for a in agencies]))
                                                 .order_by(Mou.effective_on, Mou.id))} if agencies else {}
    by_mou = {m: Figures() for m in mous}
    total = Figures()
    for group, person, (agency_key, mou_key) in _people(agency_id=agency_id, today=today):
        if agency_key in by_agency:
            by_agency[agency_key].people[group].append(person)
            total.people[group].append(person)
        if mou_key in by_mou:
            by_mou[mou_key].people[group].append(person)
    rows = []
    for agency in agencies:
        _sort(by_agency[agency.id])
        agency_mous = [(m, by_mou[m.id]) for m in mous.values() if m.agency_id == agency.id]
        for _, figures in agency_mous:
            _sort(figures)
        rows.append(AgencyFigures(agency, by_agency[agency.id], agency_mous))
    _sort(total)
    return rows, total
