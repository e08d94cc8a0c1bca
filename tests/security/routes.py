"""Every route of the app, classified: who may use it, and a URL for it in the security world.

A new route fails test_every_route_is_classified until it is added here, with its roles."""
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select

from lms.certification.exports import prepare_export, request_passlist_export
from lms.certification.passlist import PassListFilters
from lms.clock import utcnow
from lms.extensions import db
from lms.models import ExportJob, Notification, Role

T, I, C, S, A = Role.TRAINEE, Role.INSTRUCTOR, Role.COORDINATOR, Role.STAFF, Role.ADMIN
PUBLIC = None
ANY = (T, I, C, S, A)
VIEWERS = (I, C, S, A)  # cohorts and results
READERS = (S, A, C)  # agencies, registry, nominations, program
STAFF = (S, A)
MANAGERS = (I, S, A)


@dataclass(frozen=True)
class Route:
    roles: tuple | None  # None: public on purpose
    url: Callable  # world -> URL
    who: Callable | None = None  # world -> a user allowed to use it (default: side a's user of the first role)
    ok: int = 200  # the status the allowed user gets on a GET

    def user(self, world):
        return self.who(world) if self.who else world.user(self.roles[0])


def _attempt(w):
    return w.a.attempt.id


def _classroom_trainee(w):
    return w.a.classroom_enrollment.user


def _grade_url(w):
    return f"/classroom/cohorts/{w.a.classroom.id}/trainees/{w.a.classroom_enrollment.id}/practicals/drill-report"


def _cert_owner(w):
    return w.a.certification.user


def notification_of_cert_owner(w):
    """The id of the notice that told side a's certified officer of the certificate."""
    return db.session.scalar(select(Notification.id).where(Notification.user_id == w.a.certification.user_id)
                             .order_by(Notification.id).limit(1))


def _export_owner(w):
    return w.a.coordinator


def _export(w):
    """The id of side a's coordinator's pass-list export (CSV), ready to download: made when first asked for."""
    found = db.session.scalar(select(ExportJob.id).where(ExportJob.user_id == w.a.coordinator.id).limit(1))
    if found is None:
        export = request_passlist_export(PassListFilters(), "csv", actor=w.a.coordinator, now=utcnow())
        prepare_export(export.id, now=utcnow(), publish=db.session.flush)
        db.session.commit()
        found = export.id
    return found


