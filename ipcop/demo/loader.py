"""`manage.py load_demo` builds the demo world of `data/` (read by `world.py`): seven
fictional clinical sites across Alberta's health zones, their communities of practice, the
clinicians, facilitators and students, placements, mentoring, meetings, initiatives and
six-month follow-ups. The data files say who and what; this module says how they become
rows, and makes what the files leave out (mentoring sessions, meetings' attendees,
follow-ups and their reminders) from the placements and memberships.

Every person is fictional. Dates are relative to the day the loader runs, so "active"
placements always cover today and follow-ups are always overdue, due or done.

Running the loader again leaves the same rows: every row is found by a natural key
(an email, a site name, a CoP and a title, a membership or placement, ...) or, for rows
without one (meetings, sessions, capacity, quotes), by its position among the rows of its
owner in creation order, then updated in place. Nothing is random across runs: the one
source of variety is `random.Random(2026)`, consumed in the same order every time.

The loader writes models directly rather than through the apps' services: services
enforce the workflow a person follows (a placement moves requested → confirmed → active),
whereas the demo puts each row straight into the state it should show. So that counters
kept by services are right all the same, it ends with each app's `counters_recount()`.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, TypeVar

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth.hashers import get_hasher, make_password
from django.db import models
from django.utils import timezone

from accounts.models import Profession, User
from interviews.models import (
    FollowUp,
    FollowUpStatus,
    InterviewMode,
    InterviewRecord,
    Quote,
    Reminder,
    ReminderKind,
    Theme,
)
from ipcop.demo.world import (
    DEMO_DOMAIN,
    DemoDataError,
    PlacementSpec,
    QuoteSpec,
    World,
    read_world,
)
from mentoring.models import (
    FEEDBACK_FIELDS,
    Activity,
    CompetencyDomain,
    EvaluationKind,
    EvaluationRating,
    EvaluationStatus,
    MentorAssignment,
    MentoringSession,
    MentorRole,
    PlacementEvaluation,
    SessionProfessional,
    SessionStudent,
    StudentPlacementFeedback,
)
from mentoring.selectors import default_framework
from mentoring.services import evaluation_due_on
from placements.models import (
    AffiliationAgreement,
    AgreementStatus,
    Capacity,
    Institution,
    Placement,
    PlacementModel,
    PlacementOffer,
    PlacementRequest,
    PlacementRequestChange,
    PlacementRequestStatus,
    PlacementStatus,
    PlacementStatusChange,
    Program,
    Student,
)
from sites.models import (
    CommunityOfPractice,
    CoPStatus,
    Initiative,
    Meeting,
    Membership,
    MembershipRole,
    Site,
    Unit,
)

DEMO_PASSWORD = "ipcop-demo"  # noqa: S105 - public: printed for people trying the demo
DEMO_PASSWORD_SALT = "ipcopDemoPasswordSalt2026"  # noqa: S105 - see _demo_password_hash
SEED = 2026

ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
FACILITATOR_EMAIL = f"facilitator@{DEMO_DOMAIN}"
PRECEPTOR_EMAIL = f"preceptor@{DEMO_DOMAIN}"
STUDENT_EMAIL = f"student@{DEMO_DOMAIN}"
# One program coordinator per institution of the demo that has one (people.toml).
COORDINATOR_EMAILS = (f"coordinator@{DEMO_DOMAIN}", f"coordinator.calgary@{DEMO_DOMAIN}")

IP = PlacementModel.IP_MENTORING
TRAD = PlacementModel.TRADITIONAL
M = MembershipRole
P = PlacementStatus

# The apps whose services may keep counters (`counters_recount()`).
COUNTED_APPS = ("sites", "placements", "mentoring", "interviews")


# --- Loader --------------------------------------------------------------------------
#
# Rows are written in bulk (a few queries per model, not per row) so that the loader stays
# fast enough to run at every start-up: each step fetches the rows it may already have
# made, creates the missing ones with one bulk_create and updates the rest with one
# bulk_update.


@dataclass
class DemoResult:
    logins: list[tuple[str, str, str]]  # (role, email, password)
    counts: dict[str, int] = field(default_factory=dict)


def _key_value(value):
    return value.pk if isinstance(value, models.Model) else value


_M = TypeVar("_M", bound=models.Model)
_O = TypeVar("_O", bound=models.Model)


def _upsert(
    model: type[_M],
    rows: list[dict[str, Any]],
    key: tuple[str, ...],
    existing: models.QuerySet[_M],
    *,
    positional: bool = False,
    update: tuple[str, ...] | None = None,
    prune: bool = False,
) -> list[_M]:
    """Create or update one `model` row per dict in `rows`; return them in `rows` order.

    A row matches the existing row with the same values in `key`. With `positional`, `key`
    names the owner (rows without a natural key, e.g. a CoP's meetings) and a row matches
    the owner's existing row at the same position in primary-key order. Existing rows get
    the row's values for the fields in `update` (default: all but the key), and only rows
    that differ are written, so a second run the same day writes almost nothing. With
    `prune`, existing rows that no row matches are deleted first, before any write, so a
    changed row never collides with the stale one under a unique constraint."""
    fields = {f.name: f for f in model._meta.concrete_fields}
    attnames = [fields[name].attname for name in key]
    position: dict[tuple, int] = defaultdict(int)

    def numbered(owner: tuple) -> tuple:
        if not positional:
            return owner
        position[owner] += 1
        return (*owner, position[owner])

    found: dict[tuple, _M] = {}
    for old in existing.order_by("pk"):
        # The oldest row wins a key (the demo made it), should someone add a look-alike.
        found.setdefault(numbered(tuple(getattr(old, a) for a in attnames)), old)
    position.clear()
    objects: list[_M] = []
    to_create: list[_M] = []
    to_update: list[_M] = []
    changed: set[str] = set()
    for values in rows:
        obj = found.pop(numbered(tuple(_key_value(values[name]) for name in key)), None)
        if obj is None:
            obj = model(**values)
            to_create.append(obj)
        else:
            differs = False
            for name, value in values.items():
                if update is not None and name not in update:
                    continue
                if getattr(obj, fields[name].attname) != _key_value(value):
                    changed.add(name)
                    differs = True
                setattr(obj, name, value)  # also caches related objects for later steps
            if differs:
                to_update.append(obj)
        objects.append(obj)
    if prune and found:
        model._default_manager.filter(pk__in=[obj.pk for obj in found.values()]).delete()
    if to_update:
        model._default_manager.bulk_update(to_update, sorted(changed))
    model._default_manager.bulk_create(to_create)
    return objects


def _set_m2m(descriptor, wanted: Mapping[_O, Iterable[models.Model]]) -> None:
    """Make each owner's many-to-many set exactly `wanted[owner]`, in a few queries."""
    through = descriptor.through
    source = descriptor.field.m2m_column_name()
    target = descriptor.field.m2m_reverse_name()
    desired = {(owner.pk, item.pk) for owner, items in wanted.items() for item in items}
    current = {
        (row[1], row[2]): row[0]
        for row in through.objects.filter(**{f"{source}__in": [o.pk for o in wanted]}).values_list(
            "pk", source, target
        )
    }
    stale = [pk for pair, pk in current.items() if pair not in desired]
    if stale:
        through.objects.filter(pk__in=stale).delete()
    through.objects.bulk_create(
        [through(**{source: s, target: t}) for s, t in sorted(desired - current.keys())]
    )


def _demo_password_hash() -> str:
    """The one hash every demo account shares. Hashing is slow (a second or more), so it is
    made once per run, with a fixed salt so that a second run finds every password unchanged
    and writes nothing; and when the admin account already holds that hash under the
    current hasher, it is reused without hashing at all. Only this loader makes hashes with
    this salt (set_password draws a random one), and the password is public anyway."""
    hasher = get_hasher()
    stored = User.objects.filter(email=ADMIN_EMAIL).values_list("password", flat=True).first()
    if stored and stored.startswith(f"{hasher.algorithm}$"):
        try:
            decoded = hasher.decode(stored)
        except ValueError:
            decoded = {}
        if decoded.get("salt") == DEMO_PASSWORD_SALT and not hasher.must_update(stored):
            return stored
    return make_password(DEMO_PASSWORD, salt=DEMO_PASSWORD_SALT, hasher=hasher)


class _Loader:
    def __init__(self, today: dt.date, world: World):
        self.today = today
        self.world = world
        self.emails = world.emails
        self.rng = random.Random(SEED)
        self.password = _demo_password_hash()
        self.professions = Profession.objects.in_bulk(field_name="code")
        self.domains = list(
            CompetencyDomain.objects.filter(framework__code="cihc-2010").order_by("order")
        )
        self.themes = {theme.name: theme for theme in Theme.objects.all()}
        self.site_specs = {spec.key: spec for spec in world.sites}
        self.quotes: dict[str, list[QuoteSpec]] = defaultdict(list)  # by who said them
        for quote in world.quotes:
            self.quotes[quote.said_by].append(quote)
        self.users: dict[str, User] = {}
        self.programs: dict[str, Program] = {}
        self.sites: dict[str, Site] = {}
        self.units: dict[tuple[int, str], Unit] = {}
        self.cops: dict[str, CommunityOfPractice] = {}
        self.memberships: dict[str, list[Membership]] = {}
        self.placements: list[tuple[Placement, PlacementSpec]] = []
        self.mentors: dict[int, list[User]] = {}

    # Dates -----------------------------------------------------------------------------
    def day(self, offset: int) -> dt.date:
        return self.today + dt.timedelta(days=offset)

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))

    def due_on(self, start: dt.date) -> dt.date:
        return start + relativedelta(months=settings.FOLLOWUP_DELAY_MONTHS)

    def person(self, name: str) -> User:
        return self.users[self.emails[name]]

    def facilitators_of(self, site_key: str) -> list[User]:
        return [self.person(name) for name in self.site_specs[site_key].facilitators]

    # People ----------------------------------------------------------------------------
    def load_people(self) -> None:
        world = self.world
        names = sorted({spec.institution for spec in world.programs})
        institutions = dict(
            zip(
                names,
                _upsert(
                    Institution, [{"name": n} for n in names], ("name",), Institution.objects.all()
                ),
                strict=True,
            )
        )
        programs = [
            {
                "institution": institutions[spec.institution],
                "name": spec.name,
                "profession": self.professions[spec.profession],
                "midterm_evaluation": spec.midterm_evaluation,
            }
            for spec in world.programs
        ]
        saved = _upsert(Program, programs, ("institution", "name"), Program.objects.all())
        self.programs = {
            spec.key: program for spec, program in zip(world.programs, saved, strict=True)
        }

        def account(email, full_name, profession, **flags) -> dict:
            return {
                "email": email,
                "full_name": full_name,
                "profession": profession,
                "phone": "",
                "password": self.password,
                "is_active": True,
                "is_facilitator": False,
                "is_preceptor": False,
                "is_coordinator": False,
                "is_student": False,
                "is_staff": False,
                "is_superuser": False,
                **flags,
            }

        admin = world.admin
        rows = [account(admin.address, admin.name, None, is_staff=True, is_superuser=True)]
        for spec in world.facilitators:
            profession = self.professions[spec.profession]
            rows.append(
                account(spec.address, spec.name, profession, is_facilitator=True, phone=spec.phone)
            )
        for coordinator in world.coordinators:
            rows.append(
                account(
                    coordinator.address,
                    coordinator.name,
                    self.professions[coordinator.profession],
                    is_coordinator=True,
                    phone=coordinator.phone,
                )
            )
        for site in world.sites:
            for member in site.members:
                rows.append(
                    account(
                        member.address,
                        member.name,
                        self.professions[member.profession],
                        is_preceptor=member.preceptor,
                    )
                )
        for student in world.students:
            profession = self.programs[student.program].profession
            rows.append(account(student.address, student.name, profession, is_student=True))
        emails = [row["email"] for row in rows]
        users = _upsert(User, rows, ("email",), User.objects.filter(email__in=emails))
        self.users = {user.email: user for user in users}
        # The demo's programs have the coordinators people.toml gives them, and no other.
        Coordination = Program.coordinators.through
        _upsert(
            Coordination,
            [
                {"program": self.programs[key], "user": self.users[spec.address]}
                for spec in world.coordinators
                for key in spec.programs
            ],
            ("program", "user"),
            Coordination.objects.filter(program__in=list(self.programs.values())),
            prune=True,
        )

    # Sites, CoPs, memberships ----------------------------------------------------------
    def load_sites(self) -> None:
        rows = [
            {
                "name": spec.name,
                "kind": spec.kind,
                "zone": spec.zone,
                "city": spec.city,
                "address": spec.address,
                "phone": spec.phone,
                "is_active": True,
            }
            for spec in self.world.sites
        ]
        names = [spec.name for spec in self.world.sites]
        sites = _upsert(Site, rows, ("name",), Site.objects.filter(name__in=names))
        self.sites = dict(zip(self.site_specs, sites, strict=True))
        _set_m2m(
            Site.facilitators,
            {self.sites[key]: self.facilitators_of(key) for key in self.site_specs},
        )

        rows = [
            {"site": self.sites[spec.key], "name": unit.name, "description": unit.description}
            for spec in self.world.sites
            for unit in spec.units
        ]
        units = _upsert(Unit, rows, ("site", "name"), Unit.objects.filter(site__in=sites))
        self.units = {(u.site_id, u.name): u for u in units}

        rows = [
            {
                "site": self.sites[spec.key],
                "name": spec.cop_name,
                "focus": spec.cop_focus,
                "started_on": self.day(spec.cop_started),
                "status": CoPStatus.ACTIVE,
            }
            for spec in self.world.sites
        ]
        existing = CommunityOfPractice.objects.filter(site__in=sites)
        cops = _upsert(CommunityOfPractice, rows, ("site", "name"), existing)
        self.cops = dict(zip(self.site_specs, cops, strict=True))
        _set_m2m(
            CommunityOfPractice.facilitators,
            {self.cops[key]: self.facilitators_of(key) for key in self.site_specs},
        )

        rows = [
            {
                "community": self.cops[site.key],
                "person": self.users[spec.address],
                "profession": self.professions[spec.profession],
                "role": spec.role,
                "joined_on": self.day(spec.joined),
                "left_on": self.day(spec.left) if spec.left is not None else None,
            }
            for site in self.world.sites
            for spec in site.members
        ]
        memberships = _upsert(
            Membership, rows, ("community", "person"), Membership.objects.filter(community__in=cops)
        )
        for key in self.site_specs:
            self.memberships[key] = [m for m in memberships if m.community == self.cops[key]]

    def load_capacity(self) -> None:
        periods = [(self.day(-60), self.day(60)), (self.day(61), self.day(180))]
        rows = [
            {
                "site": self.sites[spec.key],
                "unit": None,
                "profession": self.professions[code],
                "period_start": start,
                "period_end": end,
                "places": places,
            }
            for spec in self.world.sites
            for start, end in periods
            for code, places in spec.capacity.items()
        ]
        existing = Capacity.objects.filter(site__in=self.sites.values(), unit__isnull=True)
        # Each (site, profession) has one row per period, matched in period order.
        _upsert(Capacity, rows, ("site", "profession"), existing, positional=True)

    def load_meetings(self) -> None:
        agendas = self.world.meeting_agendas
        rows, attendees = [], []
        for spec in self.world.sites:
            members = self.memberships[spec.key]
            # Evenly spread from two weeks after the CoP started until a week ago.
            first, last = spec.cop_started + 14, -7
            count = min(len(agendas), (last - first) // 49 + 1)
            for index in range(count):
                held_on = self.day(first + round(index * (last - first) / (count - 1)))
                agenda = agendas[index]
                rows.append(
                    {
                        "community": self.cops[spec.key],
                        "held_on": held_on,
                        "duration_minutes": 60 if index % 2 == 0 else 45,
                        "topics": agenda.topics,
                        "decisions": agenda.decisions,
                        "action_items": agenda.action_items,
                        "recorded_by": self.person(spec.facilitators[0]),
                    }
                )
                present = [
                    m
                    for m in members
                    if m.joined_on <= held_on and (m.left_on is None or m.left_on >= held_on)
                ]
                absent = self.rng.sample(present, k=max(0, len(present) - 3) // 3)
                attendees.append([m for m in present if m not in absent])
        # Meetings someone recorded in the browser are left alone: only the demo's own
        # (recognised by their agenda) are matched, and pruned when no longer wanted.
        existing = Meeting.objects.filter(
            community__in=self.cops.values(),
            topics__in=[agenda.topics for agenda in agendas],
        )
        meetings = _upsert(Meeting, rows, ("community",), existing, positional=True, prune=True)
        _set_m2m(Meeting.attendees, dict(zip(meetings, attendees, strict=True)))

    def load_initiatives(self) -> None:
        rows = [
            {
                "community": self.cops[site.key],
                "title": spec.title,
                "theme": spec.theme,
                "status": spec.status,
                "started_on": self.day(spec.started) if spec.started is not None else None,
                "ended_on": self.day(spec.ended) if spec.ended is not None else None,
                "description": spec.description,
                "outcome": spec.outcome,
            }
            for site in self.world.sites
            for spec in site.initiatives
        ]
        existing = Initiative.objects.filter(community__in=self.cops.values())
        _upsert(Initiative, rows, ("community", "title"), existing)

    # Students, placements, mentoring teams ---------------------------------------------
    def load_placements(self) -> None:
        rows = [
            {
                "user": self.users[spec.address],
                "program": self.programs[spec.program],
                # From the email, not the list position: adding a student to the list must
                # not renumber the others (the number is unique per program).
                "student_number": f"D{zlib.crc32(spec.address.encode()) % 10**7:07d}",
                "cohort_year": self.today.year - number % 2,
            }
            for number, spec in enumerate(self.world.students, start=1)
        ]
        existing = Student.objects.filter(user__in=[row["user"] for row in rows])
        students = _upsert(Student, rows, ("user", "program"), existing)

        rows, teams = [], []
        for student, student_spec in zip(students, self.world.students, strict=True):
            for spec in student_spec.placements:
                start = self.day(spec.start)
                has_team = spec.status in (P.CONFIRMED, P.ACTIVE, P.COMPLETED)
                primary, ip_mentors = self.choose_mentors(student, spec)
                teams.append(
                    [(primary, MentorRole.PRIMARY)]
                    + [(m, MentorRole.IP_MENTOR) for m in ip_mentors]
                    if has_team
                    else []
                )
                rows.append(
                    {
                        "student": student,
                        "site": self.sites[spec.site],
                        "unit": self.units[(self.sites[spec.site].pk, spec.unit)]
                        if spec.unit
                        else None,
                        "start_date": start,
                        "end_date": start + dt.timedelta(weeks=spec.weeks, days=-1),
                        "model": spec.model,
                        "status": spec.status,
                        "contact": primary if has_team else None,
                        "created_by": self.facilitators_of(spec.site)[0],
                        "notes": "",
                    }
                )
        # A student has at most one placement per site in the demo: (student, site) is a key.
        placements = _upsert(
            Placement, rows, ("student", "site"), Placement.objects.filter(student__in=students)
        )
        specs = [spec for student_spec in self.world.students for spec in student_spec.placements]
        self.placements = list(zip(placements, specs, strict=True))
        self.load_status_history()

        rows = []
        for placement, team in zip(placements, teams, strict=True):
            self.mentors[placement.pk] = [mentor for mentor, _ in team]
            rows += [
                {"placement": placement, "mentor": m, "profession": m.profession, "role": role}
                for m, role in team
            ]
        assignments = MentorAssignment.objects.filter(placement__in=placements)
        # The role is part of the key: a mentor whose role changes is replaced, so that the
        # old primary is gone before the new one arrives (one primary per placement).
        _upsert(MentorAssignment, rows, ("placement", "mentor", "role"), assignments, prune=True)

    def load_agreements(self) -> None:
        """An affiliation agreement in force for each (institution, site) the placements
        use, signed three years ago for five; and one with a health zone that expires in
        20 days, so that its notices and the facilitators' to-do line show."""
        pairs = sorted(
            {
                (placement.student.program.institution.name, placement.site.name)
                for placement, _ in self.placements
            }
        )
        institutions = {p.institution.name: p.institution for p in self.programs.values()}
        sites = {site.name: site for site in self.sites.values()}
        rows = [
            {
                "institution": institutions[institution],
                "site": sites[site],
                "zone": "",
                "starts_on": self.day(-3 * 365),
                "ends_on": self.day(2 * 365),
                "status": AgreementStatus.ACTIVE,
                "notes": "Demo agreement.",
            }
            for institution, site in pairs
        ]
        first_site = self.sites[self.world.sites[0].key]
        rows.append(
            {
                "institution": institutions[pairs[0][0]],
                "site": None,
                "zone": first_site.zone,
                "starts_on": self.day(-365),
                "ends_on": self.day(20),
                "status": AgreementStatus.ACTIVE,
                "notes": "Demo agreement with the zone's health authority, about to expire.",
            }
        )
        _upsert(
            AffiliationAgreement,
            rows,
            ("institution", "site", "zone"),
            AffiliationAgreement.objects.filter(institution__in=institutions.values()),
        )

    def choose_mentors(self, student: Student, spec: PlacementSpec) -> tuple[User, list[User]]:
        # Clinicians who were members of the site's CoP when the placement started.
        staff = [
            self.users[member.address]
            for member in self.site_specs[spec.site].members
            if member.preceptor and member.joined <= spec.start
        ]
        own = student.program.profession
        if spec.primary:
            primary = self.person(spec.primary)
        else:
            same = [u for u in staff if u.profession == own]
            primary = same[0] if same else staff[0]
        if spec.model == TRAD:
            return primary, []
        if spec.ip_mentors:
            return primary, [self.person(name) for name in spec.ip_mentors]
        others = [u for u in staff if u != primary and u.profession != own]
        return primary, self.rng.sample(others, k=min(len(others), self.rng.randint(1, 2)))

    def load_status_history(self) -> None:
        steps: dict[str, list[tuple[str, str]]] = {
            P.REQUESTED: [("", P.REQUESTED)],
            P.CONFIRMED: [("", P.REQUESTED), (P.REQUESTED, P.CONFIRMED)],
            P.ACTIVE: [("", P.REQUESTED), (P.REQUESTED, P.CONFIRMED), (P.CONFIRMED, P.ACTIVE)],
            P.COMPLETED: [
                ("", P.REQUESTED),
                (P.REQUESTED, P.CONFIRMED),
                (P.CONFIRMED, P.ACTIVE),
                (P.ACTIVE, P.COMPLETED),
            ],
            P.CANCELLED: [("", P.REQUESTED), (P.REQUESTED, P.CANCELLED)],
        }
        rows, times = [], []
        for placement, spec in self.placements:
            start, end = placement.start_date, placement.end_date
            when: dict[str, dt.date] = {
                P.REQUESTED: min(start - dt.timedelta(days=60), self.day(-20)),
                P.CONFIRMED: min(start - dt.timedelta(days=21), self.day(-5)),
                P.ACTIVE: start,
                P.COMPLETED: end + dt.timedelta(days=1),
                P.CANCELLED: self.day(-3),
            }
            for old, new in steps[spec.status]:
                rows.append(
                    {
                        "placement": placement,
                        "from_status": old,
                        "to_status": new,
                        "changed_by": placement.created_by,
                        "note": "",
                    }
                )
                times.append(self.at(when[new], 9))
        placements = [placement for placement, _ in self.placements]
        existing = PlacementStatusChange.objects.filter(placement__in=placements)
        changes = _upsert(
            PlacementStatusChange, rows, ("placement",), existing, positional=True, prune=True
        )
        # changed_at is auto_now_add, so the history's real times are written afterwards.
        moved = []
        for change, changed_at in zip(changes, times, strict=True):
            if change.changed_at != changed_at:
                change.changed_at = changed_at
                moved.append(change)
        PlacementStatusChange.objects.bulk_update(moved, ["changed_at"])

    # Mentoring sessions ----------------------------------------------------------------
    def load_sessions(self) -> None:
        rng = self.rng
        placed = defaultdict(list)  # site key: placements with a team, active or completed
        for placement, spec in self.placements:
            if placement.status in (P.ACTIVE, P.COMPLETED) and self.mentors[placement.pk]:
                placed[spec.site].append(placement)
        rows, extras = [], []
        for key, placements in placed.items():
            for placement in placements:
                mentors = self.mentors[placement.pk]
                last = min(placement.end_date, self.day(-1))
                span = (last - placement.start_date).days
                if span < 1:
                    continue
                is_ip = placement.model == IP
                count = max(1, min(4 if is_ip else 2, span // 5))
                student = placement.student
                for index in range(count):
                    held_on = placement.start_date + dt.timedelta(
                        days=round(span * (index + 1) / (count + 1))
                    )
                    logger = mentors[index % len(mentors)]
                    professionals = [logger]
                    if is_ip:
                        others = [
                            m.person
                            for m in self.memberships[key]
                            if m.profession != logger.profession
                            and m.joined_on <= held_on
                            and (m.left_on is None or held_on <= m.left_on)
                        ]
                        professionals += rng.sample(others, k=min(len(others), rng.randint(1, 2)))
                        activity = rng.choice(list(Activity))
                    else:
                        activity = rng.choice([Activity.SHADOWING, Activity.DEBRIEF])
                    attendance = [(student, placement)]
                    joint = rng.random() < 0.45 or student.user.email == STUDENT_EMAIL
                    if is_ip and joint:
                        peers = [
                            p
                            for p in placements
                            if p.model == IP
                            and p.student.program.profession != student.program.profession
                            and p.start_date <= held_on <= p.end_date
                        ]
                        if peers:
                            peer = rng.choice(peers)
                            attendance.append((peer.student, peer))
                    guest = professionals[-1]
                    assert guest.profession is not None  # every demo mentor has a profession
                    rows.append(
                        {
                            "site": placement.site,
                            "logged_by": logger,
                            "held_on": held_on,
                            "duration_minutes": rng.choice([30, 45, 60, 90]),
                            "activity": activity,
                            "notes": self.world.session_notes[activity].format(
                                pro=f"the {self.world.speaker_nouns[guest.profession.code].lower()}"
                            ),
                        }
                    )
                    reflections = [
                        rng.choice(self.world.reflections) if rng.random() < 0.2 else ""
                        for _ in attendance
                    ]
                    extras.append(
                        (
                            rng.sample(self.domains, k=rng.randint(1, 3)),
                            professionals,
                            list(zip(attendance, reflections, strict=True)),
                        )
                    )
        # Sessions have no natural key: each is the n-th its preceptor logged at the site.
        # Sessions someone logged in the browser are left alone: only the demo's own
        # (recognised by their notes) are matched, and pruned when no longer wanted.
        demo_notes = {
            template.format(pro=f"the {noun.lower()}")
            for template in self.world.session_notes.values()
            for noun in self.world.speaker_nouns.values()
        }
        existing = MentoringSession.objects.filter(
            site__in=self.sites.values(), notes__in=demo_notes
        )
        sessions = _upsert(
            MentoringSession, rows, ("site", "logged_by"), existing, positional=True, prune=True
        )
        _set_m2m(
            MentoringSession.domains,
            {session: domains for session, (domains, _, _) in zip(sessions, extras, strict=True)},
        )
        student_rows: list[dict[str, Any]] = []
        professional_rows: list[dict[str, Any]] = []
        for session, (_, people, attended) in zip(sessions, extras, strict=True):
            for (student, placement), reflection in attended:
                student_rows.append(
                    {
                        "session": session,
                        "student": student,
                        "placement": placement,
                        "reflection": reflection,
                        "reflected_at": self.at(session.held_on, 17) if reflection else None,
                    }
                )
            professional_rows += [
                {"session": session, "person": person, "profession": person.profession}
                for person in people
            ]
        attendees = SessionStudent.objects.filter(session__in=sessions)
        _upsert(SessionStudent, student_rows, ("session", "student"), attendees, prune=True)
        guests = SessionProfessional.objects.filter(session__in=sessions)
        _upsert(SessionProfessional, professional_rows, ("session", "person"), guests, prune=True)

    # Follow-ups ------------------------------------------------------------------------
    def load_followups(self) -> None:
        # (participant, membership, placement, site key, start, speaker role)
        subjects: list[tuple[User, Membership | None, Placement | None, str, dt.date, str]] = []
        for key, memberships in self.memberships.items():
            for joined in memberships:
                person = joined.person
                noun = self.world.speaker_nouns[joined.profession.code]
                if joined.role == M.MANAGER:
                    role = "Unit manager"
                elif person.is_preceptor:
                    role = f"{noun} preceptor"
                else:
                    role = f"{noun}, CoP member"
                subjects.append((person, joined, None, key, joined.joined_on, role))
        for placed, spec in self.placements:
            if placed.status in (P.CONFIRMED, P.ACTIVE, P.COMPLETED):
                role = f"{placed.student.program.profession.name} student"
                subjects.append(
                    (placed.student.user, None, placed, spec.site, placed.start_date, role)
                )

        buckets: dict[str, int] = defaultdict(int)
        rows, plans = [], []
        for participant, membership, placement, key, start, role in subjects:
            due_on = self.due_on(start)
            until_due = (due_on - self.today).days
            if until_due < -20:
                bucket = "done"
            elif until_due < 0:
                bucket = "overdue"
            elif until_due <= 21:
                bucket = "due"
            else:
                bucket = "later"
            position = buckets[bucket]
            buckets[bucket] += 1
            site = self.sites[key]
            facilitators = self.facilitators_of(key)
            mode = [InterviewMode.IN_PERSON, InterviewMode.VIDEO, InterviewMode.PHONE][position % 3]
            location = {
                InterviewMode.IN_PERSON: f"Meeting room, {site.name}",
                InterviewMode.VIDEO: f"https://meet.{DEMO_DOMAIN}/followup-{participant.pk}",
                InterviewMode.PHONE: "The interviewer calls the participant",
            }[mode]
            row = {
                "participant": participant,
                "membership": membership,
                "placement": placement,
                "site": site,
                "due_on": due_on,
                "status": FollowUpStatus.PENDING,
                "interviewer": None,
                "scheduled_at": None,
                "mode": "",
                "location": "",
            }
            conducted_on = None
            if bucket == "done":
                status = self.world.followup_exceptions.get(
                    participant.full_name, FollowUpStatus.COMPLETED
                )
                conducted_on = min(due_on + dt.timedelta(days=position % 10 - 3), self.day(-2))
                row["status"] = status
                if status != FollowUpStatus.DECLINED:
                    row.update(
                        interviewer=facilitators[0],
                        scheduled_at=self.at(conducted_on, 10),
                        mode=mode,
                        location=location,
                    )
            elif (bucket == "overdue" and position % 3 == 1) or (
                bucket == "due" and position % 2 == 1
            ):
                row.update(
                    status=FollowUpStatus.SCHEDULED,
                    interviewer=facilitators[-1],
                    scheduled_at=self.at(self.day(2 + position % 5), 10 + position % 4),
                    mode=mode,
                    location=location,
                )
            rows.append(row)
            plans.append((bucket, facilitators, conducted_on, role))

        by_membership = [row for row in rows if row["membership"]]
        by_placement = [row for row in rows if row["placement"]]
        existing = FollowUp.objects.filter(membership__in=[r["membership"] for r in by_membership])
        followups = _upsert(FollowUp, by_membership, ("membership",), existing)
        # A demo placement that is no longer placed (requested, cancelled) has no follow-up.
        existing = FollowUp.objects.filter(placement__in=[p for p, _ in self.placements])
        followups += _upsert(FollowUp, by_placement, ("placement",), existing, prune=True)
        plans = [p for r, p in zip(rows, plans, strict=True) if r["membership"]] + [
            p for r, p in zip(rows, plans, strict=True) if r["placement"]
        ]
        self.load_records(followups, plans)
        self.load_reminders(followups, plans)

    def load_records(self, followups: list[FollowUp], plans: list[tuple]) -> None:
        rows, themes, quotes = [], [], []
        for followup, (_, _, conducted_on, role) in zip(followups, plans, strict=True):
            if followup.status != FollowUpStatus.COMPLETED:
                continue
            said = self.quotes.get(followup.participant.full_name, [])
            rows.append(
                {
                    "followup": followup,
                    "consent_given": True,
                    "consent_recorded_at": self.at(conducted_on, 10),
                    "conducted_on": conducted_on,
                    "notes": "Consent given before recording. Interview of about 40 minutes; "
                    "transcript coded by two facilitators.",
                    "recorded_by": followup.interviewer,
                }
            )
            coded = {self.themes[quote.theme] for quote in said}
            extra = self.rng.sample(sorted(self.themes.values(), key=lambda t: t.name), k=2)
            themes.append(coded | set(extra[: 1 + len(said) % 2]))
            quotes.append(
                [
                    {
                        "text": quote.text,
                        "speaker_role": role,
                        "may_publish": quote.may_publish,
                        "theme": self.themes[quote.theme],
                    }
                    for quote in said
                ]
            )
        demo_followups = FollowUp.objects.filter(pk__in=[f.pk for f in followups])
        InterviewRecord.objects.filter(followup__in=demo_followups).exclude(
            followup__status=FollowUpStatus.COMPLETED
        ).delete()
        existing = InterviewRecord.objects.filter(followup__in=demo_followups)
        records = _upsert(InterviewRecord, rows, ("followup",), existing)
        _set_m2m(InterviewRecord.themes, dict(zip(records, themes, strict=True)))
        rows = [
            {"record": record, **quote}
            for record, said in zip(records, quotes, strict=True)
            for quote in said
        ]
        said_before = Quote.objects.filter(record__in=records)
        _upsert(Quote, rows, ("record",), said_before, positional=True, prune=True)

    def load_reminders(self, followups: list[FollowUp], plans: list[tuple]) -> None:
        rows = []
        for followup, (bucket, facilitators, _, _) in zip(followups, plans, strict=True):
            plan: list[tuple[str, dt.datetime, list[User]]] = []  # (kind, send at, recipients)
            if bucket == "due" and followup.status == FollowUpStatus.PENDING:
                send_at = self.at(followup.due_on - dt.timedelta(days=14), 8)
                plan.append((ReminderKind.DUE_SOON, send_at, facilitators))
            if followup.status == FollowUpStatus.SCHEDULED:
                scheduled_at, interviewer = followup.scheduled_at, followup.interviewer
                # A scheduled follow-up has both (followup_scheduled_has_time_and_interviewer).
                assert scheduled_at is not None and interviewer is not None
                send_at = scheduled_at - dt.timedelta(days=1)
                plan.append((ReminderKind.DAY_BEFORE, send_at, [interviewer, followup.participant]))
            if bucket == "overdue" and followup.status == FollowUpStatus.PENDING:
                kinds = [ReminderKind.OVERDUE_1, ReminderKind.OVERDUE_2, ReminderKind.OVERDUE_3]
                for week, overdue in enumerate(kinds):
                    send_on = followup.due_on + dt.timedelta(days=1 + 7 * week)
                    if send_on <= self.day(7):
                        plan.append((overdue, self.at(send_on, 8), facilitators))
            for index, (kind, send_at, recipients) in enumerate(plan):
                # Earlier reminders went out; the latest waits for the sweep.
                sent_at = None if index == len(plan) - 1 else send_at + dt.timedelta(minutes=1)
                rows += [
                    {
                        "followup": followup,
                        "recipient": recipient,
                        "kind": kind,
                        "send_at": send_at,
                        "sent_at": sent_at,
                    }
                    for recipient in recipients
                ]
        existing = Reminder.objects.filter(followup__in=followups)
        # A reminder the worker has sent since the last run stays sent.
        _upsert(
            Reminder,
            rows,
            ("followup", "recipient", "kind"),
            existing,
            update=("send_at",),
            prune=True,
        )

    # Requests and offers (the school's side) --------------------------------------------
    def load_requests(self) -> None:
        world = self.world
        by_name = {spec.name: spec for spec in world.students}
        students = {
            student.user.email: student
            for student in Student.objects.filter(
                user__email__in=[spec.address for spec in world.students]
            ).select_related("user", "program")
        }
        # A request is made by a coordinator of the student's program.
        coordinators = {
            key: self.users[c.address] for c in world.coordinators for key in c.programs
        }
        placements = {
            (placement.student_id, placement.site_id): placement for placement, _ in self.placements
        }
        rows, steps = [], []
        for spec in world.requests:
            student_spec = by_name[spec.student]
            student = students[student_spec.address]
            site = self.sites[spec.site]
            coordinator = coordinators.get(student_spec.program)
            facilitator = self.facilitators_of(spec.site)[0]
            placement = None
            if spec.status == PlacementRequestStatus.ACCEPTED:
                placement = placements[(student.pk, site.pk)]
                start, end, unit = placement.start_date, placement.end_date, placement.unit
            else:
                assert spec.start is not None and spec.weeks is not None  # checked on read
                start = self.day(spec.start)
                end = start + dt.timedelta(weeks=spec.weeks, days=-1)
                unit = self.units[(site.pk, spec.unit)] if spec.unit else None
            proposed_start = proposed_end = proposed_unit = None
            if spec.proposed_start is not None:
                proposed_start = self.day(spec.proposed_start)
                proposed_end = proposed_start + (end - start)
                if spec.proposed_unit:
                    proposed_unit = self.units[(site.pk, spec.proposed_unit)]
            rows.append(
                {
                    "student": student,
                    "site": site,
                    "unit": unit,
                    "start_date": start,
                    "end_date": end,
                    "profession": student.program.profession,
                    "model": placement.model if placement else spec.model,
                    "notes": spec.notes,
                    "status": spec.status,
                    # The same cohort, the same batch, on every run.
                    "batch": uuid.uuid5(uuid.NAMESPACE_URL, f"ipcop-demo:{spec.cohort}")
                    if spec.cohort
                    else None,
                    "offer": None,
                    "decline_reason": spec.reason,
                    "proposed_start": proposed_start,
                    "proposed_end": proposed_end,
                    "proposed_unit": proposed_unit,
                    "placement": placement,
                    "requested_by": coordinator,
                }
            )
            R = PlacementRequestStatus
            history: list[tuple[str, str, User | None, str]] = [
                ("", R.REQUESTED, coordinator, spec.notes[:255])
            ]
            if spec.status == R.WITHDRAWN:
                history.append((R.REQUESTED, R.WITHDRAWN, coordinator, "The student deferred."))
            elif spec.status != R.REQUESTED:
                note = spec.reason if spec.status == R.DECLINED else ""
                history.append((R.REQUESTED, spec.status, facilitator, note))
            steps.append(history)
        requests = _upsert(
            PlacementRequest,
            rows,
            ("student", "site"),
            PlacementRequest.objects.filter(student__in=list(students.values())),
            prune=True,
        )
        change_rows = [
            {
                "request": request,
                "from_status": from_status,
                "to_status": to_status,
                "changed_by": by,
                "note": note,
            }
            for request, history in zip(requests, steps, strict=True)
            for from_status, to_status, by, note in history
        ]
        _upsert(
            PlacementRequestChange,
            change_rows,
            ("request",),
            PlacementRequestChange.objects.filter(request__in=requests),
            positional=True,
            prune=True,
        )
        offers = []
        for offer in world.offers:
            site = self.sites[offer.site]
            start = self.day(offer.start)
            offers.append(
                {
                    "site": site,
                    "unit": self.units[(site.pk, offer.unit)] if offer.unit else None,
                    "profession": self.professions[offer.profession],
                    "start_date": start,
                    "end_date": start + dt.timedelta(weeks=offer.weeks, days=-1),
                    "places": offer.places,
                    "model": IP,
                    "notes": "",
                    "created_by": self.facilitators_of(offer.site)[0],
                    "closed_at": self.at(self.day(-3), 10) if offer.closed else None,
                }
            )
        # Offers have no natural key: each site's in the order of the file.
        _upsert(
            PlacementOffer,
            offers,
            ("site",),
            PlacementOffer.objects.filter(site__in=[self.sites[o.site] for o in world.offers]),
            positional=True,
            prune=True,
        )

    # Evaluations and students' feedback ------------------------------------------------
    def load_evaluations(self) -> None:
        """Each placement with a team is due its evaluations (a final one, and a midterm
        one when its program wants it), in the state a placement of its age shows: one
        not yet due is a draft nobody began; one past due is, in turn, acknowledged by the
        student, submitted and awaiting the student, or still not submitted (overdue).
        Students of most completed placements gave their feedback. The states follow
        from the placements' positions and dates relative to today, not from chance, so a
        run on a later day keeps them."""
        domains: dict[int, list[CompetencyDomain]] = defaultdict(list)
        for domain in CompetencyDomain.objects.order_by("order", "name"):
            domains[domain.framework_id].append(domain)
        default = default_framework()
        rows, ratings_of, feedback = [], [], []
        for number, (placement, _spec) in enumerate(self.placements):
            team = self.mentors[placement.pk]
            if placement.status not in (P.CONFIRMED, P.ACTIVE, P.COMPLETED) or not team:
                continue
            program = placement.student.program
            kinds = [EvaluationKind.FINAL]
            if program.midterm_evaluation:
                kinds.insert(0, EvaluationKind.MIDTERM)
            for kind in kinds:
                due = evaluation_due_on(placement=placement, kind=kind)
                state = EvaluationStatus.DRAFT
                if due < self.today and number % 4 != 3:
                    # The demo student's last final evaluation awaits their sign-off.
                    awaiting = number % 3 == 0 or (
                        placement.student.user.email == STUDENT_EMAIL
                        and kind == EvaluationKind.FINAL
                    )
                    state = (
                        EvaluationStatus.SUBMITTED if awaiting else EvaluationStatus.ACKNOWLEDGED
                    )
                submitted = state != EvaluationStatus.DRAFT
                acknowledged = state == EvaluationStatus.ACKNOWLEDGED
                rows.append(
                    {
                        "placement": placement,
                        "kind": kind,
                        "due_on": due,
                        "status": state,
                        "evaluator": team[0] if submitted else None,
                        "overall_comments": _EVALUATION_COMMENTS[number % 3] if submitted else "",
                        "submitted_at": self.at(due, 15) if submitted else None,
                        "acknowledged_at": (
                            self.at(min(due + dt.timedelta(days=3), self.day(-1)), 18)
                            if acknowledged
                            else None
                        ),
                        "student_comment": (
                            "Thank you: I will work on leading the team huddle."
                            if acknowledged and number % 2
                            else ""
                        ),
                    }
                )
                framework = program.framework_id or default.pk
                ratings_of.append(domains[framework] if submitted else [])
            if placement.status == P.COMPLETED and number % 5 != 4:
                answers = {name: 3 + (number + i) % 3 for i, name in enumerate(FEEDBACK_FIELDS)}
                feedback.append(
                    {
                        "placement": placement,
                        "site": placement.site,
                        "comments": _FEEDBACK_COMMENTS[number % len(_FEEDBACK_COMMENTS)],
                        **answers,
                    }
                )
        placements = [placement for placement, _ in self.placements]
        evaluations = _upsert(
            PlacementEvaluation,
            rows,
            ("placement", "kind"),
            PlacementEvaluation.objects.filter(placement__in=placements),
            prune=True,
        )
        rating_rows = [
            {
                "evaluation": evaluation,
                "domain": domain,
                # 3 mostly; a 4, a 2 and a domain not observed among them.
                "rating": (3, 3, 4, 3, 2, 3, 0)[(number + domain.order) % 7],
                "comment": "",
            }
            for number, (evaluation, rated) in enumerate(zip(evaluations, ratings_of, strict=True))
            for domain in rated
        ]
        _upsert(
            EvaluationRating,
            rating_rows,
            ("evaluation", "domain"),
            EvaluationRating.objects.filter(evaluation__in=evaluations),
            prune=True,
        )
        _upsert(
            StudentPlacementFeedback,
            feedback,
            ("placement",),
            StudentPlacementFeedback.objects.filter(placement__in=placements),
            prune=True,
        )

    # All -------------------------------------------------------------------------------
    def load(self) -> DemoResult:
        self.load_people()
        self.load_sites()
        self.load_capacity()
        self.load_meetings()
        self.load_initiatives()
        self.load_placements()
        self.load_agreements()
        self.load_requests()
        self.load_sessions()
        self.load_followups()
        self.load_evaluations()
        return DemoResult(
            logins=[
                ("admin", ADMIN_EMAIL, DEMO_PASSWORD),
                ("facilitator", FACILITATOR_EMAIL, DEMO_PASSWORD),
                ("preceptor", PRECEPTOR_EMAIL, DEMO_PASSWORD),
                ("student", STUDENT_EMAIL, DEMO_PASSWORD),
                *(("coordinator", email, DEMO_PASSWORD) for email in COORDINATOR_EMAILS),
            ],
            counts={
                "sites": Site.objects.count(),
                "communities of practice": CommunityOfPractice.objects.count(),
                "people": User.objects.count(),
                "placements": Placement.objects.count(),
                "affiliation agreements": AffiliationAgreement.objects.count(),
                "placement requests": PlacementRequest.objects.count(),
                "mentoring sessions": MentoringSession.objects.count(),
                "follow-ups": FollowUp.objects.count(),
                "evaluations": PlacementEvaluation.objects.count(),
            },
        )


_EVALUATION_COMMENTS = (
    "Asks each profession about its part in the plan and brings it to rounds. Next: "
    "lead a family meeting with the team.",
    "Communicates clearly with the team; still hesitant to raise a disagreement. Next: "
    "practise speaking up in the discharge huddle.",
    "Knows the roles on the unit well and shares the load. Next: take the lead on one "
    "patient's interprofessional care plan.",
)
_FEEDBACK_COMMENTS = (
    "The joint assessments with physiotherapy taught me the most.",
    "",
    "More time in the team meetings would have helped.",
    "My mentors made time to explain their roles.",
)


def _check_logins(world: World) -> None:
    """The logins the loader prints are accounts of the world, with the role they show."""
    preceptors = {m.address for site in world.sites for m in site.members if m.preceptor}
    accounts = {
        ADMIN_EMAIL: ("people.toml", "the admin", {world.admin.address}),
        FACILITATOR_EMAIL: (
            "people.toml",
            "a facilitator",
            {f.address for f in world.facilitators},
        ),
        PRECEPTOR_EMAIL: ("sites.toml", "a member who is a preceptor", preceptors),
        STUDENT_EMAIL: ("students.toml", "a student", {s.address for s in world.students}),
        **{
            email: ("people.toml", "a coordinator", {c.address for c in world.coordinators})
            for email in COORDINATOR_EMAILS
        },
    }
    for email, (file, who, emails) in accounts.items():
        if email not in emails:
            raise DemoDataError(f"{file}: the demo login {email} must be the email of {who}")


def counters_recount() -> None:
    """Recount the counters the apps keep: the loader's bulk writes go past the services
    (and their signals) that keep some of them."""
    for app in COUNTED_APPS:
        recount = getattr(import_module(f"{app}.services"), "counters_recount", None)
        if recount is not None:
            recount()


def load_demo(*, today: dt.date | None = None, world: World | None = None) -> DemoResult:
    """Create or refresh the demo world (default: the data files of `data/`). Run it inside
    a transaction; safe to repeat. Raises DemoDataError, naming the file and the entry,
    when a data file is malformed."""
    world = world or read_world()
    _check_logins(world)
    result = _Loader(today or timezone.localdate(), world).load()
    counters_recount()
    return result
