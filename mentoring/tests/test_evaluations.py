"""Placement evaluations and students' feedback: the services (made when a placement is
confirmed, due dates from its dates, draft and submit, the student's acknowledgement,
feedback sent once), who sees and does what, the feedback summed per site with small
counts hidden, and pages whose queries do not grow with their rows."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from ipcop.dashboard import facilitator_todo
from mentoring import selectors, services
from mentoring.models import (
    EvaluationKind,
    EvaluationRating,
    EvaluationStatus,
    MentorAssignment,
    MentorRole,
    PlacementEvaluation,
    Rating,
    StudentPlacementFeedback,
)
from mentoring.tests.factories import (
    PlacementEvaluationFactory,
    StudentPlacementFeedbackFactory,
    default_domains,
)
from placements.models import Placement, PlacementStatus
from placements.services import placement_confirm
from placements.tests.factories import PlacementFactory, ProgramFactory, StudentFactory

pytestmark = pytest.mark.django_db

ANSWERS = {
    "site_welcome": 4,
    "site_learning": 5,
    "mentoring_support": 4,
    "mentoring_feedback": 3,
    "ip_roles": 5,
    "ip_collaboration": 4,
}


@pytest.fixture
def evaluations(placement, preceptor):
    """The active placement's evaluations (its program wants no midterm): the final."""
    services.evaluations_for_placement(placement=placement)
    return PlacementEvaluation.objects.filter(placement=placement)


@pytest.fixture
def final(evaluations):
    return evaluations.get(kind=EvaluationKind.FINAL)


def _all_rated(rating=Rating.MEETING):
    return {d.pk: (rating, "") for d in default_domains()}


def _submit(evaluation, by, comments="Asks each profession about its role."):
    return services.evaluation_save(
        evaluation=evaluation, by=by, ratings=_all_rated(), overall_comments=comments, submit=True
    )


# --- Services ----------------------------------------------------------------------------


def test_confirming_makes_a_final_evaluation_due_on_the_last_day(site_a, facilitator, today):
    placement = PlacementFactory(
        site=site_a,
        start_date=today + datetime.timedelta(days=10),
        end_date=today + datetime.timedelta(days=49),
    )
    placement_confirm(placement=placement, changed_by=facilitator)
    [evaluation] = PlacementEvaluation.objects.filter(placement=placement)
    assert (evaluation.kind, evaluation.due_on, evaluation.status) == (
        EvaluationKind.FINAL,
        placement.end_date,
        EvaluationStatus.DRAFT,
    )
    assert evaluation.evaluator is None


def test_a_program_that_wants_a_midterm_gets_one_at_the_midpoint(site_a, facilitator, today):
    student = StudentFactory(program=ProgramFactory(midterm_evaluation=True))
    start = today + datetime.timedelta(days=10)
    placement = PlacementFactory(
        student=student, site=site_a, start_date=start, end_date=start + datetime.timedelta(days=41)
    )
    placement_confirm(placement=placement, changed_by=facilitator)
    due = dict(
        PlacementEvaluation.objects.filter(placement=placement).values_list("kind", "due_on")
    )
    assert due == {"midterm": start + datetime.timedelta(days=20), "final": placement.end_date}


def test_making_the_evaluations_again_makes_nothing_more(placement, evaluations):
    services.evaluations_for_placements(placements=[placement, placement])
    assert evaluations.count() == 1


def test_a_requested_or_cancelled_placement_is_not_evaluated(site_a):
    requested = PlacementFactory(site=site_a)
    cancelled = PlacementFactory(site=site_a, status=PlacementStatus.CANCELLED)
    services.evaluations_for_placements(placements=[requested, cancelled])
    assert not PlacementEvaluation.objects.exists()


def test_a_draft_may_be_incomplete(final, preceptor):
    first = default_domains().first()
    services.evaluation_save(
        evaluation=final,
        by=preceptor,
        ratings={first.pk: (Rating.EXCEEDING, "Clear")},
        overall_comments="",
    )
    final.refresh_from_db()
    assert final.status == EvaluationStatus.DRAFT
    assert final.evaluator == preceptor
    assert list(final.ratings.values_list("domain", "rating", "comment")) == [
        (first.pk, Rating.EXCEEDING, "Clear")
    ]


