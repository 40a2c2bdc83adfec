"""The one module that decides who may see and change what.

Every view fetches objects *through* these querysets, so an object outside them answers
404 (its existence is not leaked), and a person who may see an object but lacks the role to
change it answers 403 (`require_role`, `PermissionDenied`).

- Admins (staff) see and change everything.
- Facilitators see and change everything at the sites they facilitate.
- Preceptors see the placements and students they mentor, the sessions they logged or
  took part in, and the CoPs they are members of; they change only their own sessions.
- Students see only their own placements, sessions and follow-ups.
- Program coordinators (at a school) see the students of the programs they coordinate,
  those students' placements at any site and their IP learning record (a summary: no
  session's notes, nor its students' reflections); they change nothing at a site. Every
  active site is visible to them, as they choose where to ask for places. Mentoring
  sessions and follow-ups are the site's: PRODUCT.md gives the school none of them.

Evaluations follow their placement: the site's facilitators and the student's mentors read
them, the primary preceptor writes them, the student reads them once submitted and signs
them off. A student's feedback on a placement is theirs alone; facilitators read it only
aggregated per site, where fewer than five answers are not shown.

Interview records are confidential: only the site's facilitators and admins see them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from interviews.models import FollowUp, FollowUpQuerySet, InterviewRecord
from mentoring.models import (
    EvaluationStatus,
    MentorAssignment,
    MentoringSession,
    MentoringSessionQuerySet,
    MentorRole,
    PlacementEvaluation,
    PlacementEvaluationQuerySet,
    SessionProfessional,
    SessionStudent,
    StudentPlacementFeedback,
)
from placements.models import (
    AffiliationAgreement,
    AffiliationAgreementQuerySet,
    ImportJob,
    ImportJobQuerySet,
    Placement,
    PlacementOffer,
    PlacementOfferQuerySet,
    PlacementQuerySet,
    PlacementRequest,
    PlacementRequestQuerySet,
    PlacementStatus,
    Program,
    Student,
    StudentQuerySet,
)
from sites.models import (
    CommunityOfPractice,
    CommunityOfPracticeQuerySet,
    Membership,
    Site,
    SiteQuerySet,
)

if TYPE_CHECKING:
    from accounts.models import User

ROLES = ("admin", "facilitator", "preceptor", "coordinator", "student")


def has_role(user: User, role: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if role == "admin":
        return user.is_admin
    return bool(getattr(user, f"is_{role}", False))


def require_role(user: User, *roles: str) -> None:
    """403 unless the person holds at least one of `roles` (admin always passes)."""
    if user.is_admin:
        return
    if not any(has_role(user, role) for role in roles):
        raise PermissionDenied("Your role does not allow this.")


def _none(model):
    return model.objects.none()


def _facilitated_site_ids(user: User) -> QuerySet:
    # A subquery, not a join: filters stay free of duplicates without DISTINCT.
    return Site.facilitators.through.objects.filter(user=user).values("site")


def _coordinated_program_ids(user: User) -> QuerySet:
    # A subquery on the through table, as _facilitated_site_ids.
    return Program.coordinators.through.objects.filter(user=user).values("program")


def programs_coordinated_by(user: User) -> QuerySet[Program]:
    """The programs a person looks after as a program coordinator (all for admins)."""
    if not user.is_authenticated:
        return _none(Program)
    if user.is_admin:
        return Program.objects.all()
    if has_role(user, "coordinator"):
        return Program.objects.filter(pk__in=_coordinated_program_ids(user))
    return _none(Program)


# --- Sites and communities of practice -------------------------------------------------


def sites_facilitated_by(user: User) -> SiteQuerySet:
    """The sites a person may manage: all for admins, their own for facilitators."""
    if user.is_admin:
        return Site.objects.all()
    if has_role(user, "facilitator"):
        return Site.objects.filter(pk__in=_facilitated_site_ids(user))
    return _none(Site)


def sites_visible_to(user: User) -> SiteQuerySet:
    """Sites a person may read: managed sites, plus sites where they are a CoP member,
    mentor a student or are placed.

    A program coordinator reads every active site: the school asks sites for places, and
    a site's name, kind and zone are what a placement system shows every school (the
    site's people, CoPs and calendar stay behind `sites_facilitated_by`). They also read
    the sites, active or not, where their programs' students are placed."""
    if not user.is_authenticated:
        return _none(Site)
    if user.is_admin:
        return Site.objects.all()
    condition = Q(pk__in=Membership.objects.filter(person=user).values("community__site"))
    if has_role(user, "coordinator"):
        condition |= Q(is_active=True) | Q(
            pk__in=Placement.objects.filter(
                student__program__in=_coordinated_program_ids(user)
            ).values("site")
        )
    if has_role(user, "facilitator"):
        condition |= Q(pk__in=_facilitated_site_ids(user))
    if has_role(user, "preceptor"):
        condition |= Q(
            pk__in=MentorAssignment.objects.filter(mentor=user).values("placement__site")
        )
    if has_role(user, "student"):
        condition |= Q(pk__in=Placement.objects.filter(student__user=user).values("site"))
    return Site.objects.filter(condition)


