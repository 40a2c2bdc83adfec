# ruff: noqa: S608 - the SQL is built from this module's own integer constants, never input.
"""The province data set of `make bench`, generated in PostgreSQL with INSERT … SELECT
FROM generate_series (no Python loop over rows), in its own database (ipcop_bench, or
ipcop_bench_x<SCALE> for `make bench SCALE=<n>`).

Shape at SCALE 1 (every count below is multiplied by BENCH_SCALE, the personas' own
share stays the same: a zone facilitator still has 100 sites; DATASET_VERSION names the
shape; bump it when the shape changes and the next run rebuilds):

- 500 sites in 5 health zones, 3 units each; one zone facilitator per 100 sites
  (users 2–6) and 200 local facilitators (users 7–206, 2–3 sites each); user 1 is an
  admin.
- 15,000 clinicians (preceptors, users 1001–16000), 30 per site, 13 professions.
- 2,000 CoPs (4 per site), 30,000 memberships (15 per CoP), 20,000 meetings, 6,000
  initiatives.
- a program coordinator (user 1000 × SCALE) of programs 1–3 (about 5,800 students at
  SCALE 1).
- 50,000 students (users 100001–150000) in 26 programs; 100,000 placements (2 per
  student, 200 per site) over six years, each with a primary preceptor and an IP mentor
  and its status changes (~260,000).
- 30 affiliation agreements: each of the 2 institutions with each zone, open-ended, and
  one site in 25 with its own, ending within 60 days.
- 7,000 capacity rows: each site offers 4 professions site-wide and each unit 1, for the
  two halves of the current year.
- 1,000,000 mentoring sessions (10 per placement), each with its student, 1–2
  professionals and 2 competency domains.
- 80,000 follow-ups (30,000 memberships, 50,000 placements) and 300,000 reminders:
  100,000 due and unsent (the sweep's work), 100,000 sent, 100,000 in the future.

The INSERTs name only the columns that carry data. Counters (a CoP's members, follow-ups
per site, sessions per student and profession, …) are not written here: after the load,
each app's `services.counters_recount()` computes them (or, on a database whose
counters are still kept by hand-written trigger functions, those functions' refills).
"""

from __future__ import annotations

import datetime
import importlib
import json
import os
import re
import time

from django.apps import apps
from django.db import connection, models, transaction

SCALE = int(os.environ.get("BENCH_SCALE", "1"))
if SCALE < 1:
    raise SystemExit(f"BENCH_SCALE must be a whole number >= 1, not {SCALE}")
DATASET_VERSION = f"province-v7-x{SCALE}"

SITES = 500 * SCALE
ZONES = ["south", "calgary", "central", "edmonton", "north"]
SITES_PER_ZONE = SITES // len(ZONES)
SITES_PER_ZONE_FACILITATOR = 100
KINDS = ["hospital", "rehab", "ltc", "community", "primary", "mental_health", "home_care"]
CLINICIANS_PER_SITE = 30
STUDENTS = 50_000 * SCALE
PLACEMENTS = 100_000 * SCALE
SESSIONS_PER_PLACEMENT = 10
MEMBERSHIPS = SITES * 4 * 15
FOLLOWUPS = MEMBERSHIPS + PLACEMENTS // 2
REMINDERS = 300_000 * SCALE
DUE_REMINDERS = 100_000 * SCALE
SENT_REMINDERS_END = 200_000 * SCALE

# Fixed ids make the benchmark's personas and URLs stable across rebuilds (and the same
# at every scale up to the student ids, which move up with SCALE to leave room).
ADMIN_ID = 1
ZONE_FACILITATOR_ID = 2  # facilitates sites 1–100
FIRST_LOCAL_FACILITATOR = ZONE_FACILITATOR_ID + SITES // SITES_PER_ZONE_FACILITATOR
LOCAL_FACILITATORS = 200 * SCALE
FIRST_CLINICIAN = 1001 + 1000 * (SCALE - 1)
COORDINATOR_ID = FIRST_CLINICIAN - 1  # after the local facilitators at every scale
COORDINATED_PROGRAMS = 3
FIRST_STUDENT_USER = 100_000 * SCALE  # + student id
assert FIRST_LOCAL_FACILITATOR + LOCAL_FACILITATORS <= FIRST_CLINICIAN
assert FIRST_CLINICIAN + SITES * CLINICIANS_PER_SITE <= FIRST_STUDENT_USER