ROUTES: dict[tuple[str, str], Route] = {
    # Public on purpose.
    ("main.healthz", "GET"): Route(PUBLIC, lambda w: "/healthz"),
    ("static", "GET"): Route(PUBLIC, lambda w: "/static/css/app.css"),
    ("auth.notice", "GET"): Route(PUBLIC, lambda w: "/notice"),
    ("auth.notice", "POST"): Route(PUBLIC, lambda w: "/notice"),
    ("auth.login", "GET"): Route(PUBLIC, lambda w: "/login"),
    ("auth.login", "POST"): Route(PUBLIC, lambda w: "/login"),
    ("verify.verify_form", "GET"): Route(PUBLIC, lambda w: "/verify"),
    ("verify.verify_lookup", "POST"): Route(PUBLIC, lambda w: "/verify"),
    ("verify.verify_code", "GET"): Route(PUBLIC, lambda w: f"/verify/{w.a.certification.verification_code}"),
    ("verify.signing_keys", "GET"): Route(PUBLIC, lambda w: "/.well-known/lms-signing-keys.json"),
    # Any logged-in user.
    ("main.index", "GET"): Route(ANY, lambda w: "/", ok=302),
    ("auth.logout", "POST"): Route(ANY, lambda w: "/logout"),
    ("auth.change_password", "GET"): Route(ANY, lambda w: "/account/password"),
    ("auth.change_password", "POST"): Route(ANY, lambda w: "/account/password"),
    # The second step of log-in, for a half-logged-in session (test_two_factor_routes checks that state):
    # anonymous users are sent to log-in, logged-in users home.
    ("auth.login_code", "GET"): Route(ANY, lambda w: "/login/code", ok=302),
    ("auth.login_code", "POST"): Route(ANY, lambda w: "/login/code"),
    # Enrolment: half logged in (a privileged account's first log-in) or from the two-factor page (a trainee,
    # for whom it is optional; enrolled users are sent to the two-factor page).
    ("auth.enrol", "GET"): Route(ANY, lambda w: "/account/two-factor/enrol"),
    ("auth.enrol", "POST"): Route(ANY, lambda w: "/account/two-factor/enrol"),
    ("auth.two_factor", "GET"): Route(ANY, lambda w: "/account/two-factor"),
    ("auth.new_recovery_codes", "POST"): Route(ANY, lambda w: "/account/two-factor/recovery-codes"),
    # Administrators.
    ("admin.users", "GET"): Route((A,), lambda w: "/admin/users"),
    ("admin.create_user", "GET"): Route((A,), lambda w: "/admin/users/new"),
    ("admin.create_user", "POST"): Route((A,), lambda w: "/admin/users/new"),
    ("admin.user_detail", "GET"): Route((A,), lambda w: f"/admin/users/{w.a.trainee.id}"),
    ("admin.unlock", "POST"): Route((A,), lambda w: f"/admin/users/{w.a.trainee.id}/unlock"),
    ("admin.disable", "GET"): Route((A,), lambda w: f"/admin/users/{w.a.trainee.id}/disable"),  # confirmation
    ("admin.disable", "POST"): Route((A,), lambda w: f"/admin/users/{w.a.trainee.id}/disable"),
    ("admin.enable", "POST"): Route((A,), lambda w: f"/admin/users/{w.a.trainee.id}/enable"),
    ("admin.reset_password", "POST"): Route((A,), lambda w: f"/admin/users/{w.a.trainee.id}/reset-password"),
    ("admin.reset_two_factor", "POST"): Route((A,), lambda w: f"/admin/users/{w.a.trainee.id}/reset-two-factor"),
    ("admin.change_role", "POST"): Route((A,), lambda w: f"/admin/users/{w.a.trainee.id}/role"),
    ("admin.access_review", "GET"): Route((A,), lambda w: "/admin/access-review"),
    ("admin.review_access", "POST"): Route((A,), lambda w: f"/admin/users/{w.a.trainee.id}/access-review"),
    ("admin.audit", "GET"): Route((A, S), lambda w: "/admin/audit"),
    # Agencies and agreements.
    ("agencies.agency_list", "GET"): Route(READERS, lambda w: "/agencies"),
    ("agencies.agency_new", "GET"): Route(STAFF, lambda w: "/agencies/new"),
    ("agencies.agency_new", "POST"): Route(STAFF, lambda w: "/agencies/new"),
    ("agencies.agency_detail", "GET"): Route(READERS, lambda w: f"/agencies/{w.a.agency.id}"),
    ("agencies.agency_edit", "GET"): Route(STAFF, lambda w: f"/agencies/{w.a.agency.id}/edit"),
    ("agencies.agency_edit", "POST"): Route(STAFF, lambda w: f"/agencies/{w.a.agency.id}/edit"),
    ("agencies.mou_new", "GET"): Route(STAFF, lambda w: f"/agencies/{w.a.agency.id}/mous/new"),
    ("agencies.mou_new", "POST"): Route(STAFF, lambda w: f"/agencies/{w.a.agency.id}/mous/new"),
    ("agencies.mou_detail", "GET"): Route(READERS, lambda w: f"/mous/{w.a.mou.id}"),
    ("agencies.mou_edit", "GET"): Route(STAFF, lambda w: f"/mous/{w.a.mou.id}/edit"),
    ("agencies.mou_edit", "POST"): Route(STAFF, lambda w: f"/mous/{w.a.mou.id}/edit"),
    ("agencies.mou_document_upload", "POST"): Route(STAFF, lambda w: f"/mous/{w.a.mou.id}/documents"),
    ("agencies.mou_document", "GET"): Route(STAFF, lambda w: f"/mous/{w.a.mou.id}/documents/{w.a.document.id}"),
    ("agencies.mou_terminate", "GET"): Route(STAFF, lambda w: f"/mous/{w.a.mou.id}/terminate"),  # confirmation
    ("agencies.mou_terminate", "POST"): Route(STAFF, lambda w: f"/mous/{w.a.mou.id}/terminate"),
    ("agencies.mou_models", "GET"): Route(STAFF, lambda w: "/mou-models"),
    ("agencies.mou_models", "POST"): Route(STAFF, lambda w: "/mou-models"),
    # The trainee's certificates.
    ("certificates.my_certificates", "GET"): Route((T,), lambda w: "/certificates", who=_cert_owner),
    ("certificates.detail", "GET"): Route((T,), lambda w: f"/certificates/{w.a.certification.number}", who=_cert_owner),
    ("certificates.pdf", "GET"): Route((T,), lambda w: f"/certificates/{w.a.certification.number}/certificate.pdf",
                                       who=_cert_owner),
    ("certificates.record", "GET"): Route((T,), lambda w: f"/certificates/{w.a.certification.number}/record.json",
                                          who=_cert_owner),
    # Cohorts.
    ("cohorts.cohort_list", "GET"): Route(VIEWERS, lambda w: "/cohorts"),
    ("cohorts.roster", "GET"): Route(VIEWERS, lambda w: f"/cohorts/{w.a.cohort.id}"),
    ("cohorts.open_week", "GET"): Route(
        MANAGERS, lambda w: f"/cohorts/{w.a.cohort.id}/weeks/open?week=2"),  # confirmation
    ("cohorts.open_week", "POST"): Route(MANAGERS, lambda w: f"/cohorts/{w.a.cohort.id}/weeks/open"),
    ("cohorts.cohort_new", "GET"): Route(MANAGERS, lambda w: "/cohorts/new"),
    ("cohorts.cohort_new", "POST"): Route(MANAGERS, lambda w: "/cohorts/new"),
    ("cohorts.enroll_one", "POST"): Route(MANAGERS, lambda w: f"/cohorts/{w.a.cohort.id}/enroll"),
    ("cohorts.roster_import", "GET"): Route(MANAGERS, lambda w: f"/cohorts/{w.a.cohort.id}/roster-import"),
    ("cohorts.roster_import", "POST"): Route(MANAGERS, lambda w: f"/cohorts/{w.a.cohort.id}/roster-import"),
    ("cohorts.post_notice", "POST"): Route(MANAGERS, lambda w: f"/cohorts/{w.a.cohort.id}/notices"),
    # Question banks: exports, and imports after a preview.
    ("interchange.bank_list", "GET"): Route(MANAGERS, lambda w: "/banks"),
    ("interchange.bank_export", "GET"): Route(MANAGERS, lambda w: "/banks/mixed/export/gift"),
    ("interchange.import_preview", "GET"): Route(MANAGERS, lambda w: "/banks/import?bank=mixed"),
    ("interchange.import_preview", "POST"): Route(MANAGERS, lambda w: "/banks/import"),
    ("interchange.import_confirm", "POST"): Route(MANAGERS, lambda w: "/banks/import/confirm", ok=302),
    # The trainee's course and exams.
    # The classroom: a cohort's sessions and hours (viewers), scheduling, attendance, grading (managers).
    ("classroom.cohort", "GET"): Route(VIEWERS, lambda w: f"/classroom/cohorts/{w.a.classroom.id}"),
    ("classroom.schedule", "POST"): Route(MANAGERS, lambda w: f"/classroom/cohorts/{w.a.classroom.id}/sessions"),
    ("classroom.cancel", "POST"): Route(MANAGERS, lambda w: f"/classroom/sessions/{w.a.class_session.id}/cancel"),
    ("classroom.take_attendance", "GET"): Route(
        MANAGERS, lambda w: f"/classroom/sessions/{w.a.class_session.id}/attendance"),
    ("classroom.take_attendance", "POST"): Route(
        MANAGERS, lambda w: f"/classroom/sessions/{w.a.class_session.id}/attendance"),
    ("classroom.grade", "GET"): Route(MANAGERS, lambda w: _grade_url(w)),
    ("classroom.grade", "POST"): Route(MANAGERS, lambda w: _grade_url(w)),
    ("classroom.submission_document", "GET"): Route(MANAGERS, lambda w: _grade_url(w) + "/document", ok=404),
    ("classroom.training_record", "GET"): Route(
        VIEWERS, lambda w: f"/classroom/cohorts/{w.a.classroom.id}/training-record.csv"),
    ("classroom.trainee_transcript", "GET"): Route(VIEWERS, lambda w: f"/classroom/cohorts/{w.a.classroom.id}/trainees/"
                                                                        f"{w.a.classroom_enrollment.id}/transcript.pdf"),
    ("classroom.edit_session", "GET"): Route(MANAGERS, lambda w: f"/classroom/sessions/{w.a.class_session.id}/edit"),
    ("classroom.edit_session", "POST"): Route(MANAGERS, lambda w: f"/classroom/sessions/{w.a.class_session.id}/edit"),
    ("classroom.calendar", "GET"): Route((T,), lambda w: "/classroom/schedule.ics", who=_classroom_trainee),
    ("classroom.practical", "GET"): Route((T,), lambda w: "/classroom/practicals/drill-report", who=_classroom_trainee),
    ("classroom.practical", "POST"): Route((T,), lambda w: "/classroom/practicals/drill-report",
                                           who=_classroom_trainee),
    ("classroom.my_transcript", "GET"): Route((T,), lambda w: "/classroom/transcript.pdf", who=_classroom_trainee),
    ("course.my_course", "GET"): Route((T,), lambda w: "/course"),
    ("course.module", "GET"): Route((T,), lambda w: "/course/modules/agreement/basics"),
    ("course.complete", "POST"): Route((T,), lambda w: "/course/modules/agreement/basics/complete"),
    ("exams.exam_page", "GET"): Route((T,), lambda w: "/exams/mixed-exam"),
    ("exams.start", "POST"): Route((T,), lambda w: "/exams/mixed-exam/start"),
    ("exams.attempt", "GET"): Route((T,), lambda w: f"/exams/attempts/{_attempt(w)}"),
    ("exams.save", "POST"): Route((T,), lambda w: f"/exams/attempts/{_attempt(w)}/save"),
    ("exams.autosave", "POST"): Route((T,), lambda w: f"/exams/attempts/{_attempt(w)}/autosave"),
    ("exams.status", "GET"): Route((T,), lambda w: f"/exams/attempts/{_attempt(w)}/status"),
    ("exams.confirm_submit", "GET"): Route((T,), lambda w: f"/exams/attempts/{_attempt(w)}/submit"),
    ("exams.submit", "POST"): Route((T,), lambda w: f"/exams/attempts/{_attempt(w)}/submit"),
    ("exams.result", "GET"): Route((T,), lambda w: f"/exams/attempts/{_attempt(w)}/result", ok=302),
    # Item challenges (the world has none: a decision on challenge 1 or hold 1 is refused before it looks).
    ("challenges.challenge", "POST"): Route((T,), lambda w: f"/exams/attempts/{_attempt(w)}/questions/1/challenge"),
    ("challenges.queue", "GET"): Route(MANAGERS, lambda w: "/challenges"),
    ("challenges.decide", "POST"): Route(MANAGERS, lambda w: "/challenges/1/decide"),
    ("challenges.decide_held", "POST"): Route(STAFF, lambda w: "/challenges/holds/1"),
    # Standard setting.
    ("standard_setting.index", "GET"): Route(MANAGERS, lambda w: "/standard-setting"),
    ("standard_setting.rating_page", "GET"): Route(MANAGERS, lambda w: "/standard-setting/exams/mixed-exam"),
    ("standard_setting.rate", "POST"): Route(MANAGERS, lambda w: "/standard-setting/exams/mixed-exam"),
    ("standard_setting.adopt", "POST"): Route(STAFF, lambda w: "/standard-setting/exams/mixed-exam/adopt"),
    # Nominations.
    ("nominations.nomination_list", "GET"): Route(READERS, lambda w: "/nominations"),
    ("nominations.nomination_new", "GET"): Route((C,), lambda w: "/nominations/new"),
    ("nominations.nomination_new", "POST"): Route((C,), lambda w: "/nominations/new"),
    ("nominations.roster_import", "GET"): Route((C,), lambda w: "/nominations/import"),
    ("nominations.roster_import", "POST"): Route((C,), lambda w: "/nominations/import"),
    ("nominations.enrollment_import", "GET"): Route(STAFF, lambda w: "/nominations/import-enrollments"),
    ("nominations.enrollment_import", "POST"): Route(STAFF, lambda w: "/nominations/import-enrollments"),
    ("nominations.nomination_detail", "GET"): Route(READERS, lambda w: f"/nominations/{w.a.nomination.id}"),
    ("nominations.nomination_accept", "POST"): Route(STAFF, lambda w: f"/nominations/{w.a.nomination.id}/accept"),
    ("nominations.nomination_decline", "GET"): Route(STAFF, lambda w: f"/nominations/{w.a.nomination.id}/decline"),
    ("nominations.nomination_decline", "POST"): Route(STAFF, lambda w: f"/nominations/{w.a.nomination.id}/decline"),
    ("nominations.nomination_evidence", "GET"): Route(READERS, lambda w: f"/nominations/{w.a.nomination.id}/evidence"),
    # The certification registry and pass lists.
    ("registry.registry", "GET"): Route(READERS, lambda w: "/registry"),
    ("registry.detail", "GET"): Route(READERS, lambda w: f"/registry/{w.a.certification.number}"),
    ("registry.change_status", "GET"): Route(STAFF, lambda w: f"/registry/{w.a.certification.number}/suspend"),
    ("registry.change_status", "POST"): Route(STAFF, lambda w: f"/registry/{w.a.certification.number}/suspend"),
    ("registry.pdf", "GET"): Route(READERS, lambda w: f"/registry/{w.a.certification.number}/certificate.pdf"),
    ("registry.record", "GET"): Route(READERS, lambda w: f"/registry/{w.a.certification.number}/record.json"),
    ("registry.due", "GET"): Route(READERS, lambda w: "/registry/due"),
    # Certifications put up for review (the world has none: a decision on review 1 is a 404 for staff).
    ("registry.review_queue", "GET"): Route(STAFF, lambda w: "/registry/reviews"),
    ("registry.decide_review", "POST"): Route(STAFF, lambda w: "/registry/reviews/1"),
    ("registry.passlist", "GET"): Route(READERS, lambda w: "/passlist"),
    ("registry.passlist_download", "GET"): Route(READERS, lambda w: "/passlist.csv"),
    # Export jobs: asked for from the pass list and the cohort's page; each seen by its owner only.
    ("exports.passlist_export", "POST"): Route(READERS, lambda w: "/exports/passlist.csv"),
    ("exports.record_export", "POST"): Route(VIEWERS,
                                             lambda w: f"/exports/cohorts/{w.a.classroom.id}/training-record.csv"),
    ("exports.index", "GET"): Route(VIEWERS, lambda w: "/exports"),
    ("exports.show", "GET"): Route(VIEWERS, lambda w: f"/exports/{_export(w)}", who=_export_owner),
    ("exports.status", "GET"): Route(VIEWERS, lambda w: f"/exports/{_export(w)}/status", who=_export_owner),
    ("exports.download", "GET"): Route(VIEWERS, lambda w: f"/exports/{_export(w)}/download", who=_export_owner),
    ("exports.retry", "POST"): Route(VIEWERS, lambda w: f"/exports/{_export(w)}/retry", who=_export_owner),
    # The program dashboard.
    ("program.dashboard", "GET"): Route(READERS, lambda w: "/program"),
    ("program.people", "GET"): Route(READERS, lambda w: f"/program/people?group=nominated&agency_id={w.a.agency.id}"),
    # Results, statistics and grants.
    # The studio: instructors (and staff) write modules; a draft revision 1 of agreement/basics exists.
    ("studio.index", "GET"): Route(MANAGERS, lambda w: "/studio"),
    ("studio.new_module", "GET"): Route(MANAGERS, lambda w: "/studio/modules/new"),
    ("studio.new_module", "POST"): Route(MANAGERS, lambda w: "/studio/modules/new"),
    ("studio.edit", "GET"): Route(MANAGERS, lambda w: "/studio/modules/agreement/basics/edit"),
    ("studio.edit", "POST"): Route(MANAGERS, lambda w: "/studio/modules/agreement/basics/edit"),
    ("studio.preview", "POST"): Route(MANAGERS, lambda w: "/studio/preview"),
    ("studio.history", "GET"): Route(MANAGERS, lambda w: "/studio/modules/agreement/basics/revisions"),
    ("studio.revision", "GET"): Route(MANAGERS, lambda w: "/studio/modules/agreement/basics/revisions/1"),
    ("studio.publish", "POST"): Route(MANAGERS, lambda w: "/studio/modules/agreement/basics/revisions/1/publish"),
    ("studio.restore", "POST"): Route(MANAGERS, lambda w: "/studio/modules/agreement/basics/revisions/1/restore"),
    ("studio.comment", "POST"): Route(MANAGERS, lambda w: "/studio/modules/agreement/basics/revisions/1/comments"),
    ("studio.diff", "GET"): Route(MANAGERS, lambda w: "/studio/modules/agreement/basics/diff?a=live&b=1"),
    ("studio.mark_reviewed", "POST"): Route(MANAGERS, lambda w: "/studio/modules/agreement/basics/reviewed"),
    ("studio.due_for_review", "GET"): Route(MANAGERS, lambda w: "/studio/reviews"),
    # Practical exercises in the studio: a draft revision 1 of the fixture's drill-report exists.
    ("studio.new_exercise", "GET"): Route(MANAGERS, lambda w: "/studio/exercises/new"),
    ("studio.new_exercise", "POST"): Route(MANAGERS, lambda w: "/studio/exercises/new"),
    ("studio.edit_exercise", "GET"): Route(MANAGERS, lambda w: "/studio/exercises/drill-report/edit"),
    ("studio.edit_exercise", "POST"): Route(MANAGERS, lambda w: "/studio/exercises/drill-report/edit"),
    ("studio.exercise_history", "GET"): Route(MANAGERS, lambda w: "/studio/exercises/drill-report/revisions"),
    ("studio.exercise_revision", "GET"): Route(MANAGERS, lambda w: "/studio/exercises/drill-report/revisions/1"),
    ("studio.exercise_publish", "POST"): Route(
        MANAGERS, lambda w: "/studio/exercises/drill-report/revisions/1/publish"),
    ("studio.exercise_restore", "POST"): Route(
        MANAGERS, lambda w: "/studio/exercises/drill-report/revisions/1/restore"),
    ("studio.exercise_comment", "POST"): Route(
        MANAGERS, lambda w: "/studio/exercises/drill-report/revisions/1/comments"),
    ("studio.exercise_diff", "GET"): Route(MANAGERS, lambda w: "/studio/exercises/drill-report/diff?a=live&b=1"),
    ("results.index", "GET"): Route(VIEWERS, lambda w: "/results"),
    ("results.exam_results", "GET"): Route(VIEWERS, lambda w: f"/results/cohorts/{w.a.cohort.id}/exams/mixed-exam"),
    ("results.exam_results_csv", "GET"): Route(
        VIEWERS, lambda w: f"/results/cohorts/{w.a.cohort.id}/exams/mixed-exam/results.csv"),
    ("results.cohort_statistics", "GET"): Route(
        MANAGERS, lambda w: f"/results/cohorts/{w.a.cohort.id}/exams/mixed-exam/statistics"),
    ("results.exam_statistics", "GET"): Route(MANAGERS, lambda w: "/results/exams/mixed-exam/statistics"),
    ("results.attempt_detail", "GET"): Route(VIEWERS, lambda w: f"/results/attempts/{_attempt(w)}"),
    ("results.trainee", "GET"): Route(VIEWERS, lambda w: f"/results/cohorts/{w.a.cohort.id}/trainees/{w.a.trainee.id}"),
    ("results.extra_time", "POST"): Route(
        MANAGERS, lambda w: f"/results/cohorts/{w.a.cohort.id}/trainees/{w.a.trainee.id}/exams/mixed-exam/extra-time"),
    ("results.extra_attempt", "POST"): Route(
        MANAGERS, lambda w: f"/results/cohorts/{w.a.cohort.id}/trainees/{w.a.trainee.id}/exams/mixed-exam/"
                            "extra-attempt"),
    ("results.multiplier", "POST"): Route(
        MANAGERS, lambda w: f"/results/cohorts/{w.a.cohort.id}/trainees/{w.a.trainee.id}/multiplier"),
    # Authoring: question banks, the question editor, exam blueprints.
    ("studio_questions.bank_list", "GET"): Route(MANAGERS, lambda w: "/studio/banks"),
    ("studio_questions.new_bank", "GET"): Route(MANAGERS, lambda w: "/studio/banks/new"),
    ("studio_questions.new_bank", "POST"): Route(MANAGERS, lambda w: "/studio/banks/new"),
    ("studio_questions.bank_detail", "GET"): Route(MANAGERS, lambda w: "/studio/banks/mixed"),
    ("studio_questions.new_question", "GET"): Route(
        MANAGERS, lambda w: "/studio/banks/mixed/questions/new?type=single"),
    ("studio_questions.new_question", "POST"): Route(
        MANAGERS, lambda w: "/studio/banks/mixed/questions/new?type=single"),
    ("studio_questions.edit_question", "GET"): Route(MANAGERS, lambda w: "/studio/banks/mixed/questions/mx-single"),
    ("studio_questions.edit_question", "POST"): Route(MANAGERS, lambda w: "/studio/banks/mixed/questions/mx-single"),
    ("studio_questions.retire_question", "GET"): Route(
        MANAGERS, lambda w: "/studio/banks/mixed/questions/mx-single/retire"),  # confirmation
    ("studio_questions.retire_question", "POST"): Route(
        MANAGERS, lambda w: "/studio/banks/mixed/questions/mx-single/retire"),
    ("studio_questions.reinstate_question", "POST"): Route(
        MANAGERS, lambda w: "/studio/banks/mixed/questions/mx-single/reinstate"),
    ("studio_questions.exam_list", "GET"): Route(MANAGERS, lambda w: "/studio/exams"),
    ("studio_questions.new_exam", "GET"): Route(MANAGERS, lambda w: "/studio/exams/new"),
    ("studio_questions.new_exam", "POST"): Route(MANAGERS, lambda w: "/studio/exams/new"),
    ("studio_questions.check_new_exam", "POST"): Route(MANAGERS, lambda w: "/studio/exams/new/check"),
    ("studio_questions.edit_exam", "GET"): Route(MANAGERS, lambda w: "/studio/exams/mixed-exam"),
    ("studio_questions.edit_exam", "POST"): Route(MANAGERS, lambda w: "/studio/exams/mixed-exam"),
    ("studio_questions.check_exam", "POST"): Route(MANAGERS, lambda w: "/studio/exams/mixed-exam/check"),
    ("registry.add_note", "GET"): Route(STAFF, lambda w: f"/registry/{w.a.certification.number}/notes/new"),
    ("registry.add_note", "POST"): Route(STAFF, lambda w: f"/registry/{w.a.certification.number}/notes/new"),
    ("search.search", "GET"): Route((T, I, S, A), lambda w: "/search?q=interview"),
    # Notifications: a person's own; the outbox is the administrators'.
    ("notifications.inbox", "GET"): Route(ANY, lambda w: "/notifications"),
    ("notifications.mark_read", "POST"): Route(
        ANY, lambda w: f"/notifications/{notification_of_cert_owner(w)}/read", who=_cert_owner),
    ("notifications.mark_all_read", "POST"): Route(ANY, lambda w: "/notifications/read-all"),
    ("notifications.preferences", "GET"): Route(ANY, lambda w: "/notifications/preferences"),
    ("notifications.preferences", "POST"): Route(ANY, lambda w: "/notifications/preferences"),
    ("notifications.outbox", "GET"): Route((A,), lambda w: "/admin/outbox"),
}

GET_ROUTES = {k: r for k, r in ROUTES.items() if k[1] == "GET"}
POST_ROUTES = {k: r for k, r in ROUTES.items() if k[1] == "POST"}
