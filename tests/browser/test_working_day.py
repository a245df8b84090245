"""An officer's working day in Chromium, at 1440 and 390 px wide: log a request, verify the
subject's identity, collect (real worker, sandbox), generate the report (real worker; the panel
follows it by itself), send it by link (real worker, a real SMTP server), extend a second case,
reject a third (with its confirmation), add a note, read the trail. On every page:
axe-core finds no violation and nothing pushes the page sideways; after each action the focus is
on the message beside what changed. The screenshots are saved under var/screenshots/ (the run's
summary names the folder) for a person to look at."""

import shutil
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from cases.models import Case
from dsar_portal.clock import format_day
from netcore.sandbox import Sandbox
from tests.browser.axe_check import axe_violations, overflows_sideways
from tests.conftest import SCREENSHOTS
from tests.delivery_fixtures import dpo_profile
from tests.factories import OfficerFactory, make_case
from tests.harvest_fixtures import SANDBOX_KEY, sandbox_account
from tests.smtp_server import SmtpServer

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("celery")]

WIDTHS = {"desktop": 1440, "phone": 390}


class Walk:
    """The browser page of the walk, checking and photographing each page it shows."""

    def __init__(self, browser, live_server, user, width: int, folder):
        # en-US on purpose: the dates typed and shown must not follow the browser's locale.
        # bypass_csp lets the test add axe's script; the policy has its own browser tests.
        self.context = browser.new_context(
            viewport={"width": width, "height": 900}, locale="en-US", bypass_csp=True
        )
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        self.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.base = live_server.url
        self.folder = folder
        self.shots = 0

    def goto(self, path: str):
        self.page.goto(self.base + path)
        return self.page

    def check(self, name: str) -> None:
        """axe, no sideways scrolling, and a screenshot of the page as it is."""
        page = self.page
        page.wait_for_load_state("load")
        violations = axe_violations(page)
        assert violations == [], (name, page.url, violations)
        assert not overflows_sideways(page), (name, page.url)
        self.shots += 1
        page.screenshot(path=str(self.folder / f"{self.shots:02d}-{name}.png"), full_page=True)

    def focused_inside(self, selector: str) -> bool:
        # The page's script moves the focus once the page has loaded.
        self.page.wait_for_load_state("load")
        self.page.wait_for_function(
            "(sel) => !!document.activeElement && document.activeElement !== document.body",
            arg=selector,
        )
        return self.page.evaluate(
            "(sel) => !!document.activeElement && !!document.activeElement.closest(sel)", selector
        )


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.mark.parametrize("size", WIDTHS)
def test_a_working_day(size, browser, live_server, celery_workers, private_storage, smtp):
    folder = SCREENSHOTS / f"working-day-{WIDTHS[size]}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    officer = OfficerFactory(username="olivia", first_name="Olivia", last_name="Officer")
    today = timezone.localdate()
    with Sandbox(api_key=SANDBOX_KEY, seed=7, events_per_day=2) as sandbox:
        sandbox_account(sandbox)
        celery_workers.start(
            concurrency=2,
            env={
                "PRIVATE_STORAGE_ROOT": str(private_storage),
                "REPORT_RENDER_PROCESSES": "1",
                "EMAIL_URL": smtp.url,
            },
        )
        dpo_profile()  # a report goes out only from a real controller
        second = make_case(actor=officer, assigned_officer=officer, subject_name="Bo Second")
        third = make_case(actor=officer, assigned_officer=officer, subject_name="Cy Third")
        walk = Walk(browser, live_server, officer, WIDTHS[size], folder)
        page = walk.page

        # The day starts on the dashboard: what waits for the officer.
        walk.goto("/")
        assert page.locator("[data-queue=identity] .queue-list li").count() == 2
        walk.check("dashboard")

        # Log a request, dates typed the portal's way whatever the browser's locale.
        page.get_by_role("link", name="Log a request").first.click()
        page.get_by_label("Subject name").fill("Ελένη Παπαδοπούλου")
        page.get_by_label("Subject email").fill("eleni@example.com")
        page.get_by_label("Netcore primary keys").fill("eleni@example.com")
        page.get_by_label("Email", exact=True).check()
        page.get_by_label("SMS", exact=True).check()
        page.get_by_label("Search from").fill(format_day(today - timedelta(days=13)))
        page.get_by_label("Search to").fill(format_day(today))
        walk.check("log-a-request")
        page.get_by_role("button", name="Log request").click()
        case = Case.objects.get(subject_email="eleni@example.com")
        page.wait_for_url(f"{walk.base}{case.get_absolute_url()}")
        assert "logged; due" in page.locator(".messages").inner_text()
        assert page.locator(".step[aria-current=step]").inner_text().startswith("Identity verified")
        walk.check("overview-new-case")

        # The next action leads to the identity card; the message lands beside it, with focus.
        page.locator(".next-action").get_by_role("link", name="Record the verification").click()
        page.get_by_label("How was identity checked?").select_option(
            label="Signed in to their customer account"
        )
        page.get_by_role("button", name="Record verification").click()
        page.locator("#identity .messages").wait_for()
        assert "Identity verification recorded." in page.locator("#identity").inner_text()
        assert walk.focused_inside("#identity")
        walk.check("identity-verified")

        # Collect: the next action is one button; the data section follows the workers live.
        page.locator(".next-action").get_by_role("button", name="Start collection").click()
        page.wait_for_url(f"**{case.reference}/data/#collection")
        page.locator("h1").filter(has_text="Collected").wait_for(timeout=60_000)
        assert page.locator("#events-heading").inner_text().startswith("The subject's events")
        walk.check("data-collected")

        # Generate the report: one button again; the report section shows the version.
        page.locator(".next-action").get_by_role("button", name="Generate report").click()
        page.wait_for_url(f"**{case.reference}/report/#report-heading")
        assert "is being generated" in page.locator(".messages").inner_text()
        walk.check("report-generating")
        panel = page.locator("section", has=page.locator("#report-heading"))
        # The panel follows the worker by itself: no reload (the page's own state survives).
        page.evaluate("window.sameDocument = true")
        panel.get_by_role("link", name="PDF").wait_for(timeout=60_000)
        assert page.evaluate("window.sameDocument === true")
        assert walk.focused_inside("[data-report-panel]")
        assert (
            page.locator(".next-action h2").inner_text().endswith("Send the report to the subject")
        )
        walk.check("report-ready")

        # Send it by link: the confirmation, then a worker mails it, once.
        panel.get_by_label("Secure download link").check()
        panel.get_by_role("button", name="Review and send…").click()
        page.get_by_role("heading", name="Check before it goes").wait_for()
        walk.check("send-confirm")
        page.get_by_role("button", name="Send now").click()
        page.get_by_role("heading", name="Sent").wait_for(timeout=30_000)
        [message] = smtp.wait_for(1)
        assert message["To"] == "eleni@example.com"
        walk.check("report-sent")
        page.get_by_role("link", name="Back to the case").click()
        assert "Sent" in page.locator("h1").inner_text()

        # Extend the second case's deadline: the date typed as shown.
        walk.goto(second.get_absolute_url())
        page.locator("#deadline summary").click()
        page.locator("#deadline").get_by_label("Reason").fill("Records in three systems")
        page.locator("#deadline").get_by_label("Subject told on").fill(format_day(today))
        page.get_by_role("button", name="Extend deadline").click()
        page.locator("#deadline .messages").wait_for()
        second.refresh_from_db()
        assert (
            f"Deadline extended to {format_day(second.due_date)}."
            in page.locator("#deadline").inner_text()
        )
        assert walk.focused_inside("#deadline")
        walk.check("deadline-extended")

        # Reject the third: nothing is chosen beforehand, and the change waits for a yes.
        walk.goto(third.get_absolute_url())
        page.get_by_text("Reject the request…").click()
        page.get_by_label("Why the request is refused").fill("Identity could not be established")
        page.locator("#status").get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Yes, reject the request").wait_for()
        assert walk.focused_inside(".confirm"), page.evaluate(
            "document.activeElement.outerHTML.slice(0, 200) + ' / ' + location.href"
        )
        third.refresh_from_db()
        assert third.status == "received"
        walk.check("reject-confirm")
        page.get_by_role("button", name="Yes, reject the request").click()
        page.locator("#refusal .messages").wait_for()
        assert "The case is now rejected." in page.locator("#refusal").inner_text()
        assert walk.focused_inside("#refusal")
        assert "No deadline" in page.locator(".deadline").inner_text()
        assert page.get_by_text("Extend the deadline").count() == 0
        walk.check("rejected")
        # The subject is told why: the letter goes by link through a worker, once.
        page.get_by_role("button", name=f"Send the letter to {third.subject_email}").click()
        page.get_by_role("heading", name="Sent").wait_for(timeout=30_000)
        [_report, letter] = smtp.wait_for(2)
        assert letter["To"] == third.subject_email and "our answer" in letter["Subject"]
        walk.check("refusal-sent")

        # A note on the first case, then its trail in sentences.
        walk.goto(case.get_absolute_url())
        page.get_by_role("link", name="Notes").click()
        page.get_by_role("textbox", name="Add a note").fill("Asked for the report by email.")
        page.get_by_role("button", name="Add note").click()
        page.locator("#note .messages").wait_for()
        assert walk.focused_inside("#note")
        walk.check("note-added")
        page.get_by_role("link", name="Trail").click()
        trail = page.locator("ol.trail").inner_text()
        assert "Olivia Officer verified the subject's identity: signed in to their" in trail
        assert "Collection started: 1 account, 4 windows" in trail
        assert "viewed the subject's events" not in trail
        walk.check("trail")
        page.get_by_role("link", name="Show them").click()
        assert "Olivia Officer viewed the subject's events" in page.locator("ol.trail").inner_text()
        walk.check("trail-with-views")
        walk.goto("/?scope=mine")
        walk.check("dashboard-end-of-day")
        walk.goto(f"/cases/?q={case.reference}")
        walk.check("case-list")
        walk.goto(f"/cases/{second.reference}/edit/")
        walk.check("edit-request")
        walk.context.close()
    assert walk.shots >= 16