# The site of placement p: spread evenly, 200 placements per site (7919 is prime).
SITE_OF_P = f"(((p::bigint * 7919) % {SITES}) + 1)"
# Placement p starts between ~5.5 years ago and ~200 days ahead, lasts 6 weeks.
START_OF_P = "(current_date - 2000 + ((p * 37) % 2200))"

STEPS: list[tuple[str, str]] = [
    (
        "users",
        f"""
        INSERT INTO accounts_user (id, password, is_superuser, email, full_name, phone,
            is_facilitator, is_preceptor, is_student, is_staff, is_active, date_joined,
            profession_id)
        SELECT 1, '!', true, 'bench-admin@bench.example', 'Bench Admin', '', false, false,
               false, true, true, now(), NULL
        UNION ALL
        SELECT i, '!', false, 'facilitator' || i || '@bench.example',
               'Facilitator ' || i, '', true, false, false, false, true, now(),
               (i % 13) + 1
        FROM generate_series({ZONE_FACILITATOR_ID},
                             {FIRST_LOCAL_FACILITATOR + LOCAL_FACILITATORS - 1}) i
        UNION ALL
        SELECT i, '!', false, 'clinician' || i || '@bench.example',
               'Clinician ' || lpad(i::text, {max(6, len(str(FIRST_STUDENT_USER)))}, '0'), '', false, true, false, false, true,
               now(), (((i - {FIRST_CLINICIAN}) / {SITES}) % 13) + 1
        FROM generate_series({FIRST_CLINICIAN},
                             {FIRST_CLINICIAN + SITES * CLINICIANS_PER_SITE - 1}) i
        UNION ALL
        SELECT {FIRST_STUDENT_USER} + s, '!', false, 'student' || s || '@bench.example',
               'Student ' || lpad(s::text, {max(6, len(str(STUDENTS)))}, '0'), '', false, false, true, false, true,
               now(), ((s - 1) % 13) + 1
        FROM generate_series(1, {STUDENTS}) s
        UNION ALL
        SELECT {COORDINATOR_ID}, '!', false, 'coordinator@bench.example', 'Bench Coordinator',
               '', false, false, false, false, true, now(), 1;
        -- A flag the INSERT above does not name (its temporary default is false).
        UPDATE accounts_user SET is_coordinator = true WHERE id = {COORDINATOR_ID};
        """,
    ),
    (
        "sites, units, facilitators",
        f"""
        INSERT INTO sites_site (id, name, kind, zone, address, city, phone, is_active,
            created_at)
        SELECT s, 'Site ' || lpad(s::text, {len(str(SITES))}, '0'),
               (ARRAY{KINDS!r})[(s % 7) + 1], (ARRAY{ZONES!r})[((s - 1) / {SITES_PER_ZONE}) + 1],
               s || ' Main Street', 'City ' || (s % 40), '', true, now()
        FROM generate_series(1, {SITES}) s;
        INSERT INTO sites_unit (id, site_id, name, description)
        SELECT (s - 1) * 3 + u, s, 'Unit ' || u, ''
        FROM generate_series(1, {SITES}) s, generate_series(1, 3) u;
        INSERT INTO sites_site_facilitators (site_id, user_id)
        SELECT s, {ZONE_FACILITATOR_ID} + (s - 1) / {SITES_PER_ZONE_FACILITATOR}
        FROM generate_series(1, {SITES}) s
        UNION ALL
        SELECT s, {FIRST_LOCAL_FACILITATOR} + ((s - 1) % {LOCAL_FACILITATORS})
        FROM generate_series(1, {SITES}) s;
        """,
    ),
    (
        "CoPs, memberships, meetings, initiatives",
        f"""
        INSERT INTO sites_communityofpractice (id, site_id, name, focus, started_on, status,
            created_at)
        SELECT (s - 1) * 4 + c, s, 'CoP ' || c || ' of site ' || s, 'Working together',
               current_date - 1500 + ((s * 13 + c * 101) % 1000),
               CASE WHEN (s + c) % 10 = 0 THEN 'closed' WHEN (s + c) % 10 = 1 THEN 'forming'
                    ELSE 'active' END,
               now()
        FROM generate_series(1, {SITES}) s, generate_series(1, 4) c;
        -- CoP k of site s takes 15 of the site's 30 clinicians.
        INSERT INTO sites_membership (id, community_id, person_id, profession_id, role,
            joined_on, left_on)
        SELECT (k - 1) * 15 + m + 1, k, u.id, u.profession_id,
               CASE WHEN m = 0 THEN 'champion' ELSE 'member' END,
               cop.started_on + m * 20,
               CASE WHEN m % 7 = 6 THEN cop.started_on + m * 20 + 200 END
        FROM generate_series(1, {SITES * 4}) k
        JOIN sites_communityofpractice cop ON cop.id = k
        CROSS JOIN generate_series(0, 14) m
        JOIN accounts_user u ON u.id = {FIRST_CLINICIAN} + (cop.site_id - 1)
             + {SITES} * ((((k - 1) % 4) * 7 + m) % {CLINICIANS_PER_SITE});
        INSERT INTO sites_meeting (community_id, held_on, duration_minutes, topics,
            decisions, action_items, created_at)
        SELECT k, current_date - (k % 30) - n * 35, 60, 'Topics', '', '', now()
        FROM generate_series(1, {SITES * 4}) k, generate_series(0, 9) n;
        INSERT INTO sites_initiative (community_id, title, theme, description, status,
            started_on, ended_on, outcome, updated_at, created_at)
        SELECT k, 'Initiative ' || n || ' of CoP ' || k,
               (ARRAY['communication','admission_intake','discharge','roles_scope',
                      'patient_centred','other'])[((k + n) % 6) + 1], '',
               (ARRAY['idea','planned','in_progress','implemented','sustained','dropped'])
                   [((k * 3 + n) % 6) + 1],
               current_date - 400 + n * 30, NULL, '',
               -- Changed at different times, the zones interleaved (as in real use).
               now() - ((k * 7 + n * 13) % 200) * interval '1 day' - (k % 24) * interval '1 hour',
               now() - interval '300 days'
        FROM generate_series(1, {SITES * 4}) k, generate_series(1, 3) n;
        """,
    ),
    (
        "programs, students",
        f"""
        INSERT INTO placements_institution (id, name)
        VALUES (1, 'University of Alberta'), (2, 'University of Calgary');
        INSERT INTO placements_program (id, name, institution_id, profession_id, framework_id)
        SELECT g, p.name || ' program', CASE WHEN g <= 13 THEN 1 ELSE 2 END,
               p.id, CASE WHEN g <= 13 THEN NULL ELSE 2 END
        FROM generate_series(1, 26) g JOIN accounts_profession p ON p.id = ((g - 1) % 13) + 1;
        INSERT INTO placements_student (id, user_id, program_id, student_number, cohort_year)
        SELECT s, {FIRST_STUDENT_USER} + s, ((s - 1) % 26) + 1, 'S' || lpad(s::text, {max(7, len(str(STUDENTS)))}, '0'),
               2020 + (s % 6)
        FROM generate_series(1, {STUDENTS}) s;
        INSERT INTO placements_program_coordinators (program_id, user_id)
        SELECT g, {COORDINATOR_ID} FROM generate_series(1, {COORDINATED_PROGRAMS}) g;
        """,
    ),
    (
        "affiliation agreements",
        f"""
        -- Each institution has an open-ended agreement with every zone's health authority
        -- (so every placement may be confirmed), and one site in 25 has its own agreement
        -- ending within 60 days (the facilitators' to-do line).
        INSERT INTO placements_affiliationagreement (id, institution_id, site_id, zone,
            starts_on, ends_on, status, document, notes, created_at, updated_at)
        SELECT row_number() OVER (ORDER BY i, z), i, NULL, z, current_date - 1500, NULL,
               'active', '', '', now(), now()
        FROM generate_series(1, 2) i, unnest(ARRAY{ZONES!r}) z
        UNION ALL
        SELECT 10 + s, 1 + s % 2, s, '', current_date - 700, current_date + 10 + s % 50,
               'active', '', '', now(), now()
        FROM generate_series(1, {SITES}, 25) s;
        """,
    ),
    (
        "placements, mentoring teams",
        f"""
        INSERT INTO placements_placement (id, student_id, site_id, unit_id, start_date,
            end_date, model, status, notes, created_at, updated_at)
        SELECT p, ((p - 1) % {STUDENTS}) + 1, {SITE_OF_P}, ({SITE_OF_P} - 1) * 3 + (p % 3) + 1,
               {START_OF_P}, {START_OF_P} + 41,
               CASE WHEN p % 2 = 0 THEN 'ip_mentoring' ELSE 'traditional' END,
               CASE WHEN {START_OF_P} > current_date
                        THEN CASE WHEN p % 3 = 0 THEN 'requested' ELSE 'confirmed' END
                    WHEN {START_OF_P} + 41 >= current_date THEN 'active'
                    WHEN p % 10 = 0 THEN 'cancelled'
                    ELSE 'completed' END,
               '', now(), now()
        FROM generate_series(1, {PLACEMENTS}) p;
        -- The primary preceptor is the site's clinician p % 30, the IP mentor (p + 7) % 30.
        INSERT INTO mentoring_mentorassignment (placement_id, mentor_id, profession_id, role,
            assigned_at)
        SELECT p, u.id, u.profession_id, r.role, now()
        FROM generate_series(1, {PLACEMENTS}) p
        CROSS JOIN (VALUES ('primary', 0), ('ip_mentor', 7)) r(role, shift)
        JOIN accounts_user u ON u.id = {FIRST_CLINICIAN} + ({SITE_OF_P} - 1)
             + {SITES} * ((p + r.shift) % {CLINICIANS_PER_SITE});
        """,
    ),
    (
        "placement status changes",
        f"""
        -- Each placement's steps up to its status, by its zone's facilitator.
        INSERT INTO placements_placementstatuschange (placement_id, from_status, to_status,
            changed_by_id, changed_at, note)
        SELECT pl.id, s.from_status, s.to_status,
               {ZONE_FACILITATOR_ID} + (pl.site_id - 1) / {SITES_PER_ZONE_FACILITATOR},
               (pl.start_date + s.days)::timestamptz + time '09:00', ''
        FROM placements_placement pl
        JOIN (VALUES (0, '', 'requested', -60), (1, 'requested', 'confirmed', -30),
                     (2, 'confirmed', 'active', 0), (3, 'active', 'completed', 42),
                     (4, 'requested', 'cancelled', -10)) s(step, from_status, to_status, days)
          ON CASE pl.status WHEN 'requested' THEN s.step = 0
                            WHEN 'confirmed' THEN s.step <= 1
                            WHEN 'active' THEN s.step <= 2
                            WHEN 'completed' THEN s.step <= 3
                            ELSE s.step IN (0, 4) END;
        """,
    ),
    (
        "capacity",
        f"""
        INSERT INTO placements_capacity (site_id, unit_id, profession_id, period_start,
            period_end, places)
        SELECT s, NULL, ((s + pr) % 13) + 1, h.start, (h.start + interval '6 months')::date - 1,
               2 + (s + pr) % 4
        FROM generate_series(1, {SITES}) s, generate_series(0, 3) pr,
             (SELECT date_trunc('year', current_date)::date AS start
              UNION ALL SELECT (date_trunc('year', current_date) + interval '6 months')::date
             ) h
        UNION ALL
        SELECT s, (s - 1) * 3 + u, ((s + u + 5) % 13) + 1, h.start,
               (h.start + interval '6 months')::date - 1, 1 + u % 2
        FROM generate_series(1, {SITES}) s, generate_series(1, 3) u,
             (SELECT date_trunc('year', current_date)::date AS start
              UNION ALL SELECT (date_trunc('year', current_date) + interval '6 months')::date
             ) h
        """,
    ),
    (
        f"{PLACEMENTS * SESSIONS_PER_PLACEMENT:,} mentoring sessions",
        f"""
        INSERT INTO mentoring_mentoringsession (id, site_id, logged_by_id, held_on,
            duration_minutes, activity, notes, created_at, updated_at)
        SELECT (p - 1) * {SESSIONS_PER_PLACEMENT} + k, {SITE_OF_P},
               {FIRST_CLINICIAN} + ({SITE_OF_P} - 1) + {SITES} * (p % {CLINICIANS_PER_SITE}),
               {START_OF_P} + k * 4, 15 + ((p + k) % 6) * 15,
               (ARRAY['shadowing','joint_assessment','ip_rounds','case_discussion',
                      'role_interview','debrief'])[((p + k) % 6) + 1],
               '', now(), now()
        FROM generate_series(1, {PLACEMENTS}) p,
             generate_series(1, {SESSIONS_PER_PLACEMENT}) k;
        """,
    ),
    (
        "session students",
        f"""
        INSERT INTO mentoring_sessionstudent (session_id, student_id, placement_id,
            reflection, reflected_at)
        SELECT (p - 1) * {SESSIONS_PER_PLACEMENT} + k, ((p - 1) % {STUDENTS}) + 1, p, '', NULL
        FROM generate_series(1, {PLACEMENTS}) p,
             generate_series(1, {SESSIONS_PER_PLACEMENT}) k;
        """,
    ),
    (
        "session professionals",
        f"""
        -- The primary preceptor at every session, the IP mentor at every other one.
        INSERT INTO mentoring_sessionprofessional (session_id, person_id, profession_id)
        SELECT (ma.placement_id - 1) * {SESSIONS_PER_PLACEMENT} + k, ma.mentor_id,
               ma.profession_id
        FROM mentoring_mentorassignment ma
        CROSS JOIN generate_series(1, {SESSIONS_PER_PLACEMENT}) k
        WHERE ma.role = 'primary' OR k % 2 = 0;
        """,
    ),
    (
        "session domains",
        f"""
        -- Two domains of the student's framework (CIHC 2010: 1–6, CIHC 2024: 7–12).
        INSERT INTO mentoring_mentoringsession_domains (mentoringsession_id,
            competencydomain_id)
        SELECT (p - 1) * {SESSIONS_PER_PLACEMENT} + k,
               CASE WHEN (((p - 1) % {STUDENTS}) % 26) >= 13 THEN 6 ELSE 0 END
                 + ((p + k + d * 3) % 6) + 1
        FROM generate_series(1, {PLACEMENTS}) p,
             generate_series(1, {SESSIONS_PER_PLACEMENT}) k,
             generate_series(0, 1) d;
        """,
    ),
    (
        "follow-ups",
        f"""
        INSERT INTO interviews_followup (id, participant_id, membership_id, placement_id,
            site_id, due_on, status, interviewer_id, scheduled_at, mode, location,
            calendar_uid, calendar_sequence, created_at, updated_at)
        SELECT f.id, f.participant_id, f.membership_id, f.placement_id, f.site_id, f.due_on,
               f.status,
               CASE WHEN f.status IN ('scheduled', 'completed') THEN
                    {FIRST_LOCAL_FACILITATOR} + ((f.site_id - 1) % {LOCAL_FACILITATORS}) END,
               CASE WHEN f.status IN ('scheduled', 'completed') THEN
                    f.due_on + time '10:00' END,
               CASE WHEN f.status IN ('scheduled', 'completed') THEN 'video' ELSE '' END,
               '', gen_random_uuid(), 0, now(), now()
        FROM (
            SELECT m.id, m.person_id AS participant_id, m.id AS membership_id,
                   NULL::bigint AS placement_id, c.site_id,
                   (m.joined_on + interval '6 months')::date AS due_on,
                   CASE WHEN m.joined_on + interval '6 months' >= current_date
                             THEN CASE WHEN m.id % 4 = 0 THEN 'scheduled' ELSE 'pending' END
                        WHEN m.id % 5 = 0 THEN 'missed'
                        WHEN m.id % 7 = 0 THEN 'pending'
                        ELSE 'completed' END AS status
            FROM sites_membership m JOIN sites_communityofpractice c ON c.id = m.community_id
            UNION ALL
            SELECT {MEMBERSHIPS} + pl.id, st.user_id, NULL, pl.id, pl.site_id,
                   (pl.start_date + interval '6 months')::date,
                   CASE WHEN pl.start_date + interval '6 months' >= current_date
                             THEN CASE WHEN pl.id % 4 = 0 THEN 'scheduled' ELSE 'pending' END
                        WHEN pl.id % 5 = 0 THEN 'declined'
                        WHEN pl.id % 7 = 0 THEN 'pending'
                        ELSE 'completed' END
            FROM placements_placement pl JOIN placements_student st ON st.id = pl.student_id
            WHERE pl.id <= {PLACEMENTS // 2}
        ) f;
        """,
    ),
    (
        f"{REMINDERS:,} reminders",
        f"""
        -- Reminder r: follow-up ((r - 1) % followups) + 1, kind by (r - 1) / followups, to
        -- the site's local facilitator. The first third are due and unsent (the sweep's
        -- work), the second third were sent, the last third are in the future.
        INSERT INTO interviews_reminder (id, followup_id, recipient_id, kind, send_at,
            sent_at, attempts, last_error, created_at)
        SELECT r, f.id, {FIRST_LOCAL_FACILITATOR} + ((f.site_id - 1) % {LOCAL_FACILITATORS}),
               (ARRAY['due_soon','day_before','overdue_1','overdue_2'])
                   [((r - 1) / {FOLLOWUPS}) + 1],
               CASE WHEN r <= {SENT_REMINDERS_END}
                        THEN timestamptz '2024-01-01' + r * interval '1 minute' / {SCALE}
                    ELSE now() + r * interval '1 minute' END,
               CASE WHEN r > {DUE_REMINDERS} AND r <= {SENT_REMINDERS_END}
                    THEN timestamptz '2024-01-01' + r * interval '1 minute' / {SCALE} END,
               0, '', now()
        FROM generate_series(1, {REMINDERS}) r
        JOIN interviews_followup f ON f.id = ((r - 1) % {FOLLOWUPS}) + 1;
        """,
    ),
]


