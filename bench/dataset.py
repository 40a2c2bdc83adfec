# ruff: noqa: S608 - the SQL is built from this module's own integer constants, never input.
"""The province data set of `make bench`, generated in PostgreSQL with INSERT … SELECT
FROM generate_series (no Python loop over rows), in its own database (ipcop_bench).

Shape (DATASET_VERSION names it; bump it when the shape changes and the next run rebuilds):

- 500 sites in 5 health zones of 100 sites, 3 units each; one zone facilitator per zone
  (users 2–6, 100 sites each) and 200 local facilitators (users 7–206, 2–3 sites each);
  user 1 is an admin.
- 15,000 clinicians (preceptors, users 1001–16000), 30 per site, 13 professions.
- 2,000 CoPs (4 per site), 30,000 memberships (15 per CoP), 20,000 meetings, 6,000
  initiatives.
- 50,000 students (users 100001–150000) in 26 programs; 100,000 placements (2 per
  student, 200 per site) over six years, each with a primary preceptor and an IP mentor.
- 7,000 capacity rows: each site offers 4 professions site-wide and each unit 1, for the
  two halves of the current year.
- 1,000,000 mentoring sessions (10 per placement), each with its student, 1–2
  professionals and 2 competency domains.
- 80,000 follow-ups (30,000 memberships, 50,000 placements) and 300,000 reminders:
  100,000 due and unsent (the sweep's work), 100,000 sent, 100,000 in the future.
"""

from __future__ import annotations

import time

from django.db import connection, transaction

DATASET_VERSION = "province-v3"

SITES = 500
ZONES = ["south", "calgary", "central", "edmonton", "north"]
KINDS = ["hospital", "rehab", "ltc", "community", "primary", "mental_health", "home_care"]
CLINICIANS_PER_SITE = 30
STUDENTS = 50_000
PLACEMENTS = 100_000
SESSIONS_PER_PLACEMENT = 10
DUE_REMINDERS = 100_000

# Fixed ids make the benchmark's personas and URLs stable across rebuilds.
ADMIN_ID = 1
ZONE_FACILITATOR_ID = 2  # facilitates sites 1–100
FIRST_LOCAL_FACILITATOR = 7
FIRST_CLINICIAN = 1001
FIRST_STUDENT_USER = 100_000  # + student id

# The site of placement p: spread evenly, 200 placements per site.
SITE_OF_P = "(((p * 7919) % 500) + 1)"
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
        FROM generate_series(2, 206) i
        UNION ALL
        SELECT i, '!', false, 'clinician' || i || '@bench.example',
               'Clinician ' || lpad(i::text, 6, '0'), '', false, true, false, false, true,
               now(), (((i - {FIRST_CLINICIAN}) / {SITES}) % 13) + 1
        FROM generate_series({FIRST_CLINICIAN},
                             {FIRST_CLINICIAN + SITES * CLINICIANS_PER_SITE - 1}) i
        UNION ALL
        SELECT {FIRST_STUDENT_USER} + s, '!', false, 'student' || s || '@bench.example',
               'Student ' || lpad(s::text, 6, '0'), '', false, false, true, false, true,
               now(), ((s - 1) % 13) + 1
        FROM generate_series(1, {STUDENTS}) s
        """,
    ),
    (
        "sites, units, facilitators",
        f"""
        INSERT INTO sites_site (id, name, kind, zone, address, city, phone, is_active,
            created_at)
        SELECT s, 'Site ' || lpad(s::text, 3, '0'),
               (ARRAY{KINDS!r})[(s % 7) + 1], (ARRAY{ZONES!r})[((s - 1) / 100) + 1],
               s || ' Main Street', 'City ' || (s % 40), '', true, now()
        FROM generate_series(1, {SITES}) s;
        INSERT INTO sites_unit (id, site_id, name, description)
        SELECT (s - 1) * 3 + u, s, 'Unit ' || u, ''
        FROM generate_series(1, {SITES}) s, generate_series(1, 3) u;
        INSERT INTO sites_site_facilitators (site_id, user_id)
        SELECT s, {ZONE_FACILITATOR_ID} + (s - 1) / 100 FROM generate_series(1, {SITES}) s
        UNION ALL
        SELECT s, {FIRST_LOCAL_FACILITATOR} + ((s - 1) % 200)
        FROM generate_series(1, {SITES}) s;
        """,
    ),
    (
        "CoPs, memberships, meetings, initiatives",
        f"""
        INSERT INTO sites_communityofpractice (id, site_id, name, focus, started_on, status,
            created_at, member_count, active_initiative_count)
        SELECT (s - 1) * 4 + c, s, 'CoP ' || c || ' of site ' || s, 'Working together',
               current_date - 1500 + ((s * 13 + c * 101) % 1000),
               CASE WHEN (s + c) % 10 = 0 THEN 'closed' WHEN (s + c) % 10 = 1 THEN 'forming'
                    ELSE 'active' END,
               now(), 0, 0
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
        INSERT INTO placements_program (id, name, institution, profession_id, framework_id)
        SELECT g, p.name || ' program', CASE WHEN g <= 13 THEN 'University of Alberta'
                                             ELSE 'University of Calgary' END,
               p.id, CASE WHEN g <= 13 THEN NULL ELSE 2 END
        FROM generate_series(1, 26) g JOIN accounts_profession p ON p.id = ((g - 1) % 13) + 1;
        INSERT INTO placements_student (id, user_id, program_id, student_number, cohort_year)
        SELECT s, {FIRST_STUDENT_USER} + s, ((s - 1) % 26) + 1, 'S' || lpad(s::text, 7, '0'),
               2020 + (s % 6)
        FROM generate_series(1, {STUDENTS}) s;
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
        "1,000,000 mentoring sessions",
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
                    {FIRST_LOCAL_FACILITATOR} + ((f.site_id - 1) % 200) END,
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
            SELECT 30000 + pl.id, st.user_id, NULL, pl.id, pl.site_id,
                   (pl.start_date + interval '6 months')::date,
                   CASE WHEN pl.start_date + interval '6 months' >= current_date
                             THEN CASE WHEN pl.id % 4 = 0 THEN 'scheduled' ELSE 'pending' END
                        WHEN pl.id % 5 = 0 THEN 'declined'
                        WHEN pl.id % 7 = 0 THEN 'pending'
                        ELSE 'completed' END
            FROM placements_placement pl JOIN placements_student st ON st.id = pl.student_id
            WHERE pl.id <= 50000
        ) f;
        """,
    ),
    (
        "300,000 reminders",
        f"""
        -- Reminder r: follow-up ((r - 1) % 80000) + 1, kind by (r - 1) / 80000, to the
        -- site's local facilitator. 1–100,000 are due and unsent (the sweep's work),
        -- 100,001–200,000 were sent, 200,001–300,000 are in the future.
        INSERT INTO interviews_reminder (id, followup_id, recipient_id, kind, send_at,
            sent_at, attempts, last_error, created_at)
        SELECT r, f.id, {FIRST_LOCAL_FACILITATOR} + ((f.site_id - 1) % 200),
               (ARRAY['due_soon','day_before','overdue_1','overdue_2'])[((r - 1) / 80000) + 1],
               CASE WHEN r <= 200000 THEN timestamptz '2024-01-01' + r * interval '1 minute'
                    ELSE now() + r * interval '1 minute' END,
               CASE WHEN r > {DUE_REMINDERS} AND r <= 200000
                    THEN timestamptz '2024-01-01' + r * interval '1 minute' END,
               0, '', now()
        FROM generate_series(1, 300000) r
        JOIN interviews_followup f ON f.id = ((r - 1) % 80000) + 1;
        """,
    ),
]


def mentoring_summaries_step() -> tuple[str, str]:
    """The counts mentoring's triggers keep (mentoring migrations 0005, 0006), which the bulk
    load does not fire (session_replication_role = replica): counted once at the end."""
    return (
        "mentoring summaries",
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
        """,
    )


