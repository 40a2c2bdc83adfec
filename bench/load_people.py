"""The people of `make load` (bench/load_run.py): 50 accounts of each role on top of the
demo (`manage.py load_demo`), so every simulated user of bench/mixed_load.py logs in as a
person of their own. They follow the demo's shape: facilitators look after four of the
demo's sites and their CoPs; each preceptor is a member of one site's CoP and the primary
mentor of one student; each student has a running placement there (and a confirmed one to
come at another site) and has attended one session their preceptor logged, to reflect on.

Rows are written with the models, as the demo loader writes its own, and found again by
their email or owner, so running it twice changes nothing. Run it after load_demo:

    DATABASE_URL=... python bench/load_people.py
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
EMAIL_DOMAIN = "ipcop.example"  # the demo's reserved domain: no email reaches anyone
PASSWORD = "ipcop-demo"  # noqa: S105 - public, as the demo's: the load test logs in with it
ROLES = ("facilitator", "preceptor", "student", "admin")
SITES_PER_FACILITATOR = 4
SEED_SESSION_NOTES = "Seed session of the load test."


def email(role: str, number: int) -> str:
    """The account bench/mixed_load.py logs in as: load-preceptor-07@ipcop.example."""
    return f"load-{role}-{number:02d}@{EMAIL_DOMAIN}"


def ensure_people(per_role: int = 50, *, log=print) -> None:
    """Create (or leave as they are) `per_role` people of each role and what they need."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from ipcop.demo.loader import counters_recount

    # One hash for every load account: hashing costs about a second each.
    password = make_password(PASSWORD)
    with transaction.atomic():
        _Builder(per_role, password).build()
        # The rows above go past the services that keep some counters.
        counters_recount()
    log(f"load people: {per_role} of each role ({', '.join(ROLES)}), password {PASSWORD}")


