"""Factories for mentoring teams, sessions and competency frameworks.

The CIHC 2010 framework (code "cihc-2010", the default) and its domains are seeded by a
migration: use `default_domains()` rather than creating domains.
"""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import Profession
from accounts.tests.factories import ProfessionFactory, UserFactory
from mentoring.models import (
    Activity,
    CompetencyDomain,
    CompetencyFramework,
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
)
from placements.tests.factories import PlacementFactory

DEFAULT_FRAMEWORK_CODE = "cihc-2010"


def default_domains():
    """The seeded CIHC 2010 competency domains, in order."""
    return CompetencyDomain.objects.filter(framework__code=DEFAULT_FRAMEWORK_CODE)


class CompetencyFrameworkFactory(DjangoModelFactory):
    """A further (non-default) framework; the seeded ones already exist."""

    class Meta:
        model = CompetencyFramework

    code = factory.Sequence(lambda n: f"framework-{n}")
    name = factory.Sequence(lambda n: f"Framework {n}")
    year = 2024
    is_default = False


class CompetencyDomainFactory(DjangoModelFactory):
    class Meta:
        model = CompetencyDomain

    framework = factory.SubFactory(CompetencyFrameworkFactory)
    name = factory.Sequence(lambda n: f"Domain {n}")
    code = factory.Sequence(lambda n: f"domain-{n}")
    order = factory.Sequence(int)


def _mentor_profession(mentor):
    """A primary preceptor shares the student's profession; an IP mentor has another
    (the IP rule compares the two)."""
    assignment = mentor.factory_parent
    student_profession = assignment.placement.student.program.profession
    if assignment.role == MentorRole.PRIMARY:
        return student_profession
    return Profession.objects.exclude(pk=student_profession.pk).order_by("code").first()


class MentorAssignmentFactory(DjangoModelFactory):
    """An IP mentor of another profession than the student (role=PRIMARY: the same one)."""

    class Meta:
        model = MentorAssignment

    placement = factory.SubFactory(PlacementFactory)
    role = MentorRole.IP_MENTOR
    mentor = factory.SubFactory(
        UserFactory, is_preceptor=True, profession=factory.LazyAttribute(_mentor_profession)
    )
    profession = factory.LazyAttribute(lambda o: o.mentor.profession or ProfessionFactory())


class MentoringSessionFactory(DjangoModelFactory):
    """A one-hour case discussion on the first day of a placement, at the placement's site.

    Pass `placement=` to choose it (not a field of the session: where its site and date
    come from), `domains=[...]` to set the practised domains, and `with_attendance=True`
    to add the placement's student and the logging preceptor as participants.
    """

    class Meta:
        model = MentoringSession
        skip_postgeneration_save = True

    class Params:
        placement = factory.SubFactory(PlacementFactory)
        with_attendance = factory.Trait(
            student_attendance=factory.RelatedFactory(
                "mentoring.tests.factories.SessionStudentFactory",
                factory_related_name="session",
                placement=factory.SelfAttribute("..placement"),
            ),
            professional_attendance=factory.RelatedFactory(
                "mentoring.tests.factories.SessionProfessionalFactory",
                factory_related_name="session",
                person=factory.SelfAttribute("..logged_by"),
            ),
        )

    site = factory.SelfAttribute("placement.site")
    logged_by = factory.SubFactory(UserFactory, is_preceptor=True)
    held_on = factory.SelfAttribute("placement.start_date")
    duration_minutes = 60
    activity = Activity.CASE_DISCUSSION

    @factory.post_generation
    def domains(self, create, extracted, **kwargs):
        if create and extracted:
            self.domains.add(*extracted)


class SessionStudentFactory(DjangoModelFactory):
    """A placed student at a session held at their placement's site."""

    class Meta:
        model = SessionStudent

    placement = factory.SubFactory(PlacementFactory)
    session = factory.SubFactory(
        MentoringSessionFactory, placement=factory.SelfAttribute("..placement")
    )
    student = factory.SelfAttribute("placement.student")


class SessionProfessionalFactory(DjangoModelFactory):
    """A professional at a session, with their own profession."""

    class Meta:
        model = SessionProfessional

    session = factory.SubFactory(MentoringSessionFactory)
    person = factory.SubFactory(UserFactory, is_preceptor=True)
    profession = factory.LazyAttribute(lambda o: o.person.profession or ProfessionFactory())


class PlacementEvaluationFactory(DjangoModelFactory):
    """A final evaluation not started, due on its placement's last day. Traits:
    `submitted` (by a new preceptor, unless `evaluator=` names one), `acknowledged`,
    `midterm`."""

    class Meta:
        model = PlacementEvaluation

    class Params:
        submitted = factory.Trait(
            status=EvaluationStatus.SUBMITTED,
            evaluator=factory.SubFactory(UserFactory, is_preceptor=True),
            submitted_at=factory.LazyFunction(timezone.now),
            overall_comments="A thoughtful student who asks about each role.",
        )
        acknowledged = factory.Trait(
            submitted=True,
            status=EvaluationStatus.ACKNOWLEDGED,
            acknowledged_at=factory.LazyFunction(timezone.now),
        )
        midterm = factory.Trait(
            kind=EvaluationKind.MIDTERM,
            due_on=factory.LazyAttribute(
                lambda o: (
                    o.placement.start_date + (o.placement.end_date - o.placement.start_date) // 2
                )
            ),
        )

    placement = factory.SubFactory(PlacementFactory, confirmed=True)
    kind = EvaluationKind.FINAL
    due_on = factory.SelfAttribute("placement.end_date")


class EvaluationRatingFactory(DjangoModelFactory):
    class Meta:
        model = EvaluationRating

    evaluation = factory.SubFactory(PlacementEvaluationFactory)
    domain = factory.LazyFunction(lambda: default_domains().first())
    rating = Rating.MEETING


class StudentPlacementFeedbackFactory(DjangoModelFactory):
    """A student's feedback agreeing with every statement."""

    class Meta:
        model = StudentPlacementFeedback

    placement = factory.SubFactory(PlacementFactory, active=True)
    site = factory.SelfAttribute("placement.site")
    site_welcome = 4
    site_learning = 4
    mentoring_support = 4
    mentoring_feedback = 4
    ip_roles = 4
    ip_collaboration = 4
