"""Emails to the subject: From and Reply-To are the DPO's address (organisation profile), the body
is plain text with a simple HTML alternative, in the current language (the case's: callers
compose inside `translation.override(case.language)`), which Content-Language names; a send
goes over its own SMTP connection whose failures are classified (a transient one is worth another
try, a permanent one is not).

With DEBUG off nothing is sent while that address is a placeholder (localhost or an example
domain): the subject could not reply, and the mail would likely be refused as spam.
"""

import contextlib
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import translation

from cases.models import DeliveryCause, OrganisationProfile

PLACEHOLDER_DOMAINS = ("localhost", "example.com", "example.org", "example.net")
# Reserved names (RFC 2606, RFC 6761) that no real mailbox lives under.
PLACEHOLDER_SUFFIXES = (".localhost", ".example", ".test", ".invalid", ".local")


class MailFailure(Exception):
    """An email was not sent; `cause` classifies why, `transient` says whether to try again."""

    def __init__(self, cause: DeliveryCause, detail: str, *, transient: bool = False) -> None:
        super().__init__(detail)
        self.cause = cause
        self.detail = detail[:1000]
        self.transient = transient


@dataclass(frozen=True)
class Sender:
    """Who emails to subjects come from, and why they may not be sent (None when they may)."""

    name: str
    address: str
    problem: str | None

    @property
    def from_header(self) -> str:
        return formataddr((self.name, self.address))


def is_placeholder(address: str) -> bool:
    domain = address.rpartition("@")[2].lower().rstrip(".")
    return (
        "." not in domain
        or domain in PLACEHOLDER_DOMAINS
        or domain.endswith(tuple(f".{d}" for d in PLACEHOLDER_DOMAINS))
        or domain.endswith(PLACEHOLDER_SUFFIXES)
    )


def sender_of(profile: OrganisationProfile | None) -> Sender:
    """The sender named by `profile` (its defaults when there is no profile yet)."""
    profile = profile or OrganisationProfile()
    address = profile.dpo_email
    problem = None
    if is_placeholder(address) and not settings.DEBUG:
        problem = (
            f"Emails to the subject would come from {address}, a placeholder the subject cannot "
            "reply to. Set the DPO's email address in the admin (Organisation profile) first."
        )
    return Sender(name=profile.controller_name, address=address, problem=problem)


def compose(
    *,
    sender: Sender,
    to: str,
    subject: str,
    template: str,
    context: dict,
    message_id: str | None = None,
) -> EmailMultiAlternatives:
    """A message from `sender` to `to`: `template`.txt as the body, `template`.html beside it."""
    headers = {"Content-Language": translation.get_language() or "en"}
    if message_id:
        headers["Message-ID"] = message_id
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        from_email=sender.from_header,
        to=[to],
        reply_to=[sender.address],
        headers=headers,
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


def send(message: EmailMultiAlternatives, *, before_handing_over: Callable[[], bool]) -> bool:
    """Send over a connection of its own; raise MailFailure when it does not go.

    The connection (greeting, any sign-in) is made first; `before_handing_over` is called just
    before the server is given the message, and returning False stops there: nothing was sent,
    and send returns False.
    """
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
        server = getattr(connection, "connection", None)  # the SMTP backend's smtplib.SMTP
        if server is not None:
            server.ehlo_or_helo_if_needed()  # the greeting is part of getting connected
        if not before_handing_over():
            return False
        connection.send_messages([message])
    except (smtplib.SMTPException, OSError) as exc:
        raise classify(exc) from exc
    finally:
        # The message went (or not) already: a failed goodbye changes nothing.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
    return True


def classify(exc: Exception) -> MailFailure:
    """What a mail server failure means for the delivery."""
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in exc.recipients.values()]
        if codes and all(400 <= code < 500 for code in codes):
            return MailFailure(DeliveryCause.UNAVAILABLE, detail, transient=True)
        return MailFailure(DeliveryCause.RECIPIENT_REFUSED, detail)
    if isinstance(exc, smtplib.SMTPResponseException):
        if 400 <= exc.smtp_code < 500:  # "try again later"
            return MailFailure(DeliveryCause.UNAVAILABLE, detail, transient=True)
        if isinstance(exc, smtplib.SMTPAuthenticationError | smtplib.SMTPSenderRefused):
            return MailFailure(DeliveryCause.MAIL_SETTINGS, detail)
        return MailFailure(DeliveryCause.REFUSED, detail)
    # Refused or dropped connections, timeouts, TLS failures: the server may answer later.
    return MailFailure(DeliveryCause.UNAVAILABLE, detail, transient=True)
