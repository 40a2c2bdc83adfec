"""Placeholder for a URL whose page another issue builds; replaced app by app.

It exists only so that cross-app links can be written against the agreed URL names while
the apps are built in parallel. Nothing may remain routed here when an issue is done.
"""

from django.http import Http404


def page_not_built_yet(request, *args, **kwargs):
    raise Http404("This page is not built yet.")
