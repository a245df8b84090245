from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as accounts_views
from cases.views import dashboard
from dsar_portal.health import healthz

urlpatterns = [
    path("", dashboard, name="home"),
    path("accounts/login/", accounts_views.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    # Before the admin's own: the admin signs in through ours (throttled, with a second factor).
    path("admin/login/", accounts_views.admin_sign_in),
    path("admin/", admin.site.urls),
    path("cases/", include("cases.urls")),
    path("healthz", healthz, name="healthz"),
]
