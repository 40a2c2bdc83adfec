"""The professions present at each site, counted (SiteProfession).

This migration also created hand-written triggers that kept the counts and filled them.
Those statements are gone: 0008 drops the triggers where they ran, the model is deleted
(0009), and the professions present at a site are read from StudentSiteProfession, kept by
triggers declared on the models (mentoring/triggers.py).
"""

import django.db.models.deletion
from django.db import migrations, models


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
        # Created hand-written triggers and filled the counts; inert now (see above).
        migrations.RunSQL(migrations.RunSQL.noop, migrations.RunSQL.noop),
    ]