def test_submitting_needs_every_domain_and_the_overall_comments(final, preceptor):
    domains = list(default_domains())
    ratings = _all_rated()
    del ratings[domains[-1].pk]
    with pytest.raises(ValidationError) as refused:
        services.evaluation_save(
            evaluation=final, by=preceptor, ratings=ratings, overall_comments=" ", submit=True
        )
    assert set(refused.value.message_dict) == {
        services.domain_key(domains[-1].pk),
        "overall_comments",
    }
    final.refresh_from_db()
    assert final.status == EvaluationStatus.DRAFT
    assert not final.ratings.exists()


def test_not_observed_counts_as_rated(final, preceptor):
    ratings = _all_rated()
    ratings[default_domains().first().pk] = (Rating.NOT_OBSERVED, "")
    evaluation = services.evaluation_save(
        evaluation=final, by=preceptor, ratings=ratings, overall_comments="Fine.", submit=True
    )
    assert evaluation.status == EvaluationStatus.SUBMITTED
    assert evaluation.ratings.filter(rating=Rating.NOT_OBSERVED).count() == 1


def test_a_rating_off_the_scale_is_refused(final, preceptor):
    ratings = _all_rated()
    ratings[default_domains().first().pk] = (7, "")
    with pytest.raises(ValidationError):
        services.evaluation_save(
            evaluation=final, by=preceptor, ratings=ratings, overall_comments="x"
        )
    assert not EvaluationRating.objects.exists()


def test_a_submitted_evaluation_no_longer_changes(final, preceptor):
    _submit(final, preceptor)
    with pytest.raises(ValidationError, match="can no longer be changed"):
        _submit(final, preceptor, comments="Changed my mind")
    final.refresh_from_db()
    assert final.overall_comments == "Asks each profession about its role."
    assert final.submitted_at is not None


def test_only_the_primary_preceptor_writes_the_evaluation(final, pharmacist, outsider):
    for person in (pharmacist, outsider):
        with pytest.raises(PermissionDenied):
            _submit(final, person)
    final.refresh_from_db()
    assert final.status == EvaluationStatus.DRAFT and final.evaluator is None


def test_the_domains_are_those_of_the_students_framework(site_a, preceptor):
    from mentoring.models import CompetencyFramework

    ipec = CompetencyFramework.objects.get(code="ipec-2023")
    student = StudentFactory(program=ProgramFactory(framework=ipec))
    placement = PlacementFactory(student=student, site=site_a, status=PlacementStatus.ACTIVE)
    evaluation = PlacementEvaluationFactory(placement=placement)
    assert [d.framework_id for d in services.evaluation_domains(evaluation)] == [ipec.pk] * 4


def test_the_student_acknowledges_once_with_a_comment(final, preceptor, student):
    with pytest.raises(ValidationError, match="not been submitted"):
        services.evaluation_acknowledge(evaluation=final, by=student.user)
    _submit(final, preceptor)
    services.evaluation_acknowledge(evaluation=final, by=student.user, comment=" I see it so. ")
    final.refresh_from_db()
    assert final.status == EvaluationStatus.ACKNOWLEDGED
    assert final.student_comment == "I see it so."
    with pytest.raises(ValidationError, match="You acknowledged"):
        services.evaluation_acknowledge(evaluation=final, by=student.user)


def test_nobody_acknowledges_for_the_student(final, preceptor, admin_user):
    _submit(final, preceptor)
    for person in (preceptor, admin_user, StudentFactory().user):
        with pytest.raises(PermissionDenied):
            services.evaluation_acknowledge(evaluation=final, by=person)
    final.refresh_from_db()
    assert final.acknowledged_at is None


