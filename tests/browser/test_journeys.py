"""One journey per role through the real UI in Chromium, asserting what appears on screen;
and the session log completed with the keyboard alone."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import ProfessionFactory, UserFactory
from ipcop.lib.formats import weekday_date
from mentoring.models import MentorAssignment, MentorRole, SessionStudent
from mentoring.tests.factories import MentoringSessionFactory
from placements.models import PlacementStatus
from placements.tests.factories import PlacementFactory, ProgramFactory, StudentFactory
from sites.models import Site
from sites.tests.factories import CommunityOfPracticeFactory, MembershipFactory, SiteFactory
from tests.browser.conftest import log_in, serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


# A mobile viewport widens to fit overflowing content, so compare with the layout width.
FITS_THE_PHONE = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def _today() -> datetime.date:
    return timezone.localdate()


def _iso(day: datetime.date) -> str:
    return day.isoformat()


def _main(page) -> str:
    return page.inner_text("main")


def _submit(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def _tab_to(page, label: str, limit: int = 80) -> None:
    """Press Tab until the focused control is the one labelled `label` (or a button or
    link with that text)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        name = page.evaluate(
            """() => {
              const el = document.activeElement;
              if (!el) return "";
              if (el.labels && el.labels.length) return el.labels[0].innerText.trim();
              return (el.getAttribute("aria-label") || el.innerText || "").trim();
            }"""
        )
        if name == label:
            return
    raise AssertionError(f"Tab never reached {label!r}")


# --- Facilitator ----------------------------------------------------------------------


@pytest.fixture
def facilitator_world():
    fran = UserFactory(
        email="fran@ipcop.example",
        full_name="Fran Facilitator",
        facilitator=True,
        profession=ProfessionFactory(code="nursing"),
    )
    site = SiteFactory(name="Royal Alexandra Hospital", facilitators=[fran])
    people = [
        UserFactory(full_name="Nora Nurse", profession=ProfessionFactory(code="nursing")),
        UserFactory(full_name="Paul Pharmacist", profession=ProfessionFactory(code="pharmacy")),
        UserFactory(
            full_name="Sofia Social",
            email="sofia.social@ipcop.example",
            profession=ProfessionFactory(code="social-work"),
        ),
    ]
    # Nora and Paul already belong to another CoP of the site: the add-member search finds
    # them. Sofia works elsewhere: she is added by her exact email.
    falls = CommunityOfPracticeFactory(site=site, name="Falls CoP")
    for person in people[:2]:
        MembershipFactory(community=falls, person=person)
    return {"facilitator": fran, "site": site, "people": people}