# Where a database still has the counters of the hand-written trigger migrations (main
# before django-pgtrigger), and the app offers no `counters_recount()`, these statements
# fill them: (what must exist, as a to_regprocedure/to_regclass test, statements).
LEGACY_REFILLS: dict[str, tuple[str, list[str]]] = {
    "sites": (
        "to_regprocedure('sites_cop_refresh_activity(bigint)')",
        ["SELECT sites_cop_refresh_activity(id) FROM sites_communityofpractice"],
    ),
    "mentoring": (
        "to_regprocedure('mentoring_recount_student_sites(bigint[], bigint[])')",
        [
            """
            DELETE FROM mentoring_siteprofession;
            INSERT INTO mentoring_siteprofession (site_id, profession_id, presences)
            SELECT s.site_id, sp.profession_id, COUNT(*)
            FROM mentoring_sessionprofessional sp
            JOIN mentoring_mentoringsession s ON s.id = sp.session_id
            GROUP BY s.site_id, sp.profession_id;
            DELETE FROM mentoring_studentsiteprofession;
            INSERT INTO mentoring_studentsiteprofession (site_id, student_id, profession_id,
                sessions)
            SELECT s.site_id, a.student_id, sp.profession_id, COUNT(DISTINCT s.id)
            FROM mentoring_sessionstudent a
            JOIN mentoring_mentoringsession s ON s.id = a.session_id
            JOIN mentoring_sessionprofessional sp ON sp.session_id = s.id
            GROUP BY s.site_id, a.student_id, sp.profession_id;
            DELETE FROM mentoring_studentsitedomain;
            INSERT INTO mentoring_studentsitedomain (site_id, student_id, domain_id, sessions)
            SELECT s.site_id, a.student_id, d.competencydomain_id, COUNT(*)
            FROM mentoring_sessionstudent a
            JOIN mentoring_mentoringsession s ON s.id = a.session_id
            JOIN mentoring_mentoringsession_domains d ON d.mentoringsession_id = s.id
            GROUP BY s.site_id, a.student_id, d.competencydomain_id;
            """
        ],
    ),
    "interviews": (
        "to_regprocedure('interviews_followupcount_refill()')",
        ["SELECT interviews_followupcount_refill()"],
    ),
}