def test_feedback_is_given_once(placement, student):
    services.feedback_submit(placement=placement, by=student.user, answers=ANSWERS, comments="Good")
    with pytest.raises(ValidationError, match="already sent"):
        services.feedback_submit(placement=placement, by=student.user, answers=ANSWERS)
    feedback = StudentPlacementFeedback.objects.get()
    assert (feedback.site_id, feedback.mentoring_feedback, feedback.comments) == (
        placement.site_id,
        3,
        "Good",
    )


def test_feedback_waits_for_the_placement_to_start_and_is_the_students_alone(
    site_a, student, preceptor, placement
):
    confirmed = PlacementFactory(
        student=student,
        site=site_a,
        status=PlacementStatus.CONFIRMED,
        start_date=placement.end_date + datetime.timedelta(days=30),
        end_date=placement.end_date + datetime.timedelta(days=60),
    )
    with pytest.raises(ValidationError, match="once your placement has started"):
        services.feedback_submit(placement=confirmed, by=student.user, answers=ANSWERS)
    with pytest.raises(PermissionDenied):
        services.feedback_submit(placement=placement, by=preceptor, answers=ANSWERS)
    with pytest.raises(ValidationError):
        services.feedback_submit(placement=placement, by=student.user, answers={"ip_roles": 4})
    assert not StudentPlacementFeedback.objects.exists()


# --- Feedback summed per site -----------------------------------------------------------


def _feedback_at(site, count, **answers):
    for _ in range(count):
        StudentPlacementFeedbackFactory(
            placement=PlacementFactory(site=site, status=PlacementStatus.COMPLETED), **answers
        )


def test_fewer_than_five_answers_show_nothing(site_a):
    _feedback_at(site_a, 4, comments="The unit was short-staffed.")
    summary = selectors.site_feedback_summary(site_a)
    assert (summary.responses, summary.shown, summary.groups, summary.comments) == (
        4,
        False,
        [],
        [],
    )


def test_an_answer_chosen_by_fewer_than_five_is_hidden(site_a, site_b):
    _feedback_at(site_a, 5, ip_roles=5)
    _feedback_at(site_a, 1, ip_roles=1, comments="Nobody explained their role.")
    _feedback_at(site_b, 10, ip_roles=2)
    summary = selectors.site_feedback_summary(site_a)
    assert summary.responses == 6 and summary.shown
    items = {item.statement: item for _, group in summary.groups for item in group}
    roles = items["I learned about the roles of other professions."]
    assert dict(roles.cells) == {
        "Strongly disagree": None,  # one student: hidden
        "Disagree": 0,
        "Neither agree nor disagree": 0,
        "Agree": 0,
        "Strongly agree": 5,
    }
    assert roles.mean == pytest.approx(26 / 6)
    assert summary.comments == ["Nobody explained their role."]


def test_the_site_feedback_page_shows_the_sums_to_the_sites_facilitators(
    client, site_a, facilitator
):
    _feedback_at(site_a, 3, comments="A secret told by one")
    client.force_login(facilitator)
    page = client.get(reverse("mentoring:site_feedback", args=[site_a.pk])).content.decode()
    assert "shown once at least 5 students have answered" in page
    assert "A secret told by one" not in page
    _feedback_at(site_a, 3, ip_roles=2)
    page = client.get(reverse("mentoring:site_feedback", args=[site_a.pk])).content.decode()
    assert "A secret told by one" in page
    assert "fewer than 5" in page


# --- Pages and who sees what ------------------------------------------------------------


def _started_draft(final, preceptor):
    services.evaluation_save(
        evaluation=final, by=preceptor, ratings=_all_rated(), overall_comments="Draft thoughts"
    )


def test_the_student_sees_their_evaluation_once_submitted(client, final, preceptor, student):
    client.force_login(student.user)
    url = reverse("mentoring:evaluation_detail", args=[final.pk])
    assert client.get(url).status_code == 404
    _submit(final, preceptor)
    response = client.get(url)
    assert response.status_code == 200
    assert "Asks each profession about its role." in response.content.decode()
    assert response.context["acknowledge_form"] is not None