def communities_manageable_by(user: User) -> CommunityOfPracticeQuerySet:
    """CoPs a person may change: those at their facilitated sites (all for admins)."""
    if user.is_admin:
        return CommunityOfPractice.objects.all()
    if has_role(user, "facilitator"):
        # The site ids straight from the through table: one subquery level less to plan.
        return CommunityOfPractice.objects.filter(site__in=_facilitated_site_ids(user))
    return _none(CommunityOfPractice)


def communities_visible_to(user: User) -> CommunityOfPracticeQuerySet:
    """CoPs a person may read: manageable ones plus those they are a member of."""
    if not user.is_authenticated:
        return _none(CommunityOfPractice)
    if user.is_admin:
        return CommunityOfPractice.objects.all()
    condition = Q(pk__in=Membership.objects.filter(person=user).values("community"))
    if has_role(user, "facilitator"):
        condition |= Q(site__in=_facilitated_site_ids(user))
    return CommunityOfPractice.objects.filter(condition)


# --- Placements and students -----------------------------------------------------------


def placements_manageable_by(user: User) -> PlacementQuerySet:
    if user.is_admin:
        return Placement.objects.all()
    return Placement.objects.filter(site__in=sites_facilitated_by(user))


def placements_visible_to(user: User) -> PlacementQuerySet:
    """Facilitators: placements at their sites. Preceptors: placements they mentor.
    Coordinators: their programs' students' placements, at any site (to read:
    `placements_manageable_by` gives them none). Students: their own."""
    if not user.is_authenticated:
        return _none(Placement)
    if user.is_admin:
        return Placement.objects.all()
    condition = Q(pk__in=[])
    if has_role(user, "facilitator"):
        condition |= Q(site__in=_facilitated_site_ids(user))
    if has_role(user, "preceptor"):
        condition |= Q(pk__in=MentorAssignment.objects.filter(mentor=user).values("placement"))
    if has_role(user, "coordinator"):
        condition |= Q(
            student__in=Student.objects.filter(program__in=_coordinated_program_ids(user))
        )
    if has_role(user, "student"):
        condition |= Q(student__user=user)
    return Placement.objects.filter(condition)


# A placement opens its student's record (learning record, sessions at other sites,
# reflections) to its site's facilitators and its mentors once it is confirmed, while it
# runs, and for RECORD_ACCESS_AFTER_END after a completed placement's end (the end-of-
# placement evaluation and the six-month follow-up need it). A requested placement does
# not (anyone at a site could request one for any student), nor does a cancelled one.
RECORD_ACCESS_AFTER_END = timedelta(days=365)


