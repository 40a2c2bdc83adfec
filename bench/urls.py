"""The app's URLs plus the benchmark's bare view (bench/settings.py only)."""

from django.shortcuts import render
from django.urls import path

from ipcop.urls import urlpatterns as app_urlpatterns


def bare(request):
    """A small template behind the same middleware and login: the stack's ceiling."""
    return render(request, "bench/bare.html", {"user": request.user})


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *app_urlpatterns]
