"""Each student's sessions at each site per profession present and per domain practised
(StudentSiteProfession, StudentSiteDomain): the site matrix's cells, which read every
attendance, presence and domain row of the page's students (~2,000 index probes a page).

Kept by statement-level PostgreSQL triggers on the session, attendance, presence and
session-domain tables. A statement's rows name the (student, site) pairs it may change;
those pairs are recounted from the tables (a student has tens of sessions at a site),
not adjusted by deltas: "sessions with someone of a profession" counts a session once
however many of that profession were there, which deltas cannot tell from a statement's
rows, and a recount is right whatever order the rows come in under the deferred foreign
keys (a session deleted before its attendance, presence written before its session).
Each pair is locked (a transaction-level advisory lock, in a fixed order) before its
recount, so two transactions writing the same student's sessions recount one after the
other, the second seeing the first's rows.

The backfill counts existing installs' rows under a SHARE lock (no writes in between).
"""

import django.db.models.deletion
from django.db import migrations, models

RECOUNT = """
-- Recount the (student, site) pairs given as two arrays: lock each pair, then count its
-- sessions afresh.
CREATE FUNCTION mentoring_recount_student_sites(p_students bigint[], p_sites bigint[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_students IS NULL OR cardinality(p_students) = 0 THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(k.lock)
    FROM (
        SELECT DISTINCT hashtextextended(
            'mentoring.student_site:' || student_id || ':' || site_id, 0) AS lock
        FROM unnest(p_students, p_sites) AS r (student_id, site_id)
        ORDER BY 1
    ) k;
    DELETE FROM mentoring_studentsiteprofession c
    USING unnest(p_students, p_sites) AS r (student_id, site_id)
    WHERE c.site_id = r.site_id AND c.student_id = r.student_id;
    DELETE FROM mentoring_studentsitedomain c
    USING unnest(p_students, p_sites) AS r (student_id, site_id)
    WHERE c.site_id = r.site_id AND c.student_id = r.student_id;
    INSERT INTO mentoring_studentsiteprofession (site_id, student_id, profession_id, sessions)
    SELECT s.site_id, a.student_id, sp.profession_id, COUNT(DISTINCT s.id)
    FROM (SELECT DISTINCT * FROM unnest(p_students, p_sites)) AS r (student_id, site_id)
    JOIN mentoring_sessionstudent a ON a.student_id = r.student_id
    JOIN mentoring_mentoringsession s ON s.id = a.session_id AND s.site_id = r.site_id
    JOIN mentoring_sessionprofessional sp ON sp.session_id = s.id
    GROUP BY s.site_id, a.student_id, sp.profession_id;
    INSERT INTO mentoring_studentsitedomain (site_id, student_id, domain_id, sessions)
    SELECT s.site_id, a.student_id, d.competencydomain_id, COUNT(*)
    FROM (SELECT DISTINCT * FROM unnest(p_students, p_sites)) AS r (student_id, site_id)
    JOIN mentoring_sessionstudent a ON a.student_id = r.student_id
    JOIN mentoring_mentoringsession s ON s.id = a.session_id AND s.site_id = r.site_id
    JOIN mentoring_mentoringsession_domains d ON d.mentoringsession_id = s.id
    GROUP BY s.site_id, a.student_id, d.competencydomain_id;
END
$$;
"""

