from django.urls import path

from pledge.console.views import (
    audit,
    auth,
    experts,
    forms,
    home,
    imports,
    leads,
    outbox,
    people,
    staff,
)

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
    path("organizations/", people.organizations, name="organizations"),
    path("organizations/<uuid:public_id>/", people.organization, name="organization"),
    path("import/", imports.upload, name="import"),
    path("import/<uuid:public_id>/", imports.batch, name="import_batch"),
    path("leads/", leads.inbox, name="leads"),
    path("leads/<uuid:public_id>/", leads.detail, name="lead"),
    path("availability/", experts.expert_edit, name="expert"),
    path("experts/", experts.experts, name="experts"),
    path("experts/<int:expert_id>/", experts.expert_edit, name="expert_edit"),
    path("staff/", staff.staff_list_view, name="staff"),
    path("staff/new/", staff.staff_new, name="staff_new"),
    path("staff/<int:user_id>/", staff.staff_edit, name="staff_edit"),
    path("audit/", audit.audit_log, name="audit"),
    path("forms/", forms.forms_overview, name="forms"),
    path("outbox/", outbox.outbox_list, name="outbox"),
    path("outbox/<uuid:public_id>/", outbox.outbox_message, name="outbox_message"),
]
