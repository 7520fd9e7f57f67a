"""How many failed staff logins an address gets before django-axes makes it wait (SECURITY.md A5).

django-axes counts failures per pair (username, address) (``AXES_LOCKOUT_PARAMETERS``) and
locks that pair for ``AXES_COOLOFF_TIME`` once it reaches the limit below. Per pair, because a
lock on the username alone let anyone keep an administrator out from anywhere, and a lock on
the address alone let one person's typing lock everyone behind the same network.

An account failing from many addresses at once (guesses spread over many machines) is slowed
rather than locked: each address then gets one failure per cool-off instead of five. A stranger
cannot hold that against the owner: at an address that has not failed, the owner's right
password goes through at once, and at one that has, after one cool-off at most.
"""

from axes.attempts import get_cool_off_threshold
from axes.helpers import get_client_username
from axes.models import AccessAttempt

FAILURES_PER_ADDRESS = 5
# An account is under a spread-out attack once this many addresses failed for it within the
# cool-off; then each address gets this many failures before its wait.
ADDRESSES_UNDER_ATTACK = 10
FAILURES_PER_ADDRESS_UNDER_ATTACK = 1


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
    return FAILURES_PER_ADDRESS
