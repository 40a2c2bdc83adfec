"""What the mentoring app announces, for the apps above it."""

from django.dispatch import Signal

# Sent inside the change's transaction with `placement` and `removed_mentor_ids` (the
# people taken off the team) when a placement's mentoring team has changed.
team_changed = Signal()

# Sent inside the change's transaction with `placements` (a list) when their evaluations
# were made or their due dates moved (the interviews app plans the reminders).
evaluations_due_changed = Signal()

# Sent inside the submission's transaction with `evaluation` when a preceptor submits an
# evaluation (the interviews app emails the student to acknowledge it).
evaluation_submitted = Signal()
