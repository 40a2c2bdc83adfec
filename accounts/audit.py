"""Recording who touched confidential records (interview records, placements, students).

Views call `audit_record(request, action, obj)`; `get_visible_or_404` wraps the usual
`get_object_or_404(queryset, ...)` so a refused look at an existing object is logged as
"denied" before the 404 goes out. The audited objects it hands out are remembered on the
request, so a `PermissionDenied` raised later in the view (a visible object, a missing
role) is logged as "denied" for them by `AuditDeniedMiddleware` — one place, not every
`raise`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from accounts.models import AuditAction, AuditEvent
from ipcop.lib import http

_M = TypeVar("_M", bound=Model)

AUDITED_MODELS = {
    "interviews.interviewrecord",
    "interviews.followup",
    "placements.placement",
    "placements.student",
}


def _site_id(obj: Model) -> int | None:
    for path in ("site_id", "followup.site_id", "placement.site_id"):
        value: Any = obj
        try:
            for part in path.split("."):
                value = getattr(value, part)
        except AttributeError:
            continue
        return value
    return None


def client_ip(request: HttpRequest) -> str | None:
    # One rule for the client's address, trusting as many proxies as configured.
    return http.client_ip(request)


def _event(request: HttpRequest, action: str, obj: Model | None, model, pk, site_id) -> AuditEvent:
    user = request.user if request.user.is_authenticated else None
    meta = (obj if obj is not None else model)._meta
    if site_id is None and obj is not None:
        site_id = _site_id(obj)
    return AuditEvent(
        person=user,
        person_label=user.email if user else "anonymous",
        role=",".join(user.role_names) if user else "",
        action=action,
        object_type=meta.label_lower,
        object_id=str(obj.pk if obj is not None else pk)[:40],
        site_id=site_id,
        path=request.path[:300],
        ip_address=client_ip(request),
    )


def audit_record(
    request: HttpRequest,
    action: str,
    obj: Model | None = None,
    *,
    model=None,
    pk=None,
    site_id: int | None = None,
) -> AuditEvent:
    """Log that the request's person did `action` to `obj` (or to `model` row `pk`, e.g.
    "export"). Names the object, never its content. Pass `site_id` when the object's site
    is not loaded, to save a query."""
    event = _event(request, action, obj, model, pk, site_id)
    event.save()
    return event


def audit_by(person, action: str, obj: Model) -> AuditEvent:
    """Log that `person` did `action` to `obj` where no request is at hand: a service
    records a decision it lets only some people take (an override), whichever page,
    admin action or task called it."""
    return AuditEvent.objects.create(
        person=person,
        person_label=person.email if person is not None else "system",
        role=",".join(person.role_names) if person is not None else "",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk)[:40],
        site_id=_site_id(obj),
    )


def audit_records(
    request: HttpRequest, action: str, objects: Sequence[Model], *, site_id: int | None = None
) -> list[AuditEvent]:
    """`audit_record` for several objects of one page, in one INSERT."""
    events = [_event(request, action, obj, None, None, site_id) for obj in objects]
    return AuditEvent.objects.bulk_create(events) if events else []


FETCHED_ATTR = "_audit_fetched"


def is_audited(obj_or_model) -> bool:
    return obj_or_model._meta.label_lower in AUDITED_MODELS


def get_visible_or_404(request: HttpRequest, queryset: QuerySet[_M], **lookup: Any) -> _M:
    """`get_object_or_404` through an access queryset; an existing object outside it is
    logged as a denied access, then answers 404 like a missing one."""
    try:
        obj = queryset.get(**lookup)
    except (ValueError, TypeError):
        # A malformed lookup value (e.g. a non-numeric id) names no object.
        raise Http404("No such object.") from None
    except ObjectDoesNotExist:  # queryset.get raises only the model's DoesNotExist
        model = queryset.model
        if model._meta.label_lower in AUDITED_MODELS:
            existing = model._base_manager.filter(**lookup).only("pk").first()
            if existing is not None:
                audit_record(request, AuditAction.DENIED, model=model, pk=existing.pk)
        raise Http404(f"No {model._meta.verbose_name} matches the given query.") from None
    if is_audited(obj):
        fetched = getattr(request, FETCHED_ATTR, None)
        if fetched is None:
            fetched = []
            setattr(request, FETCHED_ATTR, fetched)
        fetched.append(obj)
    return obj


def audit_denied_fetched(request: HttpRequest) -> list[AuditEvent]:
    """Log "denied" for every audited object the view fetched before it refused (403)."""
    return audit_records(request, AuditAction.DENIED, list(getattr(request, FETCHED_ATTR, ())))
