"""What the placements app announces, for the apps above it."""

from django.dispatch import Signal

# Sent inside the status change's transaction with `placement` when a placement becomes
# active (the interviews app schedules the student's follow-up).
placement_activated = Signal()

# Sent with `placements` (a list) when many placements become active at once, in the
# transaction that saves them (the import): a receiver handles them in a few queries.
placements_activated = Signal()
