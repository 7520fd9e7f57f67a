"""Visitors log in with their email address, looked up by blind index (no plaintext login)."""

from django.contrib.auth.backends import ModelBackend

from pledge.people.services import person_find_by_email


class EmailAccountBackend(ModelBackend):
    """``authenticate(request, email=..., password=...)`` for visitor accounts only.

    It takes ``email``, not ``username``, so Django's ``authenticate(username=...)`` at the
    staff login passes it by: a visitor's password is tried only at the visitor login, under
    its limits (``intake.accounts.account_authenticate``), and never counts as a staff login.
    It stays in ``AUTHENTICATION_BACKENDS`` to restore visitors' sessions.
    """

    def authenticate(self, request, email=None, password=None, **kwargs):
        if not email or "@" not in email or password is None:
            return None
        person = person_find_by_email(email)
        account = getattr(person, "account", None) if person else None
        if account is None:
            # Spend the same time as a real check, so timing does not reveal who has an account.
            from django.contrib.auth.hashers import make_password

            make_password(password)
            return None
        user = account.user
        if (
            user.is_staff
            or not user.check_password(password)
            or not self.user_can_authenticate(user)
        ):
            return None
        return user
