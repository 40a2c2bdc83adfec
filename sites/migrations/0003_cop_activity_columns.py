"""A CoP's activity — last meeting, current members, active initiatives — as columns that
PostgreSQL keeps up to date, so pages read them instead of aggregating three tables.

Row triggers on meetings, memberships and initiatives recompute the columns of the CoP
(or, for a row moved between CoPs, both CoPs) a change touches. The recomputation first
locks the CoP's row, so two transactions adding members at once cannot both count
without the other's row. A BEFORE UPDATE trigger on the CoP keeps the columns unless the
update comes from sites_cop_refresh_activity (Django saving a CoP from a form or the admin
writes every column, from a copy that may be stale), so only that function writes them.
`SELECT sites_cop_refresh_activity(id) FROM sites_communityofpractice` recomputes them
all, e.g. after a bulk load with triggers off (bench/dataset.py). The active statuses are frozen here as
sites.models.ACTIVE_INITIATIVE_STATUSES were when this was written; a change to that
constant needs a migration that replaces sites_cop_refresh_activity.
"""

from django.db import migrations, models

FORWARD = """
CREATE FUNCTION sites_cop_refresh_activity(cop bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM sites_communityofpractice WHERE id = cop FOR UPDATE;
    PERFORM set_config('sites.refreshing_cop_activity', 'on', true);
    UPDATE sites_communityofpractice SET
        last_meeting_on = (SELECT max(m.held_on) FROM sites_meeting m
                           WHERE m.community_id = cop),
        member_count = (SELECT count(*) FROM sites_membership ms
                        WHERE ms.community_id = cop AND ms.left_on IS NULL),
        active_initiative_count = (
            SELECT count(*) FROM sites_initiative i
            WHERE i.community_id = cop
              AND i.status IN ('planned', 'in_progress', 'implemented'))
    WHERE id = cop;
    PERFORM set_config('sites.refreshing_cop_activity', '', true);
END $$;

CREATE FUNCTION sites_cop_activity_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM sites_cop_refresh_activity(NEW.community_id);
    END IF;
    IF TG_OP = 'DELETE' OR OLD.community_id <> NEW.community_id THEN
        PERFORM sites_cop_refresh_activity(OLD.community_id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER sites_meeting_cop_activity
    AFTER INSERT OR DELETE OR UPDATE OF community_id, held_on ON sites_meeting
    FOR EACH ROW EXECUTE FUNCTION sites_cop_activity_changed();
CREATE TRIGGER sites_membership_cop_activity
    AFTER INSERT OR DELETE OR UPDATE OF community_id, left_on ON sites_membership
    FOR EACH ROW EXECUTE FUNCTION sites_cop_activity_changed();
CREATE TRIGGER sites_initiative_cop_activity
    AFTER INSERT OR DELETE OR UPDATE OF community_id, status ON sites_initiative
    FOR EACH ROW EXECUTE FUNCTION sites_cop_activity_changed();

-- Existing CoPs: the same recomputation once, as one statement.
UPDATE sites_communityofpractice c SET
    last_meeting_on = (SELECT max(m.held_on) FROM sites_meeting m WHERE m.community_id = c.id),
    member_count = (SELECT count(*) FROM sites_membership ms
                    WHERE ms.community_id = c.id AND ms.left_on IS NULL),
    active_initiative_count = (
        SELECT count(*) FROM sites_initiative i
        WHERE i.community_id = c.id
          AND i.status IN ('planned', 'in_progress', 'implemented'));

CREATE FUNCTION sites_cop_keep_activity() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('sites.refreshing_cop_activity', true) IS DISTINCT FROM 'on' THEN
        NEW.last_meeting_on := OLD.last_meeting_on;
        NEW.member_count := OLD.member_count;
        NEW.active_initiative_count := OLD.active_initiative_count;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER sites_cop_keep_activity
    BEFORE UPDATE ON sites_communityofpractice
    FOR EACH ROW EXECUTE FUNCTION sites_cop_keep_activity();

"""

BACKWARD = """
DROP TRIGGER sites_cop_keep_activity ON sites_communityofpractice;
DROP FUNCTION sites_cop_keep_activity();
DROP TRIGGER sites_initiative_cop_activity ON sites_initiative;
DROP TRIGGER sites_membership_cop_activity ON sites_membership;
DROP TRIGGER sites_meeting_cop_activity ON sites_meeting;
DROP FUNCTION sites_cop_activity_changed();
DROP FUNCTION sites_cop_refresh_activity(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("sites", "0002_recent_activity_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="communityofpractice",
            name="last_meeting_on",
            field=models.DateField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="communityofpractice",
            name="member_count",
            field=models.PositiveIntegerField(
                default=0,
                editable=False,
                help_text="Members who have not left.",
                verbose_name="current members",
            ),
        ),
        migrations.AddField(
            model_name="communityofpractice",
            name="active_initiative_count",
            field=models.PositiveIntegerField(
                default=0,
                editable=False,
                help_text="Initiatives planned, in progress or implemented.",
                verbose_name="active initiatives",
            ),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