# The apps whose services may keep counters, lowest layer first.
COUNTER_APPS = ("sites", "placements", "mentoring", "interviews")


def _app_services(app: str):
    try:
        return importlib.import_module(f"{app}.services")
    except ImportError:
        return None


def recount_counters(cursor, log=print) -> None:
    """Compute every kept counter after a load with triggers off: each app's
    `services.counters_recount()` where it has one, else the old SQL refill where the
    database still has it."""
    for app in COUNTER_APPS:
        services = _app_services(app)
        recount = getattr(services, "counters_recount", None)
        started = time.monotonic()
        if recount is not None:
            recount()
            log(f"  {app}.services.counters_recount(): {time.monotonic() - started:.1f} s")
            continue
        legacy = LEGACY_REFILLS.get(app)
        if legacy is None:
            continue
        probe, statements = legacy
        cursor.execute(f"SELECT {probe} IS NOT NULL")
        if not cursor.fetchone()[0]:
            log(f"  {app}: no counters_recount() and no SQL refill: nothing to recount")
            continue
        for statement in statements:
            cursor.execute(statement)
        log(f"  {app}: SQL refill of the trigger migrations: {time.monotonic() - started:.1f} s")


def check_counters(log=print) -> list[str]:
    """Each app's `services.counters_check()` where present: what it reports wrong (it
    returns the mismatches, empty when every counter equals its recount)."""
    problems = []
    for app in COUNTER_APPS:
        check = getattr(_app_services(app), "counters_check", None)
        if check is None:
            continue
        started = time.monotonic()
        mismatches = check()
        mismatches = list(mismatches.items() if isinstance(mismatches, dict) else mismatches or [])
        problems += [f"{app}: {m}" for m in mismatches]
        log(
            f"  {app}.services.counters_check(): {len(mismatches)} mismatches, "
            f"{time.monotonic() - started:.1f} s"
        )
    return problems


