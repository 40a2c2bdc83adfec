from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    # Shadows django.contrib.auth's page at the same address (included after this file):
    # same page, with a form that enqueues the email instead of sending it inline.
    path("password_reset/", views.PasswordResetRequestView.as_view(), name="password_reset"),
    path("invite/<int:pk>/", views.invitation_send, name="invite"),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
