from django.urls import path

from pledge.web import account_views, booking_views, form_views, mail_views, portal_views, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    # The site folder's marketing pages (site.toml): products, services, stories, about.
    path("products/<slug:slug>/", views.offering_page, {"kind": "product"}, name="product"),
    path("services/<slug:slug>/", views.offering_page, {"kind": "service"}, name="service"),
    path("customers/", views.stories, name="stories"),
    path("about/", views.about, name="about"),
    path("consent/", views.consent_save, name="consent"),
    path("cookie-settings/", views.cookie_settings, name="cookie_settings"),
    path("cookie-settings/proof.json", views.cookie_proof, name="cookie_proof"),
    path("privacy/", views.privacy_policy, name="privacy"),
    path("privacy/acquisition/", views.acquisition_notice, name="acquisition_notice"),
    path("privacy/versions/", views.policy_versions, name="policy_versions"),
    path("privacy/v/<int:number>/", views.privacy_policy_version, name="privacy_version"),
    path("privacy/diff/<int:older>/<int:newer>/", views.policy_diff, name="policy_diff"),
    # The privacy portal (P18, P19): the token of the emailed link is in the path, never the
    # address (C4).
    path("privacy/my-data/", portal_views.portal_request, name="portal_request"),
    path("privacy/my-data/guardian/", portal_views.portal_guardian, name="portal_guardian"),
    path("privacy/my-data/<str:token>/", portal_views.portal, name="portal"),
    path(
        "privacy/my-data/<str:token>/download/",
        portal_views.portal_download,
        name="portal_download",
    ),
    path(
        "privacy/my-data/<str:token>/correct/", portal_views.portal_correct, name="portal_correct"
    ),
    path(
        "privacy/my-data/<str:token>/consents/",
        portal_views.portal_withdraw,
        name="portal_withdraw",
    ),
    path(
        "privacy/my-data/<str:token>/opt-outs/",
        portal_views.portal_opt_out,
        name="portal_opt_out",
    ),
    path(
        "privacy/my-data/<str:token>/email/",
        portal_views.portal_email_confirm,
        name="portal_email_confirm",
    ),
    path("privacy/my-data/<str:token>/erase/", portal_views.portal_erase, name="portal_erase"),
    path("privacy/my-data/<str:token>/ask/", portal_views.portal_ask, name="portal_ask"),
    path(
        "privacy/my-data/<str:token>/never-contact/",
        portal_views.portal_suppress,
        name="portal_suppress",
    ),
    path("cookies/", views.cookie_policy, name="cookies"),
    path("cookies/v/<int:number>/", views.cookie_policy_version, name="cookies_version"),
    # The forms of P05, each built from its declaration in the inventory.
    path("demo/", form_views.form_page, {"form_key": "demo"}, name="demo"),
    path("demo/booking/<str:token>/", booking_views.booking, name="booking"),
    path("demo/booking/<str:token>/cancel/", booking_views.booking_cancel, name="booking_cancel"),
    path(
        "demo/booking/<str:token>/<uuid:meeting_id>/invite.ics",
        booking_views.booking_calendar,
        name="booking_calendar",
    ),
    path("interest/", form_views.form_page, {"form_key": "interest"}, name="interest"),
    path("contact/", form_views.form_page, {"form_key": "contact"}, name="contact"),
    path("feedback/", form_views.form_page, {"form_key": "feedback"}, name="feedback"),
    path("careers/", form_views.careers, name="careers"),
    path(
        "careers/apply/",
        form_views.form_page,
        {"form_key": "job_application"},
        name="job_application",
    ),
    path("newsletter/", form_views.form_page, {"form_key": "newsletter"}, name="newsletter"),
    path(
        "newsletter/confirm/<str:token>/",
        form_views.subscription_confirm_page,
        name="subscription_confirm",
    ),
    path("guardian/<str:token>/", form_views.guardian, name="guardian"),
    # Every campaign's and notice's links (P13, RFC 8058): the signed token in the path.
    path("mail/unsubscribe/<str:token>/", mail_views.unsubscribe, name="mail_unsubscribe"),
    path("mail/preferences/<str:token>/", mail_views.preferences, name="mail_preferences"),
    # P23: agreeing to a policy version that protects data collected earlier less.
    path(
        "mail/policy/<int:number>/<str:token>/",
        mail_views.policy_agree_page,
        name="mail_policy_agree",
    ),
    path(
        "account/register/",
        form_views.form_page,
        {"form_key": "account"},
        name="account_register",
    ),
    path("account/login/", account_views.account_login, name="account_login"),
    path("account/logout/", account_views.account_logout, name="account_logout"),
    path("account/", account_views.downloads, name="downloads"),
    path("account/downloads/<str:name>", account_views.download, name="download"),
]
