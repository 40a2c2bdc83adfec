"""Writes of the mentoring app: mentoring teams, logged sessions, students' reflections,
placement evaluations and students' feedback on their placements.

Every rule lives here so that views, the admin and scripts share it. Services take
keyword-only arguments, validate, and raise ValidationError (bad input) or
PermissionDenied (a person acting outside their rights, e.g. after the edit window).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Value, When
from django.utils import timezone

from ipcop.lib.formats import human_date
from mentoring.cache import evaluations_changed, sessions_changed, teams_changed
from mentoring.signals import evaluation_submitted, evaluations_due_changed, team_changed
from placements.models import Placement, PlacementModel, PlacementStatus, Student
from sites.models import Site

from .models import (
    FEEDBACK_FIELDS,
    CompetencyDomain,
    EvaluationKind,
    EvaluationRating,
    EvaluationStatus,
    MentorAssignment,
    MentoringSession,
    MentorRole,
    PlacementEvaluation,
    Rating,
    SessionProfessional,
    SessionStudent,
    StudentPlacementFeedback,
    StudentSiteDomain,
    StudentSiteProfession,
)
from .selectors import default_framework, framework_of

if TYPE_CHECKING:
    from accounts.models import User

MAX_SESSION_MINUTES = 12 * 60
REFLECTION_MAX_CHARS = 2000
IP_RULE = (
    "An IP-mentoring placement needs at least one mentor of a profession other than the "
    "student's ({profession})."
)


# --- Mentoring teams -------------------------------------------------------------------


def team_problems(*, placement: Placement, members: Iterable[tuple[User, str]]) -> list[str]:
    """What a team (pairs of person and role) lacks under the rules, in words; empty if
    none. Used both to refuse a change and to explain a team shown on a page."""
    members = list(members)
    problems = []
    if not any(role == MentorRole.PRIMARY for _, role in members):
        problems.append("The team needs a primary preceptor.")
    if placement.model == PlacementModel.IP_MENTORING:
        student_profession = placement.student.program.profession
        if not any(
            person.profession_id and person.profession_id != student_profession.pk
            for person, _ in members
        ):
            problems.append(IP_RULE.format(profession=student_profession))
    return problems


def _check_mentor(person: User) -> None:
    if not person.is_active or not person.is_preceptor:
        raise ValidationError(
            f"{person} is not an active preceptor; an admin can give them the preceptor role."
        )
    if person.profession_id is None:
        raise ValidationError(
            f"{person} has no profession recorded; an admin must set it before they can mentor."
        )


@transaction.atomic
def team_set(
    *, placement: Placement, primary: User, mentors: Iterable[User], by: User
) -> list[MentorAssignment]:
    """Set a placement's whole mentoring team: one primary preceptor and the other mentors.

    Refuses a team that breaks the rules (a primary preceptor; in the IP-mentoring model at
    least one mentor of another profession than the student's). Kept assignments keep their
    original date; removed ones are deleted. A change is announced (`team_changed`).
    """
    mentors = [m for m in dict.fromkeys(mentors) if m.pk != primary.pk]
    members = [(primary, MentorRole.PRIMARY)] + [(m, MentorRole.IP_MENTOR) for m in mentors]
    errors = []
    for person, _ in members:
        try:
            _check_mentor(person)
        except ValidationError as error:
            errors.extend(error.messages)
    errors.extend(team_problems(placement=placement, members=members))
    if placement.status == PlacementStatus.CANCELLED:
        errors.append("A cancelled placement has no mentoring team to change.")
    if errors:
        raise ValidationError(errors)

    Placement.objects.select_for_update().filter(pk=placement.pk).first()
    existing = {a.mentor_id: a for a in placement.mentors.all()}
    wanted = {person.pk: role for person, role in members}
    MentorAssignment.objects.filter(placement=placement).exclude(mentor__in=wanted).delete()
    # Demote first so that the partial unique index on the primary never sees two.
    MentorAssignment.objects.filter(placement=placement, role=MentorRole.PRIMARY).exclude(
        mentor=primary
    ).update(role=MentorRole.IP_MENTOR)
    result = []
    for person, role in members:
        assignment = existing.get(person.pk)
        if assignment is None:
            assignment = MentorAssignment(
                placement=placement, mentor=person, profession=person.profession, role=role
            )
        else:
            assignment.role = role
        assignment.full_clean(validate_constraints=False)
        assignment.save()
        result.append(assignment)
    before = {mentor_id: a.role for mentor_id, a in existing.items()}
    if before != wanted:
        teams_changed()
        team_changed.send(
            sender=Placement,
            placement=placement,
            removed_mentor_ids=[pk for pk in before if pk not in wanted],
        )
    return result


@transaction.atomic
def mentor_remove(*, assignment: MentorAssignment, by: User) -> None:
    """Take one mentor off a team, unless the team would then break the rules (replace the
    primary preceptor or add another mentor first)."""
    placement = assignment.placement
    remaining = [
        (a.mentor, a.role)
        for a in placement.mentors.select_related("mentor").exclude(pk=assignment.pk)
    ]
    problems = team_problems(placement=placement, members=remaining)
    if problems:
        raise ValidationError(
            [f"{assignment.mentor} cannot be removed: the team would break a rule."] + problems
        )
    assignment.delete()
    teams_changed()
    team_changed.send(
        sender=Placement, placement=placement, removed_mentor_ids=[assignment.mentor_id]
    )


# --- Sessions --------------------------------------------------------------------------


def _placements_on(*, site: Site, day: datetime.date, students: Iterable[Student]) -> dict:
    """The placement covering `day` at `site` for each student (one query); a student may
    have two (e.g. a requested and an active one): the most advanced status wins."""
    rank = Case(
        When(status=PlacementStatus.ACTIVE, then=Value(0)),
        When(status=PlacementStatus.COMPLETED, then=Value(1)),
        When(status=PlacementStatus.CONFIRMED, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    placements = (
        Placement.objects.filter(site=site, student__in=list(students))
        .exclude(status=PlacementStatus.CANCELLED)
        .covering(day)
        .annotate(rank=rank)
        .order_by("student_id", "-rank", "start_date")
    )
    # Later rows overwrite earlier ones: ordered so that the best rank comes last.
    return {p.student_id: p for p in placements}


def _validate_session(
    *,
    site: Site,
    held_on: datetime.date | None,
    duration_minutes: int | None,
    activity: str,
    students: list[Student],
    domains: list[CompetencyDomain],
) -> dict:
    errors: dict[str, list[str]] = {}
    if held_on is None:
        errors["held_on"] = ["Enter the date of the session."]
    elif held_on > timezone.localdate():
        errors["held_on"] = ["A session cannot be in the future: log it once it has happened."]
    if duration_minutes is None or duration_minutes <= 0:
        errors["duration_minutes"] = ["A session lasts at least one minute."]
    elif duration_minutes > MAX_SESSION_MINUTES:
        errors["duration_minutes"] = ["A session cannot last more than 12 hours."]
    if not students:
        errors["students"] = ["Choose at least one student who took part."]
    placements = {}
    if students and held_on is not None and "held_on" not in errors:
        placements = _placements_on(site=site, day=held_on, students=students)
        missing = [s for s in students if s.pk not in placements]
        if missing:
            names = ", ".join(str(s.user) for s in missing)
            errors["students"] = [
                (
                    f"Not placed at {site} on {human_date(held_on)}: {names}. Only students with "
                    "a placement at this site covering that date can be recorded."
                )
            ]
    if domains and students:
        default = default_framework()
        allowed = {s.program.framework_id or default.pk for s in students}
        stray = [d for d in domains if d.framework_id not in allowed]
        if stray:
            errors["domains"] = [
                "These domains belong to a framework none of the students' programs use: "
                + ", ".join(d.name for d in stray)
                + "."
            ]
    if errors:
        raise ValidationError(errors)
    return placements


def _write_attendance(
    *,
    session: MentoringSession,
    placements: dict,
    professionals: list[User],
) -> None:
    # Students: keep rows (and their reflections) of those still present.
    SessionStudent.objects.filter(session=session).exclude(student__in=placements).delete()
    kept = {row.student_id: row for row in SessionStudent.objects.filter(session=session)}
    new_rows = []
    for student_id, placement in placements.items():
        row = kept.get(student_id)
        if row is None:
            new_rows.append(
                SessionStudent(session=session, student_id=student_id, placement=placement)
            )
        elif row.placement_id != placement.pk:
            row.placement = placement
            row.save(update_fields=["placement"])
    SessionStudent.objects.bulk_create(new_rows)

    # Professionals: the profession is copied so the record survives a change of job.
    wanted = {p.pk: p for p in professionals}
    SessionProfessional.objects.filter(session=session).exclude(person__in=wanted).delete()
    present = set(
        SessionProfessional.objects.filter(session=session).values_list("person_id", flat=True)
    )
    SessionProfessional.objects.bulk_create(
        SessionProfessional(session=session, person=p, profession_id=p.profession_id)  # type: ignore[misc]  # _professionals_with_logger refused anyone without one
        for pk, p in wanted.items()
        if pk not in present
    )


def _professionals_with_logger(professionals: Iterable[User], logger: User) -> list[User]:
    people = list(dict.fromkeys(professionals))
    # The preceptor who logs a session was there: count them among the professionals.
    if logger.profession_id and all(p.pk != logger.pk for p in people):
        people.append(logger)
    nameless = [p for p in people if not p.profession_id]
    if nameless:
        raise ValidationError(
            {
                "professionals": [
                    "No profession is recorded for: "
                    + ", ".join(str(p) for p in nameless)
                    + ". An admin can set it."
                ]
            }
        )
    return people


def _lock_counts_of(*site_ids: int) -> None:
    """Lock the sites' rows, in id order, before writing sessions there: the triggers that
    recount the students' counts at a site take the same lock (mentoring/triggers.py), and
    taking it first, before any row is written, makes concurrent writers at a site wait
    for each other at their start rather than deadlock midway."""
    list(
        Site.objects.select_for_update(no_key=True)
        .filter(pk__in=site_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def session_log(
    *,
    logged_by: User,
    site: Site,
    held_on: datetime.date,
    duration_minutes: int,
    activity: str,
    students: Iterable[Student],
    professionals: Iterable[User] = (),
    domains: Iterable[CompetencyDomain] = (),
    notes: str = "",
) -> MentoringSession:
    """Record a mentoring session. Refuses a date in the future, a duration of zero or over
    12 hours, and any student without a placement at `site` covering `held_on`. Each
    student's row points to that placement; each professional's row keeps their profession.
    The person logging is counted among the professionals present."""
    students = list(dict.fromkeys(students))
    domains = list(dict.fromkeys(domains))
    placements = _validate_session(
        site=site,
        held_on=held_on,
        duration_minutes=duration_minutes,
        activity=activity,
        students=students,
        domains=domains,
    )
    people = _professionals_with_logger(professionals, logged_by)
    _lock_counts_of(site.pk)
    session = MentoringSession(
        site=site,
        logged_by=logged_by,
        held_on=held_on,
        duration_minutes=duration_minutes,
        activity=activity,
        notes=notes,
    )
    session.full_clean()
    session.save()
    session.domains.set(domains)
    _write_attendance(session=session, placements=placements, professionals=people)
    sessions_changed()
    return session


@transaction.atomic
def session_update(
    *,
    session: MentoringSession,
    held_on: datetime.date,
    duration_minutes: int,
    activity: str,
    students: Iterable[Student],
    professionals: Iterable[User] = (),
    domains: Iterable[CompetencyDomain] = (),
    notes: str = "",
) -> MentoringSession:
    """Change a logged session under the same rules as `session_log`; students who stay keep
    their reflections. Who may (the edit window) is `ipcop.permissions.sessions_manageable_by`,
    checked by the caller."""
    students = list(dict.fromkeys(students))
    domains = list(dict.fromkeys(domains))
    placements = _validate_session(
        site=session.site,
        held_on=held_on,
        duration_minutes=duration_minutes,
        activity=activity,
        students=students,
        domains=domains,
    )
    people = _professionals_with_logger(professionals, session.logged_by)
    _lock_counts_of(session.site_id)
    session.held_on = held_on
    session.duration_minutes = duration_minutes
    session.activity = activity
    session.notes = notes
    session.full_clean()
    session.save()
    session.domains.set(domains)
    _write_attendance(session=session, placements=placements, professionals=people)
    sessions_changed()
    return session


@transaction.atomic
def session_delete(*, session: MentoringSession) -> None:
    """Delete a session and its attendance (who may: as for `session_update`)."""
    _lock_counts_of(session.site_id)
    session.delete()
    sessions_changed()


REFLECTION_EMPTY = "Write your reflection before saving it: it is empty."


def session_reflect(*, attendance: SessionStudent, by: User, reflection: str) -> SessionStudent:
    """A student's short reflection on a session they attended; the preceptor sees it.
    An empty one is refused: saving nothing is a slip, not a reflection."""
    if attendance.student.user_id != by.pk:
        raise PermissionDenied("Only the student who attended can write this reflection.")
    reflection = reflection.strip()
    if not reflection:
        raise ValidationError({"reflection": [REFLECTION_EMPTY]})
    if len(reflection) > REFLECTION_MAX_CHARS:
        raise ValidationError(
            {"reflection": [f"Keep the reflection under {REFLECTION_MAX_CHARS} characters."]}
        )
    attendance.reflection = reflection
    attendance.reflected_at = timezone.now() if attendance.reflection else None
    attendance.full_clean(exclude=["session", "student", "placement"])
    attendance.save(update_fields=["reflection", "reflected_at"])
    return attendance


# --- Placement evaluations and students' feedback ------------------------------------

# The statuses of a placement whose evaluations are made and awaited.
EVALUATED_STATUSES = (PlacementStatus.CONFIRMED, PlacementStatus.ACTIVE, PlacementStatus.COMPLETED)
# The statuses in which a student may give feedback on a placement: once it has started.
FEEDBACK_STATUSES = (PlacementStatus.ACTIVE, PlacementStatus.COMPLETED)
FEEDBACK_DUE_AFTER_END = datetime.timedelta(days=7)
OVERALL_COMMENTS_MAX_CHARS = 4000
DOMAIN_COMMENT_MAX_CHARS = 1000
STUDENT_COMMENT_MAX_CHARS = 2000


def evaluation_due_on(*, placement: Placement, kind: str) -> datetime.date:
    """A midterm evaluation is due at the placement's midpoint, a final one on its last day."""
    if kind == EvaluationKind.MIDTERM:
        half = (placement.end_date - placement.start_date).days // 2
        return placement.start_date + datetime.timedelta(days=half)
    return placement.end_date


def feedback_due_on(*, placement: Placement) -> datetime.date:
    """The student's feedback is due a week after the placement's last day."""
    return placement.end_date + FEEDBACK_DUE_AFTER_END


def domain_key(domain_id: int) -> str:
    """The key of a domain's rating in a ValidationError (and the form's field name)."""
    return f"domain_{domain_id}"


@transaction.atomic
def evaluations_for_placements(*, placements: Iterable[Placement]) -> None:
    """Make (once) the evaluations confirmed, active or completed placements are due: a
    final one, and a midterm one when the student's program wants it; in a few queries
    whatever the number of placements. Those already made stay as they are. Announced
    (`evaluations_due_changed`) so that their reminders are planned."""
    placements = [p for p in placements if p.status in EVALUATED_STATUSES]
    if not placements:
        return
    with_midterm = set(
        Placement.objects.filter(
            pk__in=[p.pk for p in placements], student__program__midterm_evaluation=True
        ).values_list("pk", flat=True)
    )
    evaluations: list[PlacementEvaluation] = []
    for placement in placements:
        kinds = [EvaluationKind.FINAL]
        if placement.pk in with_midterm:
            kinds.insert(0, EvaluationKind.MIDTERM)
        evaluations.extend(
            PlacementEvaluation(
                placement=placement,
                kind=kind,
                due_on=evaluation_due_on(placement=placement, kind=kind),
            )
            for kind in kinds
        )
    # One per placement and kind (a unique constraint): confirming, then starting, then
    # an import that sees the placement again make them once.
    PlacementEvaluation.objects.bulk_create(evaluations, ignore_conflicts=True)
    evaluations_changed()
    evaluations_due_changed.send(sender=PlacementEvaluation, placements=placements)


def evaluations_for_placement(*, placement: Placement) -> None:
    """`evaluations_for_placements` for one placement."""
    evaluations_for_placements(placements=[placement])


@transaction.atomic
def evaluations_reschedule(*, placement: Placement) -> None:
    """Move the evaluations not yet submitted with the placement's new dates."""
    drafts = PlacementEvaluation.objects.filter(placement=placement, status=EvaluationStatus.DRAFT)
    for kind in EvaluationKind.values:
        drafts.filter(kind=kind).update(
            due_on=evaluation_due_on(placement=placement, kind=kind), updated_at=timezone.now()
        )
    evaluations_changed()
    evaluations_due_changed.send(sender=PlacementEvaluation, placements=[placement])


def evaluations_drop_unstarted(*, placement: Placement) -> None:
    """A cancelled placement is not evaluated: its evaluations nobody began go (their
    reminders with them). A draft already begun stays, for its preceptor to finish."""
    PlacementEvaluation.objects.filter(
        placement=placement, status=EvaluationStatus.DRAFT, evaluator__isnull=True
    ).delete()
    evaluations_changed()


def evaluation_domains(evaluation: PlacementEvaluation) -> list[CompetencyDomain]:
    """The domains the evaluation rates: those of the student's program's framework."""
    framework = framework_of(evaluation.placement.student)
    return list(CompetencyDomain.objects.filter(framework=framework).order_by("order", "name"))


def _is_primary_preceptor(person: User, placement: Placement) -> bool:
    return MentorAssignment.objects.filter(
        placement=placement, mentor=person, role=MentorRole.PRIMARY
    ).exists()


@transaction.atomic
def evaluation_save(
    *,
    evaluation: PlacementEvaluation,
    by: User,
    ratings: dict[int, tuple[int | None, str]],
    overall_comments: str,
    submit: bool = False,
) -> PlacementEvaluation:
    """Save a preceptor's evaluation: `ratings` by domain id, each (a Rating value or None
    for not yet rated, a comment). A draft may leave anything blank; submitting needs
    every domain of the framework rated ("not observed" counts) and the overall comments,
    and then the evaluation no longer changes. Only the placement's primary preceptor
    (or an admin) writes it. Submitting is announced (`evaluation_submitted`)."""
    current = PlacementEvaluation.objects.select_for_update().get(pk=evaluation.pk)
    placement = evaluation.placement
    if not (by.is_admin or _is_primary_preceptor(by, placement)):
        raise PermissionDenied("Only the student's primary preceptor writes this evaluation.")
    if current.status != EvaluationStatus.DRAFT:
        raise ValidationError(
            f"This evaluation was submitted on {human_date(current.submitted_at)}; it can no "
            "longer be changed."
        )
    domains = evaluation_domains(current)
    errors: dict[str, list[str]] = {}
    rows = []
    for domain in domains:
        rating, comment = ratings.get(domain.pk, (None, ""))
        comment = (comment or "").strip()
        if rating is not None and rating not in Rating.values:
            errors[domain_key(domain.pk)] = ["Choose one of the ratings shown."]
        elif len(comment) > DOMAIN_COMMENT_MAX_CHARS:
            errors[domain_key(domain.pk)] = [
                f"Keep the comment on {domain.name} under {DOMAIN_COMMENT_MAX_CHARS} characters."
            ]
        elif rating is None and submit:
            errors[domain_key(domain.pk)] = [
                f"Rate {domain.name} (or choose “Not observed”) before submitting."
            ]
        if rating is not None:
            rows.append(
                EvaluationRating(evaluation=current, domain=domain, rating=rating, comment=comment)
            )
        elif comment:
            errors.setdefault(
                domain_key(domain.pk), [f"Choose a rating of {domain.name} for your comment."]
            )
    overall_comments = overall_comments.strip()
    if len(overall_comments) > OVERALL_COMMENTS_MAX_CHARS:
        errors["overall_comments"] = [
            f"Keep the overall comments under {OVERALL_COMMENTS_MAX_CHARS} characters."
        ]
    elif submit and not overall_comments:
        errors["overall_comments"] = ["Write your overall comments before submitting."]
    if errors:
        raise ValidationError(errors)
    current.evaluator = by
    current.overall_comments = overall_comments
    if submit:
        current.status = EvaluationStatus.SUBMITTED
        current.submitted_at = timezone.now()
    current.full_clean()
    current.save()
    EvaluationRating.objects.filter(evaluation=current).delete()
    EvaluationRating.objects.bulk_create(rows)
    if submit:
        evaluations_changed()
        evaluation_submitted.send(sender=PlacementEvaluation, evaluation=current)
    return current


@transaction.atomic
def evaluation_acknowledge(
    *, evaluation: PlacementEvaluation, by: User, comment: str = ""
) -> PlacementEvaluation:
    """The student signs off a submitted evaluation, with a comment if they wish. Signing
    says they have read it, not that they agree; their comment says where they do not."""
    current = PlacementEvaluation.objects.select_for_update().get(pk=evaluation.pk)
    if evaluation.placement.student.user_id != by.pk:
        raise PermissionDenied("Only the evaluated student acknowledges this evaluation.")
    if current.status == EvaluationStatus.DRAFT:
        raise ValidationError("This evaluation has not been submitted yet.")
    if current.status == EvaluationStatus.ACKNOWLEDGED:
        raise ValidationError(
            f"You acknowledged this evaluation on {human_date(current.acknowledged_at)}."
        )
    comment = comment.strip()
    if len(comment) > STUDENT_COMMENT_MAX_CHARS:
        raise ValidationError(
            {"comment": [f"Keep your comment under {STUDENT_COMMENT_MAX_CHARS} characters."]}
        )
    current.status = EvaluationStatus.ACKNOWLEDGED
    current.acknowledged_at = timezone.now()
    current.student_comment = comment
    current.full_clean()
    current.save(update_fields=["status", "acknowledged_at", "student_comment", "updated_at"])
    return current


@transaction.atomic
def feedback_submit(
    *, placement: Placement, by: User, answers: dict[str, int], comments: str = ""
) -> StudentPlacementFeedback:
    """A student's feedback on their placement (the site, the mentoring, their IP
    learning), once the placement has started; sent once, not changed afterwards."""
    if placement.student.user_id != by.pk:
        raise PermissionDenied("Only the placed student gives feedback on this placement.")
    # Lock the placement: two submissions at once are one after the other, the second
    # refused below with a message rather than by the constraint.
    current = Placement.objects.select_for_update().get(pk=placement.pk)
    if current.status not in FEEDBACK_STATUSES:
        raise ValidationError("You can give feedback once your placement has started.")
    if StudentPlacementFeedback.objects.filter(placement=current).exists():
        raise ValidationError("You have already sent your feedback on this placement.")
    missing = [name for name in FEEDBACK_FIELDS if answers.get(name) is None]
    if missing:
        raise ValidationError({name: ["Choose an answer."] for name in missing})
    feedback = StudentPlacementFeedback(
        placement=current,
        site_id=current.site_id,
        comments=comments.strip(),
        **{name: answers[name] for name in FEEDBACK_FIELDS},
    )
    feedback.full_clean()
    feedback.save()
    return feedback


# --- The counts the triggers keep ----------------------------------------------------------


def _counted_professions() -> dict[tuple[int, int, int], int]:
    """(site, student, profession): the student's sessions at the site with someone of the
    profession present, counted from the sessions."""
    rows = (
        SessionStudent.objects.filter(session__professional_attendance__isnull=False)
        .values_list(
            "session__site",
            "student",
            "session__professional_attendance__profession",
        )
        .annotate(sessions=Count("session", distinct=True))
        .order_by()
    )
    return {(site, student, profession): n for site, student, profession, n in rows}


def _counted_domains() -> dict[tuple[int, int, int], int]:
    """(site, student, domain): the student's sessions at the site that practised it."""
    rows = (
        SessionStudent.objects.filter(session__domains__isnull=False)
        .values_list("session__site", "student", "session__domains")
        .annotate(sessions=Count("session"))
        .order_by()
    )
    return {(site, student, domain): n for site, student, domain, n in rows}


def _kept_professions() -> dict[tuple[int, int, int], int]:
    return {
        (site, student, profession): n
        for site, student, profession, n in StudentSiteProfession.objects.values_list(
            "site", "student", "profession", "sessions"
        )
    }


def _kept_domains() -> dict[tuple[int, int, int], int]:
    return {
        (site, student, domain): n
        for site, student, domain, n in StudentSiteDomain.objects.values_list(
            "site", "student", "domain", "sessions"
        )
    }


@transaction.atomic
def counters_recount() -> None:
    """Count every student's sessions per site and profession met, and per site and domain
    practised, afresh from the sessions (after a bulk load with triggers off, or to repair
    them). Every site is locked meanwhile, as the triggers lock them, so no session write
    falls between the count and its storing."""
    _lock_counts_of(*Site.objects.values_list("pk", flat=True))
    StudentSiteProfession.objects.all().delete()
    StudentSiteDomain.objects.all().delete()
    StudentSiteProfession.objects.bulk_create(
        (
            StudentSiteProfession(
                site_id=site, student_id=student, profession_id=profession, sessions=n
            )
            for (site, student, profession), n in _counted_professions().items()
        ),
        batch_size=5000,
    )
    StudentSiteDomain.objects.bulk_create(
        (
            StudentSiteDomain(site_id=site, student_id=student, domain_id=domain, sessions=n)
            for (site, student, domain), n in _counted_domains().items()
        ),
        batch_size=5000,
    )


def counters_check() -> list[str]:
    """The counts kept that differ from a recount, in words; empty when they all agree."""
    problems = []
    for label, kept, counted in [
        ("profession", _kept_professions(), _counted_professions()),
        ("domain", _kept_domains(), _counted_domains()),
    ]:
        for key in sorted(kept.keys() | counted.keys()):
            if kept.get(key) != counted.get(key):
                site, student, other = key
                problems.append(
                    f"site {site}, student {student}, {label} {other}: "
                    f"kept {kept.get(key, 0)}, counted {counted.get(key, 0)}"
                )
    return problems
