"""The subject's download pages (no account): the link from the email, a one-time code sent by a
second email, then the PDF, JSON and CSV files.

A wrong, expired, revoked or locked link gets one answer (404, the same page), naming nothing of
the case (in the organisation's default language, the case being unknown). Every other page and
message is in the case's language (`translation.override(case.language)`). Nothing here is
cached by the browser or a proxy; every view, code request and download is recorded
(`links.record`).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.client_address import client_address
from cases.forms import ButtonForm, LinkCodeForm
from cases.models import LinkAction, OrganisationProfile

from . import delivery, links
from .integrity import ReportFileAltered


def _profile() -> OrganisationProfile:
    return OrganisationProfile.objects.filter(pk=1).first() or OrganisationProfile()


def _not_found(request: HttpRequest) -> HttpResponse:
    profile = _profile()
    with translation.override(profile.default_language):
        return render(request, "report/link_not_found.html", {"profile": profile}, status=404)


def _address(request: HttpRequest) -> str:
    # Behind trusted proxies, the client's own address (DJANGO_TRUSTED_PROXY_COUNT).
    return client_address(request) or ""


def _page(secret: str):
    return redirect("link:page", secret=secret)


@login_not_required
@never_cache
def link_page(request: HttpRequest, secret: str) -> HttpResponse:
    """The code page, or the files once a code was accepted in this browser."""
    found = links.usable_link(secret)
    if found is None:
        return _not_found(request)
    with translation.override(found.case.language):
        return _link_page(request, secret, found)


def _link_page(request: HttpRequest, secret: str, found) -> HttpResponse:
    profile = _profile()
    context = {"secret": secret, "delivery": found, "profile": profile, "case": found.case}
    if links.access_granted(request.session, found):
        links.record(found, LinkAction.VIEWED, address=_address(request), detail="files")
        document = delivery.document_of(found)
        return render(request, "report/link_files.html", {**context, "files": document.files})
    links.record(found, LinkAction.VIEWED, address=_address(request), detail="code page")
    code_pending = found.code_expires_at is not None and found.code_expires_at > timezone.now()
    return render(
        request,
        "report/link_code.html",
        {
            **context,
            "code_pending": code_pending,
            "code_form": LinkCodeForm(),
            "request_form": ButtonForm(),
            "code_minutes": links.CODE_MINUTES,
            "code_digits": links.CODE_DIGITS,
        },
    )


@login_not_required
@require_POST
def link_code_request(request: HttpRequest, secret: str) -> HttpResponse:
    found = links.usable_link(secret)
    if found is None:
        return _not_found(request)
    with translation.override(found.case.language):
        try:
            links.code_request(delivery=found, address=_address(request))
        except links.LinkThrottled as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _(
                    "We are emailing a code to the address this link was sent to. It works for "
                    "%(minutes)s minutes. If it does not arrive, look in your spam folder."
                )
                % {"minutes": links.CODE_MINUTES},
            )
    return _page(secret)


@login_not_required
@require_POST
def link_code_enter(request: HttpRequest, secret: str) -> HttpResponse:
    found = links.usable_link(secret)
    if found is None:
        return _not_found(request)
    with translation.override(found.case.language):
        return _link_code_enter(request, secret, found)


def _link_code_enter(request: HttpRequest, secret: str, found) -> HttpResponse:
    form = LinkCodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the code from the email."))
        return _page(secret)
    try:
        result = links.code_check(
            delivery=found, code=form.cleaned_data["code"], address=_address(request)
        )
    except links.LinkThrottled as exc:
        messages.error(request, str(exc))
        return _page(secret)
    if result.accepted:
        links.grant_access(request.session, found)
    elif result.message:
        messages.error(request, result.message)
    return _page(secret)


@login_not_required
@never_cache
@require_GET  # a HEAD is not a download
def link_file(request: HttpRequest, secret: str, kind: str) -> HttpResponse:
    """One of the files, to a browser that entered a correct code lately."""
    found = links.usable_link(secret)
    if found is None:
        return _not_found(request)
    if not links.access_granted(request.session, found):
        return _page(secret)
    file = delivery.document_of(found).file(kind)
    if file is None:
        return _not_found(request)
    try:
        opened = file.open(actor=links.SUBJECT, purpose="download by the subject")
    except ReportFileAltered:
        return _not_found(request)
    links.record(found, LinkAction.DOWNLOADED, address=_address(request), detail=kind)
    return FileResponse(
        opened,
        as_attachment=True,
        filename=file.filename,
        content_type=file.content_type,
    )
