"""The rules that relate the inventory's entries to each other and to fideslang's taxonomy.

``inventory_problems(inventory)`` returns every contradiction it finds, each naming the entry
and the fix; the loader adds the file and line. The shape of each entry (required keys, types)
is checked earlier by the pydantic models in ``schema.py``.
"""

from collections import defaultdict

from django.conf import settings

from pledge.inventory.problems import Problem
from pledge.inventory.schema import (
    CHOICE_WIDGETS,
    REQUEST_LOG_FIELDS,
    Collection,
    Inventory,
    Recipient,
)
from pledge.inventory.taxonomy import closest, default_keys, replacement, within

# P12: "we do not sell, trade or rent personal data": no purpose may say so.
FORBIDDEN_USE_WORDS = {"sale", "sell", "selling", "sold", "trade", "trading", "rent", "rental"}

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

# Rights the rest of Pledge looks up by key (PIPL Art. 44-50, GB/T 35273-2020, P01, P13, P24).
REQUIRED_RIGHTS = (
    "access",
    "copy",
    "correction",
    "deletion",
    "withdraw_consent",
    "unsubscribe",
    "do_not_contact",
    "complaint",
)
PIPL_GUARDIAN_AGE = 14  # PIPL Art. 28, 31


class Checker:
    """Collects problems while walking the inventory once."""

    def __init__(self, inventory: Inventory):
        self.inventory = inventory
        self.problems: list[Problem] = []
        self.default_categories = default_keys("data_category")
        self.default_uses = default_keys("data_use")
        self.default_subjects = default_keys("data_subject")

    def add(self, code, entry, message, fix, attribute=""):
        self.problems.append(Problem(code, entry, message, fix, attribute=attribute))

    # --- Taxonomy -------------------------------------------------------------------------

    def check_declared_keys(self):
        self._check_tree(
            "data_categories",
            self.inventory.data_categories,
            self.default_categories,
            "data_category",
            code="E010",
            noun="data category",
        )
        self._check_tree(
            "uses", self.inventory.uses, self.default_uses, "data_use", code="E011", noun="data use"
        )
        for key in self.inventory.uses:
            self.check_not_sale(f'uses."{key}"', key, attribute="")

    def _check_tree(self, table, declared, defaults, kind, *, code, noun):
        for key, entry in declared.items():
            name = f'{table}."{key}"'
            if entry.extension:
                parent = key.rpartition(".")[0]
                if key in defaults:
                    self.add(
                        "E013",
                        name,
                        f"'{key}' is already a fideslang {noun}, not an extension.",
                        "remove `extension = true`.",
                        "extension",
                    )
                elif not parent or (parent not in defaults and parent not in declared):
                    self.add(
                        "E013",
                        name,
                        f"the extension '{key}' has no parent: '{parent or key}' is neither a "
                        f"fideslang {noun} nor declared here.",
                        f"name it under an existing {noun}, "
                        f"e.g. 'user.behavior.{key.split('.')[-1]}'.",
                    )
                continue
            replaced_by = replacement(kind, key)
            if replaced_by is not None:
                self.add(
                    code,
                    name,
                    f"'{key}' is a deprecated fideslang {noun}.",
                    f"use '{replaced_by}' instead." if replaced_by else "choose a current one.",
                )
            elif key not in defaults:
                self.add(code, name, *self._unknown(key, defaults, noun))

    def _unknown(self, key, defaults, noun):
        guess = closest(key, defaults)
        hint = f"did you mean '{guess}'? " if guess else ""
        return (
            f"'{key}' is not a fideslang {noun}.",
            f"{hint}Use a key from https://ethyca.github.io/fideslang/, or declare a new one "
            "with `extension = true` under an existing parent.",
        )

    def check_not_sale(self, entry, use, attribute="purposes"):
        if FORBIDDEN_USE_WORDS & set(use.lower().split(".")):
            self.add(
                "E015",
                entry,
                f"the purpose '{use}' would sell, trade or rent personal data, which this "
                "policy promises never to do (P12).",
                "remove it; share data only with declared processors or affiliates.",
                attribute,
            )
            return False
        return True

    def check_uses(self, entry, uses, attribute="purposes"):
        if not uses:
            self.add(
                "E020",
                entry,
                "it has no purpose: nothing may be collected without one (P04).",
                'add `purposes = ["..."]` with the data uses it serves, e.g. ["sales"], each '
                "declared under [uses].",
                attribute,
            )
        for use in uses:
            if not self.check_not_sale(entry, use, attribute):
                continue
            if use in self.inventory.uses:
                continue
            if use in self.default_uses:
                self.add(
                    "E014",
                    entry,
                    f"the purpose '{use}' is not declared under [uses], so it has no legal basis "
                    "and no name in the policy.",
                    f'add a table [uses."{use}"] with its name and legal_basis.',
                    attribute,
                )
            else:
                self.add(
                    "E011", entry, *self._unknown(use, self.default_uses, "data use"), attribute
                )

    def check_category(self, entry, category, attribute="category"):
        if category in self.inventory.data_categories:
            return
        if category in self.default_categories:
            self.add(
                "E016",
                entry,
                f"the data category '{category}' is not declared under [data_categories], so "
                "the policy cannot name it.",
                f'add a table [data_categories."{category}"] with its name in every language.',
                attribute,
            )
        else:
            self.add(
                "E010",
                entry,
                *self._unknown(category, self.default_categories, "data category"),
                attribute,
            )

    def check_positive(self, entry, value, attribute, what):
        if value is not None and value <= 0:
            self.add(
                "E021",
                entry,
                f"{attribute} is {value}: {what} must be a whole number above 0.",
                f"set {attribute} to how long it really is, e.g. {attribute} = 30.",
                attribute,
            )

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
                'use `widget = "choice"` or "multichoice", or remove the choices.',
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

    # --- Recipients, sources, lists ------------------------------------------------------

    def collected_uses(self) -> dict[str, set[str]]:
        """Each collected data category, with the purposes it is collected for."""
        collected = defaultdict(set)
        inventory = self.inventory
        for collection in inventory.collection_points:
            for field in collection.fields.values():
                collected[field.category].update(field.purposes)
        for field in inventory.request_log.fields.values():
            collected[field.category].update(inventory.request_log.purposes)
        sources = [*inventory.cookies.values(), *inventory.other_sources.values()]
        sources.append(inventory.organisation_identification)
        for source in sources:
            for category in source.categories:
                collected[category].update(source.purposes)
        return collected

    def check_recipients(self):
        collected = self.collected_uses()
        for table, recipients in (
            ("processors", self.inventory.processors),
            ("affiliates", self.inventory.affiliates),
        ):
            for key, recipient in recipients.items():
                self.check_recipient(f"{table}.{key}", recipient, collected)
                if table == "affiliates" and not recipient.opt_out_right:
                    self.add(
                        "E029",
                        f"{table}.{key}",
                        "people may opt out of sharing with affiliates (P14), "
                        "but no right is named.",
                        'add `opt_out_right = "affiliate_sharing_opt_out"`.',
                        "opt_out_right",
                    )

    def check_recipient(self, entry, recipient: Recipient, collected):
        self.check_uses(entry, recipient.purposes)
        self.check_right_reference(entry, recipient.opt_out_right, "opt_out_right")
        for category in recipient.categories:
            self.check_category(entry, category, "categories")
            uses = set()
            for collected_category, collected_for in collected.items():
                if within(collected_category, [category]):
                    uses |= collected_for
            if not uses & set(recipient.purposes):
                self.add(
                    "E023",
                    entry,
                    f"it may receive '{category}', but the site collects that for none of its "
                    f"purposes ({', '.join(recipient.purposes)}): it would receive data it has no "
                    "use for (P12).",
                    f"remove '{category}' from its categories, or add one of its purposes to the "
                    "fields that collect it.",
                    "categories",
                )

    def check_sources(self):
        for key, source in self.inventory.other_sources.items():
            entry = f"other_sources.{key}"
            self.check_uses(entry, source.purposes)
            for category in source.categories:
                self.check_category(entry, category, "categories")
            self.check_positive(
                entry, source.notice_within_days, "notice_within_days", "a notice period"
            )
        identification = self.inventory.organisation_identification
        self.check_uses("organisation_identification", identification.purposes)
        for category in identification.categories:
            self.check_category("organisation_identification", category, "categories")
        self.check_right_reference(
            "organisation_identification", identification.opt_out_right, "opt_out_right"
        )

    def check_mailing_lists(self):
        for key, mailing_list in self.inventory.mailing_lists.items():
            entry = f"mailing_lists.{key}"
            self.check_uses(entry, mailing_list.purposes)
            if mailing_list.kind == "marketing":
                wrong = [
                    use
                    for use in mailing_list.purposes
                    if not within(use, ["marketing.communications"])
                    or (
                        use in self.inventory.uses
                        and self.inventory.uses[use].legal_basis != "consent"
                    )
                ]
                if wrong or not mailing_list.double_opt_in:
                    self.add(
                        "E034",
                        entry,
                        "a marketing list is sent only to people who asked for it: its purposes "
                        "must be marketing.communications uses based on consent, "
                        "with double opt-in (P13).",
                        "set `double_opt_in = true` and purposes like "
                        '["marketing.communications.email"].',
                        "kind",
                    )
            elif not all(
                within(use, ["essential.service.notifications"]) for use in mailing_list.purposes
            ):
                self.add(
                    "E034",
                    entry,
                    "a service list may only carry service notices (P17), so its purposes must be "
                    "essential.service.notifications uses.",
                    'use purposes = ["essential.service.notifications.email"], '
                    'or make it kind = "marketing".',
                    "purposes",
                )

    # --- Rights, minors, legal holds ------------------------------------------------------

    def check_right_reference(self, entry, key, attribute):
        if key and key not in self.inventory.rights.requests:
            self.add(
                "E028",
                entry,
                f"{attribute} = '{key}' names no right under [rights.requests].",
                "name a declared right, or declare it.",
                attribute,
            )

    def check_rights(self):
        rights = self.inventory.rights
        self.check_positive("rights", rights.deadline_days, "deadline_days", "a deadline")
        for key, channel in rights.channels.items():
            if channel.kind in ("email", "web") and not channel.address:
                self.add(
                    "E003",
                    f"rights.channels.{key}",
                    f"an {channel.kind} channel needs its address.",
                    'add `address = "..."`.',
                    "address",
                )
        for key, right in rights.requests.items():
            entry = f"rights.requests.{key}"
            self.check_positive(entry, right.deadline_days, "deadline_days", "a deadline")
            if not right.channels:
                self.add(
                    "E003", entry, "it names no channel.", 'add `channels = ["email"]`.', "channels"
                )
            for channel in right.channels:
                if channel not in rights.channels:
                    self.add(
                        "E028",
                        entry,
                        f"the channel '{channel}' is not declared under [rights.channels].",
                        "use one of: " + ", ".join(rights.channels) + ".",
                        "channels",
                    )
        for key in REQUIRED_RIGHTS:
            if key not in rights.requests:
                self.add(
                    "E029",
                    "rights.requests",
                    f"the right '{key}' is missing; the law and the site rely on it.",
                    f"declare [rights.requests.{key}] with its name, description and channels.",
                )

    def check_minors(self):
        thresholds = self.inventory.minors.thresholds
        ages = [threshold.age for threshold in thresholds.values()]
        for key, threshold in thresholds.items():
            if not 1 <= threshold.age <= 21:
                self.add(
                    "E027",
                    f"minors.thresholds.{key}",
                    f"age = {threshold.age} is not an age of a minor.",
                    "use an age from 1 to 21, such as 13, 14 or 18.",
                    "age",
                )
        if len(set(ages)) != len(ages):
            self.add(
                "E027",
                "minors.thresholds",
                "two thresholds share an age.",
                "give each its own age.",
            )
        if not any(
            threshold.rule == "guardian_consent" and threshold.age >= PIPL_GUARDIAN_AGE
            for threshold in thresholds.values()
        ):
            self.add(
                "E027",
                "minors.thresholds",
                "nothing requires a guardian's consent under 14, as the Personal Information "
                "Protection Law does (Articles 28 and 31).",
                'add [minors.thresholds.pipl] with age = 14 and rule = "guardian_consent".',
            )

    def check_legal_holds(self):
        for key, hold in self.inventory.legal_holds.items():
            entry = f"legal_holds.{key}"
            if (hold.days is None) == (hold.kept_while is None):
                self.add(
                    "E032",
                    entry,
                    "say once how long it is kept.",
                    "set either days = ... or kept_while = { ... }.",
                    "days",
                )
            self.check_positive(entry, hold.days, "days", "a retention period")
            for category in hold.categories:
                self.check_category(entry, category, "categories")

    def check_organisation(self):
        organisation = self.inventory.organisation
        if "@" not in organisation.service_mailbox or " " in organisation.service_mailbox.strip():
            self.add(
                "E005",
                "organisation",
                f"service_mailbox {organisation.service_mailbox!r} is not an email address.",
                'write it as "service@example.com".',
                "service_mailbox",
            )


def inventory_problems(inventory: Inventory) -> list[Problem]:
    """Every contradiction in ``inventory``; empty when the declarations hold together."""
    checker = Checker(inventory)
    checker.check_organisation()
    checker.check_declared_keys()
    checker.check_collections()
    checker.check_cookies()
    checker.check_request_log()
    checker.check_recipients()
    checker.check_sources()
    checker.check_mailing_lists()
    checker.check_rights()
    checker.check_minors()
    checker.check_legal_holds()
    return checker.problems
