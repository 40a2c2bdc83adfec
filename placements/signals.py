"""What the placements app announces, for the apps above it."""

from django.dispatch import Signal

# Sent inside the status change's transaction with `placement` when a placement becomes
# active (the interviews app schedules the student's follow-up).
placement_activated = Signal()

# Sent with `placements` (a list) when many placements become active at once, in the
# transaction that saves them (the import): a receiver handles them in a few queries.
placements_activated = Signal()

# Sent inside the status change's transaction with `placement` when a placement is
# confirmed (the interviews app queues its emails to the student, mentors and contact).
placement_confirmed = Signal()

# Sent inside the status change's transaction with `placement` and `reason` (the note of
# the change, the empty string when none was given) when a placement is cancelled.
placement_cancelled = Signal()

# Sent inside the edit's transaction with `placement` when a confirmed or active
# placement's dates change (the student's week-before reminder moves with its start).
placement_dates_changed = Signal()

# Sent inside the step's transaction with `changes`, the PlacementRequestChange rows of
# one step taken together (a cohort's requests made at once, the claims of one offer):
# the interviews app queues the email to the other side (the site's facilitators, or the
# program's coordinators), once for the step.
placement_requests_changed = Signal()
