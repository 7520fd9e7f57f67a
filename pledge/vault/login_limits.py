"""How many failed staff logins an address gets before django-axes makes it wait (SECURITY.md A5).

django-axes counts failures per pair (username, address) (``AXES_LOCKOUT_PARAMETERS``) and
locks that pair for ``AXES_COOLOFF_TIME`` once it reaches the limit below. Per pair, because a
lock on the username alone let anyone keep an administrator out from anywhere, and a lock on
the address alone let one person's typing lock everyone behind the same network.

An account failing from many addresses at once (guesses spread over many machines) is slowed
rather than locked: each address then gets one failure per cool-off instead of five. A stranger
cannot hold that against the owner: at an address that has not failed, the owner's right
password goes through at once, and at one that has, after one cool-off at most.

An address failing for many accounts (a guesser walking the staff list) is slowed the same
way: past ``FAILURES_FROM_ONE_ADDRESS`` failures in a cool-off, whatever the usernames, it gets
one failure per account. And an IPv6 client is counted by its /64 (``login_address``): one
host holds a whole /64, so counting its addresses one by one would hand it endless fresh ones.
What is left to a guesser with many networks is one guess per network and account every
cool-off, and then the second factor.
"""

from axes.attempts import get_cool_off_threshold
from axes.helpers import get_client_ip_address, get_client_username
from axes.models import AccessAttempt
from django.db.models import Sum

from pledge.vault.access import client_ip
from pledge.vault.limits import limited_address

FAILURES_PER_ADDRESS = 5
# An account is under a spread-out attack once this many addresses failed for it within the
# cool-off; then each address gets this many failures before its wait.
ADDRESSES_UNDER_ATTACK = 10
FAILURES_PER_ADDRESS_UNDER_ATTACK = 1
# Failures from one address, whatever the accounts, after which it is under attack too.
FAILURES_FROM_ONE_ADDRESS = 30


def login_address(request) -> str:
    """``AXES_CLIENT_IP_CALLABLE``: the client's address as every limit counts it (an IPv6
    one by its /64, ``limited_address``)."""
    return limited_address(client_ip(request))


def address_failures(request) -> int:
    """The failures from this address within the cool-off, whatever the usernames."""
    failures = AccessAttempt.objects.filter(
        ip_address=get_client_ip_address(request),
        attempt_time__gte=get_cool_off_threshold(request),
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return failures or 0


def failing_addresses(request, username: str) -> int:
    """How many addresses failed to log in as ``username`` within the cool-off."""
    return (
        AccessAttempt.objects.filter(
            username=username, attempt_time__gte=get_cool_off_threshold(request)
        )
        .values("ip_address")
        .distinct()
        .count()
    )


def staff_failure_limit(request, credentials=None) -> int:
    """``AXES_FAILURE_LIMIT``: the failures one pair (username, address) may have before it
    waits out the cool-off."""
    username = get_client_username(request, credentials)
    if username and failing_addresses(request, username) >= ADDRESSES_UNDER_ATTACK:
        return FAILURES_PER_ADDRESS_UNDER_ATTACK
    if address_failures(request) >= FAILURES_FROM_ONE_ADDRESS:
        return FAILURES_PER_ADDRESS_UNDER_ATTACK
    return FAILURES_PER_ADDRESS
