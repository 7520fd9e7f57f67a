from django.contrib.auth.decorators import login_required, user_passes_test
from django.shortcuts import render


def staff_required(view):
    """Only active staff accounts reach the console; others go to the login page."""
    return login_required(user_passes_test(lambda user: user.is_staff)(view))


@staff_required
def home(request):
    return render(request, "console/home.html")
