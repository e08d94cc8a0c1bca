"""Item challenges and regrading: a trainee challenges a question once the review opens; an instructor's
decision (reject, accept another answer, credit every response, drop) regrades every attempt that drew the
question version in one audited step; a new pass issues the certification it makes due; a pass that would
become a fail is held for staff."""
import pytest
from sqlalchemy import select

from lms.certification.issue import certification_of
from lms.exams.attempts import submit_attempt
from lms.exams.challenges import ChallengeError, acceptable_answers, challenge_item, decide_challenge
from lms.exams.grading import grade_attempt
from lms.exams.pages import save_answer
from lms.exams.regrade import RegradeError, decide_hold, pending_holds
from lms.extensions import db
from lms.models import AuditEvent, ItemChallenge, RegradeHold, Role
from lms.models.challenge import HOLD_APPLIED, HOLD_KEPT
from lms.questions import ACCEPT_ANSWER, CREDIT_ALL, DROP, QUESTION_TYPES, Adjustment

from ..factories import CertKit, form_values_for, start

FOUR_RIGHT = ("mx-tf", "mx-short", "mx-numeric", "mx-range")  # 4 of 8: 50 %, below the pass mark of 60


def sit(user, clock, *, right=(), single=None, slug="mixed-exam"):
    """Take the mixed exam: the questions named in ``right`` answered right, the rest wrong; the
    single-choice question answered with choice ``single`` when given. Submitted and committed."""
    attempt = start(user, slug, clock)
    for aq in attempt.questions:
        name = aq.version.question.slug
        if name == "mx-single" and single is not None:
            values = [str(aq.shown.index(single) + 1)]
        else:
            values = form_values_for(aq, right=name in right)
        save_answer(attempt_id=attempt.id, user_id=user.id, position=aq.position, values=values, now=clock())
    clock.advance(minutes=5)
    submit_attempt(attempt, now=clock(), actor=user)
    db.session.commit()
    return attempt


def number_of(attempt, question_slug):
    return next(aq.position + 1 for aq in attempt.questions if aq.version.question.slug == question_slug)


def challenge(attempt, question_slug, clock, reason="The statute named in choice B also applies."):
    made = challenge_item(attempt, number_of(attempt, question_slug), reason, actor=attempt.user, now=clock())
    db.session.commit()
    return made


def decide(made, decision, instructor, clock, **kw):
    counts = decide_challenge(made, decision, "The panel reviewed the sources.", actor=instructor, now=clock(), **kw)
    db.session.commit()
    return counts


def complete_the_rest(factory, clock, enrollment):
    """The trainee's module and every other exam of the track done, so the mixed exam completes it."""
    kit = CertKit(db, factory, clock)
    kit.complete_modules(enrollment, issue=False)
    for slug in ("pool-exam", "fixed-exam", "later-exam"):
        kit.finished_attempt(enrollment, slug)
    db.session.commit()


def trainee(factory, world, name):
    user = factory.user(Role.TRAINEE, agency=world.agency, name=name)
    factory.enroll(user, world.cohort)
    return user


def test_accepting_another_answer_regrades_every_attempt_and_issues_the_certification_it_makes_due(
        world, factory, clock):
    complete_the_rest(factory, clock, world.enrollment)
    mine = sit(world.trainee, clock, right=FOUR_RIGHT, single="b")
    same = sit(world.other, clock, right=FOUR_RIGHT, single="b")
    third = sit(trainee(factory, world, "Tom Third"), clock, right=FOUR_RIGHT, single="c")
    assert [a.percent for a in (mine, same, third)] == [50.0, 50.0, 50.0]
    assert not mine.passed and certification_of(world.enrollment) is None

    made = challenge(mine, "mx-single", clock)
    version = made.attempt_question.version
    # The single-choice type offers every wrong choice to accept, in words.
    assert [words for _, words, _ in acceptable_answers(version)] == [
        "Forty-two USC nineteen eighty-three", "Eighteen USC two forty-two"]
    accept_b = next(key for key, _, response in acceptable_answers(version) if response == "b")
    counts = decide(made, ACCEPT_ANSWER, world.instructor, clock, answer=accept_b)

    assert (counts.attempts, counts.changed, counts.newly_passed, counts.held) == (3, 2, 2, [])
    for attempt in (mine, same, third):
        db.session.refresh(attempt)
    assert (mine.percent, mine.passed) == (62.5, True)
    assert (same.percent, same.passed) == (62.5, True)
    assert (third.percent, third.passed) == (50.0, False)  # another wrong answer is still wrong
    aq = next(q for q in mine.questions if q.version.question.slug == "mx-single")
    assert (aq.points, aq.is_correct) == (1.0, True)
    # The certification the new pass made due was issued, in the same step; the other trainee lacks the rest.
    assert certification_of(world.enrollment) is not None
    assert certification_of(same.enrollment) is None
    db.session.refresh(made)
    assert (made.status, made.decision, made.decided_by_id) == ("accepted", ACCEPT_ANSWER, world.instructor.id)
    # One audit event, with the counts.
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "challenge.decide"))
    assert event.details["attempts"] == 3 and event.details["changed"] == 2 and event.details["newly_passed"] == 2
    assert event.details["answer"] == "Forty-two USC nineteen eighty-three"
    # Attempts started later are graded with the decision too.
    later = sit(trainee(factory, world, "Lee Later"), clock, right=FOUR_RIGHT, single="b")
    assert (later.percent, later.passed) == (62.5, True)


