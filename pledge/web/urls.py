from django.urls import path

from pledge.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy_policy, name="privacy"),
    path("privacy/versions/", views.policy_versions, name="policy_versions"),
    path("privacy/v/<int:number>/", views.privacy_policy_version, name="privacy_version"),
    path("privacy/diff/<int:older>/<int:newer>/", views.policy_diff, name="policy_diff"),
    path("cookies/", views.cookie_policy, name="cookies"),
    path("cookies/v/<int:number>/", views.cookie_policy_version, name="cookies_version"),
]