def agreements_visible_to(user: User) -> AffiliationAgreementQuerySet:
    """Affiliation agreements a person may read (and download the document of): all for
    admins; for facilitators, those with a site they facilitate or with the health zone
    of one; for program coordinators, those of the institutions of their programs.
    Only admins change them (they are contracts between organisations, reference data)."""
    if not user.is_authenticated:
        return AffiliationAgreement.objects.none()
    if user.is_admin:
        return AffiliationAgreement.objects.all()
    condition = Q(pk__in=[])
    if has_role(user, "facilitator"):
        sites = _facilitated_site_ids(user)
        condition |= Q(site__in=sites) | Q(
            zone__in=Site.objects.filter(pk__in=sites).values("zone")
        )
    if has_role(user, "coordinator"):
        condition |= Q(
            institution__in=Program.coordinators.through.objects.filter(user=user).values(
                "program__institution"
            )
        )
    return AffiliationAgreement.objects.filter(condition)


def import_jobs_visible_to(user: User) -> ImportJobQuerySet:
    """Import jobs (uploaded files, their preview and outcome) a person may see and act
    on: their own; an admin's, everyone's. They hold personal data of people at the
    uploader's sites, so nobody else sees them: another person's job answers 404."""
    if not user.is_authenticated:
        return ImportJob.objects.none()
    if user.is_admin:
        return ImportJob.objects.all()
    return ImportJob.objects.owned_by(user)


def programs_for_student_import(user: User) -> QuerySet[Program] | None:
    """The programs a person's student import may enrol students in: None (any program)
    for admins and facilitators, whose import is bounded by their sites instead (new
    people, and the people placed at their sites); for a program coordinator, the
    programs they coordinate ("students of my programs": the existing accounts they may
    change are those programs' students). Nobody else imports."""
    if user.is_admin or has_role(user, "facilitator"):
        return None
    return programs_coordinated_by(user)


def may_import(user: User) -> bool:
    """Who imports files: admins and facilitators (students and placements), program
    coordinators (students only: `import_kinds_for`)."""
    return user.is_admin or has_role(user, "facilitator") or has_role(user, "coordinator")


def import_kinds_for(user: User) -> tuple[str, ...]:
    """What a person may import: placements at their sites need a facilitator."""
    if user.is_admin or has_role(user, "facilitator"):
        return ("students", "placements")
    if has_role(user, "coordinator"):
        return ("students",)
    return ()


def placements_opening_records(today: date | None = None) -> Q:
    """The placements that open their student's record, as a condition on Placement."""
    today = today or timezone.localdate()
    return Q(status__in=[PlacementStatus.CONFIRMED, PlacementStatus.ACTIVE]) | Q(
        status=PlacementStatus.COMPLETED, end_date__gte=today - RECORD_ACCESS_AFTER_END
    )


def students_visible_to(user: User) -> StudentQuerySet:
    """Students whose records (learning record, placements) a person may read: their own;
    a facilitator's and a mentor's through a placement that opens the record; a program
    coordinator's: every student of the programs they coordinate, placed or not."""
    if not user.is_authenticated:
        return _none(Student)
    if user.is_admin:
        return Student.objects.all()
    # A UNION of id sets, each read from its own index: an OR of them would test every
    # enrolment of the province against each set.
    opening = Placement.objects.filter(placements_opening_records())
    parts = [Student.objects.filter(user=user).values("pk")]
    if has_role(user, "facilitator"):
        parts.append(opening.filter(site__in=_facilitated_site_ids(user)).values("student"))
    if has_role(user, "preceptor"):
        parts.append(
            opening.filter(
                pk__in=MentorAssignment.objects.filter(mentor=user).values("placement")
            ).values("student")
        )
    if has_role(user, "coordinator"):
        parts.append(
            Student.objects.filter(program__in=_coordinated_program_ids(user)).values("pk")
        )
    if len(parts) == 1:
        return Student.objects.filter(user=user)
    return Student.objects.filter(
        pk__in=parts[0].order_by().union(*(part.order_by() for part in parts[1:]))
    )


