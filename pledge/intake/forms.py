"""Django forms built from the inventory's declarations: a field exists only if it is declared.

The form a visitor sees and the form that validates the post are the same class, built from
``[forms.<key>]``; removing a field from the inventory removes it from the page and from what
can be stored (P04). Posted names that are not declared are never read (SECURITY.md Z4).
"""

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from pledge.intake.uploads import (
    HELD_SUFFIX,
    REMOVE_SUFFIX,
    CheckedFile,
    HeldFile,
    UploadRefused,
    upload_check,
    upload_held_find,
    upload_held_release,
    upload_hold,
)
from pledge.inventory.labels import words_join
from pledge.inventory.loader import current_inventory
from pledge.inventory.schema import Collection, FormField
from pledge.inventory.taxonomy import within
from pledge.people.values import validate_name, validate_phone, validate_single_line

DEFAULT_MAX_LENGTH = {"text": 200, "phone": 30, "textarea": 5000, "datetime_preferences": 1000}
# What a choice no longer offered says (a position filled since the page was opened): the
# value posted is never shown back, and the visitor is told what to do.
INVALID_CHOICE = {
    "position": _("This position is no longer open. Choose one of the open positions listed."),
}
INVALID_CHOICE_DEFAULT = _("This option is no longer offered. Choose one of the options listed.")


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
    if widget in {"choice", "select"}:
        invalid = {"invalid_choice": INVALID_CHOICE.get(declared.key, INVALID_CHOICE_DEFAULT)}
        if widget == "select":  # a list to pick from, nothing picked until the visitor does
            return forms.ChoiceField(
                choices=[("", _("Choose…")), *choice_pairs(declared)],
                error_messages=invalid,
                **common,
            )
        return forms.ChoiceField(
            choices=choice_pairs(declared),
            widget=forms.RadioSelect,
            error_messages=invalid,
            **common,
        )
    if widget == "multichoice":
        return forms.MultipleChoiceField(
            choices=choice_pairs(declared),
            widget=forms.CheckboxSelectMultiple,
            error_messages={"invalid_choice": INVALID_CHOICE_DEFAULT},
            **common,
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
        return forms.FileField(widget=forms.FileInput(attrs={"accept": accept}), **common)
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.held: dict[str, HeldFile] = {}  # files kept from an earlier post, by field
        self.let_go: list[HeldFile] = []  # held files the visitor removed or replaced

    def held_take(self) -> None:
        """Pick up the files an earlier post of this form left held (``PendingUpload``), as
        the hidden ``<field>__held`` tokens name them: a held file answers its field unless the
        visitor ticked ``<field>__remove`` or sends another file."""
        if not self.is_bound:
            return
        for declared in self.collection.field_list:
            if declared.widget != "file":
                continue
            held = upload_held_find(
                form_key=self.collection.key,
                field=declared.key,
                token=str(self.data.get(declared.key + HELD_SUFFIX, "")),
            )
            if held is None:
                continue
            if self.data.get(declared.key + REMOVE_SUFFIX):
                self.let_go.append(held)
            else:
                self.held_set(declared.key, held)

    def held_set(self, key: str, held: HeldFile | None) -> None:
        """Show ``held`` as the field's attached file (None: no file is held for it)."""
        field = self.fields[key]
        if held is None:
            self.held.pop(key, None)
            field.held = None
            return
        self.held[key] = held
        field.held = held  # what the page shows: "cv.pdf attached", a way to replace or remove
        field.required = False  # the held file answers the field

    def held_keep(self) -> None:
        """The post failed validation: hold each file it sent that passed its checks, so the
        page shown again says it is attached and the visitor need not send it again; a file
        it replaces, or one the visitor removed, goes."""
        for declared in self.collection.field_list:
            checked = self.cleaned_data.get(declared.key) if hasattr(self, "cleaned_data") else None
            if declared.widget != "file" or not isinstance(checked, CheckedFile):
                continue
            replaced = self.held.get(declared.key)
            if replaced is not None:
                self.let_go.append(replaced)
            self.held_set(
                declared.key,
                upload_hold(checked, form_key=self.collection.key, field=declared.key),
            )
        self.held_let_go()

    def held_settle(self) -> None:
        """The post is stored (call inside its transaction): a held file it kept now belongs to
        its submission; one replaced by a new file, or removed, is deleted."""
        for key, held in self.held.items():
            kept = self.cleaned_data.get(key) == held
            upload_held_release(held, keep_file=kept)
        self.held = {}
        self.held_let_go()

    def held_let_go(self) -> None:
        for held in self.let_go:
            upload_held_release(held, keep_file=False)
        self.let_go = []

    @property
    def error_links(self) -> list[tuple[str, str, str]]:
        """(id to link to, label, first error) of each field in error, in the page's order:
        the error summary at the top of the page links each to its field."""
        links = []
        for bound in self:
            if bound.errors:
                target = bound.id_for_label or f"{bound.auto_id}_0"  # a group: its first box
                links.append((target, str(bound.label), str(bound.errors[0])))
        return links

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
            names = words_join(self.collection.field(key).label for key in wanted)
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
            elif declared.widget == "file" and declared.key in self.held:
                cleaned[declared.key] = self.held[declared.key]
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


CAREERS_FORM, POSITION_FIELD = "job_application", "position"


def positions_open():
    """The open positions: the choices of the job application's position field, the one
    place they are declared (the careers page lists them, the application picks one)."""
    collection = current_inventory().forms.get(CAREERS_FORM)
    if collection is None or POSITION_FIELD not in collection.fields:
        return ()
    return collection.field(POSITION_FIELD).choices


def form_initial(form_key: str, query) -> dict:
    """What a link may choose in advance on a form: a declared list's value (the careers page's
    "Apply" for one position). Anything else in the address is ignored."""
    collection = current_inventory().form(form_key)
    initial = {}
    for declared in collection.field_list:
        value = query.get(declared.key)
        if declared.widget == "select" and value in {choice.value for choice in declared.choices}:
            initial[declared.key] = value
    return initial