BULK_TABLES = [
    "placements_placement",
    "placements_placementstatuschange",
    "placements_capacity",
    "mentoring_mentorassignment",
    "mentoring_mentoringsession",
    "mentoring_sessionstudent",
    "mentoring_sessionprofessional",
    "mentoring_mentoringsession_domains",
    "interviews_followup",
    "interviews_reminder",
]

SEQUENCED_TABLES = [
    "accounts_user",
    "sites_site",
    "sites_unit",
    "sites_site_facilitators",
    "sites_communityofpractice",
    "sites_membership",
    "sites_meeting",
    "sites_initiative",
    "placements_institution",
    "placements_affiliationagreement",
    "placements_program",
    "placements_student",
    "placements_placement",
    "placements_placementstatuschange",
    "placements_capacity",
    "mentoring_mentorassignment",
    "mentoring_mentoringsession",
    "mentoring_sessionstudent",
    "mentoring_sessionprofessional",
    "mentoring_mentoringsession_domains",
    "interviews_followup",
    "interviews_reminder",
]


def _secondary_indexes(cursor) -> list[tuple[str, str]]:
    """Indexes of the big tables that no constraint owns (primary keys and unique
    constraints stay: the generator's own statements read through some of them)."""
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        [BULK_TABLES],
    )
    return cursor.fetchall()


