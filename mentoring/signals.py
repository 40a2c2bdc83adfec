"""What the mentoring app announces, for the apps above it."""

from django.dispatch import Signal

# Sent inside the change's transaction with `placement` and `removed_mentor_ids` (the
# people taken off the team) when a placement's mentoring team has changed.
team_changed = Signal()