def test_another_student_sees_no_evaluation_of_others(client, final, preceptor):
    _submit(final, preceptor)
    client.force_login(StudentFactory().user)
    assert client.get(reverse("mentoring:evaluation_detail", args=[final.pk])).status_code == 404
    response = client.post(reverse("mentoring:evaluation_acknowledge", args=[final.pk]))
    assert response.status_code == 404
    assert client.get(reverse("mentoring:evaluation_list")).context["page"].paginator.count == 0


def test_the_student_acknowledges_on_the_page(client, final, preceptor, student):
    _submit(final, preceptor)
    client.force_login(student.user)
    response = client.post(
        reverse("mentoring:evaluation_acknowledge", args=[final.pk]), {"comment": "Agreed."}
    )
    assert response.status_code == 302
    final.refresh_from_db()
    assert (final.status, final.student_comment) == (EvaluationStatus.ACKNOWLEDGED, "Agreed.")
    page = client.get(reverse("mentoring:evaluation_detail", args=[final.pk])).content.decode()
    assert "Acknowledged" in page and "Agreed." in page


def test_a_too_long_comment_is_refused_next_to_the_field(client, final, preceptor, student):
    _submit(final, preceptor)
    client.force_login(student.user)
    response = client.post(
        reverse("mentoring:evaluation_acknowledge", args=[final.pk]), {"comment": "x" * 2001}
    )
    assert response.status_code == 200
    assert response.context["acknowledge_form"].errors["comment"]
    final.refresh_from_db()
    assert final.status == EvaluationStatus.SUBMITTED


