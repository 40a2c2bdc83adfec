"""The interviews app's panels on the home dashboard (see ipcop/dashboard.py)."""


def facilitator(user) -> dict:
    return {}
