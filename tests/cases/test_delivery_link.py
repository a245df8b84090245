"""The download link, as a subject uses it (no account): a code by a second email, then the three
files; wrong codes lock it; wrong, expired, revoked and locked links all get the same answer;
throttles per link and per address; every request, view and download recorded and audited."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Delivery, LinkAccess
from cases.reports import links
from cases.reports.delivery import delivery_send
from tests.delivery_fixtures import (
    add_ready_version,
    code_in,
    confirmation,
    link_in,
    sendable_case,
    text_and_html,
)
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def setup(settings, private_storage):
    settings.REPORT_SEND_BACKOFF_SECONDS = 0


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        server.use_in(settings)
        yield server


@pytest.fixture
def sent_link(officer, officer_client, smtp):
    """A link sent to the subject; returns (delivery, the link's path)."""
    case = sendable_case(officer)
    step = confirmation(officer_client, case, 1, "link")
    officer_client.post(step["url"], step["data"])
    delivery = Delivery.objects.get()
    delivery_send(delivery.pk)
    url = link_in(text_and_html(smtp.messages[-1])[0])
    delivery.refresh_from_db()
    return delivery, urlsplit(url).path


def secret_of(path: str) -> str:
    return path.strip("/").split("/")[1]


def ask_code(subject: Client, path: str, smtp, *, address="203.0.113.7") -> str:
    """Press "Email me a code" and read the code from the email (made as a worker would)."""
    secret = secret_of(path)
    subject.post(reverse("link:code", args=[secret]), REMOTE_ADDR=address)
    delivery = links.usable_link(secret)
    latest = delivery.accesses.filter(action="code_requested").last()
    before = len(smtp.messages)
    assert links.link_code_send(delivery.pk, latest.pk) == "sent"
    return code_in(text_and_html(smtp.messages[before])[0])


def enter(subject: Client, path: str, code: str, *, address="203.0.113.7"):
    return subject.post(
        reverse("link:enter", args=[secret_of(path)]),
        {"code": code},
        REMOTE_ADDR=address,
        follow=True,
    )


def test_a_code_by_email_then_the_three_files(sent_link, smtp):
    delivery, path = sent_link
    subject = Client()

    page = subject.get(path)
    assert page.status_code == 200 and "Email me a code" in page.content.decode()
    assert (
        "no-store" in page["Cache-Control"]
        and "default-src 'none'" in page["Content-Security-Policy"]
    )
    assert delivery.case.reference not in page.content.decode()  # nothing before the code
    code = ask_code(subject, path, smtp)
    [*_, message] = smtp.messages
    assert message["To"] == "ana@example.net" and len(code) == 8
    plain, html = text_and_html(message)
    assert code in html and "10 minutes" in plain

    files_page = enter(subject, path, code).content.decode()
    assert "Your files" in files_page and delivery.case.reference in files_page
    downloads = {}
    for kind in ("pdf", "json", "csv"):
        response = subject.get(reverse("link:file", args=[secret_of(path), kind]))
        assert response.status_code == 200 and "no-store" in response["Cache-Control"]
        downloads[kind] = (response["Content-Disposition"], b"".join(response.streaming_content))
    report = delivery.report
    assert downloads["pdf"][1] == report.file.open("rb").read()
    assert downloads["json"][1] == report.json_file.open("rb").read()
    assert f'filename="{delivery.case.reference}-access-report.pdf"' in downloads["pdf"][0]
    assert "-your-data.csv" in downloads["csv"][0]
    actions = list(delivery.accesses.values_list("action", "detail"))
    assert actions == [
        ("viewed", "code page"),
        ("code_requested", ""),
        ("code_sent", ""),
        ("viewed", "files"),
        ("downloaded", "pdf"),
        ("downloaded", "json"),
        ("downloaded", "csv"),
    ]
    trail = list(
        delivery.case.audit_entries.order_by("sequence").values_list("action", "actor_label")
    )
    assert ("link_downloaded", "subject (download link)") in trail
    assert [a for a, _ in trail[-7:]] == [
        "link_viewed",
        "link_code_requested",
        "link_code_sent",
        "link_viewed",
        "link_downloaded",
        "link_downloaded",
        "link_downloaded",
    ]
    # A code works once; another browser needs its own.
    assert "Your files" not in enter(Client(), path, code).content.decode()


def test_files_need_a_code_first(sent_link):
    _, path = sent_link
    response = Client().get(reverse("link:file", args=[secret_of(path), "pdf"]))
    assert response.status_code == 302 and response["Location"] == path


def test_five_wrong_codes_lock_the_link(sent_link, smtp):
    delivery, path = sent_link
    subject = Client()
    code = ask_code(subject, path, smtp)
    wrong = str((int(code) + 1) % 10**8).zfill(8)

    for left in (4, 3, 2, 1):
        page = enter(subject, path, wrong).content.decode()
        assert f"That code is not right. {left} attempt" in page
    page = enter(subject, path, code + "0")

    assert page.status_code == 404 and "no longer works: please contact us" in page.content.decode()
    assert enter(subject, path, code).status_code == 404  # the right code is too late now
    delivery.refresh_from_db()
    assert delivery.wrong_codes == 5 and delivery.revoked_at is not None
    assert delivery.accesses.filter(action="locked").count() == 1
    assert delivery.case.audit_entries.filter(action="link_code_wrong").count() == 5


def test_a_code_works_for_ten_minutes(sent_link, smtp):
    delivery, path = sent_link
    subject = Client()
    code = ask_code(subject, path, smtp)
    Delivery.objects.filter(pk=delivery.pk).update(
        code_expires_at=timezone.now() - timedelta(seconds=1)
    )
    page = enter(subject, path, code).content.decode()
    assert "That code has expired or was replaced by a newer one" in page
    new_code = ask_code(subject, path, smtp)
    assert "Your files" in enter(subject, path, new_code).content.decode()


def test_wrong_expired_revoked_and_locked_links_get_the_same_answer(
    sent_link, officer, officer_client
):
    delivery, path = sent_link
    answers = {}
    answers["wrong"] = Client().get("/download/" + "A" * 43 + "/")
    answers["malformed"] = Client().get("/download/not-a-link/")
    Delivery.objects.filter(pk=delivery.pk).update(expires_at=timezone.now())
    answers["expired"] = Client().get(path)
    Delivery.objects.filter(pk=delivery.pk).update(expires_at=timezone.now() + timedelta(days=1))
    assert Client().get(path).status_code == 200
    officer_client.post(
        reverse("cases:delivery_revoke", args=[delivery.case.reference, delivery.pk])
    )
    answers["revoked"] = Client().get(path)
    answers["revoked code"] = Client().post(reverse("link:code", args=[secret_of(path)]))
    answers["revoked file"] = Client().get(reverse("link:file", args=[secret_of(path), "pdf"]))

    bodies = {name: (r.status_code, r.content) for name, r in answers.items()}
    assert len(set(bodies.values())) == 1, {n: b[0] for n, b in bodies.items()}
    status, body = bodies["wrong"]
    assert status == 404 and b"This link cannot be used" in body
    for secret in (delivery.case.reference, delivery.case.subject_name, delivery.recipient):
        assert secret.encode() not in body
    assert delivery.case.audit_entries.filter(action="link_revoked").count() == 1


def test_code_requests_are_throttled_per_link_and_per_address(sent_link, smtp, officer):
    delivery, path = sent_link
    subject = Client()
    url = reverse("link:code", args=[secret_of(path)])
    for _ in range(links.CODE_REQUESTS_PER_LINK_PER_HOUR):
        subject.post(url, REMOTE_ADDR="198.51.100.1")
    throttled = subject.post(url, REMOTE_ADDR="198.51.100.2", follow=True)
    assert "Several codes have been asked for in the last hour" in throttled.content.decode()
    assert delivery.accesses.filter(action="code_requested").count() == 5

    # One address asking across many links is throttled too.
    other = sent_elsewhere(officer, smtp)
    LinkAccess.objects.all().delete()
    for _ in range(links.CODE_REQUESTS_PER_ADDRESS_PER_HOUR):
        links.record(other, "code_requested", address="198.51.100.9")
    throttled = subject.post(url, REMOTE_ADDR="198.51.100.9", follow=True)
    assert "Several codes have been asked for" in throttled.content.decode()
    assert not delivery.accesses.filter(action="code_requested").exists()


def sent_elsewhere(officer, smtp):
    return Delivery.objects.create(
        report=add_ready_version(sendable_case(officer, email="bo@example.net")),
        recipient="bo@example.net",
        channel="link",
        outcome="sent",
        request_token="z" * 43,
        expires_at=timezone.now() + timedelta(days=7),
    )


def test_the_link_secret_is_not_stored(sent_link):
    delivery, path = sent_link
    secret = secret_of(path)
    assert secret not in str(Delivery.objects.filter(pk=delivery.pk).values().get())
    assert delivery.link_hash == links.link_hash(secret)
