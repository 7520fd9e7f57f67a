from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language


def site(request):
    """What every public and console page needs: the site's name and its language links."""
    current = get_language()
    path = request.get_full_path()
    return {
        "site_name": "Gonex",
        "language_links": [
            {
                "code": code,
                "name": name,
                "url": translate_url(path, code),
                "current": code == current,
            }
            for code, name in settings.LANGUAGES
        ],
    }