def _default_sql(field: models.Field) -> str | None:
    """A column default, as SQL, that stands for what Django would write into `field`
    when the generator does not name the column (a counter, a flag added later)."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return "now()"
    if field.has_default():
        if callable(field.default):  # uuid4 and the like: one value per row, none here
            return None
        value = field.get_db_prep_save(field.get_default(), connection)
        if isinstance(value, bool | int | float | str | datetime.date):
            with connection.schema_editor(atomic=False) as editor:
                return editor.quote_value(value)
        return None
    if field.empty_strings_allowed and not field.null:
        return "''"
    return None


def _named_columns() -> dict[str, set[str]]:
    """The columns each table's INSERTs in STEPS name."""
    named: dict[str, set[str]] = {}
    for _, sql in STEPS:
        for table, columns in re.findall(r"INSERT INTO (\w+) \(([^)]*)\)", sql):
            named.setdefault(table, set()).update(c.strip() for c in columns.split(","))
    return named


def _temporary_defaults(cursor) -> list[tuple[str, str]]:
    """Give the NOT NULL columns of the loaded tables that the INSERTs do not name and
    that have no database default one for the load, from the model field: the INSERTs
    name only the columns that carry data, and a counter column added to a model later
    is filled with its default and then recounted. Returns the (table, column) pairs to
    reset afterwards."""
    named = _named_columns()
    added = []
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if table not in SEQUENCED_TABLES:
            continue
        cursor.execute(
            """
            SELECT attname FROM pg_attribute
            WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped
              AND attnotnull AND NOT atthasdef AND attidentity = ''
            """,
            [table],
        )
        without_default = {row[0] for row in cursor.fetchall()}
        for field in model._meta.concrete_fields:
            if field.primary_key or field.column not in without_default:
                continue
            if field.column in named.get(table, ()):
                continue
            default = _default_sql(field)
            if default is not None:
                cursor.execute(
                    f'ALTER TABLE "{table}" ALTER COLUMN "{field.column}" SET DEFAULT {default}'
                )
                added.append((table, field.column))
    return added


