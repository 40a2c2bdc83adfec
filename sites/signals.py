"""What the sites app announces, for the apps above it."""

from django.dispatch import Signal

# Sent inside `membership_add`'s transaction with `membership` once a person has joined a
# CoP (the interviews app schedules their follow-up).
membership_started = Signal()
