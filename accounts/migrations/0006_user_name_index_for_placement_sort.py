"""The placements list sorted by student: people by name, from the cursor on, then each
one's placements."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("accounts", "0005_invitation_and_normalised_email"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="user",
            index=models.Index(fields=["full_name", "id"], name="user_full_name_idx"),
        ),
    ]
