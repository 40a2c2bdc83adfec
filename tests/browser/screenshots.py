"""`make screenshots`: PNGs of the main pages, at desktop and phone sizes, into
docs/screenshots/. Not part of the suite (the file name does not start with test_); run it
with `pytest tests/browser/screenshots.py`. It uses pytest-django's live server on a
temporary test database, loads the demo and logs in as each demo role."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import User
from interviews.models import FollowUp
from ipcop import permissions
from ipcop.demo.loader import DEMO_PASSWORD, FACILITATOR_EMAIL, PRECEPTOR_EMAIL, STUDENT_EMAIL
from sites.models import CommunityOfPractice
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUT = Path(os.environ.get("SCREENSHOTS_DIR", settings.BASE_DIR / "docs" / "screenshots"))


def _pages():
    """(file name, role email, URL, sizes): the pages a newcomer should see."""
    facilitator = User.objects.get(email=FACILITATOR_EMAIL)
    site = permissions.sites_facilitated_by(facilitator).order_by("pk").first()
    cop = CommunityOfPractice.objects.filter(site=site).order_by("pk").first()
    followup = (
        FollowUp.objects.filter(site=site, record__consent_given=True, record__quotes__isnull=False)
        .order_by("pk")
        .first()
    ) or FollowUp.objects.filter(site=site).order_by("pk").first()
    both, desktop, phone = ("desktop", "phone"), ("desktop",), ("phone",)
    return [
        ("facilitator-home", FACILITATOR_EMAIL, "/", both),
        ("cop-board", FACILITATOR_EMAIL, f"/sites/cops/{cop.pk}/", both),
        ("placements", FACILITATOR_EMAIL, "/placements/", both),
        ("placement-calendar", FACILITATOR_EMAIL, f"/placements/calendar/{site.pk}/", desktop),
        ("followups", FACILITATOR_EMAIL, "/interviews/followups/", desktop),
        ("site-matrix", FACILITATOR_EMAIL, f"/mentoring/sites/{site.pk}/matrix/", desktop),
        ("followup", FACILITATOR_EMAIL, f"/interviews/followups/{followup.pk}/", desktop),
        ("outcomes-report", FACILITATOR_EMAIL, "/interviews/report/", desktop),
        ("preceptor-home", PRECEPTOR_EMAIL, "/", phone),
        ("session-log", PRECEPTOR_EMAIL, "/mentoring/sessions/new/", both),
        ("student-home", STUDENT_EMAIL, "/", phone),
        ("learning-record", STUDENT_EMAIL, "/mentoring/my-record/", both),
    ]


def _context(browser, base_url, size, email):
    # An Alberta user's browser: date fields read YYYY-MM-DD like the rest of the pages.
    options = {"base_url": base_url, "locale": "en-CA", "timezone_id": settings.TIME_ZONE}
    if size == "phone":
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, **options)
    else:
        context = browser.new_context(viewport=DESKTOP, **options)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    return context, page


def test_save_screenshots(browser, live_server):
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    OUT.mkdir(parents=True, exist_ok=True)
    pages = {}
    saved = []
    try:
        for name, email, url, sizes in _pages():
            for size in sizes:
                if (email, size) not in pages:
                    pages[(email, size)] = _context(browser, live_server.url, size, email)
                page = pages[(email, size)][1]
                page.goto(url)
                # The first screen only: what a person sees on opening the page.
                path = OUT / f"{name}-{size}.png"
                page.screenshot(path=str(path), full_page=False)
                saved.append(path)
    finally:
        for context, _page in pages.values():
            context.close()
    total = sum(path.stat().st_size for path in saved)
    print(f"\n{len(saved)} screenshots, {total / 1e6:.1f} MB, in {OUT}")
    assert saved
