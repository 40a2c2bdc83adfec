"""The facilitator's follow-up panel gives the numbers the ORM counts over the follow-ups
at the person's sites (all sites for admins)."""

from datetime import timedelta

import pytest
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone

from interviews.models import OPEN_FOLLOWUP_STATUSES, FollowUp, FollowUpStatus
from interviews.panels import facilitator as followup_panel
from interviews.selectors.followups import followup_due_q
from interviews.tests.factories import FollowUpFactory
from ipcop.permissions import sites_facilitated_by
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def _expected(user) -> dict:
    today = timezone.localdate()
    return FollowUp.objects.filter(
        site__in=sites_facilitated_by(user), status__in=OPEN_FOLLOWUP_STATUSES
    ).aggregate(
        next30=Count("due_on", filter=followup_due_q("next30", today)),
        overdue=Count("due_on", filter=followup_due_q("overdue", today)),
        scheduled=Count("due_on", filter=Q(status=FollowUpStatus.SCHEDULED)),
    )


@pytest.mark.parametrize("who", ["facilitator", "admin_user", "outsider"])
def test_panel_counts_agree_with_the_orm(request, who, facilitator, site_a, outsider):
    today = timezone.localdate()
    elsewhere = SiteFactory(facilitators=[outsider])
    for n in range(24):
        site = site_a if n % 3 else elsewhere
        kind = n % 4
        FollowUpFactory(
            placement__site=site,
            due_on=today + timedelta(days=n * 5 - 40),
            **({"scheduled": True} if kind == 1 else {"completed": True} if kind == 3 else {}),
        )
    user = request.getfixturevalue(who)
    counts = followup_panel(user)
    assert counts == _expected(user)
    assert counts["next30"] and counts["overdue"] and counts["scheduled"]


def test_panel_template_links_the_tabs_and_marks_overdue(facilitator, site_a):
    html = render_to_string(
        "interviews/panels/facilitator.html",
        {"ctx": {"next30": 3, "overdue": 2, "scheduled": 0}, "panel_id": 4},
    )
    assert '<h2 class="h4" id="panel-4">Follow-up interviews</h2>' in html
    assert '<a href="/interviews/followups/?due=overdue" class="text-danger">' in html
    assert "<strong>3</strong> due in the next 30 days" in html
    assert 'href="/interviews/report/"' in html