@pytest.mark.parametrize("size", WIDTHS)
def test_the_sign_in_pages_pass_axe(size, browser, live_server, db):
    context = browser.new_context(
        viewport={"width": WIDTHS[size], "height": 900}, locale="en-US", bypass_csp=True
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    assert axe_violations(page) == []
    assert not overflows_sideways(page)
    # A refused attempt: back on the form, the refusal said once, nothing else changed.
    page.get_by_label("Username").fill("olivia")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").wait_for()
    assert axe_violations(page) == []
    context.close()

    officer = OfficerFactory(username="olivia")
    walk = Walk(browser, live_server, officer, WIDTHS[size], SCREENSHOTS)
    walk.goto("/accounts/two-factor/setup/")
    walk.page.get_by_label("Six-digit code from your authenticator app").fill("000000")
    walk.page.get_by_role("button", name="Turn on two-factor sign-in").click()
    walk.page.get_by_role("alert").wait_for()
    assert axe_violations(walk.page) == []
    assert not overflows_sideways(walk.page)
    walk.context.close()


@pytest.mark.parametrize("size", WIDTHS)
def test_the_admin_index_and_a_change_list_pass_axe(size, browser, live_server, db):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("ada", "ada@example.com", "x" * 20)
    officer = OfficerFactory(username="olivia", first_name="Olivia", last_name="Officer")
    make_case(actor=officer)
    folder = SCREENSHOTS / f"admin-{WIDTHS[size]}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    walk = Walk(browser, live_server, admin, WIDTHS[size], folder)
    for name, path in (
        ("admin-index", "/admin/"),
        ("admin-cases", "/admin/cases/case/"),
        ("admin-trail", "/admin/cases/auditentry/"),
    ):
        walk.goto(path)
        walk.page.wait_for_load_state("load")
        violations = axe_violations(walk.page)
        assert violations == [], (name, violations[0]["nodes"] if violations else None)
        walk.shots += 1
        walk.page.screenshot(path=str(folder / f"{walk.shots:02d}-{name}.png"), full_page=True)
    walk.context.close()
