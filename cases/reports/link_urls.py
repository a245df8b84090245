"""The subject's download pages: public (no account), reached only through a link's secret."""

from django.urls import path

from . import link_views

app_name = "link"

urlpatterns = [
    path("<str:secret>/", link_views.link_page, name="page"),
    path("<str:secret>/code/", link_views.link_code_request, name="code"),
    path("<str:secret>/enter/", link_views.link_code_enter, name="enter"),
    path("<str:secret>/files/<str:kind>/", link_views.link_file, name="file"),
]