def test_the_primary_preceptor_saves_a_draft_then_submits(client, final, preceptor):
    client.force_login(preceptor)
    url = reverse("mentoring:evaluation_edit", args=[final.pk])
    assert client.get(url).status_code == 200
    domains = list(default_domains())
    data = {f"domain_{d.pk}": Rating.MEETING for d in domains[:2]}
    data |= {"overall_comments": "So far so good", "action": "save"}
    assert client.post(url, data).status_code == 302
    final.refresh_from_db()
    assert final.status == EvaluationStatus.DRAFT and final.ratings.count() == 2
    # Submitting with four domains unrated: the form says which, nothing changes.
    response = client.post(url, data | {"action": "submit"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {f"domain_{d.pk}" for d in domains[2:]}
    assert "There is a problem" in response.content.decode()
    final.refresh_from_db()
    assert final.status == EvaluationStatus.DRAFT
    data |= {f"domain_{d.pk}": Rating.EXCEEDING for d in domains[2:]}
    response = client.post(url, data | {"action": "submit"})
    assert response.status_code == 302
    final.refresh_from_db()
    assert final.status == EvaluationStatus.SUBMITTED and final.ratings.count() == 6
    # Submitted: the form is closed.
    assert client.get(url).status_code == 403


def test_mentors_read_the_evaluation_and_only_the_primary_writes(
    client, final, preceptor, pharmacist, outsider
):
    _started_draft(final, preceptor)
    client.force_login(pharmacist)
    assert client.get(reverse("mentoring:evaluation_edit", args=[final.pk])).status_code == 403
    page = client.get(reverse("mentoring:evaluation_detail", args=[final.pk]))
    assert page.status_code == 200
    # A draft's content is its writer's until submitted.
    assert "Draft thoughts" not in page.content.decode()
    client.force_login(outsider)
    assert client.get(reverse("mentoring:evaluation_detail", args=[final.pk])).status_code == 404
    assert client.get(reverse("mentoring:evaluation_edit", args=[final.pk])).status_code == 404


def test_facilitators_read_their_sites_evaluations(client, final, preceptor, facilitator, site_b):
    _submit(final, preceptor)
    client.force_login(facilitator)
    assert client.get(reverse("mentoring:evaluation_detail", args=[final.pk])).status_code == 200
    assert client.get(reverse("mentoring:evaluation_edit", args=[final.pk])).status_code == 403
    other = site_b.facilitators.get()
    client.force_login(other)
    assert client.get(reverse("mentoring:evaluation_detail", args=[final.pk])).status_code == 404
    # Nor through the list's site filter.
    url = reverse("mentoring:evaluation_list")
    assert client.get(url, {"site": final.placement.site_id}).status_code == 404
    assert client.get(url, {"show": "done"}).context["page"].paginator.count == 0


def test_the_list_shows_a_preceptors_students_by_state(client, final, preceptor, outsider, today):
    PlacementEvaluationFactory(
        placement=MentorAssignment.objects.get(mentor=outsider).placement,
        due_on=today - datetime.timedelta(days=3),
    )
    overdue = PlacementEvaluationFactory(
        placement=final.placement,
        kind=EvaluationKind.MIDTERM,
        due_on=today - datetime.timedelta(days=2),
    )
    client.force_login(preceptor)
    response = client.get(reverse("mentoring:evaluation_list"))
    assert response.context["tab"] == "overdue"
    assert response.context["counts"] == {"due": 1, "overdue": 1, "done": 0}
    assert [e.pk for e in response.context["page"]] == [overdue.pk]
    assert reverse("mentoring:evaluation_edit", args=[overdue.pk]) in response.content.decode()


def test_the_printable_page_has_the_sign_off(client, final, preceptor, student, facilitator):
    _submit(final, preceptor)
    services.evaluation_acknowledge(evaluation=final, by=student.user, comment="Thanks")
    client.force_login(facilitator)
    page = client.get(reverse("mentoring:evaluation_detail", args=[final.pk])).content.decode()
    assert "data-print" in page and "js/print.js" in page
    assert "Preceptor (evaluator)" in page and "Pat Preceptor" in page
    assert "3 — Meeting expectations" in page


def test_the_feedback_form(client, placement, student):
    client.force_login(student.user)
    url = reverse("mentoring:feedback_give", args=[placement.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"site_welcome": 4})
    assert response.status_code == 200
    assert "Choose an answer." in response.content.decode()
    assert not StudentPlacementFeedback.objects.exists()
    assert client.post(url, ANSWERS | {"comments": "Learned a lot"}).status_code == 302
    assert "You sent your feedback" in client.get(url).content.decode()
    assert client.post(url, ANSWERS).status_code == 302
    assert StudentPlacementFeedback.objects.count() == 1


def test_nobody_gives_feedback_for_the_student(client, placement, preceptor, facilitator):
    for person in (preceptor, facilitator):
        client.force_login(person)
        url = reverse("mentoring:feedback_give", args=[placement.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, ANSWERS).status_code == 403
    client.force_login(StudentFactory().user)
    assert client.get(reverse("mentoring:feedback_give", args=[placement.pk])).status_code == 404
    assert not StudentPlacementFeedback.objects.exists()


def test_the_todo_line_counts_the_overdue_evaluations_at_the_facilitators_sites(
    facilitator, site_a, site_b, today
):
    for site in (site_a, site_b):
        PlacementEvaluationFactory(
            placement=PlacementFactory(site=site, status=PlacementStatus.ACTIVE),
            due_on=today - datetime.timedelta(days=1),
        )
    PlacementEvaluationFactory(
        placement=PlacementFactory(site=site_a, status=PlacementStatus.ACTIVE),
        due_on=today + datetime.timedelta(days=1),
    )
    lines = {line.text: line for line in facilitator_todo(facilitator)["lines"]}
    line = lines["evaluation overdue"]
    assert line.count == 1
    assert line.url.endswith("?show=overdue")


# --- Queries that do not grow with the rows -------------------------------------------

# Measured, the same at 10 and 200 rows; each includes the login session's load and save
# (with its SAVEPOINT and RELEASE in tests). The list: the tabs' counts, the page's
# count, the page, which of its rows the person writes. The summary: the site, the sums,
# the comments.
LIST_QUERIES = 9
FEEDBACK_QUERIES = 8


def _placements_with_evaluations(site, count, mentor, today):
    student = StudentFactory()
    placements = Placement.objects.bulk_create(
        Placement(
            student=student,
            site=site,
            start_date=today - datetime.timedelta(days=400 - i),
            end_date=today - datetime.timedelta(days=399 - i),
            status=PlacementStatus.ACTIVE,
        )
        for i in range(count)
    )
    MentorAssignment.objects.bulk_create(
        MentorAssignment(
            placement=p, mentor=mentor, profession_id=mentor.profession_id, role=MentorRole.PRIMARY
        )
        for p in placements
    )
    PlacementEvaluation.objects.bulk_create(
        PlacementEvaluation(placement=p, kind=EvaluationKind.FINAL, due_on=p.end_date)
        for p in placements
    )


@pytest.mark.parametrize("rows", [10, 200])
@pytest.mark.parametrize("persona", ["preceptor", "facilitator"])
def test_the_evaluations_list_queries_are_constant(
    client, django_assert_max_num_queries, site_a, preceptor, facilitator, today, rows, persona
):
    _placements_with_evaluations(site_a, rows, preceptor, today)
    client.force_login(preceptor if persona == "preceptor" else facilitator)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(reverse("mentoring:evaluation_list"), {"show": "overdue"})
    assert response.context["counts"]["overdue"] == rows
    assert len(response.context["page"].object_list) == min(rows, 25)


@pytest.mark.parametrize("rows", [10, 200])
def test_the_site_feedback_queries_are_constant(
    client, django_assert_max_num_queries, site_a, facilitator, rows
):
    student = StudentFactory()
    placements = Placement.objects.bulk_create(
        Placement(
            student=student,
            site=site_a,
            start_date=timezone.localdate() - datetime.timedelta(days=2 * i + 2),
            end_date=timezone.localdate() - datetime.timedelta(days=2 * i + 1),
            status=PlacementStatus.COMPLETED,
        )
        for i in range(rows)
    )
    StudentPlacementFeedback.objects.bulk_create(
        StudentPlacementFeedback(placement=p, site=site_a, comments=f"Comment {p.pk}", **ANSWERS)
        for p in placements
    )
    client.force_login(facilitator)
    with django_assert_max_num_queries(FEEDBACK_QUERIES):
        response = client.get(reverse("mentoring:site_feedback", args=[site_a.pk]))
    assert response.context["summary"].responses == rows


def test_the_placement_page_links_its_evaluations_and_the_feedback_form(
    client, placement, final, preceptor, student
):
    client.force_login(preceptor)
    page = client.get(reverse("placements:detail", args=[placement.pk])).content.decode()
    assert reverse("mentoring:evaluation_edit", args=[final.pk]) in page
    client.force_login(student.user)
    page = client.get(reverse("placements:detail", args=[placement.pk])).content.decode()
    # The draft is not the student's to see yet; their feedback form is open.
    assert reverse("mentoring:evaluation_detail", args=[final.pk]) not in page
    assert reverse("mentoring:feedback_give", args=[placement.pk]) in page


def test_a_program_coordinator_reads_their_programs_evaluations_only(
    client, final, preceptor, student
):
    _submit(final, preceptor)
    coordinator = UserFactory(is_coordinator=True)
    student.program.coordinators.add(coordinator)
    other = UserFactory(is_coordinator=True)
    ProgramFactory().coordinators.add(other)
    client.force_login(coordinator)
    assert client.get(reverse("mentoring:evaluation_detail", args=[final.pk])).status_code == 200
    assert client.get(reverse("mentoring:evaluation_edit", args=[final.pk])).status_code == 403
    response = client.post(reverse("mentoring:evaluation_acknowledge", args=[final.pk]))
    assert response.status_code == 403
    done = client.get(reverse("mentoring:evaluation_list"), {"show": "done"})
    assert [e.pk for e in done.context["page"]] == [final.pk]
    client.force_login(other)
    assert client.get(reverse("mentoring:evaluation_detail", args=[final.pk])).status_code == 404
    final.refresh_from_db()
    assert final.status == EvaluationStatus.SUBMITTED
