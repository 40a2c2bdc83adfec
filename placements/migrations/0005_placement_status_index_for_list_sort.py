"""The placements list sorted by status: its keyset order (status, id), with the site and
profession that answer the scope and those filters from the index."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("accounts", "0006_user_name_index_for_placement_sort"),
        ("placements", "0004_plausible_dates"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="placement",
            index=models.Index(
                fields=["status", "id"],
                include=("site", "profession"),
                name="placement_status_id_idx",
            ),
        ),
    ]
