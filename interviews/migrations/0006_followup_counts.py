"""Follow-up counts per site and status, kept by PostgreSQL triggers.

The follow-ups list shows tab counts over every follow-up at a person's sites (16,000 for
a zone's facilitator): counted row by row that was most of the page's time. Statement
triggers with transition tables add and subtract each statement's rows per (site,
status), so a bulk insert or COPY of 80,000 follow-ups costs one grouped upsert, and an
update moves only the rows whose site or status changed. Every change is an upsert (a
site's first follow-up in a status creates the row); the total is a plain integer, with
no CHECK, because an upsert's proposed row of -1 is checked before it meets the conflict.

`interviews_followupcount_refill()` recounts everything: this migration fills existing
installs with it, and a bulk load that bypasses triggers (session_replication_role =
replica, as bench/dataset.py loads) must call it afterwards.
"""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
CREATE FUNCTION interviews_followup_count_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Each statement's rows counted per (site, status): +1 for a new row, -1 for an old
    -- one; a row whose site and status an update left alone adds and subtracts itself.
    -- One upsert, in key order, so concurrent writers lock the counts in the same order.
    IF TG_OP = 'INSERT' THEN
        INSERT INTO interviews_followupcount AS c (site_id, status, total)
        SELECT site_id, status, count(*) FROM new_rows
         GROUP BY site_id, status ORDER BY site_id, status
        ON CONFLICT (site_id, status) DO UPDATE SET total = c.total + EXCLUDED.total;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO interviews_followupcount AS c (site_id, status, total)
        SELECT site_id, status, -count(*) FROM old_rows
         GROUP BY site_id, status ORDER BY site_id, status
        ON CONFLICT (site_id, status) DO UPDATE SET total = c.total + EXCLUDED.total;
    ELSE
        INSERT INTO interviews_followupcount AS c (site_id, status, total)
        SELECT site_id, status, sum(n) FROM (
            SELECT site_id, status, 1 AS n FROM new_rows
            UNION ALL
            SELECT site_id, status, -1 FROM old_rows
        ) moves GROUP BY site_id, status HAVING sum(n) <> 0 ORDER BY site_id, status
        ON CONFLICT (site_id, status) DO UPDATE SET total = c.total + EXCLUDED.total;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER interviews_followup_count_insert
    AFTER INSERT ON interviews_followup REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION interviews_followup_count_changed();
CREATE TRIGGER interviews_followup_count_update
    AFTER UPDATE ON interviews_followup REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION interviews_followup_count_changed();
CREATE TRIGGER interviews_followup_count_delete
    AFTER DELETE ON interviews_followup REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION interviews_followup_count_changed();

CREATE FUNCTION interviews_followup_count_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM interviews_followupcount;
    RETURN NULL;
END $$;

CREATE TRIGGER interviews_followup_count_truncate
    AFTER TRUNCATE ON interviews_followup
    FOR EACH STATEMENT EXECUTE FUNCTION interviews_followup_count_truncated();

CREATE FUNCTION interviews_followupcount_refill() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- No follow-up may change while it is counted.
    LOCK TABLE interviews_followup IN SHARE MODE;
    DELETE FROM interviews_followupcount;
    INSERT INTO interviews_followupcount (site_id, status, total)
    SELECT site_id, status, count(*) FROM interviews_followup GROUP BY site_id, status;
END $$;

SELECT interviews_followupcount_refill();
"""

BACKWARD = """
DROP FUNCTION interviews_followupcount_refill();
DROP TRIGGER interviews_followup_count_truncate ON interviews_followup;
DROP FUNCTION interviews_followup_count_truncated();
DROP TRIGGER interviews_followup_count_delete ON interviews_followup;
DROP TRIGGER interviews_followup_count_update ON interviews_followup;
DROP TRIGGER interviews_followup_count_insert ON interviews_followup;
DROP FUNCTION interviews_followup_count_changed();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0005_followup_list_indexes"),
        ("sites", "0002_recent_activity_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="FollowUpCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("scheduled", "Scheduled"),
                            ("completed", "Completed"),
                            ("declined", "Declined"),
                            ("missed", "Missed"),
                            ("cancelled", "Cancelled"),
                        ],
                        max_length=20,
                    ),
                ),
                ("total", models.IntegerField(default=0)),
                (
                    "site",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="sites.site",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("site", "status"), name="followupcount_site_status"
                    )
                ],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                condition=models.Q(("status__in", ["pending", "scheduled"])),
                fields=["site", "due_on"],
                include=["status"],
                name="followup_open_site_due_idx",
            ),
        ),
    ]
