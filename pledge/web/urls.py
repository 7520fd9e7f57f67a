from django.urls import path

from pledge.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("consent/", views.consent_save, name="consent"),
    path("cookie-settings/", views.cookie_settings, name="cookie_settings"),
    path("cookie-settings/proof.json", views.cookie_proof, name="cookie_proof"),
]
