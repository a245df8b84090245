from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as accounts_views
from cases.views import dashboard
from dsar_portal.admin_shortcut import view_on_site
from dsar_portal.health import healthz

urlpatterns = [
    path("", dashboard, name="home"),
    path("accounts/login/", accounts_views.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    # Before the admin's own: the admin signs in through ours (throttled, with a second factor).
    path("admin/login/", accounts_views.admin_sign_in),
    # Before the admin's own: only for objects the user may see (a restricted case's existence
    # is not told by a redirect).
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        admin.site.admin_view(view_on_site),
        name="admin_view_on_site",
    ),
    path("admin/", admin.site.urls),
    path("cases/", include("cases.urls")),
    # The subject's download pages (no account: a link's secret and a one-time code).
    path("download/", include("cases.reports.link_urls")),
    path("healthz", healthz, name="healthz"),
]
