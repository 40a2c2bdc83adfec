"""Drop the triggers and functions that migration 0003 used to create, from databases
that ran it then (IF EXISTS: a new database never had them). Their work is done by the
triggers declared on Meeting and Initiative (migration 0007)."""

from django.db import migrations

DROP = """
DROP TRIGGER IF EXISTS sites_cop_keep_activity ON sites_communityofpractice;
DROP TRIGGER IF EXISTS sites_initiative_cop_activity ON sites_initiative;
DROP TRIGGER IF EXISTS sites_membership_cop_activity ON sites_membership;
DROP TRIGGER IF EXISTS sites_meeting_cop_activity ON sites_meeting;
DROP FUNCTION IF EXISTS sites_cop_keep_activity();
DROP FUNCTION IF EXISTS sites_cop_activity_changed();
DROP FUNCTION IF EXISTS sites_cop_refresh_activity(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("sites", "0005_membership_rejoin"),
    ]

    operations = [
        migrations.RunSQL(DROP, migrations.RunSQL.noop),
    ]
