"""Django forms built from the inventory's declarations: a field exists only if it is declared.

The form a visitor sees and the form that validates the post are the same class, built from
``[forms.<key>]``; removing a field from the inventory removes it from the page and from what
can be stored (P04). Posted names that are not declared are never read (SECURITY.md Z4).
"""

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from pledge.intake.uploads import UploadRefused, upload_check
from pledge.inventory.loader import current_inventory
from pledge.inventory.schema import Collection, FormField
from pledge.inventory.taxonomy import within
from pledge.people.values import validate_name, validate_phone, validate_single_line

DEFAULT_MAX_LENGTH = {"text": 200, "phone": 30, "textarea": 5000, "datetime_preferences": 1000}


def choice_pairs(field: FormField):
    return [(choice.value, choice.label) for choice in field.choices]


def django_field(declared: FormField) -> forms.Field:
    """The Django field for one declared field; labels and help follow the page's language."""
    common = {
        "label": declared.label,
        "required": declared.required,
        "help_text": declared.help or "",
    }
    widget = declared.widget or "text"
    max_length = declared.max_length or DEFAULT_MAX_LENGTH.get(widget)
    one_line = [validate_single_line]
    if widget == "email":
        return forms.EmailField(
            max_length=declared.max_length or 254, validators=one_line, **common
        )
    if widget == "phone":
        return forms.CharField(
            max_length=max_length,
            validators=[*one_line, validate_phone],
            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            **common,
        )
    if widget in {"textarea", "datetime_preferences"}:
        return forms.CharField(max_length=max_length, widget=forms.Textarea, **common)
    if widget == "choice":
        return forms.ChoiceField(choices=choice_pairs(declared), widget=forms.RadioSelect, **common)
    if widget == "multichoice":
        return forms.MultipleChoiceField(
            choices=choice_pairs(declared), widget=forms.CheckboxSelectMultiple, **common
        )
    if widget == "checkbox":
        # P17: a consent box is never ticked in advance, and its label is the exact text that
        # the consent record keeps as proof.
        if declared.consent:
            if declared.consent_text:
                common["label"] = declared.consent_text
            box = forms.BooleanField(**common)
            box.consent_box = True  # shown apart, among the visitor's own choices
            return box
        return forms.BooleanField(initial=declared.checked, **common)
    if widget == "file":
        accept = ",".join(declared.accept)
        return forms.FileField(widget=forms.ClearableFileInput(attrs={"accept": accept}), **common)
    if widget == "password":
        return forms.CharField(
            max_length=max_length,
            strip=False,
            validators=one_line,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
            **common,
        )
    if widget == "age_band":
        bands = current_inventory().minors.age_bands
        return forms.ChoiceField(
            choices=[(band.key, band.label) for band in bands], widget=forms.RadioSelect, **common
        )
    if widget == "mailing_lists":
        lists = [
            (mailing_list.key, mailing_list.name)
            for mailing_list in current_inventory().mailing_lists.values()
            if mailing_list.kind == "marketing"
        ]
        return forms.MultipleChoiceField(
            choices=lists, widget=forms.CheckboxSelectMultiple, **common
        )
    autocomplete = {"name": "name", "company": "organization", "employer": "organization"}
    attrs = {"autocomplete": autocomplete[declared.key]} if declared.key in autocomplete else {}
    is_name = declared.category == "user.name"
    return forms.CharField(
        max_length=max_length,
        validators=[*one_line, validate_name] if is_name else one_line,
        widget=forms.TextInput(attrs=attrs),
        **common,
    )


class DeclaredForm(forms.Form):
    """Validation shared by every declared form; ``collection`` is set on each built class."""

    collection: Collection

    @property
    def request_fields(self):
        """The fields of the request itself, in declared order (the page shows them first)."""
        return [field for field in self if not getattr(field.field, "consent_box", False)]

    @property
    def consent_boxes(self):
        """The separate consent boxes (PIPL Art. 14), each optional and unticked (P17)."""
        return [field for field in self if getattr(field.field, "consent_box", False)]

    def clean(self):
        cleaned = super().clean()
        self.sensitive_check(cleaned)
        wanted = self.collection.at_least_one_of
        if wanted and not any(cleaned.get(key) for key in wanted):
            names = ", ".join(str(self.collection.field(key).label) for key in wanted)
            raise ValidationError(_("Fill in at least one of: %(fields)s.") % {"fields": names})
        for declared in self.collection.field_list:
            value = cleaned.get(declared.key)
            if declared.widget == "file" and value:
                try:
                    cleaned[declared.key] = upload_check(
                        value, accept=declared.accept, max_bytes=declared.max_bytes or 0
                    )
                except UploadRefused as refused:
                    self.add_error(declared.key, str(refused))
            if declared.widget == "password" and value:
                try:
                    validate_password(value)
                except ValidationError as error:
                    self.add_error(declared.key, error)
        return cleaned

    def sensitive_check(self, cleaned: dict) -> None:
        """PIPL Art. 29: an answer of a sensitive category is taken only with its own box ticked;
        left empty, the request goes ahead without it."""
        inventory = current_inventory()
        sensitive = [
            key for key, category in inventory.data_categories.items() if category.sensitive
        ]
        if not sensitive:
            return
        ticked = {
            subject
            for declared in self.collection.consent_fields
            if cleaned.get(declared.key)
            for subject in declared.consent_subjects
        }
        for declared in self.collection.field_list:
            if declared.consent or cleaned.get(declared.key) in (None, "", [], ()):
                continue
            needed = [key for key in sensitive if within(declared.category, [key])]
            if any(f"sensitive:{key}" not in ticked for key in needed):
                self.add_error(
                    declared.key,
                    _(
                        "This is sensitive personal information: tick the box agreeing to it, "
                        "or leave it empty and we answer your request without it."
                    ),
                )


def form_class(form_key: str) -> type[DeclaredForm]:
    """The form class for ``[forms.<form_key>]``, built from the inventory in force."""
    collection = current_inventory().form(form_key)
    fields = {declared.key: django_field(declared) for declared in collection.field_list}
    return type(f"{form_key.title()}Form", (DeclaredForm,), {**fields, "collection": collection})
