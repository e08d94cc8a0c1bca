"""A regrade after a challenge tells each trainee whose grade it changed the new result, once per decision; a
grade it leaves alone tells nothing; a held pass-to-fail is told when staff apply it (keeping tells nothing)."""
from sqlalchemy import select

from lms import jobs
from lms.exams.regrade import decide_hold, pending_holds
from lms.models import Notification, Role
from lms.questions import CREDIT_ALL, DROP

from ..exams.test_challenges import FOUR_RIGHT, challenge, decide, sit, trainee
from ..factories import exam_world


def _regrade_notices(db, user):
    return db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == "exam_result",
        Notification.subject.like("%: regraded, %")).order_by(Notification.id)).all()


def _regrade_mails(smtp, user):
    jobs.run_periodic("send-pending")
    jobs.run_periodic("send-pending")
    return [m["Subject"] for m in smtp.to(user.email) if ": regraded, " in m["Subject"]]


def test_a_changed_grade_is_told_once_and_an_unchanged_one_not_at_all(factory, db, smtp, clock):
    world = exam_world(factory)
    mine = sit(world.trainee, clock, right=FOUR_RIGHT)  # 50 %: not passed
    full = sit(world.other, clock, right=FOUR_RIGHT + ("mx-matching",))  # already right on the item
    rejected = challenge(mine, "mx-single", clock)
    decide(rejected, "reject", world.instructor, clock)
    assert _regrade_notices(db, world.trainee) == []

    decide(challenge(mine, "mx-matching", clock), CREDIT_ALL, world.instructor, clock)
    [told] = _regrade_notices(db, world.trainee)
    title = mine.exam_version.title
    assert told.subject == f"{title}: regraded, passed (62.5 %)"
    assert "it was not passed, with 50 %" in told.body and told.link == f"/exams/attempts/{mine.id}/result"
    assert _regrade_notices(db, world.other) == []  # full's grade did not change
    assert _regrade_mails(smtp, world.trainee) == [f"287(g) Training: {told.subject}"]
    assert _regrade_mails(smtp, world.other) == []
    assert full.percent == 62.5


def test_a_held_pass_to_fail_is_told_when_staff_apply_it_and_not_when_they_keep_the_grade(factory, db, smtp, clock):
    world = exam_world(factory)
    staff = factory.user(Role.STAFF)
    five_right = FOUR_RIGHT + ("mx-single",)
    mine = sit(world.trainee, clock, right=five_right)  # passes; dropping mx-single would fail it: held
    theirs = sit(world.other, clock, right=five_right)  # held too; staff keep its grade
    fay = trainee(factory, world, "Fay Failed")
    failed = sit(fay, clock, right=FOUR_RIGHT)  # 4/8 -> 4/7: changed, still not passed

    decide(challenge(failed, "mx-single", clock), DROP, world.instructor, clock)
    [fay_told] = _regrade_notices(db, fay)
    assert fay_told.subject.endswith("regraded, not passed (57.1429 %)")
    assert _regrade_notices(db, world.trainee) == [] and _regrade_notices(db, world.other) == []  # held: not yet

    holds = {h.attempt_id: h for h in pending_holds()}
    decide_hold(holds[mine.id], apply=True, reason="Miskeyed for everyone.", actor=staff, now=clock())
    decide_hold(holds[theirs.id], apply=False, reason="Passed under the published key.", actor=staff, now=clock())
    db.session.commit()
    [told] = _regrade_notices(db, world.trainee)
    assert told.subject.endswith("regraded, not passed (57.1429 %)") and "it was passed, with 62.5 %" in told.body
    assert _regrade_notices(db, world.other) == []
    assert len(_regrade_mails(smtp, world.trainee)) == 1 and len(_regrade_mails(smtp, fay)) == 1
    assert _regrade_mails(smtp, world.other) == []
