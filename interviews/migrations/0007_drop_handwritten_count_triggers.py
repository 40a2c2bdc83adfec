"""Drop the hand-written triggers and functions that 0006 once created, from databases
that ran it then: django-pgtrigger keeps the follow-up counts now (0008)."""

from django.db import migrations

DROP = """
DROP TRIGGER IF EXISTS interviews_followup_count_insert ON interviews_followup;
DROP TRIGGER IF EXISTS interviews_followup_count_update ON interviews_followup;
DROP TRIGGER IF EXISTS interviews_followup_count_delete ON interviews_followup;
DROP TRIGGER IF EXISTS interviews_followup_count_truncate ON interviews_followup;
DROP FUNCTION IF EXISTS interviews_followup_count_changed();
DROP FUNCTION IF EXISTS interviews_followup_count_truncated();
DROP FUNCTION IF EXISTS interviews_followupcount_refill();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0006_followup_counts"),
    ]

    operations = [
        migrations.RunSQL(DROP, migrations.RunSQL.noop),
    ]
