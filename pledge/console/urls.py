from django.urls import path

from pledge.console.views import audit, auth, home, outbox, people, staff, tracking

app_name = "console"
urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth.login, name="login"),
    path("login/verify/", auth.verify, name="verify"),
    path("login/enrol/", auth.enrol, name="enrol"),
    path("logout/", auth.logout, name="logout"),
    path("account/", auth.account, name="account"),
    path("people/", people.search, name="people"),
    path("people/<uuid:public_id>/", people.detail, name="person"),
    path("people/<uuid:public_id>/export/", tracking.person_export_view, name="person_export"),
    path("aggregates/", tracking.aggregates_view, name="aggregates"),
    path("consents/", tracking.consents_view, name="consents"),
    path("staff/", staff.staff_list_view, name="staff"),
    path("staff/new/", staff.staff_new, name="staff_new"),
    path("staff/<int:user_id>/", staff.staff_edit, name="staff_edit"),
    path("audit/", audit.audit_log, name="audit"),
    path("outbox/", outbox.outbox_list, name="outbox"),
    path("outbox/<uuid:public_id>/", outbox.outbox_message, name="outbox_message"),
]
