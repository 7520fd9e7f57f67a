"""Rules about what the site collects: forms and channels, cookies, the request log."""

from collections import defaultdict

from django.conf import settings

from pledge.inventory.rules.base import BaseRules
from pledge.inventory.schema import CHOICE_WIDGETS, REQUEST_LOG_FIELDS, Collection, FormField
from pledge.inventory.taxonomy import closest, within

# Which purposes a cookie of each category may serve. A necessary cookie serves the site
# itself; anything else needs consent (P09), so its category must say what it is for.
COOKIE_PURPOSES = {
    "necessary": ("essential", "functional.storage.privacy_preferences"),
    "preferences": ("functional", "personalize"),
    "analytics": ("analytics",),
    "marketing": (
        "marketing",
        "analytics.reporting.campaign_insights",
        "analytics.reporting.ad_performance",
    ),
}

# Categories that point at a person: a form not linked to a person keeps them apart (P20).
IDENTIFYING_CATEGORIES = (
    "user.name",
    "user.contact",
    "user.account",
    "user.unique_id",
    "user.device.ip_address",
    "user.device.cookie_id",
    "user.government_id",
)


class CollectionRules(BaseRules):
    """What is collected: every field, cookie and request-log entry has a purpose that fits."""

    # --- Forms and channels ---------------------------------------------------------------

    def check_collections(self):
        for table, collections in (
            ("forms", self.inventory.forms),
            ("channels", self.inventory.channels),
        ):
            for key, collection in collections.items():
                self.check_collection(f"{table}.{key}", collection, is_form=table == "forms")

    def check_collection(self, name, collection: Collection, *, is_form):
        for subject in collection.subjects:
            if subject not in self.default_subjects:
                guess = closest(subject, self.default_subjects)
                self.add(
                    "E012",
                    name,
                    f"'{subject}' is not a fideslang data subject.",
                    (f"did you mean '{guess}'? " if guess else "")
                    + "Use one of: "
                    + ", ".join(sorted(self.default_subjects))
                    + ".",
                    "subjects",
                )
        for key in collection.at_least_one_of:
            if key not in collection.fields:
                self.add(
                    "E028",
                    name,
                    f"at_least_one_of names '{key}', which is not a field of it.",
                    "name fields declared under it.",
                    "at_least_one_of",
                )
        for key, field in collection.fields.items():
            entry = f"{name}.fields.{key}"
            self.check_uses(entry, field.purposes)
            self.check_category(entry, field.category)
            self.check_positive(entry, field.retention_days, "retention_days", "a retention period")
            self.check_positive(entry, field.max_length, "max_length", "a maximum length")
            if is_form and field.widget is None:
                self.add(
                    "E031",
                    entry,
                    "it has no widget, so the form cannot ask for it.",
                    'add `widget = "text"` (or email, phone, textarea, choice, checkbox, ...).',
                )
            self.check_choices(entry, field)
            self.check_file(entry, field)
            self.check_consent(entry, field)
            self.check_consent_subject(entry, field)
            if (
                not collection.links_to_person
                and within(field.category, IDENTIFYING_CATEGORIES)
                and not field.kept_apart
            ):
                self.add(
                    "E030",
                    entry,
                    "the form is declared not linked to a person (links_to_person = false), yet "
                    "this field identifies one and is kept with the answers (P20).",
                    "add `kept_apart = true` (kept separately, with its own short retention) or "
                    "remove the field.",
                )
        if is_form and collection.links_to_person:
            self.check_request_purposes(name, collection)
            self.check_separate_consents(name, collection)

    def check_choices(self, entry, field):
        if field.widget in CHOICE_WIDGETS:
            values = [choice.value for choice in field.choices]
            if not values:
                self.add(
                    "E025",
                    entry,
                    f"it is a {field.widget} field with no choices.",
                    'add `choices = [{ value = "...", label = { zh-hans = "...", en = "..." } }]`.',
                    "choices",
                )
            repeated = sorted({value for value in values if values.count(value) > 1})
            if repeated:
                self.add(
                    "E025",
                    entry,
                    f"the choice {', '.join(repeated)} appears more than once.",
                    "give every choice its own value.",
                    "choices",
                )
        elif field.choices:
            self.add(
                "E025",
                entry,
                f"it has choices but its widget is {field.widget or 'not set'}.",
                'use `widget = "choice"`, "select" or "multichoice", or remove the choices.',
                "choices",
            )

    def check_file(self, entry, field):
        if field.widget == "file" and (not field.accept or not field.max_bytes):
            self.add(
                "E026",
                entry,
                "a file upload must say which file types and what size it accepts.",
                'add `accept = [".pdf"]` and `max_bytes = 5242880` (5 MB).',
                "widget",
            )
        if field.max_bytes is not None:
            self.check_positive(entry, field.max_bytes, "max_bytes", "a size limit")

    def check_consent(self, entry, field):
        if field.consent:
            if field.widget not in ("checkbox", "mailing_lists"):
                self.add(
                    "E024",
                    entry,
                    "a consent must be asked with its own checkbox (P17), but its widget is "
                    f"{field.widget or 'not set'}.",
                    'set `widget = "checkbox"`.',
                    "widget",
                )
            elif field.widget == "checkbox" and field.required:
                self.add(
                    "E024",
                    entry,
                    "a required consent checkbox forces the visitor to agree: "
                    "consent must be free.",
                    "set `required = false`.",
                    "required",
                )
            if field.consent_text is None:
                self.add(
                    "E024",
                    entry,
                    "a consent checkbox needs the exact words the visitor agrees to, to prove it.",
                    'add `consent_text = { zh-hans = "...", en = "..." }`.',
                    "consent",
                )
        elif field.consent_text is not None:
            self.add(
                "E024",
                entry,
                "it has a consent_text but is not declared as a consent.",
                "add `consent = true`, or remove consent_text.",
                "consent_text",
            )
        if field.consent and field.checked:
            self.add(
                "E024",
                entry,
                "a consent box ticked in advance is no consent: the visitor must tick it "
                "themselves (P17, PIPL Art. 14).",
                "remove `checked = true`.",
                "checked",
            )

    # --- Separate consent (PIPL Art. 14, 23, 29, 39) ---------------------------------------

    def abroad_recipients(self) -> dict:
        """Processors and affiliates processing the data outside the organisation's country."""
        home = self.inventory.organization.country
        return {
            key: recipient
            for recipients in (self.inventory.processors, self.inventory.affiliates)
            for key, recipient in recipients.items()
            if recipient.country != home
        }

    def check_consent_subject(self, entry, field: FormField):
        """A box's subject names something declared: a use, an affiliate (share:), a recipient
        abroad (abroad:) or a sensitive category (sensitive:)."""
        subject = field.consent_subject
        if subject is None:
            return
        if not field.consent or field.widget != "checkbox":
            self.add(
                "E024",
                entry,
                "consent_subject belongs to a consent box, and this field is not one.",
                'add `consent = true` and `widget = "checkbox"`, or remove consent_subject.',
                "consent_subject",
            )
            return
        kind, _, key = subject.partition(":")
        inventory = self.inventory
        if not key:
            if subject not in inventory.uses:
                self.add(
                    "E028",
                    entry,
                    f"consent_subject = '{subject}' is not a use declared under [uses].",
                    'name a declared use, e.g. "sales", or "share:<affiliate>", '
                    '"abroad:<recipient>", "sensitive:<category>".',
                    "consent_subject",
                )
            elif subject not in field.purposes:
                self.add(
                    "E028",
                    entry,
                    f"the box is consent to '{subject}', which is not one of its purposes.",
                    f'add "{subject}" to its purposes.',
                    "consent_subject",
                )
        elif kind == "share":
            if key not in inventory.affiliates:
                self.add(
                    "E028",
                    entry,
                    f"consent_subject = '{subject}' names no [affiliates.{key}].",
                    "name a declared affiliate: "
                    + (", ".join(f"share:{k}" for k in inventory.affiliates) or "there is none")
                    + ".",
                    "consent_subject",
                )
        elif kind == "abroad":
            declared = key in inventory.processors or key in inventory.affiliates
            if not declared:
                self.add(
                    "E028",
                    entry,
                    f"consent_subject = '{subject}' names no processor or affiliate.",
                    "name a declared recipient whose country differs from [organisation]'s.",
                    "consent_subject",
                )
            elif key not in self.abroad_recipients():
                self.add(
                    "E028",
                    entry,
                    f"consent_subject = '{subject}' names a recipient in "
                    f"{inventory.organization.country}, the organisation's own country: there is "
                    "no transfer abroad to agree to.",
                    "remove the box, or set the recipient's real `country`.",
                    "consent_subject",
                )
        elif kind == "sensitive":
            category = inventory.data_categories.get(key)
            if category is None or not category.sensitive:
                self.add(
                    "E028",
                    entry,
                    f"consent_subject = '{subject}' names no category declared "
                    "`sensitive = true` under [data_categories].",
                    f'declare [data_categories."{key}"] with `sensitive = true`, or name one '
                    "that is.",
                    "consent_subject",
                )
        else:
            self.add(
                "E028",
                entry,
                f"consent_subject = '{subject}' is not something a person can agree to here.",
                'use a declared use ("sales"), "share:<affiliate>", "abroad:<recipient>" or '
                '"sensitive:<category>".',
                "consent_subject",
            )

    def check_request_purposes(self, name, collection: Collection):
        """What sending the form is consent to: purposes its answers serve (PIPL Art. 14)."""
        if not collection.request_purposes:
            return
        self.check_uses(name, collection.request_purposes, "request_purposes")
        answered = {
            use for field in collection.field_list if not field.consent for use in field.purposes
        }
        for use in collection.request_purposes:
            if use in self.inventory.uses and use not in answered:
                self.add(
                    "E028",
                    name,
                    f"request_purposes names '{use}', which none of its fields is collected for.",
                    "name purposes of its own fields: sending the form answers only its request.",
                    "request_purposes",
                )

    def check_separate_consents(self, name, collection: Collection):
        """No bundled consent (PIPL Art. 14, 29): a purpose needing consent beyond the request
        has its own box, and so does each sensitive category the form collects."""
        boxes = {
            subject for field in collection.consent_fields for subject in field.consent_subjects
        }
        covered = set(collection.request_purposes) | boxes
        for field in collection.field_list:
            if field.consent:
                continue
            entry = f"{name}.fields.{field.key}"
            for use in field.purposes:
                declared = self.inventory.uses.get(use)
                if (
                    declared is not None
                    and declared.legal_basis == "consent"
                    and use not in covered
                ):
                    self.add(
                        "E029",
                        entry,
                        f"it is collected for '{use}', which needs consent, but sending the form "
                        "is not consent to it (request_purposes) and no box of the form asks "
                        "for it: it could never be used.",
                        f'add a consent box with consent_subject = "{use}", or add it to the '
                        "form's request_purposes if answering the request needs it.",
                        "purposes",
                    )
                    covered.add(use)  # one problem per purpose and form
            for key, category in self.inventory.data_categories.items():
                if not category.sensitive or not within(field.category, [key]):
                    continue
                if f"sensitive:{key}" not in boxes:
                    self.add(
                        "E029",
                        entry,
                        f"it collects '{field.category}', sensitive personal information, "
                        "without a separate consent box for it (PIPL Art. 29).",
                        f'add a consent box with consent_subject = "sensitive:{key}" and the '
                        "exact words the visitor agrees to.",
                        "category",
                    )
                if field.required:
                    self.add(
                        "E024",
                        entry,
                        "a required field of sensitive personal information forces its consent: "
                        "refusing the box must leave the request answerable.",
                        "set `required = false`.",
                        "required",
                    )

    # --- Cookies ----------------------------------------------------------------------------

    def check_cookies(self):
        names = defaultdict(list)
        for key, cookie in self.inventory.cookies.items():
            entry = f"cookies.{key}"
            if bool(cookie.declared_name) == bool(cookie.name_setting):
                self.add(
                    "E032",
                    entry,
                    "give the cookie's name once: either name or name_setting.",
                    'set `name = "..."`, or `name_setting = "SESSION_COOKIE_NAME"` for a name '
                    "the settings choose.",
                    "name",
                )
            elif cookie.name_setting and not hasattr(settings, cookie.name_setting):
                self.add(
                    "E032",
                    entry,
                    f"there is no setting called {cookie.name_setting}.",
                    "use a setting that exists, such as SESSION_COOKIE_NAME or CSRF_COOKIE_NAME.",
                    "name_setting",
                )
            else:
                names[cookie.name].append(key)
            lifetimes = [
                cookie.lifetime_days is not None,
                cookie.lifetime_setting is not None,
                cookie.browser_session,
            ]
            if sum(lifetimes) != 1:
                self.add(
                    "E032",
                    entry,
                    "say once how long the cookie lasts.",
                    "set exactly one of lifetime_days, lifetime_setting or browser_session = true.",
                    "lifetime_days",
                )
            elif cookie.lifetime_setting and not hasattr(settings, cookie.lifetime_setting):
                self.add(
                    "E032",
                    entry,
                    f"there is no setting called {cookie.lifetime_setting}.",
                    "use a setting that exists, such as SESSION_COOKIE_AGE.",
                    "lifetime_setting",
                )
            self.check_positive(entry, cookie.lifetime_days, "lifetime_days", "a cookie's lifetime")
            self.check_uses(entry, cookie.purposes)
            for category in cookie.categories:
                self.check_category(entry, category, "categories")
            fitting = COOKIE_PURPOSES[cookie.category]
            for use in cookie.purposes:
                if not within(use, fitting):
                    self.add(
                        "E022",
                        entry,
                        f"it is declared {cookie.category}, but its purpose '{use}' is not: a "
                        f"{cookie.category} cookie serves " + " or ".join(fitting) + ".",
                        "choose the category that says what the cookie is for (necessary, "
                        "preferences, analytics or marketing), or change its purpose.",
                        "category",
                    )
        for name, keys in names.items():
            if len(keys) > 1:
                self.add(
                    "E033",
                    "cookies." + keys[1],
                    f"cookies {' and '.join(keys)} are both named {name!r}.",
                    "give each cookie its own name.",
                    "name",
                )
        consent = self.inventory.consent
        if consent.cookie not in self.inventory.cookies:
            self.add(
                "E028",
                "consent",
                f"cookie = '{consent.cookie}' names no declared cookie.",
                'name the key of the cookie that keeps the visitor\'s choice, e.g. "consent".',
                "cookie",
            )
        self.check_positive(
            "consent", consent.accepted_days, "accepted_days", "how long an acceptance lasts"
        )
        self.check_positive(
            "consent", consent.refused_days, "refused_days", "how long a refusal lasts"
        )

    # --- Technical collection -------------------------------------------------------------

    def check_request_log(self):
        log = self.inventory.request_log
        for key, field in log.fields.items():
            entry = f"request_log.fields.{key}"
            if key not in REQUEST_LOG_FIELDS:
                self.add(
                    "E004",
                    entry,
                    f"the request log cannot record '{key}'.",
                    "use only: " + ", ".join(REQUEST_LOG_FIELDS) + ".",
                )
            self.check_category(entry, field.category)
        self.check_positive(
            "request_log", log.retention_days, "retention_days", "a retention period"
        )
        self.check_uses("request_log", log.purposes)
        if not 0 <= log.ipv4_prefix <= 32 or not 0 <= log.ipv6_prefix <= 128:
            self.add(
                "E005",
                "request_log",
                "ipv4_prefix must be 0 to 32 and ipv6_prefix 0 to 128.",
                "use 24 and 48, the usual truncation.",
                "ipv4_prefix",
            )
        counting = self.inventory.visit_counting
        for key in counting.fields:
            if key not in log.fields or key == "ip_address":
                self.add(
                    "E028",
                    "visit_counting",
                    f"'{key}' cannot be used by anonymous counting: it must be a request-log field "
                    "other than the IP address, which anonymous counting never stores (P09).",
                    "list only fields declared under [request_log.fields], without ip_address.",
                    "fields",
                )
        self.check_uses("visit_counting", counting.purposes)
        self.check_positive(
            "visit_counting", counting.salt_rotation_hours, "salt_rotation_hours", "a salt's life"
        )
        self.check_positive(
            "visit_counting", counting.salt_kept_hours, "salt_kept_hours", "a salt's life"
        )