def test_crediting_every_response_gives_the_point_whatever_the_answer(world, factory, clock):
    mine = sit(world.trainee, clock, right=FOUR_RIGHT)
    full = sit(world.other, clock, right=FOUR_RIGHT + ("mx-matching",))
    counts = decide(challenge(mine, "mx-matching", clock), CREDIT_ALL, world.instructor, clock)
    db.session.refresh(mine)
    db.session.refresh(full)
    assert (mine.percent, mine.passed) == (62.5, True)
    assert full.percent == 62.5  # already right: unchanged
    assert (counts.attempts, counts.changed, counts.newly_passed) == (2, 1, 1)


def test_rejecting_changes_no_grade(world, clock):
    mine = sit(world.trainee, clock, right=FOUR_RIGHT)
    made = challenge(mine, "mx-matching", clock)
    assert decide(made, "reject", world.instructor, clock) is None
    db.session.refresh(mine)
    assert (mine.percent, made.status, made.adjustment_id) == (50.0, "rejected", None)
    with pytest.raises(ChallengeError, match="already been decided"):
        decide_challenge(made, DROP, "again", actor=world.instructor, now=clock())


def test_dropping_an_item_holds_a_pass_that_would_become_a_fail_for_staff(world, factory, clock):
    staff = factory.user(Role.STAFF, name="Sam Staff")
    five_right = FOUR_RIGHT + ("mx-single",)
    mine = sit(world.trainee, clock, right=five_right)  # 5/8 = 62.5 %: passed; without mx-single 4/7 fails
    theirs = sit(world.other, clock, right=five_right)
    failed = sit(trainee(factory, world, "Fay Failed"), clock, right=FOUR_RIGHT)  # 4/8, 4/7 after: still a fail
    strong = sit(trainee(factory, world, "Sid Strong"), clock, right=five_right + ("mx-matching",))  # 6/8 -> 5/7

    counts = decide(challenge(failed, "mx-single", clock), DROP, world.instructor, clock)
    assert counts.held == [mine.id, theirs.id] and (counts.attempts, counts.changed) == (4, 2)
    for attempt in (mine, theirs, failed, strong):
        db.session.refresh(attempt)
    # Not applied silently: the passes stand, and grading leaves the decision out of them meanwhile.
    assert (mine.percent, mine.passed) == (62.5, True) and (theirs.percent, theirs.passed) == (62.5, True)
    assert float(grade_attempt(mine.id).points) == 5.0
    # The others were regraded: a dropped item counts 0 of 0.
    assert (round(failed.percent, 2), failed.passed, failed.max_points) == (57.14, False, 7.0)
    assert (round(strong.percent, 2), strong.passed) == (71.43, True)
    holds = {h.attempt_id: h for h in pending_holds()}
    assert set(holds) == {mine.id, theirs.id} and holds[mine.id].percent_after == pytest.approx(57.1429)

    with pytest.raises(RegradeError, match="reason"):
        decide_hold(holds[mine.id], apply=True, reason=" ", actor=staff, now=clock())
    decide_hold(holds[mine.id], apply=True, reason="The dropped item was miskeyed for everyone.", actor=staff,
                now=clock())
    decide_hold(holds[theirs.id], apply=False, reason="Passed under the published key.", actor=staff, now=clock())
    db.session.commit()
    db.session.refresh(mine)
    db.session.refresh(theirs)
    assert (round(mine.percent, 2), mine.passed) == (57.14, False)
    assert (theirs.percent, theirs.passed) == (62.5, True) and float(grade_attempt(theirs.id).points) == 5.0
    assert [h.status for h in db.session.scalars(select(RegradeHold).order_by(RegradeHold.attempt_id))] == [
        HOLD_APPLIED, HOLD_KEPT]
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("regrade.%"))).all()
    assert sorted(actions) == ["regrade.apply", "regrade.keep"]
    assert pending_holds() == []