# One function per table; one trigger per event, as transition tables require. Each
# collects the pairs its statement's rows touch (before and after), then recounts them.
TRIGGERS = (
    RECOUNT
    + """
-- Attendance rows: their own (student, site of their session); an update that changes
-- neither (a reflection written) recounts nothing.
CREATE FUNCTION mentoring_attendance_recount() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    students bigint[];
    sites bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(n.student_id), array_agg(s.site_id) INTO students, sites
        FROM new_rows n JOIN mentoring_mentoringsession s ON s.id = n.session_id;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(o.student_id), array_agg(s.site_id) INTO students, sites
        FROM old_rows o JOIN mentoring_mentoringsession s ON s.id = o.session_id;
    ELSE
        SELECT array_agg(x.student_id), array_agg(s.site_id) INTO students, sites
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (
            VALUES (o.student_id, o.session_id), (n.student_id, n.session_id)
        ) x (student_id, session_id)
        JOIN mentoring_mentoringsession s ON s.id = x.session_id
        WHERE (o.student_id, o.session_id) IS DISTINCT FROM (n.student_id, n.session_id);
    END IF;
    PERFORM mentoring_recount_student_sites(students, sites);
    RETURN NULL;
END
$$;

-- Presence and domain rows: every student at their session (old and new).
CREATE FUNCTION mentoring_session_rows_recount() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sessions bigint[];
    students bigint[];
    sites bigint[];
BEGIN
    IF TG_TABLE_NAME = 'mentoring_sessionprofessional' THEN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            sessions := ARRAY(SELECT session_id FROM new_rows);
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            sessions := sessions || ARRAY(SELECT session_id FROM old_rows);
        END IF;
    ELSE
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            sessions := ARRAY(SELECT mentoringsession_id FROM new_rows);
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            sessions := sessions || ARRAY(SELECT mentoringsession_id FROM old_rows);
        END IF;
    END IF;
    SELECT array_agg(a.student_id), array_agg(s.site_id) INTO students, sites
    FROM mentoring_mentoringsession s
    JOIN mentoring_sessionstudent a ON a.session_id = s.id
    WHERE s.id = ANY (sessions);
    PERFORM mentoring_recount_student_sites(students, sites);
    RETURN NULL;
END
$$;

-- Sessions: their students at the old and the new site (a session logged after its
-- attendance rows, moved to another site, deleted before them). Saved with its site
-- unchanged: nothing to recount.
CREATE FUNCTION mentoring_session_recount() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    students bigint[];
    sites bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(a.student_id), array_agg(n.site_id) INTO students, sites
        FROM new_rows n JOIN mentoring_sessionstudent a ON a.session_id = n.id;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(a.student_id), array_agg(o.site_id) INTO students, sites
        FROM old_rows o JOIN mentoring_sessionstudent a ON a.session_id = o.id;
    ELSE
        SELECT array_agg(a.student_id), array_agg(x.site_id) INTO students, sites
        FROM old_rows o JOIN new_rows n ON n.id = o.id AND n.site_id <> o.site_id
        CROSS JOIN LATERAL (VALUES (o.site_id), (n.site_id)) x (site_id)
        JOIN mentoring_sessionstudent a ON a.session_id = n.id;
    END IF;
    PERFORM mentoring_recount_student_sites(students, sites);
    RETURN NULL;
END
$$;
"""
    + "".join(
        f"""
CREATE TRIGGER mentoring_{name}_recount_{event} AFTER {event.upper()} ON {table}
REFERENCING {transition}
FOR EACH STATEMENT EXECUTE FUNCTION {function}();
"""
        for name, table, function in [
            ("attendance", "mentoring_sessionstudent", "mentoring_attendance_recount"),
            ("presence", "mentoring_sessionprofessional", "mentoring_session_rows_recount"),
            ("domain", "mentoring_mentoringsession_domains", "mentoring_session_rows_recount"),
            ("session", "mentoring_mentoringsession", "mentoring_session_recount"),
        ]
        for event, transition in [
            ("insert", "NEW TABLE AS new_rows"),
            ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("delete", "OLD TABLE AS old_rows"),
        ]
    )
    + """
-- TRUNCATE of a source table (tests, bulk reloads; a session TRUNCATE cascades to the
-- others) empties the counts it feeds.
CREATE FUNCTION mentoring_student_sites_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME <> 'mentoring_mentoringsession_domains' THEN
        DELETE FROM mentoring_studentsiteprofession;
    END IF;
    IF TG_TABLE_NAME <> 'mentoring_sessionprofessional' THEN
        DELETE FROM mentoring_studentsitedomain;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER mentoring_attendance_truncate AFTER TRUNCATE ON mentoring_sessionstudent
FOR EACH STATEMENT EXECUTE FUNCTION mentoring_student_sites_truncate();
CREATE TRIGGER mentoring_presence_student_sites_truncate
AFTER TRUNCATE ON mentoring_sessionprofessional
FOR EACH STATEMENT EXECUTE FUNCTION mentoring_student_sites_truncate();
CREATE TRIGGER mentoring_domain_truncate AFTER TRUNCATE ON mentoring_mentoringsession_domains
FOR EACH STATEMENT EXECUTE FUNCTION mentoring_student_sites_truncate();
"""
)

