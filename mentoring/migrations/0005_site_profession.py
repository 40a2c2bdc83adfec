"""The professions present at each site, counted (SiteProfession), kept by triggers.

"Which professions were present at a session at this site" read every session of the site
and its presence rows (2,000 sessions, 6,000 index pages a site in the province data set):
most of the site matrix's and the learning record's SQL time. The triggers keep one count
per (site, profession) of presence rows at the site's sessions, whatever writes them
(services, admin, bulk_create, raw SQL): a presence row added, removed, moved to another
session or profession; a session moved to another site, deleted before its presence rows
(the foreign keys are deferred, so either order happens) or inserted after them.
TRUNCATE of the presence table empties the counts; a bulk load with triggers off
(bench/dataset.py) refills them itself.

The backfill runs after the triggers exist, under a lock that keeps writers out until
the migration commits, so no write falls between the two.
"""

import django.db.models.deletion
from django.db import migrations, models

TRIGGERS = """
-- Counts go down by UPDATE (the row exists: its presence rows were counted), up by an
-- upsert (an INSERT of a negative count would fail the check before the conflict).
CREATE FUNCTION mentoring_siteprofession_add(p_site bigint, p_profession bigint, p_n integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_n < 0 THEN
        UPDATE mentoring_siteprofession SET presences = presences + p_n
        WHERE site_id = p_site AND profession_id = p_profession;
    ELSE
        INSERT INTO mentoring_siteprofession (site_id, profession_id, presences)
        VALUES (p_site, p_profession, p_n)
        ON CONFLICT (site_id, profession_id)
        DO UPDATE SET presences = mentoring_siteprofession.presences + EXCLUDED.presences;
    END IF;
END
$$;

-- A presence row: counted at its session's site (if the session exists yet).
CREATE FUNCTION mentoring_presence_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.session_id = NEW.session_id
            AND OLD.profession_id = NEW.profession_id THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM mentoring_siteprofession_add(s.site_id, OLD.profession_id, -1)
        FROM mentoring_mentoringsession s WHERE s.id = OLD.session_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM mentoring_siteprofession_add(s.site_id, NEW.profession_id, 1)
        FROM mentoring_mentoringsession s WHERE s.id = NEW.session_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER mentoring_presence_count
AFTER INSERT OR DELETE OR UPDATE OF session_id, profession_id
ON mentoring_sessionprofessional
FOR EACH ROW EXECUTE FUNCTION mentoring_presence_count();

CREATE FUNCTION mentoring_presence_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM mentoring_siteprofession;
    RETURN NULL;
END
$$;

CREATE TRIGGER mentoring_presence_truncate
AFTER TRUNCATE ON mentoring_sessionprofessional
FOR EACH STATEMENT EXECUTE FUNCTION mentoring_presence_truncate();

-- A session's presence rows follow it: counted when it appears (rows written before it),
-- moved when its site changes, uncounted when it goes (rows deleted after it).
CREATE FUNCTION mentoring_session_presence_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.site_id = NEW.site_id THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM mentoring_siteprofession_add(OLD.site_id, sp.profession_id, -COUNT(*)::integer)
        FROM mentoring_sessionprofessional sp WHERE sp.session_id = OLD.id
        GROUP BY sp.profession_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM mentoring_siteprofession_add(NEW.site_id, sp.profession_id, COUNT(*)::integer)
        FROM mentoring_sessionprofessional sp WHERE sp.session_id = NEW.id
        GROUP BY sp.profession_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER mentoring_session_presence_count
AFTER INSERT OR DELETE OR UPDATE OF site_id
ON mentoring_mentoringsession
FOR EACH ROW EXECUTE FUNCTION mentoring_session_presence_count();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS mentoring_session_presence_count ON mentoring_mentoringsession;
DROP TRIGGER IF EXISTS mentoring_presence_truncate ON mentoring_sessionprofessional;
DROP TRIGGER IF EXISTS mentoring_presence_count ON mentoring_sessionprofessional;
DROP FUNCTION IF EXISTS mentoring_session_presence_count();
DROP FUNCTION IF EXISTS mentoring_presence_truncate();
DROP FUNCTION IF EXISTS mentoring_presence_count();
DROP FUNCTION IF EXISTS mentoring_siteprofession_add(bigint, bigint, integer);
"""

# Existing installs: count what is there. The lock keeps writers out from before the
# count until the migration commits (the triggers count what comes after).
BACKFILL = """
LOCK TABLE mentoring_mentoringsession, mentoring_sessionprofessional IN SHARE MODE;
INSERT INTO mentoring_siteprofession (site_id, profession_id, presences)
SELECT s.site_id, sp.profession_id, COUNT(*)
FROM mentoring_sessionprofessional sp
JOIN mentoring_mentoringsession s ON s.id = sp.session_id
GROUP BY s.site_id, sp.profession_id;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_audit_event"),
        ("mentoring", "0004_session_index_only_scans"),
        ("sites", "0002_recent_activity_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="SiteProfession",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("presences", models.PositiveIntegerField(default=0)),
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
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("site", "profession"), name="siteprofession_once"
                    )
                ],
            },
        ),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