def test_facilitator_runs_a_community_from_creation_to_the_outcomes_report(page, facilitator_world):
    today = _today()
    site = facilitator_world["site"]
    log_in(page, "fran@ipcop.example")

    # A new community of practice at their site.
    page.get_by_role("link", name="Sites", exact=True).click()
    page.get_by_role("link", name="Royal Alexandra Hospital").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Royal Alexandra Hospital")
    page.get_by_role("link", name="New community").click()
    page.get_by_label("Name").fill("Discharge CoP")
    page.get_by_label("Focus").fill("Safer discharges from 4 West.")
    page.get_by_label("Started on").fill(_iso(today))
    _submit(page, "Save")
    expect(page.get_by_role("heading", level=1)).to_have_text("Discharge CoP")

    # Three members of three professions: two people of the site found by the search,
    # one from elsewhere by her exact email.
    nora, paul, sofia = facilitator_world["people"]
    for person in (nora, paul):
        page.get_by_role("link", name="Add member").click()
        search = page.get_by_role("combobox", name="Find a person linked to Royal Alexandra")
        search.fill(person.full_name.split()[0].lower())
        found = page.get_by_role("listbox", name="People found")
        found.get_by_role("option", name=re.compile(f"^{person.full_name}")).click()
        expect(page.get_by_label("Person linked to the site")).to_have_value(str(person.pk))
        page.get_by_label("Joined on").fill(_iso(today))
        _submit(page, "Add member")
        expect(page.get_by_role("alert")).to_have_text(f"{person.full_name} joined Discharge CoP.")
    page.get_by_role("link", name="Add member").click()
    page.get_by_role("combobox", name="Find a person linked to Royal Alexandra").fill("sofia")
    expect(page.get_by_role("status")).to_contain_text("Nobody linked to the site matches")
    page.get_by_label("Or anyone else, by exact email").fill("Sofia.Social@IPCOP.example")
    page.get_by_label("Joined on").fill(_iso(today))
    _submit(page, "Add member")
    expect(page.get_by_role("alert")).to_have_text("Sofia Social joined Discharge CoP.")
    members = page.get_by_role("region", name="Current members")
    for name, profession in [
        ("Nora Nurse", "Nursing"),
        ("Paul Pharmacist", "Pharmacy"),
        ("Sofia Social", "Social work"),
    ]:
        expect(members.get_by_role("row").filter(has_text=name)).to_contain_text(profession)
    expect(page.locator("main")).to_contain_text("(3 professions)")

    # A meeting with all three.
    page.get_by_role("link", name="Record a meeting").click()
    page.get_by_label("Held on").fill(_iso(today))
    page.get_by_label("Duration (minutes)").fill("45")
    for name in ("Nora Nurse", "Paul Pharmacist", "Sofia Social"):
        page.get_by_role("checkbox", name=f"{name} (", exact=False).check()
    page.get_by_label("Topics").fill("Who calls the family before discharge")
    _submit(page, "Save")
    meetings = page.locator("section", has=page.get_by_role("heading", name="Meetings"))
    expect(meetings).to_contain_text(f"{weekday_date(today)} · 45 min · 3 attendees")
    expect(meetings).to_contain_text("Who calls the family before discharge")

    # An initiative, moved along the workflow to implemented.
    page.get_by_role("link", name="New initiative").click()
    page.get_by_label("Title").fill("One discharge huddle")
    page.get_by_label("Theme").select_option(label="Discharge")
    _submit(page, "Save")
    for status in ("Planned", "In progress", "Implemented"):
        page.get_by_role("button", name=f"Move One discharge huddle to {status}").click()
        expect(page.get_by_role("alert")).to_contain_text(f"moved to {status}")
    implemented = page.locator(".initiative-board > div").filter(
        has=page.get_by_role("heading", name=re.compile(r"^Implemented"))
    )
    expect(implemented.get_by_role("heading", name="One discharge huddle")).to_be_visible()

    # Joining created Nora's six-month follow-up: schedule it, record consent, the
    # interview with themes and a quote.
    page.get_by_role("link", name="Follow-ups").first.click()
    page.get_by_role("link", name="Nora Nurse").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow-up of Nora Nurse")
    page.get_by_role("link", name="Schedule").click()
    page.get_by_label("Interviewer").select_option(str(facilitator_world["facilitator"].pk))
    tomorrow = today + datetime.timedelta(days=1)
    page.get_by_label("Date and time").fill(f"{_iso(tomorrow)}T10:30")
    page.get_by_label("Video").check()
    page.get_by_label("Place or link").fill("https://meet.example/nora")
    _submit(page, "Save and send invitations")
    expect(page.locator("main dl")).to_contain_text("Scheduled")
    expect(page.locator("main dl")).to_contain_text("10:30 · Video")

    page.get_by_role("link", name="Record consent").click()
    page.get_by_label("Yes, consent given").check()
    _submit(page, "Record consent")
    expect(page.get_by_role("alert")).to_contain_text("Consent recorded")
    expect(page.get_by_role("heading", level=1)).to_have_text("Interview with Nora Nurse")
    page.get_by_label("Interview date").fill(_iso(today))
    page.get_by_label("Notes").fill("The huddle made discharge calls one person's job.")
    page.get_by_label("Communication within teams").check()
    _submit(page, "Save the interview record")
    record = page.locator(
        "section", has=page.get_by_role("heading", name=re.compile("Interview record"))
    )
    # The recorded day replaces the scheduled one at the top of the page.
    expect(page.locator("dl")).to_contain_text(f"Interviewed on {weekday_date(today)}")
    expect(page.locator("dt").filter(has_text=re.compile("^Interview$"))).to_have_count(0)
    expect(record).to_contain_text("Communication within teams")

    page.get_by_role("link", name="Add a quote").click()
    page.get_by_role("textbox", name=re.compile("^Quote")).fill(
        "Now the family hears one story, not four."
    )
    page.get_by_label("Speaker's role").fill("Nurse, CoP member")
    page.get_by_label("Theme").select_option(label="Communication within teams")
    page.get_by_label("The speaker agreed that this quote may be published").check()
    _submit(page, "Add quote")
    expect(record).to_contain_text("Now the family hears one story, not four.")

    # The outcomes report shows the interview's theme and the quote.
    page.get_by_role("link", name="Back to follow-ups").click()
    page.get_by_role("link", name="Outcomes report").click()
    page.get_by_label("Site").select_option(label=site.name)
    _submit(page, "Show")
    themes = page.get_by_role("table", name="Themes of change found in interviews")
    expect(themes.get_by_role("row").filter(has_text="Communication within teams")).to_contain_text(
        "1"
    )
    words = page.locator("section", has=page.get_by_role("heading", name="In their words"))
    expect(words).to_contain_text("Now the family hears one story, not four.")
    expect(words).to_contain_text("Nurse, CoP member")
    initiatives = page.get_by_role("table", name="Initiatives by theme and status")
    expect(initiatives).to_be_visible()
    assert serious_violations(page) == []


