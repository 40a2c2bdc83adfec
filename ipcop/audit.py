"""Recording who touched confidential records (interview records, placements, students).

Views call `audit_record(request, action, obj)`; `get_visible_or_404` wraps the usual
`get_object_or_404(queryset, ...)` so a refused look at an existing object is logged as
"denied" before the 404 goes out."""

from __future__ import annotations

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from accounts.models import AuditAction, AuditEvent

AUDITED_MODELS = {
    "interviews.interviewrecord",
    "interviews.followup",
    "placements.placement",
    "placements.student",
}


def _site_id(obj: Model) -> int | None:
    for path in ("site_id", "followup.site_id", "placement.site_id"):
        value = obj
        try:
            for part in path.split("."):
                value = getattr(value, part)
        except AttributeError:
            continue
        return value
    return None


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a proxy rewrites it.
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    request: HttpRequest, action: str, obj: Model | None = None, *, model=None, pk=None
) -> AuditEvent:
    user = request.user if request.user.is_authenticated else None
    meta = (obj or model)._meta
    return AuditEvent.objects.create(
        person=user,
        person_label=user.email if user else "anonymous",
        role=",".join(user.role_names) if user else "",
        action=action,
        object_type=meta.label_lower,
        object_id=str(obj.pk if obj is not None else pk),
        site_id=_site_id(obj) if obj is not None else None,
        path=request.path[:300],
        ip_address=client_ip(request),
    )


def get_visible_or_404(request: HttpRequest, queryset: QuerySet, **lookup) -> Model:
    """`get_object_or_404` through an access queryset; an existing object outside it is
    logged as a denied access, then answers 404 like a missing one."""
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        model = queryset.model
        if model._meta.label_lower in AUDITED_MODELS:
            existing = model._base_manager.filter(**lookup).only("pk").first()
            if existing is not None:
                audit_record(request, AuditAction.DENIED, model=model, pk=existing.pk)
        raise Http404(f"No {model._meta.verbose_name} matches the given query.") from None
