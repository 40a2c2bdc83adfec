"""What the accounts app announces, for the apps above it (the layers run one way:
accounts <- sites <- placements <- mentoring <- interviews)."""

from django.dispatch import Signal

# Sent inside `person_erase`'s transaction, after the account itself is erased, with
# `person` (the erased User) and `old_email`. Each app blanks the personal data it holds
# about that person in its receivers, so erasure reaches every app without accounts
# knowing them.
person_erased = Signal()