def _migrations(cursor) -> str:
    """A digest of the migrations applied to this database."""
    cursor.execute(
        "SELECT md5(string_agg(app || '.' || name, ',' ORDER BY app, name)) FROM django_migrations"
    )
    return cursor.fetchone()[0]


def _built_with(cursor) -> str | None:
    """The digest of the migrations the data set was built (or last recounted) with."""
    cursor.execute(
        "SELECT 1 FROM information_schema.columns "
        "WHERE table_name = 'bench_dataset' AND column_name = 'migrations'"
    )
    if cursor.fetchone() is None:
        return None
    cursor.execute("SELECT migrations FROM bench_dataset LIMIT 1")
    return cursor.fetchone()[0]


def _version(cursor) -> str | None:
    cursor.execute("SELECT to_regclass('bench_dataset')")
    if cursor.fetchone()[0] is None:
        return None
    cursor.execute("SELECT version FROM bench_dataset LIMIT 1")
    row = cursor.fetchone()
    return row[0] if row else None


def build_info() -> dict | None:
    """When the data set in this database was built and how long the build took."""
    with connection.cursor() as cursor:
        if _version(cursor) is None:
            return None
        cursor.execute("SELECT version, built_at, seconds, steps FROM bench_dataset LIMIT 1")
        version, built_at, seconds, steps = cursor.fetchone()
    return {"version": version, "built_at": built_at.isoformat(), "seconds": seconds,
            "steps": steps}  # fmt: skip


