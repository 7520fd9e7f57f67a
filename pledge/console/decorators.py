"""The console's door: every console view is wrapped in ``staff_view``.

In order: the network allow-list (P22's firewall), an active staff login, a verified second
factor (SECURITY.md A1), the view's permission (refusals audited by the vault), and no caching
of the page (H7). Every console page shows times in the signed-in staff member's zone (an
expert's own, the site's otherwise). ``staff_view.permission`` is kept on the view so the URL
x role matrix test reads it from the resolver.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from pledge.meetings.experts import staff_time_zone
from pledge.vault.access import access_require, client_ip, has_access, network_allowed
from pledge.vault.actors import Actor
from pledge.vault.two_factor import has_second_factor, recovery_codes_forget


def network_refusal(request):
    return render(request, "console/network_refused.html", status=403)


def console_door(view):
    """The checks of the login pages themselves: network allow-list and no caching; then the
    reader's time zone."""

    @never_cache
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not network_allowed(client_ip(request)):
            return network_refusal(request)
        user = request.user
        zone = staff_time_zone(user) if user.is_authenticated else settings.TIME_ZONE
        with timezone.override(zone):
            return view(request, *args, **kwargs)

    return wrapped


def staff_view(permission: str | tuple[str, ...] | None = None):
    """``permission``: one the user must hold, or a tuple of which any one will do (the view's
    service then checks the object itself: an expert's own lead, say)."""

    def decorate(view):
        @console_door
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not (user.is_authenticated and user.is_active and user.is_staff):
                return redirect_to_login(request.get_full_path(), reverse("console:login"))
            if not user.is_verified():
                step = "console:verify" if has_second_factor(user) else "console:enrol"
                return redirect(f"{reverse(step)}?next={request.get_full_path()}")
            request.actor = Actor.staff(user)
            if not getattr(view, "keeps_recovery_codes", False):
                recovery_codes_forget(request.session)  # held only until the next page
            if isinstance(permission, tuple):
                if not any(has_access(request.actor, one) for one in permission):
                    access_require(request.actor, permission[0])
            elif permission:
                access_require(request.actor, permission)
            return view(request, *args, **kwargs)

        wrapped.staff_permission = permission
        return wrapped

    return decorate
