"""`make stress`: the counters under concurrent writes. In a scratch database (dropped,
created and migrated on each run; STRESS_DATABASE_URL, default ipcop_stress), a small
data set made through the services, then STRESS_THREADS threads (default 16, each with
its own database connection) call the services that change counted rows for
STRESS_SECONDS (default 30): log, edit and delete mentoring sessions, add and end CoP
memberships, record meetings, create and move initiatives, create, confirm, activate,
complete and cancel placements, close follow-ups. Then each app's
`services.counters_check()` (where present; on a database that still has the old
hand-written trigger counters, the same comparison in SQL) reports any counter that
differs from a recount.

An exception other than a ValidationError (a rule refusing the write, which concurrent
writers provoke) is an error; a deadlock is an error. Exits 1 on any error, deadlock or
counter mismatch.

    .venv/bin/python bench/stress_counters.py [--threads 16] [--seconds 30] [--seed 1]
        [--skip followup_close,session_delete]
"""

from __future__ import annotations

import argparse
import collections
import datetime
import itertools
import os
import random
import sys
import threading
import time
import traceback
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

DATABASE_URL = os.environ.get(
    "STRESS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ipcop_stress"
)
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
# Tasks enqueued on commit go to an in-process queue nobody reads: no broker needed.
os.environ["CELERY_BROKER_URL"] = "memory://"