# --- Placement requests and offers (the school's side) -----------------------------------
#
# A program coordinator "owns" the students of the programs they coordinate
# (Program.coordinators); a request lies between its student's program and its site.


def sites_requestable_by(user: User) -> SiteQuerySet:
    """Sites a person may ask for places at: any site still open, for coordinators and admins
    (the site's facilitators then answer)."""
    if user.is_admin or has_role(user, "coordinator"):
        return Site.objects.active()
    return _none(Site)


def students_requestable_by(user: User) -> StudentQuerySet:
    """Students a person may ask places for, or claim offered places for: those of the
    programs they coordinate (all for admins)."""
    if user.is_admin:
        return Student.objects.all()
    if has_role(user, "coordinator"):
        return Student.objects.filter(program__in=_coordinated_program_ids(user))
    return _none(Student)


def requests_visible_to(user: User) -> PlacementRequestQuerySet:
    """Coordinators: requests for their programs' students, at any site. Facilitators:
    requests to their sites. Admins: all."""
    if not user.is_authenticated:
        return _none(PlacementRequest)
    if user.is_admin:
        return PlacementRequest.objects.all()
    condition = Q(pk__in=[])
    if has_role(user, "coordinator"):
        condition |= Q(student__program__in=_coordinated_program_ids(user))
    if has_role(user, "facilitator"):
        condition |= Q(site__in=_facilitated_site_ids(user))
    return PlacementRequest.objects.filter(condition)


def requests_answerable_by(user: User) -> PlacementRequestQuerySet:
    """Requests a person may accept, decline or answer with a proposal: those to the
    sites they facilitate (all for admins)."""
    if user.is_admin:
        return PlacementRequest.objects.all()
    if has_role(user, "facilitator"):
        return PlacementRequest.objects.filter(site__in=_facilitated_site_ids(user))
    return _none(PlacementRequest)


def requests_coordinated_by(user: User) -> PlacementRequestQuerySet:
    """Requests a person may withdraw or whose proposal they may take: those for their
    programs' students (all for admins)."""
    if user.is_admin:
        return PlacementRequest.objects.all()
    if has_role(user, "coordinator"):
        return PlacementRequest.objects.filter(student__program__in=_coordinated_program_ids(user))
    return _none(PlacementRequest)


def offers_visible_to(user: User) -> PlacementOfferQuerySet:
    """Facilitators: their sites' offers, open or closed. Coordinators: every open
    offer (a call for offers is public to the schools). Admins: all."""
    if not user.is_authenticated:
        return _none(PlacementOffer)
    if user.is_admin:
        return PlacementOffer.objects.all()
    condition = Q(pk__in=[])
    if has_role(user, "coordinator"):
        condition |= Q(closed_at__isnull=True)
    if has_role(user, "facilitator"):
        condition |= Q(site__in=_facilitated_site_ids(user))
    return PlacementOffer.objects.filter(condition)


def offers_manageable_by(user: User) -> PlacementOfferQuerySet:
    """Offers a person may publish and close: at their sites (all for admins)."""
    if user.is_admin:
        return PlacementOffer.objects.all()
    if has_role(user, "facilitator"):
        return PlacementOffer.objects.filter(site__in=_facilitated_site_ids(user))
    return _none(PlacementOffer)


def offers_claimable_by(user: User) -> PlacementOfferQuerySet:
    """Open offers a person may claim places of: coordinators' and admins'."""
    if user.is_admin or has_role(user, "coordinator"):
        return PlacementOffer.objects.open()
    return _none(PlacementOffer)


# --- Mentoring sessions ----------------------------------------------------------------


