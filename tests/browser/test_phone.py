"""Phone first: on a 390-pixel screen no page of any role scrolls sideways, and nothing on
it (a table above all) sticks out past the screen's right edge, even inside a container
that would let it scroll on its own.

The pages are those of the accessibility scan (test_accessibility.py), walked the same
way for each role, so a page added there is measured here too."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from ipcop.demo.loader import (
    ADMIN_EMAIL,
    COORDINATOR_EMAILS,
    FACILITATOR_EMAIL,
    PRECEPTOR_EMAIL,
    STUDENT_EMAIL,
)
from mentoring.models import MentoringSession
from placements.models import Placement
from sites.models import Site
from tests.browser.conftest import PHONE
from tests.browser.test_accessibility import (
    Scanner,
    _admin_pages,
    _anonymous_pages,
    _coordinator_pages,
    _coordinator_request_pages,
    _facilitator_pages,
    _preceptor_pages,
    _student_pages,
    _world,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# Every visible element's box must lie within the viewport's width. A box may pass the
# edge only inside a region deliberately made to scroll: focusable, labelled and marked
# data-scroll-region (none today: wide tables stack into cards instead).
OVERFLOWING_JS = """() => {
  const width = document.documentElement.clientWidth;
  const all = [...document.body.querySelectorAll("*")];
  // Boxes that cut off what sticks out of them (a visually hidden table header, a
  // truncated label): what is inside one is seen only within it, so the box is measured
  // instead. Boxes that scroll (overflow auto) are not among them.
  const clippers = all.filter((el) => {
    const style = getComputedStyle(el);
    return ["hidden", "clip"].includes(style.overflowX) || style.clip.startsWith("rect(0");
  });
  const found = [];
  for (const el of all) {
    if (el.closest("[data-scroll-region][tabindex][aria-label], [data-scroll-region][tabindex][aria-labelledby]")) continue;
    if (clippers.some((clipper) => clipper !== el && clipper.contains(el))) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (getComputedStyle(el).visibility === "hidden") continue;
    if (box.right > width + 0.5 || box.left < -0.5) {
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        (typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\\s+/).join(".") : "");
      found.push(`${name} [${Math.round(box.left)}..${Math.round(box.right)}] ` +
        JSON.stringify((el.textContent || "").trim().slice(0, 40)));
    }
  }
  return found;
}"""

SCROLL_JS = "[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"


class PhoneScanner(Scanner):
    """The accessibility scan's walk, measuring widths instead of running axe."""

    def __init__(self, browser, base_url, *, who):
        super().__init__(
            browser, base_url, "window.axe = undefined;", viewport=PHONE, who=who, phone=True
        )

    def check(self, label, *, status=200, response=None):
        page = self.page
        where = f"{self.who} {label} ({page.url})"
        # Django's own admin lays out its lists and inline forms for a desktop, letting
        # them scroll inside their box on a phone: only the page itself must not scroll.
        in_admin = urlparse(page.url).path.startswith("/admin/")
        self.scanned += 1
        if response is not None and response.status != status:
            self.problems.append(f"{where}: HTTP {response.status}, expected {status}")
        scroll_width, client_width = page.evaluate(SCROLL_JS)
        if scroll_width > client_width:
            self.problems.append(
                f"{where}: the page scrolls sideways ({scroll_width}px in {client_width}px)"
            )
        overflowing = [] if in_admin else page.evaluate(OVERFLOWING_JS)
        if overflowing:
            shown = "; ".join(overflowing[:6])
            self.problems.append(
                f"{where}: {len(overflowing)} element(s) past the screen's edge: {shown}"
            )

    def check_links(self):
        """Links are the accessibility scan's business."""


def test_no_page_of_any_role_is_wider_than_a_phone(browser, live_server):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    world = _world()
    # Words longer than a phone is wide, where people type free text or long addresses.
    long_word = "Interprofessionalcollaboration" * 4
    MentoringSession.objects.filter(
        pk__in=[world["session"].pk, world["student_session"].pk]
    ).update(notes=f"See {long_word} notes")
    Placement.objects.filter(pk=world["placement"].pk).update(notes=long_word)
    Site.objects.filter(pk=world["site"].pk).update(
        address=f"Building {long_word}", phone="780 555 0199 ext. 12"
    )
    scanners: list[PhoneScanner] = []

    def scanner(who, email=None):
        s = PhoneScanner(browser, live_server.url, who=who)
        scanners.append(s)
        if email:
            s.log_in(email)
        return s

    _anonymous_pages(scanner("anonymous"))
    _facilitator_pages(scanner("facilitator", FACILITATOR_EMAIL), world)
    _preceptor_pages(scanner("preceptor", PRECEPTOR_EMAIL), world)
    _student_pages(scanner("student", STUDENT_EMAIL), world)
    _coordinator_request_pages(scanner("coordinator", COORDINATOR_EMAILS[0]), world)
    _admin_pages(scanner("admin", ADMIN_EMAIL), world)
    _coordinator_pages(scanner("coordinator", COORDINATOR_EMAILS[0]))

    # Phone numbers are tap-to-call links, on the site's page and on the student's cards.
    facilitator = scanners[1]
    facilitator.page.goto(f"/sites/{world['site'].pk}/")
    assert facilitator.page.locator('a[href="tel:+17805550199;ext=12"]').inner_text() == (
        "780 555 0199 ext. 12"
    )
    student = scanners[3]
    student.page.goto("/")
    assert student.page.locator('a[href^="tel:+"]').count() >= 1

    problems = [problem for s in scanners for problem in s.problems]
    scanned = sum(s.scanned for s in scanners)
    for s in scanners:
        s.close()
    assert problems == [], "\n".join(problems)
    assert scanned > 90
