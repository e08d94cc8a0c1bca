"""The rules of an exam: who may start when, the deadline, and what the review shows.

Pure functions over plain values (no database), so each rule reads in one place and tests need
no fixtures. ``ExamPolicy`` is the part of a blueprint that is not the draw; an attempt keeps a
copy of the one in force when it started.
"""
import math
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

MAX_GRACE_SECONDS = 60
SCORE, WRONG, ANSWERS = "score", "wrong", "answers"
AFTER_SUBMIT, AFTER_CLOSE = "after_submit", "after_close"
REVIEW_LEVELS = {SCORE: 0, WRONG: 1, ANSWERS: 2}


@dataclass(frozen=True)
class ExamPolicy:
    """Pass mark, time, attempts, cool-down, navigation and review rules of one blueprint version."""

    pass_mark: float
    time_limit_minutes: int
    attempts: int
    cooldown_hours: float
    shuffle_questions: bool
    shuffle_choices: bool
    navigation: str
    per_page: int
    no_repeats: bool
    review_show: str
    review_when: str

    @classmethod
    def from_blueprint(cls, blueprint: dict) -> "ExamPolicy":
        """The policy part of a blueprint (the exam file's values with defaults filled in)."""
        review = blueprint.get("review") or {}
        return cls(
            pass_mark=float(blueprint["pass_mark"]),
            time_limit_minutes=int(blueprint["time_limit_minutes"]),
            attempts=int(blueprint["attempts"]),
            cooldown_hours=float(blueprint.get("cooldown_hours", 0)),
            shuffle_questions=bool(blueprint.get("shuffle_questions", True)),
            shuffle_choices=bool(blueprint.get("shuffle_choices", True)),
            navigation=blueprint.get("navigation", "free"),
            per_page=int(blueprint.get("per_page", 5)),
            no_repeats=bool(blueprint.get("no_repeats", False)),
            review_show=review.get("show", ANSWERS),
            review_when=review.get("when", AFTER_SUBMIT),
        )

    @classmethod
    def from_dict(cls, data: dict) -> "ExamPolicy":
        """Rebuild from the copy an attempt keeps."""
        return cls(**data)

    def as_dict(self) -> dict:
        return {field.name: getattr(self, field.name) for field in fields(self)}  # (flat: asdict's deep copy costs)

    @property
    def forward_only(self) -> bool:
        return self.navigation == "forward"


def grace(config_seconds) -> timedelta:
    """The grace after the deadline during which answers are still accepted (never over 60 s)."""
    return timedelta(seconds=max(0, min(int(config_seconds or 0), MAX_GRACE_SECONDS)))


def deadline(started_at: datetime, time_limit_minutes: int, multiplier: float, extra_seconds: int) -> datetime:
    """Start + time limit x the trainee's multiplier + extra time granted (whole seconds)."""
    seconds = math.ceil(round(time_limit_minutes * 60 * multiplier, 6)) + int(extra_seconds)
    return started_at + timedelta(seconds=seconds)


def attempts_allowed(policy: ExamPolicy, extra_attempts: int) -> int:
    """The blueprint's attempts plus any an instructor granted."""
    return policy.attempts + extra_attempts


@dataclass(frozen=True)
class StartCheck:
    """Whether a trainee may start an attempt now and, if not, why and from when."""

    allowed: bool
    reason: str = ""
    next_allowed_at: datetime | None = None


def cooldown_lifted(finished: list, waivers) -> bool:
    """An instructor lifted the wait before the next attempt: an extra attempt granted without the
    cool-down after the latest attempt started (so it lifts the wait after that attempt, once).

    ``waivers`` are the times such grants were made; ``finished`` as for ``may_start``.
    """
    return bool(finished) and any(at > finished[-1].started_at for at in waivers)


def may_start(policy: ExamPolicy, *, week_open: bool, finished: list, extra_attempts: int, now: datetime,
              opens_on=None, cooldown_waivers=()) -> StartCheck:
    """The start rule: the week is open, not passed yet, attempts left, cool-down over (or lifted).

    ``finished`` are the trainee's finished attempts at this exam in this enrollment (objects with
    ``passed``, ``started_at`` and ``finished_at``), oldest first. An open attempt is resumed, not
    started, so it is not a case here. ``cooldown_waivers``: see ``cooldown_lifted``.
    """
    if not week_open:
        when = f" It opens on {opens_on:%B %-d, %Y}." if opens_on else ""
        return StartCheck(False, "This exam's week is not open yet." + when)
    if any(a.passed for a in finished):
        return StartCheck(False, "You have passed this exam.")
    if len(finished) >= attempts_allowed(policy, extra_attempts):
        return StartCheck(False, "You have used every attempt allowed. Your instructor can grant another.")
    if finished and policy.cooldown_hours and not cooldown_lifted(finished, cooldown_waivers):
        ready = finished[-1].finished_at + timedelta(hours=policy.cooldown_hours)
        if now < ready:
            return StartCheck(False, "The cool-down between attempts has not ended.", ready)
    return StartCheck(True)


def is_closed(policy: ExamPolicy, finished: list, extra_attempts: int) -> bool:
    """The exam is closed for the trainee: passed, or every allowed attempt used."""
    return any(a.passed for a in finished) or len(finished) >= attempts_allowed(policy, extra_attempts)


def review_level(policy: ExamPolicy, *, closed: bool) -> str:
    """What a finished attempt's review shows now: score, wrong (which were wrong) or answers.

    The score is always shown once finished; details wait for the exam to close when the policy says
    ``after_close``.
    """
    if policy.review_when == AFTER_CLOSE and not closed:
        return SCORE
    return policy.review_show


def shows(level: str, what: str) -> bool:
    """True when review ``level`` includes ``what`` (score < wrong < answers)."""
    return REVIEW_LEVELS[level] >= REVIEW_LEVELS[what]
