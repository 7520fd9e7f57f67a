from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from pledge.console.decorators import staff_view
from pledge.vault.access import ROLE_NAMES, roles_of
from pledge.vault.staff import staff_create, staff_list, staff_update
from pledge.vault.two_factor import authenticator_reset, has_second_factor


def role_choices():
    return list(ROLE_NAMES.items())


class StaffForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Work email"))
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=role_choices, widget=forms.CheckboxSelectMultiple, required=False
    )


class StaffEditForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=role_choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    active = forms.BooleanField(label=_("May log in"), required=False)


@staff_view("manage_staff")
def staff_list_view(request):
    members = [
        {
            "user": user,
            "roles": [
                ROLE_NAMES[group.name] for group in user.groups.all() if group.name in ROLE_NAMES
            ],
        }
        for user in staff_list(actor=request.actor)
    ]
    return render(request, "console/staff.html", {"members": members})


@staff_view("manage_staff")
def staff_new(request):
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, password = staff_create(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                roles=form.cleaned_data["roles"],
                actor=request.actor,
            )
        except ValidationError as error:
            form.add_error("username", error)
        else:
            return render(
                request, "console/staff_created.html", {"member": user, "password": password}
            )
    return render(request, "console/staff_new.html", {"form": form})


@staff_view("manage_staff")
def staff_edit(request, user_id):
    member = get_object_or_404(get_user_model(), pk=user_id, is_staff=True)
    form = StaffEditForm(
        request.POST or None, initial={"roles": roles_of(member), "active": member.is_active}
    )
    if request.method == "POST" and request.POST.get("action") == "reset_authenticator":
        authenticator_reset(user=member, actor=request.actor)
        return redirect("console:staff_edit", user_id=member.pk)
    if request.method == "POST" and form.is_valid():
        try:
            staff_update(
                user=member,
                roles=form.cleaned_data["roles"],
                active=form.cleaned_data["active"],
                actor=request.actor,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("console:staff")
    return render(
        request,
        "console/staff_edit.html",
        {"member": member, "form": form, "enrolled": has_second_factor(member)},
    )
