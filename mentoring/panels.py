"""The mentoring app's panels on the home dashboard (see ipcop/dashboard.py)."""


def preceptor(user) -> dict:
    return {}
