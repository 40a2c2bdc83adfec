"""Accounts has no pages of its own: login and password views are Django's (ipcop/urls.py)."""
