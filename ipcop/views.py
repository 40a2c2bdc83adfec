from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from ipcop import health
from ipcop.dashboard import panels_for


@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "home.html", {"panels": panels_for(request.user)})


@require_GET
@login_not_required
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the process answers and the database is reachable.
    Cheap on purpose: it runs every few seconds on every node."""
    health.database_answers()
    return JsonResponse({"status": "ok"})


@require_GET
@login_not_required
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness for monitoring and deploys: the database, the cache, the broker and the
    beat's last tick, each with its status; 503 when any fails (docs/deployment.md)."""
    checks = health.readiness()
    ready = all(check["status"] == "ok" for check in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "failing", "checks": checks}, status=200 if ready else 503
    )
