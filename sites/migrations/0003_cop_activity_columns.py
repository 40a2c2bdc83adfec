"""A CoP's activity (last meeting, current members, active initiatives) as columns.

They were kept by hand-written triggers created here; those now live on the models
(django-pgtrigger, migration 0007), and migration 0006 drops the old ones from databases
that ran this migration before. The RunSQL stays, creating nothing, so that the
migration graph and its history hold.
"""

from django.db import migrations, models


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
        migrations.RunSQL(migrations.RunSQL.noop, migrations.RunSQL.noop),
    ]
