"""Pages of the accounts app: the password-reset request (Django's view, with a form that
enqueues instead of sending), sending an invitation, and accepting one. Login and the
rest of the password pages are Django's own (django.contrib.auth.urls)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import PasswordResetView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.forms import PasswordResetRequestForm
from accounts.http import AuthenticatedHttpRequest
from ipcop.permissions import people_invitable_by, require_role


class PasswordResetRequestView(PasswordResetView):
    form_class = PasswordResetRequestForm
    success_url = reverse_lazy("password_reset_done")


def _next_url(request: AuthenticatedHttpRequest) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("home")


@require_http_methods(["GET", "POST"])
def invitation_send(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Asks for confirmation, then sends one person an invitation. Admins may invite
    anyone, facilitators the people linked to their sites (people_invitable_by)."""
    require_role(request.user, "facilitator")
    person = get_object_or_404(people_invitable_by(request.user), pk=pk)
    next_url = _next_url(request)
    if request.method == "POST":
        try:
            services.invitation_send(person=person, sent_by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Invitation sent to {person} <{person.email}>.")
        return redirect(next_url)
    return render(
        request,
        "accounts/invitation_send.html",
        {
            "person": person,
            "next": next_url,
            "valid_days": settings.INVITATION_VALID_DAYS,
            "resend_minutes": int(services.INVITATION_RESEND_AFTER.total_seconds() // 60),
            "per_day": services.INVITATIONS_PER_DAY,
        },
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The page an invitation's link opens: the person chooses a password and is logged
    in. An unknown link answers 404, a used or expired one 410, each with what to do."""
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(
            request, "accounts/invitation_invalid.html", {"reason": "unknown"}, status=404
        )
    refusal = invitation.refusal()
    if refusal is not None:
        return render(
            request,
            "accounts/invitation_invalid.html",
            {"reason": refusal, "message": services.INVITATION_REFUSALS[refusal]},
            status=410,
        )
    person = invitation.person
    form = SetPasswordForm(person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.invitation_accept(
                token=token, password=form.cleaned_data["new_password1"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, person, backend="accounts.backends.EmailLoginBackend")
            messages.success(request, "Your password is set. Welcome to IPCoP.")
            return redirect("home")
    return render(request, "accounts/invitation_accept.html", {"form": form, "person": person})