def test_no_challenge_before_the_review_opens(world, clock):
    # The pool exam shows its review once the exam is closed (both attempts used or passed).
    first = sit(world.trainee, clock, slug="pool-exam")
    assert not first.passed
    with pytest.raises(ChallengeError, match="review of this attempt has opened"):
        challenge_item(first, 1, "Unfair", actor=world.trainee, now=clock())
    # The fixed exam never shows more than the score.
    fixed = sit(world.trainee, clock, slug="fixed-exam")
    with pytest.raises(ChallengeError, match="review of this attempt has opened"):
        challenge_item(fixed, 1, "Unfair", actor=world.trainee, now=clock())
    sit(world.trainee, clock, slug="pool-exam")  # the last attempt: the exam is closed, the review opens
    assert challenge_item(first, 1, "The key is wrong.", actor=world.trainee, now=clock()).status == "open"


def test_a_trainee_challenges_only_their_own_attempt_once_per_question_with_a_reason(world, clock):
    mine = sit(world.trainee, clock, right=FOUR_RIGHT)
    with pytest.raises(ChallengeError, match="Only the trainee"):
        challenge_item(mine, 1, "Not mine", actor=world.other, now=clock())
    with pytest.raises(ChallengeError, match="reason"):
        challenge_item(mine, 1, "   ", actor=world.trainee, now=clock())
    challenge(mine, "mx-tf", clock)
    with pytest.raises(ChallengeError, match="already challenged"):
        challenge(mine, "mx-tf", clock)
    assert db.session.scalar(select(ItemChallenge.id).where(ItemChallenge.attempt_id == mine.id)) is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "challenge.open"))
    assert event.details["question"] == number_of(mine, "mx-tf")


def test_each_type_says_what_an_accepted_answer_matches():
    short = {"type": "short", "answers": ["zebra omega"], "feedback": "f"}
    kind = QUESTION_TYPES["short"]
    accept = [Adjustment(ACCEPT_ANSWER, "Zulu  Omega")]
    assert kind.adjusted_grade(short, "zulu omega", accept).correct  # normalized as the key is
    assert not kind.adjusted_grade(short, "zulu", accept).correct
    numeric = {"type": "numeric", "answer": 10, "unit": "hours", "feedback": "f"}
    kind = QUESTION_TYPES["numeric"]
    assert kind.adjusted_grade(numeric, "1,200 hours", [Adjustment(ACCEPT_ANSWER, "1200")]).correct  # by value
    # Drop: out of the score and the maximum; credit: full points whatever the answer, even none.
    dropped = kind.adjusted_grade(numeric, "10", [Adjustment(DROP)])
    assert (dropped.points, dropped.max_points) == (0, 0)
    credited = kind.adjusted_grade(numeric, None, [Adjustment(CREDIT_ALL)])
    assert (credited.points, credited.max_points, credited.correct) == (1, 1, True)
    # The answers offered to accept: the distinct wrong ones given, once each.
    assert [w for _, w in QUESTION_TYPES["short"].answers_to_accept(short, ["zulu", "Zulu ", "zebra omega", None])] \
        == ["zulu"]


def test_an_extra_attempt_granted_closes_the_review_again_until_it_is_used(world, clock):
    """The pool exam's review opens once the exam is closed: every allowed attempt used (the extra attempts
    granted count) or one passed."""
    from lms.exams.grants import grant_extra_attempt
    from lms.exams.overview import review_level_for
    from lms.exams.review import review

    first = sit(world.trainee, clock, slug="pool-exam")
    assert review_level_for(first) == "score" and review(first, review_level_for(first)) == []
    second = sit(world.trainee, clock, slug="pool-exam")
    assert review_level_for(first) == review_level_for(second) == "wrong"
    grant_extra_attempt(first.enrollment, first.exam, actor=world.instructor, now=clock())
    db.session.commit()
    assert review_level_for(first) == "score"  # one more attempt may be taken
    with pytest.raises(ChallengeError, match="review of this attempt has opened"):
        challenge_item(first, 1, "Unfair", actor=world.trainee, now=clock())
    sit(world.trainee, clock, slug="pool-exam")
    assert review_level_for(first) == "wrong" and len(review(first, "wrong")) == 3
