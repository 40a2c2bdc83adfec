"""A program coordinator asks a site for a placement in Chromium, the site's facilitator
accepts it, and the student finds the placement on their home page."""

import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import ProfessionFactory, UserFactory
from placements.tests.factories import AffiliationAgreementFactory, ProgramFactory, StudentFactory
from sites.tests.factories import SiteFactory, UnitFactory
from tests.browser.conftest import log_in, serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _submit(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def test_coordinator_requests_facilitator_accepts_student_sees_it(page):
    nursing = ProfessionFactory(code="nursing")
    casey = UserFactory(email="casey@ipcop.example", full_name="Casey Coordinator",
                        is_coordinator=True)  # fmt: skip
    program = ProgramFactory(name="BScN", institution="University of Alberta", profession=nursing)
    program.coordinators.add(casey)
    student = StudentFactory(program=program, user__full_name="Sam Student",
                             user__email="sam@ipcop.example")  # fmt: skip
    fran = UserFactory(email="fran@ipcop.example", full_name="Fran Facilitator", facilitator=True)
    site = SiteFactory(name="Royal Alexandra Hospital", facilitators=[fran])
    UnitFactory(site=site, name="Unit 4B")
    AffiliationAgreementFactory(site=site)  # the school and the site have an agreement
    start = timezone.localdate() + datetime.timedelta(days=30)

    # The coordinator: program and site, then the student, unit and period.
    log_in(page, "casey@ipcop.example")
    page.get_by_role("link", name="Requests", exact=True).click()
    page.get_by_role("link", name="New request").click()
    page.get_by_label("Program").select_option(label=str(program))
    page.get_by_label("Site").select_option(label="Royal Alexandra Hospital")
    _submit(page, "Choose students")
    page.get_by_label("Sam Student").check()
    page.get_by_label("Unit").select_option(label="Unit 4B")
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("End date").fill((start + datetime.timedelta(weeks=6)).isoformat())
    _submit(page, "Send request")
    assert "Awaiting the site's answer" in page.inner_text("main")
    assert serious_violations(page) == []

    # The facilitator: the to-do line leads to the inbox; accept.
    page.context.clear_cookies()
    log_in(page, "fran@ipcop.example")
    page.get_by_role("link", name="1 request awaiting your answer").click()
    page.get_by_role("link", name="Sam Student").click()
    _submit(page, "Accept: confirm the placement")
    main = page.inner_text("main")
    assert "Request accepted: the placement is confirmed." in page.inner_text("body")
    assert "Accepted" in main

    # The student sees it on their home page.
    page.context.clear_cookies()
    log_in(page, "sam@ipcop.example")
    page.goto("/")
    home = page.inner_text("main")
    assert "Royal Alexandra Hospital" in home
    assert "Unit 4B" in home
    assert student.placements.get().status == "confirmed"