def sessions_visible_to(user: User) -> MentoringSessionQuerySet:
    """Facilitators: sessions at their sites. Preceptors: sessions they logged or attended,
    and sessions of the students they mentor. Students: sessions they attended."""
    if not user.is_authenticated:
        return _none(MentoringSession)
    if user.is_admin:
        return MentoringSession.objects.all()
    # The person's own sessions, as a UNION of id sets each read from its index: an OR of
    # them would test every session of the table against each set.
    own = [
        MentoringSession.objects.filter(logged_by=user).values("pk"),
        SessionProfessional.objects.filter(person=user).values("session"),
    ]
    if has_role(user, "preceptor"):
        mentored = MentorAssignment.objects.filter(mentor=user).values("placement")
        own.append(SessionStudent.objects.filter(placement__in=mentored).values("session"))
    if has_role(user, "student"):
        own.append(SessionStudent.objects.filter(student__user=user).values("session"))
    own_ids = own[0].order_by().union(*(part.order_by() for part in own[1:]))
    if not has_role(user, "facilitator"):
        return MentoringSession.objects.filter(pk__in=own_ids)
    # A facilitator's own sessions nearly always lie at the sites they facilitate: those
    # elsewhere (usually none) are read first, by id, so that the set is "at these sites"
    # plus a few ids, which PostgreSQL reads from the site index, not an OR over the table.
    at_sites = Q(site__in=_facilitated_site_ids(user))
    by_id = 100  # beyond this many elsewhere, the OR
    facilitated = Site.facilitators.through.objects.filter(user=user, site=OuterRef("site"))
    elsewhere = list(
        MentoringSession.objects.filter(pk__in=own_ids)
        .exclude(Exists(facilitated))  # an anti-join from their few sessions
        .order_by()
        .values_list("pk", "site")[: by_id + 1]
    )
    if not elsewhere:
        return MentoringSession.objects.filter(at_sites)
    if len(elsewhere) > by_id:
        return MentoringSession.objects.filter(at_sites | Q(pk__in=own_ids))
    # Read by site (their sites and those few's), keeping only those few at the others.
    sites = (
        _facilitated_site_ids(user)
        .order_by()
        .union(Site.objects.filter(pk__in={site for _, site in elsewhere}).values("pk"))
    )
    return MentoringSession.objects.filter(
        Q(site__in=sites), at_sites | Q(pk__in=[pk for pk, _ in elsewhere])
    )


def sessions_manageable_by(user: User) -> MentoringSessionQuerySet:
    """Sessions a person may edit or delete: admins all, facilitators those at their sites,
    and the preceptor who logged a session for settings.SESSION_EDIT_WINDOW after logging
    it (then a facilitator of the site can)."""
    if not user.is_authenticated:
        return _none(MentoringSession)
    if user.is_admin:
        return MentoringSession.objects.all()
    condition = Q(logged_by=user, created_at__gte=timezone.now() - settings.SESSION_EDIT_WINDOW)
    if has_role(user, "facilitator"):
        condition |= Q(site__in=_facilitated_site_ids(user))
    return MentoringSession.objects.filter(condition)


def session_reflections_readable_by(user: User, session: MentoringSession) -> bool:
    """Students' reflections on a session are for each author and the session's preceptors
    (who logged it, or took part as a professional): not for the other students present,
    nor for facilitators or admins reading the session."""
    if not user.is_authenticated:
        return False
    return (
        session.logged_by_id == user.pk
        or session.professional_attendance.filter(person=user).exists()
    )


def calendar_feed_served_to(owner: User) -> bool:
    """A private calendar feed lists the interviews its owner conducts with their
    participants' names: it ends with the role that made it (facilitator, or admin), as
    the page that creates it needs that role."""
    return has_role(owner, "facilitator") or has_role(owner, "admin")


# --- Follow-ups and interview records --------------------------------------------------


def followups_visible_to(user: User) -> FollowUpQuerySet:
    """The follow-ups a person manages (`followups_manageable_by`: every one at their sites
    for facilitators, all for admins) and those they take part in, as participant or
    interviewer (`FollowUpQuerySet.involving`; never the record's content, see
    `interview_records_visible_to`). Lists count the first part from the counts kept per
    site and read only the second one row by row (interviews.selectors.followups)."""
    if not user.is_authenticated:
        return _none(FollowUp)
    if user.is_admin:
        return FollowUp.objects.all()
    visible = FollowUp.objects.involving(user)
    if has_role(user, "facilitator"):
        visible |= followups_manageable_by(user)
    return visible


