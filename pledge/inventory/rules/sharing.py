"""Rules about what happens to the data: recipients, sources, lists, rights, minors, holds."""

from collections import defaultdict

from pledge.inventory.rules.base import BaseRules
from pledge.inventory.schema import Recipient
from pledge.inventory.taxonomy import within

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


class SharingRules(BaseRules):
    """What happens to the data: who receives it, what people may ask, what the law keeps."""

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
        sources.append(inventory.organization_identification)
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
        identification = self.inventory.organization_identification
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

    def check_retention(self):
        for key, period in self.inventory.retention.items():
            entry = f"retention.{key}"
            if (period.days is None) == (period.hold is None):
                self.add(
                    "E036",
                    entry,
                    "say once how long these records are kept.",
                    'set either days = ... or hold = "<a key of [legal_holds]>".',
                    "days",
                )
            if period.hold is not None and period.hold not in self.inventory.legal_holds:
                self.add(
                    "E036",
                    entry,
                    f"hold = {period.hold!r} names no [legal_holds] entry.",
                    "use one of: " + ", ".join(sorted(self.inventory.legal_holds)) + ".",
                    "hold",
                )
            self.check_positive(entry, period.days, "days", "a retention period")

    def check_organization(self):
        organization = self.inventory.organization
        if "@" not in organization.service_mailbox or " " in organization.service_mailbox.strip():
            self.add(
                "E005",
                "organisation",
                f"service_mailbox {organization.service_mailbox!r} is not an email address.",
                'write it as "service@example.com".',
                "service_mailbox",
            )