# --- Preceptor on a phone -------------------------------------------------------------


@pytest.fixture
def mentoring_world():
    today = _today()
    nursing = ProfessionFactory(code="nursing")
    pharmacy = ProfessionFactory(code="pharmacy")
    site = SiteFactory(name="Foothills Medical Centre")
    preceptor = UserFactory(
        email="pat@ipcop.example",
        full_name="Pat Preceptor",
        preceptor=True,
        profession=ProfessionFactory(code="occupational-therapy"),
    )
    placements = []
    for name, profession in [("Nadia Nursing", nursing), ("Pierre Pharmacy", pharmacy)]:
        student = StudentFactory(
            program=ProgramFactory(profession=profession),
            user__full_name=name,
            user__email=f"{name.split()[0].lower()}@ipcop.example",
        )
        placement = PlacementFactory(
            student=student,
            site=site,
            start_date=today - datetime.timedelta(days=10),
            end_date=today + datetime.timedelta(days=30),
            status=PlacementStatus.ACTIVE,
        )
        MentorAssignment.objects.create(
            placement=placement,
            mentor=preceptor,
            profession=preceptor.profession,
            role=MentorRole.PRIMARY,
        )
        placements.append(placement)
    return {"site": site, "preceptor": preceptor, "placements": placements}


def test_preceptor_on_a_phone_logs_a_session_with_two_students_and_sees_it_on_their_records(
    phone_page, mentoring_world
):
    page = phone_page
    log_in(page, "pat@ipcop.example")
    panel = page.locator("section", has=page.get_by_role("heading", name="Students you mentor"))
    expect(panel).to_contain_text("Nadia Nursing")
    expect(panel).to_contain_text("Pierre Pharmacy")

    # The collapsed menu on the phone leads to the session log.
    page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_role("link", name="Log a session", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a session")
    # Both current students are preselected; the preceptor picks the activity and a domain.
    expect(page.get_by_role("checkbox", name=re.compile("^Nadia Nursing"))).to_be_checked()
    expect(page.get_by_role("checkbox", name=re.compile("^Pierre Pharmacy"))).to_be_checked()
    page.get_by_label("Duration").select_option("30")
    activity = page.get_by_role("group", name="Activity").get_by_role("radio").first
    activity_label = activity.evaluate("el => el.labels[0].innerText.trim()")
    activity.check()
    page.get_by_role("group", name="Competency domains practised").get_by_role(
        "checkbox"
    ).first.check()
    page.get_by_label("Notes").fill("Joint medication review at the bedside.")
    assert page.evaluate(FITS_THE_PHONE)
    _submit(page, "Save session")
    expect(page.get_by_role("alert")).to_have_text("Session logged.")
    detail = _main(page)
    assert "Nadia Nursing" in detail and "Pierre Pharmacy" in detail

    # Each student's IP learning record shows the session.
    for name in ("Nadia Nursing", "Pierre Pharmacy"):
        page.goto("/")
        page.get_by_role("link", name=name, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(name)
        sessions = page.locator("section", has=page.get_by_role("heading", name="Sessions"))
        row = sessions.get_by_role("row").filter(has_text=weekday_date(_today()))
        expect(row).to_contain_text(activity_label)
        expect(row).to_contain_text("30")
        expect(row).to_contain_text("Occupational therapy")
        assert page.evaluate(FITS_THE_PHONE)


def test_session_log_by_keyboard_alone(page, mentoring_world):
    log_in(page, "pat@ipcop.example")
    page.goto("/mentoring/sessions/new/")
    # From the top of the page: the skip link, Enter, and the form is next.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.innerText") == "Skip to main content"
    page.keyboard.press("Enter")
    # Students are preselected; uncheck and recheck one with Space to prove it works.
    _tab_to(
        page,
        page.get_by_role("checkbox", name=re.compile("^Pierre Pharmacy")).evaluate(
            "el => el.labels[0].innerText.trim()"
        ),
    )
    page.keyboard.press("Space")
    assert not page.get_by_role("checkbox", name=re.compile("^Pierre Pharmacy")).is_checked()
    page.keyboard.press("Space")
    assert page.get_by_role("checkbox", name=re.compile("^Pierre Pharmacy")).is_checked()
    # The first activity, by Tab then Space.
    first_activity = page.get_by_role("group", name="Activity").get_by_role("radio").first
    _tab_to(page, first_activity.evaluate("el => el.labels[0].innerText.trim()"))
    page.keyboard.press("Space")
    assert first_activity.is_checked()
    _tab_to(page, "Save session")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Session logged.")
    assert (
        SessionStudent.objects.filter(session__logged_by=mentoring_world["preceptor"]).count() == 2
    )


# --- Student --------------------------------------------------------------------------


def test_student_sees_placement_and_mentors_and_adds_a_reflection(page, mentoring_world):
    nadia_placement = mentoring_world["placements"][0]
    pharmacist = UserFactory(
        full_name="Phil Pharmacist", preceptor=True, profession=ProfessionFactory(code="pharmacy")
    )
    MentorAssignment.objects.create(
        placement=nadia_placement,
        mentor=pharmacist,
        profession=pharmacist.profession,
        role=MentorRole.IP_MENTOR,
    )
    session = MentoringSessionFactory(
        site=nadia_placement.site,
        logged_by=mentoring_world["preceptor"],
        held_on=_today() - datetime.timedelta(days=2),
    )
    SessionStudent.objects.create(
        session=session, student=nadia_placement.student, placement=nadia_placement
    )

    log_in(page, "nadia@ipcop.example")
    placements = page.locator("section", has=page.get_by_role("heading", name="Your placements"))
    expect(placements).to_contain_text("Foothills Medical Centre")
    expect(placements).to_contain_text("Pat Preceptor (Occupational therapy, Primary preceptor)")
    expect(placements).to_contain_text("Phil Pharmacist (Pharmacy, IP mentor)")

    page.get_by_role("link", name="Foothills Medical Centre").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Foothills Medical Centre")
    expect(page.locator("main")).to_contain_text("Phil Pharmacist")

    page.get_by_role("link", name="Sessions", exact=True).click()
    page.get_by_role("link", name=weekday_date(session.held_on)).click()
    page.get_by_label("Your reflection").fill("The pharmacist showed me why dose timing matters.")
    _submit(page, "Save reflection")
    expect(page.get_by_role("alert")).to_have_text("Reflection saved.")
    # Shown once: in the student's own form, not again above it.
    expect(page.get_by_label("Your reflection")).to_have_value(
        "The pharmacist showed me why dose timing matters."
    )
    expect(page.locator("blockquote.reflection")).to_have_count(0)


# --- Admin ----------------------------------------------------------------------------


def test_admin_edits_a_site_in_django_admin(page):
    UserFactory(email="ada@ipcop.example", full_name="Ada Admin", superuser=True)
    site = SiteFactory(name="Misericordia Hospital", phone="780-555-0100")
    log_in(page, "ada@ipcop.example")
    page.get_by_role("link", name="Admin", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Site administration")
    page.locator("tr.model-site").get_by_role("link", name="Sites").click()
    page.get_by_role("link", name="Misericordia Hospital").click()
    page.get_by_label("Phone").fill("780-555-0199")
    page.get_by_label("City").fill("Edmonton")
    _submit(page, "Save")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(page.locator("#result_list")).to_contain_text("Misericordia Hospital")
    site.refresh_from_db()
    assert (site.phone, site.city) == ("780-555-0199", "Edmonton")
    assert Site.objects.count() == 1
