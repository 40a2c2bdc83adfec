"""Settings of `make load` (bench/load_run.py): production settings, DEBUG off, with one
change, the cost of a password check.

Django's PBKDF2 (1,000,000 iterations) takes 1.3 s of CPU per login on the 2-CPU machine
the load runs on, so the 200 people logging in during its first 10 s would need more CPU
than its whole 2 minutes have. The load's hasher is the same PBKDF2 with 10,000
iterations: each login still checks a password through the real login form, django-axes
and the session, at about the cost of a page. Never used outside the load.
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher

from ipcop.settings import *  # noqa: F403


class LoadPasswordHasher(PBKDF2PasswordHasher):
    # Same algorithm and hash format: only the iteration count differs.
    iterations = 10_000


PASSWORD_HASHERS = ["bench.load_settings.LoadPasswordHasher"]
