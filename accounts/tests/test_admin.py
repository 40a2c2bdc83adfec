"""Django admin: every registered model's pages answer, and none of them queries per row."""

import itertools

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditAction, AuditEvent, User
from accounts.tests.factories import (
    AuditEventFactory,
    InvitationFactory,
    ProfessionFactory,
    UserFactory,
)
from interviews.models import FollowUpCount, InterviewRecord
from interviews.tests.factories import (
    CalendarFeedFactory,
    FollowUpFactory,
    InterviewRecordFactory,
    QuoteFactory,
    ReminderFactory,
    ThemeFactory,
)
from mentoring.models import StudentSiteDomain, StudentSiteProfession
from mentoring.tests.factories import (
    CompetencyDomainFactory,
    EvaluationRatingFactory,
    MentorAssignmentFactory,
    MentoringSessionFactory,
    PlacementEvaluationFactory,
    SessionProfessionalFactory,
    SessionStudentFactory,
    StudentPlacementFeedbackFactory,
    default_domains,
)
from placements.tests.factories import (
    AffiliationAgreementFactory,
    CapacityFactory,
    ImportJobFactory,
    PlacementFactory,
    PlacementOfferFactory,
    PlacementRequestChangeFactory,
    PlacementRequestFactory,
    PlacementStatusChangeFactory,
    ProgramFactory,
    StudentFactory,
)
from sites.tests.factories import (
    CommunityOfPracticeFactory,
    InitiativeFactory,
    MeetingFactory,
    MembershipFactory,
    SiteFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db

OUR_APPS = ("accounts", "sites", "placements", "mentoring", "interviews")

# Query budgets. A changelist's budget must hold at 3 rows and at 30 (it may not grow
# with rows); change pages are measured on a row with a few related rows of each kind.
CHANGELIST_MAX_QUERIES = 15
ADD_PAGE_MAX_QUERIES = 12
CHANGE_PAGE_MAX_QUERIES = 30
AUTOCOMPLETE_MAX_QUERIES = 8

_numbers = itertools.count()


# Each maker creates one row of its model with its optional relations filled in, so a
# column or an inline that queries per row shows up in the counts.
def _group():
    return Group.objects.create(name=f"Group {next(_numbers)}")


def _site():
    site = SiteFactory(facilitators=[UserFactory(facilitator=True)])
    UnitFactory(site=site)
    CommunityOfPracticeFactory(site=site)
    return site


def _community():
    community = CommunityOfPracticeFactory(facilitators=[UserFactory(facilitator=True)])
    MembershipFactory.create_batch(2, community=community)
    InitiativeFactory(community=community, in_progress=True)
    return community


def _meeting():
    membership = MembershipFactory()
    return MeetingFactory(
        community=membership.community, attendees=[membership], recorded_by=UserFactory()
    )


def _placement():
    unit = UnitFactory()
    placement = PlacementFactory(unit=unit, contact=UserFactory(), created_by=UserFactory())
    MentorAssignmentFactory(placement=placement)
    PlacementStatusChangeFactory(placement=placement, changed_by=UserFactory())
    return placement


def _session():
    return MentoringSessionFactory(with_attendance=True, domains=list(default_domains()[:2]))


def _evaluation():
    """A submitted evaluation with a rating, on a placement with a mentor."""
    evaluation = PlacementEvaluationFactory(placement=_placement(), submitted=True)
    EvaluationRatingFactory(evaluation=evaluation)
    return evaluation


def _counted(written, model, *same, site: str = "site"):
    """The trigger-kept row of `model` that writing `written` made (at its site)."""
    site_id = written
    for step in site.split("__"):
        site_id = getattr(site_id, step)
    rows = model.objects.filter(site=site_id, **{name: getattr(written, name) for name in same})
    return rows.first()


def _theme():
    return ThemeFactory(merged_into=ThemeFactory())


def _followup():
    if next(_numbers) % 2:
        followup = FollowUpFactory(for_membership=True, scheduled=True)
    else:
        followup = FollowUpFactory(scheduled=True)
    ReminderFactory(followup=followup, recipient=followup.interviewer)
    InterviewRecordFactory(followup=followup)
    return followup


def _access(model, **fields):
    return model.objects.create(
        username=f"person{next(_numbers)}@example.org",
        ip_address="192.0.2.1",
        user_agent="test",
        http_accept="text/html",
        path_info="/accounts/login/",
        **fields,
    )


def _record():
    record = InterviewRecordFactory(themes=[ThemeFactory()])
    QuoteFactory(record=record, theme=ThemeFactory(), may_publish=True)
    return record


ROW_MAKERS = {
    "auth.Group": _group,
    "accounts.User": lambda: UserFactory(),
    "accounts.AuditEvent": lambda: AuditEventFactory(),
    "accounts.Invitation": lambda: InvitationFactory(),
    "accounts.Profession": lambda: ProfessionFactory(code=f"extra-{next(_numbers)}"),
    "sites.Site": _site,
    "sites.Unit": lambda: UnitFactory(),
    "sites.CommunityOfPractice": _community,
    "sites.Membership": lambda: MembershipFactory(),
    "sites.Meeting": _meeting,
    "sites.Initiative": lambda: InitiativeFactory(implemented=True),
    "placements.Institution": lambda: (
        ProgramFactory(institution=f"Institution {next(_numbers)}").institution
    ),
    "placements.Program": lambda: StudentFactory().program,
    "placements.Student": lambda: StudentFactory(),
    "placements.Placement": _placement,
    "placements.PlacementStatusChange": lambda: PlacementStatusChangeFactory(
        changed_by=UserFactory()
    ),
    "placements.Capacity": lambda: CapacityFactory(unit=UnitFactory()),
    "placements.ImportJob": lambda: ImportJobFactory(),
    "placements.AffiliationAgreement": lambda: AffiliationAgreementFactory(),
    "placements.PlacementRequest": lambda: PlacementRequestFactory(unit=UnitFactory()),
    "placements.PlacementRequestChange": lambda: PlacementRequestChangeFactory(
        changed_by=UserFactory()
    ),
    "placements.PlacementOffer": lambda: PlacementOfferFactory(unit=UnitFactory()),
    "mentoring.CompetencyFramework": lambda: CompetencyDomainFactory().framework,
    "mentoring.CompetencyDomain": lambda: CompetencyDomainFactory(),
    "mentoring.MentorAssignment": lambda: MentorAssignmentFactory(),
    "mentoring.MentoringSession": _session,
    "mentoring.SessionStudent": lambda: SessionStudentFactory(),
    "mentoring.SessionProfessional": lambda: SessionProfessionalFactory(),
    "mentoring.PlacementEvaluation": _evaluation,
    "mentoring.EvaluationRating": lambda: _evaluation().ratings.get(),
    "mentoring.StudentPlacementFeedback": lambda: StudentPlacementFeedbackFactory(),
    "interviews.Theme": _theme,
    "interviews.FollowUp": _followup,
    "interviews.InterviewRecord": _record,
    "interviews.Quote": lambda: QuoteFactory(theme=ThemeFactory()),
    "interviews.Reminder": lambda: ReminderFactory(),
    "interviews.CalendarFeed": lambda: CalendarFeedFactory(),
    # Counts kept by triggers: made by writing what they count.
    "interviews.FollowUpCount": lambda: _counted(FollowUpFactory(), FollowUpCount, "status"),
    "mentoring.StudentSiteProfession": lambda: _counted(
        MentoringSessionFactory(with_attendance=True), StudentSiteProfession
    ),
    "mentoring.StudentSiteDomain": lambda: _counted(
        MentoringSessionFactory(with_attendance=True, domains=[CompetencyDomainFactory()]),
        StudentSiteDomain,
    ),
    # django-axes: login attempts, lockouts and the login history, read in the admin.
    "axes.AccessAttempt": lambda: _access(
        AccessAttempt, get_data="", post_data="", failures_since_start=1
    ),
    "axes.AccessFailureLog": lambda: _access(AccessFailureLog, locked_out=False),
    "axes.AccessLog": lambda: _access(AccessLog),
}

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _make_rows(model, count: int) -> None:
    for _ in range(count):
        ROW_MAKERS[model._meta.label]()


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(superuser=True))
    return client


