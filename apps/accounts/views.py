"""Sign-in and sign-out pages. A sign-in refused for guessing answers 429 with a true
Retry-After; signing out also revokes every API token of the user."""

from django.contrib.auth import views as auth_views

from .forms import ThrottledAuthenticationForm
from .services import tokens_revoke_all


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.retry_after is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        user = request.user if request.user.is_authenticated else None
        response = super().post(request, *args, **kwargs)
        if user is not None:
            tokens_revoke_all(user=user)
        return response