DROP_TRIGGERS = (
    """
DROP TRIGGER IF EXISTS mentoring_attendance_truncate ON mentoring_sessionstudent;
DROP TRIGGER IF EXISTS mentoring_presence_student_sites_truncate
    ON mentoring_sessionprofessional;
DROP TRIGGER IF EXISTS mentoring_domain_truncate ON mentoring_mentoringsession_domains;
DROP FUNCTION IF EXISTS mentoring_student_sites_truncate();
"""
    + "".join(
        f"DROP TRIGGER IF EXISTS mentoring_{name}_recount_{event} ON {table};\n"
        for name, table in [
            ("attendance", "mentoring_sessionstudent"),
            ("presence", "mentoring_sessionprofessional"),
            ("domain", "mentoring_mentoringsession_domains"),
            ("session", "mentoring_mentoringsession"),
        ]
        for event in ("insert", "update", "delete")
    )
    + """
DROP FUNCTION IF EXISTS mentoring_session_recount();
DROP FUNCTION IF EXISTS mentoring_session_rows_recount();
DROP FUNCTION IF EXISTS mentoring_attendance_recount();
DROP FUNCTION IF EXISTS mentoring_recount_student_sites(bigint[], bigint[]);
"""
)

BACKFILL = """
LOCK TABLE mentoring_mentoringsession, mentoring_sessionstudent,
    mentoring_sessionprofessional, mentoring_mentoringsession_domains IN SHARE MODE;
INSERT INTO mentoring_studentsiteprofession (site_id, student_id, profession_id, sessions)
SELECT s.site_id, a.student_id, sp.profession_id, COUNT(DISTINCT s.id)
FROM mentoring_sessionstudent a
JOIN mentoring_mentoringsession s ON s.id = a.session_id
JOIN mentoring_sessionprofessional sp ON sp.session_id = s.id
GROUP BY s.site_id, a.student_id, sp.profession_id;
INSERT INTO mentoring_studentsitedomain (site_id, student_id, domain_id, sessions)
SELECT s.site_id, a.student_id, d.competencydomain_id, COUNT(*)
FROM mentoring_sessionstudent a
JOIN mentoring_mentoringsession s ON s.id = a.session_id
JOIN mentoring_mentoringsession_domains d ON d.mentoringsession_id = s.id
GROUP BY s.site_id, a.student_id, d.competencydomain_id;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_audit_event"),
        ("mentoring", "0005_site_profession"),
        ("placements", "0001_initial"),
        ("sites", "0002_recent_activity_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="StudentSiteDomain",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sessions", models.PositiveIntegerField()),
                (
                    "domain",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="mentoring.competencydomain",
                    ),
                ),
                (
                    "site",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="sites.site",
                    ),
                ),
                (
                    "student",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="placements.student",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("site", "student", "domain"), name="studentsitedomain_once"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="StudentSiteProfession",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sessions", models.PositiveIntegerField()),
                (
                    "profession",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.profession",
                    ),
                ),
                (
                    "site",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="sites.site",
                    ),
                ),
                (
                    "student",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="placements.student",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("site", "student", "profession"), name="studentsiteprofession_once"
                    )
                ],
            },
        ),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