def followups_manageable_by(user: User) -> FollowUpQuerySet:
    """Every follow-up at the sites a person manages (`sites_facilitated_by`)."""
    if user.is_admin:
        return FollowUp.objects.all()
    return FollowUp.objects.filter(site__in=sites_facilitated_by(user))


def interview_records_visible_to(user: User) -> QuerySet[InterviewRecord]:
    """Confidential: only the site's facilitators and admins."""
    if user.is_admin:
        return InterviewRecord.objects.all()
    return InterviewRecord.objects.filter(followup__site__in=sites_facilitated_by(user))


# --- Mentoring (owned by the mentoring app) --------------------------------------------


def sites_where_sessions_loggable_by(user: User) -> SiteQuerySet:
    """Sites where a person may log a mentoring session: admins everywhere, facilitators at
    their sites, preceptors where they mentor a student or are a current CoP member."""
    if not user.is_authenticated or not user.is_active:
        return _none(Site)
    if user.is_admin:
        return Site.objects.all()
    condition = Q(pk__in=[])
    if has_role(user, "facilitator"):
        condition |= Q(pk__in=_facilitated_site_ids(user))
    if has_role(user, "preceptor"):
        condition |= Q(
            pk__in=MentorAssignment.objects.filter(mentor=user).values("placement__site")
        )
        condition |= Q(
            pk__in=Membership.objects.filter(person=user, left_on__isnull=True).values(
                "community__site"
            )
        )
    return Site.objects.filter(condition)


# --- Placement evaluations and students' feedback (owned by the mentoring app) ---------


def evaluations_visible_to(user: User) -> PlacementEvaluationQuerySet:
    """Admins: all. Facilitators: those of placements at their sites. Preceptors: those
    of the placements they mentor (the whole team reads them). Students: their own once
    submitted; a draft is its preceptor's work until then."""
    if not user.is_authenticated:
        return _none(PlacementEvaluation)
    if user.is_admin:
        return PlacementEvaluation.objects.all()
    condition = Q(pk__in=[])
    if has_role(user, "facilitator"):
        condition |= Q(placement__site__in=_facilitated_site_ids(user))
    if has_role(user, "preceptor"):
        condition |= Q(
            placement__in=MentorAssignment.objects.filter(mentor=user).values("placement")
        )
    if has_role(user, "student"):
        condition |= Q(placement__student__user=user) & ~Q(status=EvaluationStatus.DRAFT)
    if has_role(user, "coordinator"):
        # A program coordinator reads their programs' students' evaluations (never writes).
        condition |= Q(
            placement__student__program__in=Program.coordinators.through.objects.filter(
                user=user
            ).values("program")
        )
    return PlacementEvaluation.objects.filter(condition)


def evaluations_writable_by(user: User) -> PlacementEvaluationQuerySet:
    """Evaluations a person may fill in and submit: the drafts of the placements where
    they are the primary preceptor (every draft for admins, who fix records)."""
    if not user.is_authenticated or not user.is_active:
        return _none(PlacementEvaluation)
    drafts = PlacementEvaluation.objects.filter(status=EvaluationStatus.DRAFT)
    if user.is_admin:
        return drafts
    if not has_role(user, "preceptor"):
        return _none(PlacementEvaluation)
    return drafts.filter(
        placement__in=MentorAssignment.objects.filter(mentor=user, role=MentorRole.PRIMARY).values(
            "placement"
        )
    )


def evaluation_content_readable_by(user: User, evaluation: PlacementEvaluation) -> bool:
    """A draft's ratings and comments are for its writer (`evaluations_writable_by`)
    until it is submitted; then for everyone who sees the evaluation."""
    return (
        not evaluation.is_draft or evaluations_writable_by(user).filter(pk=evaluation.pk).exists()
    )


