"""The presence rows' trigger on the site's per-profession counts (SiteProfession, 0005)
becomes a statement-level one: a statement's rows are netted per (site, profession)
and the counters locked in key order, so two sessions logged at once at one site, whose
rows come in different orders, wait for each other instead of deadlocking (the row
trigger locked the counters in the rows' order). The session table's row trigger stays.
"""

from django.db import migrations

STATEMENT_TRIGGER = """
DROP TRIGGER mentoring_presence_count ON mentoring_sessionprofessional;
DROP FUNCTION mentoring_presence_count();

CREATE FUNCTION mentoring_presence_site_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sessions bigint[] := '{}';
    professions bigint[] := '{}';
    signs integer[] := '{}';
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT sessions || array_agg(session_id), professions || array_agg(profession_id),
            signs || array_agg(1)
        INTO sessions, professions, signs FROM new_rows;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        SELECT sessions || array_agg(session_id), professions || array_agg(profession_id),
            signs || array_agg(-1)
        INTO sessions, professions, signs FROM old_rows;
    END IF;
    -- The counters this statement changes, locked in key order.
    PERFORM 1 FROM mentoring_siteprofession c
    WHERE (c.site_id, c.profession_id) IN (
        SELECT s.site_id, x.profession_id
        FROM unnest(sessions, professions) AS x (session_id, profession_id)
        JOIN mentoring_mentoringsession s ON s.id = x.session_id
    )
    ORDER BY c.site_id, c.profession_id
    FOR UPDATE OF c;
    -- Net change per (site of the session, if it exists yet; profession).
    INSERT INTO mentoring_siteprofession (site_id, profession_id, presences)
    SELECT d.site_id, d.profession_id, d.n FROM (
        SELECT s.site_id, x.profession_id, SUM(x.sign)::integer AS n
        FROM unnest(sessions, professions, signs) AS x (session_id, profession_id, sign)
        JOIN mentoring_mentoringsession s ON s.id = x.session_id
        GROUP BY s.site_id, x.profession_id
    ) d
    WHERE d.n > 0
    ORDER BY d.site_id, d.profession_id
    ON CONFLICT (site_id, profession_id)
    DO UPDATE SET presences = mentoring_siteprofession.presences + EXCLUDED.presences;
    UPDATE mentoring_siteprofession c SET presences = c.presences + d.n
    FROM (
        SELECT s.site_id, x.profession_id, SUM(x.sign)::integer AS n
        FROM unnest(sessions, professions, signs) AS x (session_id, profession_id, sign)
        JOIN mentoring_mentoringsession s ON s.id = x.session_id
        GROUP BY s.site_id, x.profession_id
    ) d
    WHERE d.n < 0 AND c.site_id = d.site_id AND c.profession_id = d.profession_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER mentoring_presence_site_count_insert
AFTER INSERT ON mentoring_sessionprofessional
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION mentoring_presence_site_count();
CREATE TRIGGER mentoring_presence_site_count_update
AFTER UPDATE ON mentoring_sessionprofessional
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION mentoring_presence_site_count();
CREATE TRIGGER mentoring_presence_site_count_delete
AFTER DELETE ON mentoring_sessionprofessional
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION mentoring_presence_site_count();
"""

ROW_TRIGGER = """
DROP TRIGGER mentoring_presence_site_count_insert ON mentoring_sessionprofessional;
DROP TRIGGER mentoring_presence_site_count_update ON mentoring_sessionprofessional;
DROP TRIGGER mentoring_presence_site_count_delete ON mentoring_sessionprofessional;
DROP FUNCTION mentoring_presence_site_count();

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
"""


class Migration(migrations.Migration):
    dependencies = [("mentoring", "0006_student_site_counts")]

    operations = [migrations.RunSQL(STATEMENT_TRIGGER, ROW_TRIGGER)]
