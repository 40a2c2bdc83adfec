"""The facilitator's to-do list on the home page ("Needing attention", ipcop.dashboard):
each app's lines, counted over the facilitator's own sites only, each linking to the
page where the job is done."""

import datetime

import pytest
from django.core.cache import cache

from accounts.tests.factories import UserFactory
from interviews.tests.factories import FollowUpFactory
from ipcop.dashboard import TODO_SOURCES, facilitator_todo
from mentoring.models import MentorRole
from mentoring.tests.factories import MentorAssignmentFactory
from placements.models import ImportJob, ImportJobStatus, Placement, PlacementStatus
from placements.services import placement_confirm
from placements.tests.factories import CapacityFactory, PlacementFactory, StudentFactory
from sites.tests.factories import CommunityOfPracticeFactory

pytestmark = pytest.mark.django_db


def _days(n: int) -> datetime.date:
    return datetime.date.today() + datetime.timedelta(days=n)


def _job(owner, status=ImportJobStatus.READY) -> ImportJob:
    return ImportJob.objects.create(
        owner=owner, kind="placements", filename="spring.csv", content=b"", status=status
    )


def _populate(site, owner):
    """At `site`: two requested placements starting soon without a team, one confirmed
    placement with a complete IP team and one with only its primary preceptor, one
    traditional with its primary (complete), one requested starting in 20 days; a
    capacity of one place held by two placements; follow-ups two overdue, one due in 3
    days, one in 20; and one import of `owner` awaiting confirmation."""
    requested = [
        PlacementFactory(site=site, start_date=_days(3)),
        PlacementFactory(site=site, start_date=_days(10)),
    ]
    PlacementFactory(site=site, start_date=_days(20))
    complete = PlacementFactory(site=site, start_date=_days(5), confirmed=True)
    MentorAssignmentFactory(placement=complete, role=MentorRole.PRIMARY)
    MentorAssignmentFactory(placement=complete)
    primary_only = PlacementFactory(site=site, start_date=_days(6), confirmed=True)
    MentorAssignmentFactory(placement=primary_only, role=MentorRole.PRIMARY)
    traditional = PlacementFactory(site=site, start_date=_days(7), confirmed=True, traditional=True)
    MentorAssignmentFactory(placement=traditional, role=MentorRole.PRIMARY)
    # Two active placements of one profession over a capacity of one place.
    student = StudentFactory()
    for start in (-30, -20):
        PlacementFactory(
            site=site,
            student=student,
            start_date=_days(start),
            end_date=_days(start + 5),
            active=True,
        )
    CapacityFactory(
        site=site,
        profession=student.program.profession,
        period_start=_days(-40),
        period_end=_days(-10),
        places=1,
    )
    for due in (-10, -1, 0, 20):  # 0: due today is due this week, whatever the day
        FollowUpFactory(placement=PlacementFactory(site=site, completed=True), due_on=_days(due))
    _job(owner)
    _job(owner, status=ImportJobStatus.DONE)
    # A CoP that has never met.
    CommunityOfPracticeFactory(site=site)
    return {"requested": requested, "primary_only": primary_only}


def _lines(response) -> dict[str, object]:
    [todo] = [p for p in response.context["panels"] if p["template"] == "includes/todo_panel.html"]
    return {line.text: line for line in todo["context"]["lines"]}


def test_each_line_counts_the_facilitators_own_sites_only(
    client, facilitator, site_a, outsider, site_b
):
    mine = _populate(site_a, facilitator)
    _populate(site_b, outsider)
    client.force_login(facilitator)
    response = client.get("/")
    lines = _lines(response)
    assert {text: line.count for text, line in lines.items()} == {
        "community of practice needing attention": 1,
        "requested placements awaiting confirmation": 3,
        "capacity holding more placements than its places": 1,
        "import awaiting your confirmation": 1,
        "placements starting in the next 14 days without a complete mentoring team": 3,
        "follow-up interviews overdue": 2,
        "follow-up interview due this week": 1,
    }
    team = lines["placements starting in the next 14 days without a complete mentoring team"]
    # Soonest first, each linked to the page where its team is set.
    assert [url for _, url in team.items] == [
        f"/mentoring/placements/{p.pk}/team/"
        for p in (mine["requested"][0], mine["primary_only"], mine["requested"][1])
    ]
    page = response.content.decode()
    assert "Needing attention" in page
    assert "<strong>3</strong> requested placements awaiting confirmation" in page
    assert "?status=requested" in page and "?over=1" in page and "?due=week" in page