def test_every_model_of_our_apps_is_registered():
    for app_label in OUR_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if model._meta.proxy and model._meta.concrete_model._meta.auto_created:
                continue  # carries triggers for a many-to-many table, edited with its model
            assert admin.site.is_registered(model), f"{model._meta.label} is not in the admin"


def test_every_registered_model_has_a_row_maker():
    missing = {m._meta.label for m in REGISTERED} - set(ROW_MAKERS)
    assert not missing, f"add a row maker for {sorted(missing)}"


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_changelist_query_count_does_not_grow_with_rows(
    model, admin_client, django_assert_max_num_queries
):
    url = _url(model, "changelist")
    _make_rows(model, 3)
    with CaptureQueriesContext(connection) as few_rows:
        response = admin_client.get(url)
    assert response.status_code == 200
    assert len(few_rows) <= CHANGELIST_MAX_QUERIES, [q["sql"] for q in few_rows]

    _make_rows(model, 27)
    with django_assert_max_num_queries(len(few_rows)):
        response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 30


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_changelist_search_answers(model, admin_client, django_assert_max_num_queries):
    _make_rows(model, 2)
    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES):
        response = admin_client.get(_url(model, "changelist"), {"q": "x"})
    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_add_page_answers(model, admin_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(ADD_PAGE_MAX_QUERIES):
        response = admin_client.get(_url(model, "add"))
    # Rows only services may write (the audit log, calendar feeds) have no add page.
    may_add = admin.site._registry[model].has_add_permission(response.wsgi_request)
    assert response.status_code == (200 if may_add else 403)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_change_page_answers(model, admin_client, django_assert_max_num_queries):
    obj = ROW_MAKERS[model._meta.label]()
    with django_assert_max_num_queries(CHANGE_PAGE_MAX_QUERIES):
        response = admin_client.get(_url(model, "change", obj.pk))
    assert response.status_code == 200


def _autocomplete_fields():
    for model, model_admin in admin.site._registry.items():
        for field_name in model_admin.autocomplete_fields:
            yield pytest.param(model, field_name, id=f"{model._meta.label}.{field_name}")


@pytest.mark.parametrize(("model", "field_name"), list(_autocomplete_fields()))
def test_autocomplete_answers_without_a_query_per_result(
    model, field_name, admin_client, django_assert_max_num_queries
):
    target = model._meta.get_field(field_name).related_model
    params = {
        "app_label": model._meta.app_label,
        "model_name": model._meta.model_name,
        "field_name": field_name,
        "term": "",
    }
    _make_rows(target, 3)
    with CaptureQueriesContext(connection) as few_rows:
        response = admin_client.get(reverse("admin:autocomplete"), params)
    assert response.status_code == 200
    assert len(few_rows) <= AUTOCOMPLETE_MAX_QUERIES, [q["sql"] for q in few_rows]

    _make_rows(target, 10)
    with django_assert_max_num_queries(len(few_rows)):
        response = admin_client.get(reverse("admin:autocomplete"), params)
    assert response.status_code == 200


def test_non_staff_user_is_sent_to_the_admin_login(client):
    client.force_login(UserFactory(preceptor=True, facilitator=True))
    for url in (reverse("admin:index"), _url(User, "changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_admin_adds_a_person_who_logs_in_by_email(admin_client):
    profession = ProfessionFactory(code="pharmacy")
    response = admin_client.post(
        _url(User, "add"),
        {
            "email": "New.Person@Example.org",
            "full_name": "New Person",
            "profession": profession.pk,
            "usable_password": "true",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    person = User.objects.get(full_name="New Person")
    assert person.email == "new.person@example.org"
    assert person.profession == profession
    assert person.check_password("a-long-passphrase-42")


def test_admin_gives_a_person_roles(admin_client):
    person = UserFactory()
    response = admin_client.get(_url(User, "change", person.pk))
    form = response.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "profession": person.profession_id,
            "is_facilitator": "on",
            "is_preceptor": "on",
            "is_active": "on",
            "date_joined_0": "",
            "groups": [],
            "user_permissions": [],
        }
    )
    data.pop("password", None)
    data.pop("last_login", None)
    data.pop("date_joined", None)
    response = admin_client.post(_url(User, "change", person.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    person.refresh_from_db()
    assert person.role_names == ["facilitator", "preceptor"]


def test_admin_refuses_a_second_account_differing_by_case(admin_client):
    UserFactory(email="taken@example.org")
    response = admin_client.post(
        _url(User, "add"),
        {
            "email": "Taken@Example.org",
            "full_name": "Someone Else",
            "usable_password": "false",
        },
    )
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.filter(email__iexact="taken@example.org").count() == 1


def test_admin_looking_at_an_interview_record_is_audited(admin_client):
    record = InterviewRecordFactory()
    response = admin_client.get(_url(InterviewRecord, "change", record.pk))
    assert response.status_code == 200
    event = AuditEvent.objects.get(object_type="interviews.interviewrecord")
    assert event.action == AuditAction.VIEW
    assert event.object_id == str(record.pk)
    assert event.site_id == record.followup.site_id


def test_the_internal_counter_tables_are_not_in_the_admin_index(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    for name in ("followupcount", "studentsiteprofession", "studentsitedomain"):
        assert f"/{name}/" not in page, name
    assert "/mentoringsession/" in page  # the others are still listed
    # Still readable by address, for checking a count.
    assert admin_client.get(reverse("admin:interviews_followupcount_changelist")).status_code == 200


def test_the_users_list_shows_roles_in_one_column(admin_client):
    UserFactory(email="nora@example.org", facilitator=True, preceptor=True)
    page = admin_client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "column-roles" in page and "facilitator, preceptor" in page
    for column in ("is_facilitator", "is_preceptor", "is_student", "is_staff"):
        assert f"column-{column}" not in page