def evaluations_acknowledgeable_by(user: User) -> PlacementEvaluationQuerySet:
    """Submitted evaluations awaiting the person's acknowledgement: their own, as the
    evaluated student. Nobody signs for a student, not even an admin."""
    if not user.is_authenticated or not user.is_active:
        return _none(PlacementEvaluation)
    return PlacementEvaluation.objects.filter(
        status=EvaluationStatus.SUBMITTED, placement__student__user=user
    )


def placements_open_to_feedback_from(user: User) -> PlacementQuerySet:
    """The person's own placements that have started (active or completed) and that
    they have not given feedback on yet. Nobody else gives a student's feedback."""
    if not user.is_authenticated or not user.is_active:
        return _none(Placement)
    return Placement.objects.filter(
        student__user=user, status__in=[PlacementStatus.ACTIVE, PlacementStatus.COMPLETED]
    ).exclude(Exists(StudentPlacementFeedback.objects.filter(placement=OuterRef("pk"))))


# --- Choices for filters -----------------------------------------------------------------


def site_choices_for(user: User) -> list[tuple[int, str]]:
    """(id, name) of exactly the sites `sites_visible_to(user)` holds, by name: the options
    of a site filter."""
    return list(sites_visible_to(user).order_by("name", "pk").values_list("pk", "name"))


# --- People (owned by the accounts app) ---------------------------------------------------


def _people_linked_to_sites(sites) -> QuerySet:
    """The ids of the people linked to `sites` (site ids: a list, or a `.values()`
    subquery): the sites' facilitators; the facilitators and members (current or past) of
    their CoPs; and, through the placements there that were not cancelled, the students
    placed, their mentors and their site contacts. The one definition of "linked to a
    site", for invitations and for the people a CoP offers as members.

    A UNION of id sets, each read from its own index: an OR of them, as a filter on
    accounts, would test every account of the province against each set."""
    placements = Placement.objects.filter(site__in=sites).exclude(status=PlacementStatus.CANCELLED)
    parts = [
        Site.facilitators.through.objects.filter(site__in=sites).values("user"),
        CommunityOfPractice.facilitators.through.objects.filter(
            communityofpractice__site__in=sites
        ).values("user"),
        Membership.objects.filter(community__site__in=sites).values("person"),
        placements.values("student__user"),
        placements.filter(contact__isnull=False).values("contact"),
        MentorAssignment.objects.filter(placement__in=placements.values("pk")).values("mentor"),
    ]
    return parts[0].order_by().union(*(part.order_by() for part in parts[1:]))


def people_invitable_by(user: User) -> QuerySet[User]:
    """Active people a person may send an invitation (a link to set a first password) to:
    anyone for admins; for facilitators, the people linked to their sites
    (`_people_linked_to_sites`); nobody for other roles."""
    from django.contrib.auth import get_user_model

    people = get_user_model().objects
    if not user.is_authenticated or not user.is_active:
        return people.none()
    if user.is_admin:
        return people.filter(is_active=True)
    if not has_role(user, "facilitator"):
        return people.none()
    linked = _people_linked_to_sites(_facilitated_site_ids(user))
    return people.filter(pk__in=linked, is_active=True)


def people_offerable_as_members(community: CommunityOfPractice) -> QuerySet[User]:
    """The people a CoP's "Add member" page may list and its search may find: active
    accounts linked to the CoP's site (`_people_linked_to_sites`) that are not current
    members of this CoP (former members may rejoin). Nobody else is ever listed, not even
    for admins: anyone else is added by their exact email only (sites.forms.
    MembershipAddForm). Callers fetch `community` through `communities_manageable_by`."""
    from django.contrib.auth import get_user_model

    current = Membership.objects.filter(community=community, left_on__isnull=True)
    return (
        get_user_model()
        .objects.filter(pk__in=_people_linked_to_sites([community.site_id]), is_active=True)
        .exclude(pk__in=current.values("person"))
    )
