"""Sign-in lockout: which failed sign-ins count against a sign-in (django-axes' AXES_HANDLER).

Failures are counted per (username, address) and, against a higher limit, per address:

- a name that has failed DJANGO_SIGNIN_FAILURE_LIMIT times from an address is refused from that
  address, whatever the password, until the cool-off ends;
- an address with DJANGO_SIGNIN_ADDRESS_FAILURE_LIMIT failures under any names is refused for
  every name that has failed from it (guessing many names from one place stops there too);
- so a correct password from an address where that name has not failed is never refused because
  of other names, and failures from one address never lock a name out of another.

django-axes counts the pairs (AXES_LOCKOUT_PARAMETERS) and resets a pair on a successful sign-in;
this handler adds the per-address rule on top of its count.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def address_failures(request: HttpRequest) -> int:
    """Failures from the request's address, under any name, within the cool-off period."""
    attempts = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    )
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


class SignInLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """The failures that count against this (name, address): the pair's own, or the limit
        itself once the address is over its own limit and this name has failed from it."""
        pair_failures = super().get_failures(request, credentials)
        if pair_failures and address_failures(request) >= settings.SIGNIN_ADDRESS_FAILURE_LIMIT:
            return max(pair_failures, settings.AXES_FAILURE_LIMIT)
        return pair_failures