STEPS.append(mentoring_summaries_step())

BULK_TABLES = [
    "placements_placement",
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
    "placements_program",
    "placements_student",
    "placements_placement",
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


def _version(cursor) -> str | None:
    cursor.execute("SELECT to_regclass('bench_dataset')")
    if cursor.fetchone()[0] is None:
        return None
    cursor.execute("SELECT version FROM bench_dataset LIMIT 1")
    row = cursor.fetchone()
    return row[0] if row else None


def ensure_dataset(log=print) -> bool:
    """Build the data set unless this version is already there. Returns True if built.
    One transaction: a build that fails leaves the database as it was, its secondary
    indexes included (they are dropped during the load and rebuilt at its end)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if _version(cursor) == DATASET_VERSION:
            log(f"data set {DATASET_VERSION} already present: reused")
            return False
        log(f"building data set {DATASET_VERSION} (a few minutes)")
        cursor.execute("SET synchronous_commit TO off")
        cursor.execute("SET maintenance_work_mem TO '512MB'")
        cursor.execute("SET work_mem TO '128MB'")
        tables = ", ".join(SEQUENCED_TABLES[::-1])
        cursor.execute("DROP TABLE IF EXISTS bench_dataset")
        cursor.execute(f"TRUNCATE {tables}, django_session CASCADE")  # noqa: S608
        started = time.monotonic()
        # Bulk-load speed: no per-row foreign-key triggers (the generator's ids are
        # consistent by construction) and secondary indexes built once at the end.
        cursor.execute("SET session_replication_role TO replica")
        indexes = _secondary_indexes(cursor)
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for label, sql in STEPS:
            step_start = time.monotonic()
            cursor.execute(sql)
            log(f"  {label}: {time.monotonic() - step_start:.1f} s")
        step_start = time.monotonic()
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SET session_replication_role TO DEFAULT")
        log(f"  {len(indexes)} indexes rebuilt: {time.monotonic() - step_start:.1f} s")
        # What triggers keep (they were off, as replica): computed once now.
        step_start = time.monotonic()
        cursor.execute("SELECT sites_cop_refresh_activity(id) FROM sites_communityofpractice")
        from interviews.services import counters_recount

        counters_recount()
        log(f"  CoP activity and follow-up counts: {time.monotonic() - step_start:.1f} s")
        for table in SEQUENCED_TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        cursor.execute(
            "CREATE TABLE bench_dataset (version text NOT NULL, built_at timestamptz NOT NULL)"
        )
        cursor.execute("INSERT INTO bench_dataset VALUES (%s, now())", [DATASET_VERSION])
    vacuum_analyze(log)
    log(f"data set built in {time.monotonic() - started:.0f} s")
    return True


def vacuum_analyze(log=print) -> None:
    step_start = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(f"  VACUUM ANALYZE: {time.monotonic() - step_start:.1f} s")


def reset_due_reminders() -> None:
    """Put the 100,000 due reminders back as due and unsent (after a sweep run)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE interviews_reminder SET sent_at = NULL, attempts = 0, last_error = '', "
            "send_at = timestamptz '2024-01-01' + id * interval '1 minute' "
            "WHERE id <= %s AND (sent_at IS NOT NULL OR attempts > 0 "
            "OR send_at <> timestamptz '2024-01-01' + id * interval '1 minute')",
            [DUE_REMINDERS],
        )
