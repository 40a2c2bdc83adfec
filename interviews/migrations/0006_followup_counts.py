"""Follow-up counts per site and status.

This migration once also created hand-written triggers that kept the counts; they are
declared on the model with django-pgtrigger now (0008), and 0007 drops the old ones from
databases that ran this migration before. Its RunSQL creates nothing any more: it stays
so that the migration graph holds.
"""

import django.db.models.deletion
from django.db import migrations, models

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
        migrations.RunSQL(migrations.RunSQL.noop, migrations.RunSQL.noop),
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
