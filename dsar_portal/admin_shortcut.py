"""The admin's "view on site" shortcut (/admin/r/<content type>/<id>/), only for objects the user
may see in the admin.

Django's own redirects any staff user to any object's page, and answers 404 only when there is
no such object: the difference told whether a restricted case exists. Here an object the user
may not see answers 404 exactly like one that does not exist.
"""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse


def view_on_site(request: HttpRequest, content_type_id: int, object_id: str) -> HttpResponse:
    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
    except ContentType.DoesNotExist:
        raise Http404 from None
    if model is None or not admin.site.is_registered(model):
        raise Http404
    model_admin = admin.site.get_model_admin(model)
    try:
        # The admin's own queryset: it leaves out what the user may not see (restricted cases).
        found = model_admin.get_queryset(request).get(pk=object_id)
    except (model.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None
    if not model_admin.has_view_or_change_permission(request, found):
        raise Http404
    return shortcut(request, content_type_id, object_id)