class _Builder:
    def __init__(self, per_role: int, password: str):
        from accounts.models import Profession
        from ipcop.demo.world import read_world
        from mentoring.models import CompetencyDomain
        from placements.models import Program
        from sites.models import CommunityOfPractice, Site

        self.per_role = per_role
        self.password = password
        self.existing: list[int] = []  # accounts an earlier run made
        self.today = dt.date.today()
        names = [spec.name for spec in read_world().sites]
        self.sites = list(Site.objects.filter(name__in=names).order_by("pk"))
        if not self.sites:
            raise SystemExit("load people: no demo site found; run `manage.py load_demo` first")
        self.cops = {
            site.pk: CommunityOfPractice.objects.filter(site=site).order_by("pk").first()
            for site in self.sites
        }
        self.professions = list(Profession.objects.order_by("pk"))
        self.programs = list(Program.objects.select_related("profession").order_by("pk"))
        self.domains = list(
            CompetencyDomain.objects.filter(framework__is_default=True).order_by("order")
        )

    def site(self, number: int):
        return self.sites[number % len(self.sites)]

    def account(self, role: str, number: int, profession):
        from accounts.models import User

        user, created = User.objects.get_or_create(
            email=email(role, number),
            defaults={
                "full_name": f"Load {role.capitalize()} {number:02d}",
                "profession": profession,
                "password": self.password,
                "is_facilitator": role == "facilitator",
                "is_preceptor": role == "preceptor",
                "is_student": role == "student",
                "is_staff": role == "admin",
                "is_superuser": role == "admin",
            },
        )
        if not created:
            self.existing.append(user.pk)
        return user

    def build(self) -> None:
        for number in range(1, self.per_role + 1):
            self.account("admin", number, None)
            self.facilitator(number)
            preceptor = self.preceptor(number)
            self.student(number, preceptor)
        # Accounts of an earlier run get this run's hash: one statement, no hashing.
        from accounts.models import User

        User.objects.filter(pk__in=self.existing).update(password=self.password)

    def facilitator(self, number: int) -> None:
        user = self.account("facilitator", number, self.professions[number % len(self.professions)])
        for offset in range(SITES_PER_FACILITATOR):
            site = self.site(number + offset)
            site.facilitators.add(user)
            community = self.cops[site.pk]
            if community is not None:
                community.facilitators.add(user)

    def preceptor(self, number: int):
        from sites.models import Membership, MembershipRole

        profession = self.professions[number % len(self.professions)]
        user = self.account("preceptor", number, profession)
        community = self.cops[self.site(number).pk]
        if community is not None:
            Membership.objects.get_or_create(
                community=community,
                person=user,
                left_on=None,
                defaults={
                    "profession": profession,
                    "role": MembershipRole.PRECEPTOR,
                    "joined_on": self.today - dt.timedelta(days=120),
                },
            )
        return user

    def student(self, number: int, preceptor) -> None:
        from mentoring.models import (
            Activity,
            MentorAssignment,
            MentoringSession,
            MentorRole,
            SessionProfessional,
            SessionStudent,
        )
        from placements.models import PlacementModel, PlacementStatus, Student

        program = self.programs[number % len(self.programs)]
        user = self.account("student", number, program.profession)
        student, _ = Student.objects.get_or_create(
            user=user,
            program=program,
            defaults={"student_number": f"L{number:06d}", "cohort_year": self.today.year},
        )
        site = self.site(number)
        # Running now, whatever day the load runs: moved if an earlier run's has ended.
        start, end = self.today - dt.timedelta(days=14), self.today + dt.timedelta(days=41)
        running = self.placement(
            student,
            site,
            start,
            end,
            PlacementModel.IP_MENTORING,
            PlacementStatus.ACTIVE,
            preceptor,
        )
        MentorAssignment.objects.get_or_create(
            placement=running,
            mentor=preceptor,
            role=MentorRole.PRIMARY,
            defaults={"profession": preceptor.profession},
        )
        self.placement(
            student,
            self.site(number + 3),
            self.today + dt.timedelta(days=70),
            self.today + dt.timedelta(days=111),
            PlacementModel.TRADITIONAL,
            PlacementStatus.CONFIRMED,
            None,
        )
        if SessionStudent.objects.filter(placement=running, student=student).exists():
            return
        session = MentoringSession.objects.create(
            site=site,
            logged_by=preceptor,
            held_on=self.today - dt.timedelta(days=7),
            duration_minutes=60,
            activity=Activity.SHADOWING,
            notes=SEED_SESSION_NOTES,
        )
        session.domains.set(self.domains[number % len(self.domains) :][:2])
        SessionStudent.objects.create(session=session, student=student, placement=running)
        SessionProfessional.objects.create(
            session=session, person=preceptor, profession=preceptor.profession
        )

    def placement(self, student, site, start, end, model, status, contact):
        from placements.models import Placement, PlacementStatus, PlacementStatusChange

        placement = Placement.objects.filter(student=student, site=site).first()
        if placement is None:
            placement = Placement.objects.create(
                student=student,
                site=site,
                start_date=start,
                end_date=end,
                model=model,
                status=status,
                contact=contact,
                created_by=site.facilitators.order_by("pk").first(),
            )
            steps = [PlacementStatus.REQUESTED, PlacementStatus.CONFIRMED, PlacementStatus.ACTIVE]
            steps = steps[: steps.index(status) + 1]
            PlacementStatusChange.objects.bulk_create(
                PlacementStatusChange(
                    placement=placement,
                    from_status=old,
                    to_status=new,
                    changed_by=placement.created_by,
                )
                for old, new in zip(["", *steps], steps, strict=False)
            )
        elif (
            not placement.start_date <= self.today <= placement.end_date
            if status == PlacementStatus.ACTIVE
            else placement.start_date <= self.today
        ):
            # An earlier run's placement, on another day: running now, or still to come.
            placement.start_date, placement.end_date = start, end
            placement.save(update_fields=["start_date", "end_date", "updated_at"])
        return placement


if __name__ == "__main__":
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipcop.settings")
    import django

    django.setup()
    ensure_people(int(os.environ.get("LOAD_USERS_PER_ROLE", "50")))