def ensure_dataset(log=print) -> bool:
    """Build the data set unless this version is already there. Returns True if built.
    One transaction: a build that fails leaves the database as it was, its secondary
    indexes included (they are dropped during the load and rebuilt at its end)."""
    steps: dict[str, float] = {}

    def timed(label: str, started: float) -> None:
        steps[label] = round(time.monotonic() - started, 1)
        log(f"  {label}: {steps[label]:.1f} s")

    with transaction.atomic(), connection.cursor() as cursor:
        if _version(cursor) == DATASET_VERSION:
            log(f"data set {DATASET_VERSION} already present: reused")
            if _migrations(cursor) != _built_with(cursor):
                # A migration since the build may have added a counter (a column at its
                # default, an empty table): count them all again.
                log("  migrations applied since the build: recounting the counters")
                cursor.execute("SET work_mem TO '128MB'")
                recount_counters(cursor, log)
                cursor.execute("ALTER TABLE bench_dataset ADD COLUMN IF NOT EXISTS migrations text")
                cursor.execute("UPDATE bench_dataset SET migrations = %s", [_migrations(cursor)])
                reused_after_migrations = True
            else:
                return False
        else:
            reused_after_migrations = False
    if reused_after_migrations:
        vacuum_analyze(log)
        for problem in check_counters(log)[:20]:
            log(f"  COUNTER MISMATCH {problem}")
        return False
    with transaction.atomic(), connection.cursor() as cursor:
        log(f"building data set {DATASET_VERSION} (a few minutes per SCALE)")
        started = time.monotonic()
        cursor.execute("SET synchronous_commit TO off")
        cursor.execute("SET maintenance_work_mem TO '512MB'")
        cursor.execute("SET work_mem TO '128MB'")
        tables = ", ".join(SEQUENCED_TABLES[::-1])
        cursor.execute("DROP TABLE IF EXISTS bench_dataset")
        cursor.execute(f"TRUNCATE {tables}, django_session CASCADE")
        # Bulk-load speed: no per-row triggers (foreign keys: the generator's ids are
        # consistent by construction; counters: recounted once at the end) and secondary
        # indexes built once at the end. `session_replication_role = replica` turns off
        # every ordinary trigger, hand-written or django-pgtrigger's alike.
        cursor.execute("SET session_replication_role TO replica")
        defaults = _temporary_defaults(cursor)
        if defaults:
            log("  columns the generator leaves to their model default: "
                + ", ".join(f"{table}.{column}" for table, column in defaults))  # fmt: skip
        indexes = _secondary_indexes(cursor)
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for label, sql in STEPS:
            step_start = time.monotonic()
            cursor.execute(sql)
            timed(label, step_start)
        step_start = time.monotonic()
        for _, definition in indexes:
            cursor.execute(definition)
        timed(f"{len(indexes)} indexes rebuilt", step_start)
        for table, column in defaults:
            cursor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" DROP DEFAULT')
        cursor.execute("SET session_replication_role TO DEFAULT")
        for table in SEQUENCED_TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        # Statistics before the recounts, so their joins over millions of rows are
        # planned for what is there, not for empty tables.
        step_start = time.monotonic()
        cursor.execute("ANALYZE")
        timed("ANALYZE", step_start)
        step_start = time.monotonic()
        recount_counters(cursor, log)
        timed("counters recounted", step_start)
        cursor.execute(
            "CREATE TABLE bench_dataset (version text NOT NULL, built_at timestamptz NOT NULL,"
            " seconds real, steps json, migrations text)"
        )
        cursor.execute(
            "INSERT INTO bench_dataset VALUES (%s, now(), %s, %s, %s)",
            [DATASET_VERSION, time.monotonic() - started, json.dumps(steps), _migrations(cursor)],
        )
    step_start = time.monotonic()
    vacuum_analyze(log)
    timed("VACUUM ANALYZE", step_start)
    total = time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute("UPDATE bench_dataset SET seconds = %s, steps = %s",
                       [total, json.dumps(steps)])  # fmt: skip
    log(f"data set built in {total:.0f} s")
    problems = check_counters(log)
    for problem in problems[:20]:
        log(f"  COUNTER MISMATCH {problem}")
    return True


def vacuum_analyze(log=print) -> None:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def reset_due_reminders() -> None:
    """Put the due reminders back as due and unsent (after a sweep run)."""
    send_at = f"timestamptz '2024-01-01' + id * interval '1 minute' / {SCALE}"
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE interviews_reminder SET sent_at = NULL, attempts = 0, last_error = '', "
            f"send_at = {send_at} "
            f"WHERE id <= %s AND (sent_at IS NOT NULL OR attempts > 0 OR send_at <> {send_at})",
            [DUE_REMINDERS],
        )
