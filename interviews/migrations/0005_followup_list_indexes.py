from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0004_calendar_feed"),
    ]

    operations = [
        # The follow-ups list in its keyset order (ORDER BY due_on, id LIMIT 51 after a
        # cursor): read in order, filtered by the visible sites, stopping at 51 rows.
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(fields=["due_on", "id"], name="followup_due_id_idx"),
        ),
        # The list filtered by status (e.g. ?status=scheduled), in the same order.
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                fields=["status", "due_on", "id"], name="followup_status_due_id_idx"
            ),
        ),
        # The list's "due in 30 days" and "overdue" tabs: open follow-ups by due date.
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                fields=["due_on", "id"],
                condition=Q(status__in=["pending", "scheduled"]),
                name="followup_open_due_id_idx",
            ),
        ),
    ]
