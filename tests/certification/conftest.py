"""Fixtures for certification tests: a small track built directly in the database, and finished
attempts made as the exam engine's grading would leave them (then the issue hook, as it calls it)."""
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.certification import issue_if_complete
from lms.models import (
    Attempt, Enrollment, Exam, ExamVersion, Module, ModuleProgress, ModuleVersion, Role, Track, TrackItem,
)


@dataclass
class CertKit:
    """Builds tracks, cohorts, trainees and results for certification tests."""

    db: object
    factory: object
    clock: object
    n: int = 0
    attempts: dict = field(default_factory=dict)

    def _next(self) -> int:
        self.n += 1
        return self.n

    def module(self, slug: str) -> Module:
        module = self.db.session.scalar(select(Module).where(Module.slug == slug))
        if module is None:
            now = self.clock()
            module = Module(slug=slug, topic=slug.split("/")[0], created_at=now)
            self.db.session.add(module)
            self.db.session.flush()
            version = ModuleVersion(module_id=module.id, number=1, content_hash="h" * 64, title=f"Module {slug}",
                                    minutes=30, objectives=[], sources=[], body_md="Body", body_html="<p>Body</p>",
                                    toc_html="", source_path=f"{slug}.md", created_at=now)
            self.db.session.add(version)
            self.db.session.flush()
            module.current_version_id = version.id
            self.db.session.flush()
        return module

    def exam(self, slug: str, pass_mark: int = 70) -> Exam:
        exam = self.db.session.scalar(select(Exam).where(Exam.slug == slug))
        if exam is None:
            now = self.clock()
            exam = Exam(slug=slug, created_at=now)
            self.db.session.add(exam)
            self.db.session.flush()
            version = ExamVersion(exam_id=exam.id, number=1, content_hash="e" * 64, title=f"Exam {slug}",
                                  description_html="", blueprint={"pass_mark": pass_mark}, source_path=f"{slug}.yml",
                                  created_at=now)
            self.db.session.add(version)
            self.db.session.flush()
            exam.current_version_id = version.id
            self.db.session.flush()
        return exam

    def track(self, slug=None, *, modules=("m/one", "m/two"), exams=("exam-a", "exam-b"), weeks=2,
              validity_years=2, refresher_of=None, title=None, length_unit="weeks", hours=(None, None)) -> Track:
        slug = slug or f"track-{self._next()}"
        now = self.clock()
        track = Track(slug=slug, title=title or f"Track {slug}", audience="Officers", weeks=weeks, description="",
                      length_unit=length_unit, online_hours=hours[0], classroom_hours=hours[1],
                      is_sample=True, certification_title=f"Certification of {slug}",
                      validity_years=validity_years, refresher_of=refresher_of, content_hash="t" * 64,
                      created_at=now, updated_at=now)
        self.db.session.add(track)
        self.db.session.flush()
        position = 0
        for ref in modules:
            self.module(ref)
            track.items.append(TrackItem(week=1, week_title="Week 1", position=position, kind="module", ref=ref))
            position += 1
        for ref in exams:
            self.exam(ref)
            track.items.append(TrackItem(week=weeks, week_title=f"Week {weeks}", position=position, kind="exam", ref=ref))
            position += 1
        self.db.session.commit()
        return track

    def trainee(self, agency=None, name=None):
        return self.factory.user(Role.TRAINEE, agency=agency, name=name)

    def enrollment(self, track: Track, *, trainee=None, agency=None, cohort=None, start=None) -> Enrollment:
        trainee = trainee or self.trainee(agency=agency)
        cohort = cohort or self.factory.cohort(track.slug, start=start or date(2026, 3, 2))
        return self.factory.enroll(trainee, cohort)

    def complete_modules(self, enrollment: Enrollment, *, issue=True):
        now = self.clock()
        for item in enrollment.cohort.track.items:
            if item.kind != "module":
                continue
            module = self.module(item.ref)
            progress = self.db.session.scalar(select(ModuleProgress).where(
                ModuleProgress.enrollment_id == enrollment.id, ModuleProgress.module_id == module.id))
            if progress is None:
                progress = ModuleProgress(enrollment_id=enrollment.id, module_id=module.id, first_read_at=now)
                self.db.session.add(progress)
            progress.completed_at = now
            progress.completed_version_id = module.current_version_id
        self.db.session.flush()
        result = issue_if_complete(enrollment, now=now) if issue else None
        self.db.session.commit()
        return result

    def finished_attempt(self, enrollment: Enrollment, exam_slug: str, *, percent=90.0, passed=True) -> Attempt:
        """A graded attempt as the exam engine leaves it (flushed, not committed)."""
        exam = self.exam(exam_slug)
        now = self.clock()
        number = 1 + len(self.db.session.scalars(select(Attempt.id).where(
            Attempt.user_id == enrollment.user_id, Attempt.exam_id == exam.id)).all())
        attempt = Attempt(user_id=enrollment.user_id, exam_id=exam.id, exam_version_id=exam.current_version_id,
                          enrollment_id=enrollment.id, number=number, status="finished", seed="s" * 16,
                          policy={"pass_mark": 70}, time_multiplier=1.0, extra_seconds=0,
                          started_at=now - timedelta(minutes=20), deadline_at=now + timedelta(minutes=10),
                          finished_at=now, finish_reason="submitted", points=percent / 10, max_points=10.0,
                          percent=percent, passed=passed)
        self.db.session.add(attempt)
        self.db.session.flush()
        return attempt

    def pass_exam(self, enrollment: Enrollment, exam_slug: str, *, percent=90.0, passed=True):
        """Grade an attempt and run the issue hook in the same transaction; returns the certification or None."""
        self.finished_attempt(enrollment, exam_slug, percent=percent, passed=passed)
        certification = issue_if_complete(enrollment, now=self.clock())
        self.db.session.commit()
        return certification

    def certified(self, track=None, *, agency=None, trainee=None, cohort=None, mou=None, name=None):
        """A trainee who completed and passed everything: their certification."""
        track = track or self.track()
        if trainee is None:
            trainee = self.trainee(agency=agency, name=name)
        enrollment = self.enrollment(track, trainee=trainee, cohort=cohort)
        if mou is not None:
            from lms.agencies.agreements import attach_mou

            attach_mou(enrollment, mou, now=self.clock())
        self.complete_modules(enrollment, issue=False)
        certification = None
        for item in track.items:
            if item.kind == "exam":
                certification = self.pass_exam(enrollment, item.ref)
        assert certification is not None
        return certification


@pytest.fixture
def kit(db, factory, clock):
    return CertKit(db, factory, clock)