def test_the_lines_link_to_pages_that_show_the_job(client, facilitator, site_a):
    _populate(site_a, facilitator)
    client.force_login(facilitator)
    home = client.get("/")
    lines = _lines(home)
    for line in lines.values():
        for url in [line.url, *(url for _, url in line.items)]:
            if url.startswith("#"):  # a list further down the home page
                assert f'id="{url[1:]}"' in home.content.decode(), url
            else:
                assert client.get(url).status_code == 200, url
    requested = client.get(lines["requested placements awaiting confirmation"].url)
    assert requested.context["page"].count == 3
    job = ImportJob.objects.get(owner=facilitator, status=ImportJobStatus.READY)
    assert lines["import awaiting your confirmation"].url == f"/placements/import/{job.pk}/"
    overdue = client.get(lines["follow-up interviews overdue"].url)
    assert overdue.context["page"].count == 2
    week = client.get(lines["follow-up interview due this week"].url)
    assert week.context["page"].count == 1


def test_several_imports_link_to_the_imports_page(facilitator, site_a):
    _job(facilitator)
    _job(facilitator)
    [line] = [line for line in facilitator_todo(facilitator)["lines"] if "import" in line.text]
    assert (line.count, line.url) == (2, "/placements/import/")


def test_nothing_to_do_says_so(client, facilitator, site_a, outsider, site_b):
    _populate(site_b, outsider)
    client.force_login(facilitator)
    response = client.get("/")
    assert _lines(response) == {}
    assert "Nothing waits for you" in response.content.decode()


def test_other_roles_have_no_todo_list(client, site_a):
    preceptor = UserFactory(preceptor=True)
    client.force_login(preceptor)
    response = client.get("/")
    assert all(p["template"] != "includes/todo_panel.html" for p in response.context["panels"])


def test_an_admin_counts_every_site(facilitator, site_a, outsider, site_b, admin_user):
    _populate(site_a, facilitator)
    _populate(site_b, outsider)
    lines = {line.text: line.count for line in facilitator_todo(admin_user)["lines"]}
    assert lines["requested placements awaiting confirmation"] == 6
    # Imports are their owner's to confirm.
    assert "import awaiting your confirmation" not in lines


def test_confirming_a_placement_updates_the_cached_count(
    facilitator, site_a, django_capture_on_commit_callbacks
):
    requested = _populate(site_a, facilitator)["requested"]

    def count():
        return {line.text: line.count for line in facilitator_todo(facilitator)["lines"]}[
            "requested placements awaiting confirmation"
        ]

    assert count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        placement_confirm(placement=requested[0], changed_by=facilitator)
    assert count() == 2


def test_every_source_is_a_panels_function():
    # Each app's lines come from its page panels, never from its domain code.
    assert all(source.split(".")[1] == "panels" for source in TODO_SOURCES)


@pytest.mark.parametrize("rows", [10, 200])
def test_home_queries_do_not_grow_with_the_rows(
    client, facilitator, site_a, rows, django_assert_max_num_queries
):
    _populate(site_a, facilitator)
    student = StudentFactory()
    Placement.objects.bulk_create(
        Placement(
            student=student,
            site=site_a,
            start_date=_days(1 + i % 13),
            end_date=_days(40),
            status=PlacementStatus.REQUESTED,
        )
        for i in range(rows)
    )
    client.force_login(facilitator)
    cache.clear()
    # The to-do list: requests to answer, requested placements, over-held capacities,
    # agreements expiring, imports, teams and overdue evaluations, one query each, whatever
    # the rows; the follow-ups' counts are the follow-ups panel's.
    with django_assert_max_num_queries(TODO_HOME_QUERIES):
        response = client.get("/")
    assert _lines(response)["requested placements awaiting confirmation"].count == rows + 3
    # Cached: of the to-do list, only the person's imports are read again.
    with django_assert_max_num_queries(TODO_HOME_QUERIES - 5 - 2 - 5):
        client.get("/")


# Session and user (2), the to-do list (5), the sites panel (5), the follow-ups counts the
# to-do list and the follow-ups panel share (2), the session's save (up to 3).
TODO_HOME_QUERIES = 19