def recreate_database() -> None:
    """A scratch database: dropped (its connections closed) and created afresh."""
    import psycopg2
    from psycopg2 import sql

    url = urlsplit(DATABASE_URL)
    name = url.path.lstrip("/")
    if not name.startswith(("ipcop_stress", "stress")):
        raise SystemExit(
            f"refusing to drop {name!r}: the stress database's name starts with ipcop_stress"
        )
    admin = psycopg2.connect(urlunsplit(url._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def log(message: str) -> None:
    print(message, flush=True)


def setup_django() -> None:
    import django

    django.setup()


# --- The data set, through the services ------------------------------------------------


class World:
    """The ids the threads pick from (each thread reads the rows fresh)."""

    sites: list[int]
    communities: list[int]
    clinicians_by_site: dict[int, list[int]]
    students: list[int]
    domains: list[int]
    admin_id: int
    facilitator_id: int


def seed(rng: random.Random) -> World:
    from accounts.models import Profession, User
    from mentoring.models import CompetencyDomain
    from mentoring.selectors import default_framework
    from placements import services as placements
    from placements.models import AgreementStatus, Institution, Program
    from sites import services as sites

    today = datetime.date.today()
    world = World()
    admin = User.objects.create_superuser("stress-admin@stress.example", full_name="Stress Admin")
    facilitator = User.objects.create_user(
        "stress-facilitator@stress.example", full_name="Stress Facilitator", is_facilitator=True,
        profession=Profession.objects.order_by("pk").first(),
    )  # fmt: skip
    world.admin_id, world.facilitator_id = admin.pk, facilitator.pk
    professions = list(Profession.objects.order_by("pk"))
    world.sites, world.communities, world.clinicians_by_site = [], [], {}
    for s in range(3):
        site = sites.site_create(
            name=f"Stress site {s}", kind="hospital", zone="south", facilitators=[facilitator]
        )
        sites.unit_create(site=site, name="Unit A")
        world.sites.append(site.pk)
        clinicians = [
            User.objects.create_user(
                f"clinician{s}-{c}@stress.example",
                full_name=f"Clinician {s}-{c}",
                is_preceptor=True,
                profession=professions[c % len(professions)],
            )  # fmt: skip
            for c in range(10)
        ]
        world.clinicians_by_site[site.pk] = [c.pk for c in clinicians]
        for k in range(2):
            community = sites.community_create(
                site=site, name=f"CoP {k}", started_on=today - datetime.timedelta(days=3000)
            )
            world.communities.append(community.pk)
            for person in clinicians[k * 3 : k * 3 + 6]:
                sites.membership_add(
                    community=community, person=person,
                    joined_on=today - datetime.timedelta(days=2900),
                )  # fmt: skip
            for i in range(3):
                sites.initiative_create(
                    community=community, title=f"Initiative {i}", theme="communication"
                )
    institution = Institution.objects.get_or_create(name="Stress U")[0]
    programs = [
        Program.objects.create(
            name=f"Stress program {p}", institution=institution, profession=professions[p]
        )
        for p in range(3)
    ]
    # Its placements are confirmed under an agreement with the sites' zone's authority.
    placements.agreement_create(
        institution=institution,
        zone="south",
        starts_on=today - datetime.timedelta(days=3000),
        status=AgreementStatus.ACTIVE,
        created_by=admin,
    )
    world.students = []
    for n in range(24):
        student = placements.student_enrol(
            email=f"student{n}@stress.example", full_name=f"Student {n}",
            program=programs[n % 3],
        )  # fmt: skip
        world.students.append(student.pk)
        placement = placements.placement_create(
            student=student,
            site=sites_site(world.sites[n % 3]),
            start_date=today - datetime.timedelta(days=30),
            end_date=today + datetime.timedelta(days=30),
            created_by=facilitator,
        )
        if n % 4:
            placements.placement_confirm(placement=placement, changed_by=facilitator)
            placements.placement_activate(placement=placement, changed_by=facilitator)
    world.domains = list(
        CompetencyDomain.objects.filter(framework=default_framework()).values_list("pk", flat=True)
    )
    return world


def sites_site(pk: int):
    from sites.models import Site

    return Site.objects.get(pk=pk)


# --- The operations --------------------------------------------------------------------


class Skip(Exception):
    """Nothing to act on this time (e.g. no session of this thread yet)."""


# Membership dates: each add and end takes the next day, so a rejoin comes after the
# day the person left (the service's rule) whatever thread ended the membership.
DAYS = itertools.count()
DAYS_LOCK = threading.Lock()


def next_day() -> datetime.date:
    with DAYS_LOCK:
        n = next(DAYS)
    return datetime.date.today() - datetime.timedelta(days=2800) + datetime.timedelta(days=n // 8)


class Worker:
    """One thread's operations. Rows another thread might delete or insert under the same
    key (its own sessions; the people it adds to CoPs) are this thread's own; counted
    rows (CoPs, sites, students, placements, follow-ups) are shared by all threads."""

    def __init__(self, number: int, threads: int, world: World, seed: int):
        self.number, self.threads, self.world = number, threads, world
        self.rng = random.Random(seed * 1000 + number)
        self.sessions: list[int] = []

    def user(self, pk: int):
        from accounts.models import User

        return User.objects.get(pk=pk)

    def session_log(self):
        from mentoring import services
        from mentoring.models import CompetencyDomain
        from placements.models import Placement, PlacementStatus, Student

        site_id = self.rng.choice(self.world.sites)
        held_on = datetime.date.today() - datetime.timedelta(days=self.rng.randint(0, 20))
        placed = list(
            Placement.objects.filter(
                site_id=site_id, start_date__lte=held_on, end_date__gte=held_on
            )
            .exclude(status=PlacementStatus.CANCELLED)
            .values_list("student_id", flat=True)
            .distinct()
        )
        if not placed:
            raise Skip
        students = Student.objects.filter(
            pk__in=self.rng.sample(placed, min(len(placed), self.rng.randint(1, 3)))
        )
        clinicians = self.world.clinicians_by_site[site_id]
        logger = self.user(self.rng.choice(clinicians))
        session = services.session_log(
            logged_by=logger,
            site=sites_site(site_id),
            held_on=held_on,
            duration_minutes=self.rng.choice((15, 30, 60)),
            activity="case_discussion",
            students=list(students),
            professionals=[self.user(pk) for pk in self.rng.sample(clinicians, self.rng.randint(0, 2))],
            domains=list(CompetencyDomain.objects.filter(pk__in=self.rng.sample(self.world.domains, self.rng.randint(0, 2)))),
        )  # fmt: skip
        self.sessions.append(session.pk)

    def session_update(self):
        from mentoring import services
        from mentoring.models import CompetencyDomain, MentoringSession, SessionStudent
        from placements.models import Student

        if not self.sessions:
            raise Skip
        session = MentoringSession.objects.get(pk=self.rng.choice(self.sessions))
        clinicians = self.world.clinicians_by_site[session.site_id]
        services.session_update(
            session=session,
            held_on=session.held_on,
            duration_minutes=session.duration_minutes,
            activity=session.activity,
            students=list(Student.objects.filter(pk__in=SessionStudent.objects.filter(session=session).values("student_id"))),
            professionals=[self.user(pk) for pk in self.rng.sample(clinicians, self.rng.randint(1, 3))],
            domains=list(CompetencyDomain.objects.filter(pk__in=self.rng.sample(self.world.domains, self.rng.randint(0, 3)))),
        )  # fmt: skip

    def session_delete(self):
        from mentoring import services
        from mentoring.models import MentoringSession

        if not self.sessions:
            raise Skip
        pk = self.sessions.pop(self.rng.randrange(len(self.sessions)))
        services.session_delete(session=MentoringSession.objects.get(pk=pk))

    def my_people(self, site_id: int) -> list[int]:
        return [
            pk for pk in self.world.clinicians_by_site[site_id] if pk % self.threads == self.number
        ]

    def membership_add(self):
        from sites import services
        from sites.models import CommunityOfPractice, Membership

        community = CommunityOfPractice.objects.get(pk=self.rng.choice(self.world.communities))
        current = set(
            Membership.objects.filter(community=community, left_on__isnull=True).values_list(
                "person_id", flat=True
            )
        )
        candidates = [pk for pk in self.my_people(community.site_id) if pk not in current]
        if not candidates:
            raise Skip
        services.membership_add(
            community=community, person=self.user(self.rng.choice(candidates)), joined_on=next_day()
        )

    def membership_end(self):
        from sites import services
        from sites.models import Membership

        site_id = self.rng.choice(self.world.sites)
        membership = (
            Membership.objects.filter(
                community__site_id=site_id, left_on__isnull=True, person_id__in=self.my_people(site_id)
            )
            .order_by("?")
            .first()
        )  # fmt: skip
        if membership is None:
            raise Skip
        services.membership_end(
            membership=membership, left_on=max(next_day(), membership.joined_on)
        )

    def meeting_record(self):
        from sites import services
        from sites.models import CommunityOfPractice

        services.meeting_record(
            community=CommunityOfPractice.objects.get(pk=self.rng.choice(self.world.communities)),
            held_on=datetime.date.today() - datetime.timedelta(days=self.rng.randint(0, 400)),
        )

    def initiative_move(self):
        from sites import services
        from sites.models import INITIATIVE_TRANSITIONS, Initiative

        initiative = (
            Initiative.objects.filter(community_id__in=self.world.communities)
            .exclude(status="dropped")
            .order_by("?")
            .first()
        )
        if initiative is None or self.rng.random() < 0.1:
            services.initiative_create(
                community=sites_community(self.rng.choice(self.world.communities)),
                title=f"Initiative {self.number}-{self.rng.randrange(10**9)}",
                theme="communication",
            )
            return
        allowed = sorted(INITIATIVE_TRANSITIONS.get(initiative.status, ()))
        # Mostly forwards; dropping ends the card, so rarely.
        forwards = [s for s in allowed if s != "dropped"] or allowed
        to_status = self.rng.choice(allowed if self.rng.random() < 0.05 else forwards)
        services.initiative_move(initiative=initiative, to_status=to_status)

    def placement_step(self):
        from placements import services
        from placements.models import Placement, PlacementStatus

        placement = (
            Placement.objects.filter(student_id__in=self.world.students).order_by("?").first()
        )
        by = self.user(self.world.facilitator_id)
        status = placement.status
        if status in (PlacementStatus.COMPLETED, PlacementStatus.CANCELLED):
            new = services.placement_create(
                student=placement.student,
                site=sites_site(self.rng.choice(self.world.sites)),
                start_date=placement.start_date,
                end_date=placement.end_date,
                created_by=by,
            )
            if self.rng.random() < 0.7:
                services.placement_confirm(placement=new, changed_by=by)
            return
        if self.rng.random() < 0.15:
            services.placement_cancel(placement=placement, changed_by=by)
            return
        step = {
            PlacementStatus.REQUESTED: services.placement_confirm,
            PlacementStatus.CONFIRMED: services.placement_activate,
            PlacementStatus.ACTIVE: services.placement_complete,
        }[status]
        step(placement=placement, changed_by=by)

    def followup_close(self):
        from interviews import services
        from interviews.models import FollowUp

        followup = (
            FollowUp.objects.filter(site_id__in=self.world.sites, status="pending")
            .order_by("?")
            .first()
        )
        if followup is None:
            raise Skip
        close = self.rng.choice(
            (services.followup_cancel, services.followup_decline, services.followup_mark_missed)
        )
        close(followup=followup)


def sites_community(pk: int):
    from sites.models import CommunityOfPractice

    return CommunityOfPractice.objects.get(pk=pk)


OPERATIONS = {
    "session_log": 5,
    "session_update": 1,
    "session_delete": 1,
    "membership_add": 2,
    "membership_end": 2,
    "meeting_record": 1,
    "initiative_move": 2,
    "placement_step": 3,
    "followup_close": 1,
}


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.failures: list[str] = []

    def add(self, kind: str, outcome: str, detail: str | None = None) -> None:
        with self.lock:
            self.counts[kind][outcome] += 1
            if detail and len(self.failures) < 20:
                self.failures.append(detail)


def is_deadlock(error: BaseException) -> bool:
    cause: BaseException | None = error
    while cause is not None:
        if getattr(cause, "pgcode", None) == "40P01":
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def run_worker(worker: Worker, deadline: float, tally: Tally) -> None:
    from django.core.exceptions import ValidationError
    from django.db import connection

    kinds = list(OPERATIONS)
    weights = [OPERATIONS[k] for k in kinds]
    try:
        while time.monotonic() < deadline:
            kind = worker.rng.choices(kinds, weights)[0]
            try:
                getattr(worker, kind)()
            except Skip:
                tally.add(kind, "skipped")
            except ValidationError:
                tally.add(kind, "refused")
            except Exception as error:
                outcome = "deadlock" if is_deadlock(error) else "error"
                tally.add(
                    kind,
                    outcome,
                    f"{kind} ({outcome}): {type(error).__name__}: {error}\n"
                    + "".join(traceback.format_exception(error)[-4:]),
                )
            else:
                tally.add(kind, "ok")
    finally:
        connection.close()


# --- The checks ----------------------------------------------------------------------------

# Main before django-pgtrigger kept these counters with hand-written triggers and had no
# counters_check(): the same comparison, a kept value against a recount, in SQL.
LEGACY_CHECKS = {
    "sites": (
        "to_regprocedure('sites_cop_refresh_activity(bigint)')",
        """
        SELECT c.id, c.member_count, c.active_initiative_count, c.last_meeting_on
        FROM sites_communityofpractice c
        WHERE c.member_count <> (SELECT count(*) FROM sites_membership m
                                 WHERE m.community_id = c.id AND m.left_on IS NULL)
           OR c.active_initiative_count <> (
                SELECT count(*) FROM sites_initiative i WHERE i.community_id = c.id
                AND i.status IN ('planned', 'in_progress', 'implemented'))
           OR c.last_meeting_on IS DISTINCT FROM (SELECT max(held_on) FROM sites_meeting m
                                                  WHERE m.community_id = c.id)
        """,
    ),
    "mentoring": (
        "to_regprocedure('mentoring_recount_student_sites(bigint[], bigint[])')",
        """
        SELECT 'site profession', site_id, profession_id, k.n, a.n
        FROM (SELECT site_id, profession_id, presences n FROM mentoring_siteprofession
              WHERE presences <> 0) k
        FULL JOIN (SELECT s.site_id, sp.profession_id, count(*) n
                   FROM mentoring_sessionprofessional sp
                   JOIN mentoring_mentoringsession s ON s.id = sp.session_id
                   GROUP BY 1, 2) a USING (site_id, profession_id)
        WHERE k.n IS DISTINCT FROM a.n
        UNION ALL
        SELECT 'student site profession', site_id, student_id * 1000 + profession_id, k.n, a.n
        FROM (SELECT site_id, student_id, profession_id, sessions n
              FROM mentoring_studentsiteprofession WHERE sessions <> 0) k
        FULL JOIN (SELECT s.site_id, a.student_id, sp.profession_id, count(DISTINCT s.id) n
                   FROM mentoring_sessionstudent a
                   JOIN mentoring_mentoringsession s ON s.id = a.session_id
                   JOIN mentoring_sessionprofessional sp ON sp.session_id = s.id
                   GROUP BY 1, 2, 3) a USING (site_id, student_id, profession_id)
        WHERE k.n IS DISTINCT FROM a.n
        UNION ALL
        SELECT 'student site domain', site_id, student_id * 1000 + domain_id, k.n, a.n
        FROM (SELECT site_id, student_id, domain_id, sessions n
              FROM mentoring_studentsitedomain WHERE sessions <> 0) k
        FULL JOIN (SELECT s.site_id, a.student_id, d.competencydomain_id domain_id, count(*) n
                   FROM mentoring_sessionstudent a
                   JOIN mentoring_mentoringsession s ON s.id = a.session_id
                   JOIN mentoring_mentoringsession_domains d ON d.mentoringsession_id = s.id
                   GROUP BY 1, 2, 3) a USING (site_id, student_id, domain_id)
        WHERE k.n IS DISTINCT FROM a.n
        """,
    ),
    "interviews": (
        "to_regprocedure('interviews_followupcount_refill()')",
        """
        SELECT site_id, status, k.n, a.n
        FROM (SELECT site_id, status, total n FROM interviews_followupcount
              WHERE total <> 0) k
        FULL JOIN (SELECT site_id, status, count(*) n FROM interviews_followup
                   GROUP BY 1, 2) a USING (site_id, status)
        WHERE k.n IS DISTINCT FROM a.n
        """,
    ),
}


def check_counters() -> tuple[int, int]:
    """Every app's counters against a recount. Returns (checks run, mismatches)."""
    import importlib

    from django.db import connection

    checks = mismatches = 0
    for app in ("sites", "placements", "mentoring", "interviews"):
        services = importlib.import_module(f"{app}.services")
        check = getattr(services, "counters_check", None)
        if check is not None:
            try:
                found = check()
            except AssertionError as error:
                found = [str(error)]
            found = list(found.items() if isinstance(found, dict) else found or [])
            source = f"{app}.services.counters_check()"
        elif app in LEGACY_CHECKS:
            probe, query = LEGACY_CHECKS[app]
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {probe} IS NOT NULL")
                if not cursor.fetchone()[0]:
                    log(f"  {app}: no counters_check() and no trigger counters: nothing to check")
                    continue
                cursor.execute(query)
                found = cursor.fetchall()
            source = f"{app}: the trigger counters against a recount (SQL)"
        else:
            continue
        checks += 1
        mismatches += len(found)
        log(f"  {source}: {len(found)} mismatches")
        for item in found[:10]:
            log(f"    {item}")
    return checks, mismatches


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=int(os.environ.get("STRESS_THREADS", 16)))
    parser.add_argument(
        "--seconds", type=float, default=float(os.environ.get("STRESS_SECONDS", 30))
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--skip", default="", help="operations left out, comma-separated (to find a culprit)"
    )
    args = parser.parse_args()
    for kind in filter(None, args.skip.split(",")):
        if kind not in OPERATIONS:
            parser.error(f"unknown operation {kind!r}: one of {', '.join(OPERATIONS)}")
        del OPERATIONS[kind]

    started = time.monotonic()
    name = urlsplit(DATABASE_URL).path.lstrip("/")
    log(f"recreating and migrating {name}")
    recreate_database()
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(args.seed)
    world = seed(rng)
    connection.close()
    log(f"  ready in {time.monotonic() - started:.1f} s: {len(world.sites)} sites, "
        f"{len(world.communities)} CoPs, {len(world.students)} students")  # fmt: skip

    log(f"{args.threads} threads for {args.seconds:.0f} s")
    tally = Tally()
    deadline = time.monotonic() + args.seconds
    threads = [
        threading.Thread(
            target=run_worker,
            args=(Worker(n, args.threads, world, args.seed), deadline, tally),
            name=f"stress-{n}",
        )
        for n in range(args.threads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    outcomes = ("ok", "refused", "skipped", "error", "deadlock")
    log(f"{'operation':16s} " + " ".join(f"{o:>8s}" for o in outcomes))
    total: collections.Counter[str] = collections.Counter()
    for kind in OPERATIONS:
        counts = tally.counts[kind]
        total.update(counts)
        log(f"{kind:16s} " + " ".join(f"{counts[o]:8d}" for o in outcomes))
    log(f"{'all':16s} " + " ".join(f"{total[o]:8d}" for o in outcomes))
    log(f"  {total['ok'] / args.seconds:.0f} writes per second")
    for failure in tally.failures:
        log(failure)

    log("counters against a recount")
    checks, mismatches = check_counters()
    if checks == 0:
        log("  no app has a counters_check() (and no trigger counters remain): nothing checked")
    connection.close()
    failed = total["error"] + total["deadlock"] + mismatches
    log(
        f"{'FAILED' if failed else 'OK'}: {total['error']} errors, {total['deadlock']} deadlocks, "
        f"{mismatches} counter mismatches ({time.monotonic() - started:.0f} s in all)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
