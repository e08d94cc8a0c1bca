"""What each person may search: a trainee the modules open to them (a finished course stays open, as a
reference after certification); instructors, staff and administrators all content."""
from lms.clock import utcnow
from lms.cohorts.schedule import ANNEX_WEEK, open_weeks
from lms.content.search import Hit, search_modules
from lms.learning.course import active_enrollments, annex_slugs
from lms.models import Role


def searchable_slugs(user, now) -> set[str] | None:
    """The module slugs ``user`` may find (None: every module)."""
    if not user.has_role(Role.TRAINEE):
        return None
    slugs: set[str] = set()
    for enrollment in active_enrollments(user):
        track = enrollment.cohort.track
        weeks = (set(range(1, track.weeks + 1)) if enrollment.status == "completed"
                 else open_weeks(enrollment.cohort, now))
        slugs |= {i.ref for i in track.items if i.kind == "module" and i.week in weeks}
        if ANNEX_WEEK in weeks:
            slugs |= set(annex_slugs(enrollment))
    return slugs


def search_for(user, query: str, *, now=None, limit: int = 20) -> list[Hit]:
    """The modules matching ``query`` that ``user`` may read, best first."""
    return search_modules(query, slugs=searchable_slugs(user, now or utcnow()), limit=limit)
