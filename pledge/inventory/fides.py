"""The inventory as a Fides data map: organisation, systems, datasets and taxonomy extensions.

The manifest is the YAML Fides reads (``fides push``): one system for the website with a
privacy declaration per purpose, one system per processor and affiliate receiving only its
declared categories, one dataset per form or channel plus the request log, and the site's
extension keys as data categories and uses. It is validated with fideslang's own models, and
every key it uses exists in fideslang's default taxonomy or among the extensions it carries.
"""

import re
import warnings
from collections import defaultdict

from pledge.inventory.schema import Inventory
from pledge.inventory.vocabulary import FIDES_LEGAL_BASES

WEBSITE_SYSTEM = "website"


def fides_key(*parts: str) -> str:
    """A valid fides_key (letters, digits, underscore, dot, hyphen) from readable parts."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", "_".join(parts)).strip("_")


def fides_manifest(inventory: Inventory, *, language: str = "en") -> dict:
    """The Fides manifest of ``inventory`` as plain data; names in ``language``."""
    organization_key = fides_key(inventory.organization.domain)
    website_key = fides_key(organization_key, WEBSITE_SYSTEM)

    datasets = [
        _collection_dataset(organization_key, c, language) for c in inventory.collection_points
    ]
    datasets.append(_request_log_dataset(organization_key, inventory, language))

    # One privacy declaration per purpose: every category collected for it, and by whom.
    categories_by_use = defaultdict(set)
    subjects_by_use = defaultdict(set)
    retention_by_use = defaultdict(int)
    datasets_by_use = defaultdict(list)
    request_log_dataset = datasets[-1]["fides_key"]
    for collection, dataset in zip(inventory.collection_points, datasets, strict=False):
        for field in collection.fields.values():
            for use in field.purposes:
                if dataset["fides_key"] not in datasets_by_use[use]:
                    datasets_by_use[use].append(dataset["fides_key"])
                categories_by_use[use].add(field.category)
                subjects_by_use[use].update(collection.subjects)
                retention_by_use[use] = max(retention_by_use[use], field.retention_days)
    for field in inventory.request_log.fields.values():
        for use in inventory.request_log.purposes:
            if request_log_dataset not in datasets_by_use[use]:
                datasets_by_use[use].append(request_log_dataset)
            categories_by_use[use].add(field.category)
            subjects_by_use[use].add("visitor")
            retention_by_use[use] = max(retention_by_use[use], inventory.request_log.retention_days)
    for cookie in inventory.cookies.values():
        for use in cookie.purposes:
            categories_by_use[use].update(cookie.categories)
            subjects_by_use[use].add("visitor")

    recipients = [
        *(("processor", r) for r in inventory.processors.values()),
        *(("affiliate", r) for r in inventory.affiliates.values()),
    ]
    declarations = []
    for use_key, use in inventory.uses.items():
        if not categories_by_use.get(use_key):
            continue
        shared_with = [
            fides_key(organization_key, kind, recipient.key)
            for kind, recipient in recipients
            if use_key in recipient.purposes
        ]
        declaration = {
            "name": use.name.get(language),
            "data_use": use_key,
            "data_categories": sorted(categories_by_use[use_key]),
            "data_subjects": sorted(subjects_by_use[use_key]),
            "legal_basis_for_processing": FIDES_LEGAL_BASES[use.legal_basis],
            "dataset_references": datasets_by_use[use_key],
            "data_shared_with_third_parties": bool(shared_with),
        }
        if retention_by_use.get(use_key):
            declaration["retention_period"] = f"{retention_by_use[use_key]} days"
        if shared_with:
            declaration["third_parties"] = ", ".join(shared_with)
        declarations.append(declaration)

    systems = [
        {
            "fides_key": website_key,
            "organization_fides_key": organization_key,
            "name": f"{inventory.organization.name.get(language)} website",
            "description": f"The public website at {inventory.organization.domain}, run by Pledge.",
            "system_type": "Application",
            "administrating_department": "Privacy",
            "privacy_declarations": declarations,
            "egress": [
                {
                    "fides_key": fides_key(organization_key, kind, r.key),
                    "type": "system",
                    "data_categories": list(r.categories),
                }
                for kind, r in recipients
            ],
            "ingress": [{"fides_key": "user", "type": "user"}],
            "dataset_references": [d["fides_key"] for d in datasets],
            "uses_cookies": bool(inventory.cookies),
            "cookie_max_age_seconds": max(
                (c.lifetime_seconds or 0 for c in inventory.cookies.values()), default=0
            ),
        }
    ]
    for kind, recipient in recipients:
        systems.append(
            {
                "fides_key": fides_key(organization_key, kind, recipient.key),
                "organization_fides_key": organization_key,
                "name": recipient.name.get(language),
                "description": recipient.function.get(language),
                "system_type": "Service",
                "privacy_declarations": [
                    {
                        "name": inventory.uses[use].name.get(language),
                        "data_use": use,
                        "data_categories": list(recipient.categories),
                        "data_subjects": ["prospect", "customer"],
                        "legal_basis_for_processing": FIDES_LEGAL_BASES[
                            inventory.uses[use].legal_basis
                        ],
                    }
                    for use in recipient.purposes
                ],
                "ingress": [
                    {
                        "fides_key": website_key,
                        "type": "system",
                        "data_categories": list(recipient.categories),
                    }
                ],
            }
        )

    manifest = {
        "organization": [
            {
                "fides_key": organization_key,
                "name": inventory.organization.name.get(language),
                "description": f"Controller of {inventory.organization.domain}",
                "controller": {
                    "name": inventory.organization.name.get(language),
                    "email": inventory.organization.service_mailbox,
                },
            }
        ],
        "system": systems,
        "dataset": datasets,
    }
    for kind, entries in (
        ("data_category", inventory.data_categories),
        ("data_use", inventory.uses),
    ):
        extensions = _extensions(organization_key, entries, language)
        if extensions:
            manifest[kind] = extensions
    return manifest


def _extensions(organization_key: str, entries, language: str) -> list[dict]:
    """The site's own taxonomy keys among ``entries`` (data categories or uses), each under
    its parent key."""
    return [
        {
            "fides_key": key,
            "organization_fides_key": organization_key,
            "name": entry.name.get(language),
            "parent_key": key.rpartition(".")[0],
            "is_default": False,
        }
        for key, entry in entries.items()
        if entry.extension
    ]


def _collection_dataset(organization_key: str, collection, language: str) -> dict:
    return _dataset(
        fides_key(organization_key, "form", collection.key),
        organization_key,
        name=collection.name.get(language),
        description=collection.description.get(language),
        subjects=collection.subjects,
        collection=collection.key,
        fields=[(field, field.purposes) for field in collection.fields.values()],
        language=language,
    )


def _request_log_dataset(organization_key: str, inventory: Inventory, language: str) -> dict:
    log = inventory.request_log
    return _dataset(
        fides_key(organization_key, "request_log"),
        organization_key,
        name="Request log",
        description=f"IP address {log.ip_mode}; rows kept {log.retention_days} days.",
        subjects=["visitor"],
        collection="request_log",
        fields=[(field, log.purposes) for field in log.fields.values()],
        language=language,
    )


def _dataset(
    key: str, organization_key: str, *, name, description, subjects, collection, fields, language
) -> dict:
    """A Fides dataset of one collection; ``fields`` are (declared field, its uses) pairs."""
    return {
        "fides_key": key,
        "organization_fides_key": organization_key,
        "name": name,
        "description": description,
        "data_subjects": list(subjects),
        "collections": [
            {
                "name": collection,
                "fields": [
                    {
                        "name": field.key,
                        "description": field.label.get(language),
                        "data_categories": [field.category],
                        "data_uses": list(uses),
                    }
                    for field, uses in fields
                ],
            }
        ],
    }


REFERENCE_FIELDS = {
    "data_categories": "data_category",
    "data_uses": "data_use",
    "data_use": "data_use",
    "data_subjects": "data_subject",
}


def taxonomy_references(value, found=None) -> set[tuple[str, str]]:
    """Every (kind, key) the manifest refers to, at any depth.

    fideslang's own get_referenced_missing_keys skips optional lists (a dataset field's
    data_categories), so the manifest is walked here instead.
    """
    found = set() if found is None else found
    if isinstance(value, dict):
        for name, child in value.items():
            kind = REFERENCE_FIELDS.get(name)
            if kind and isinstance(child, str):
                found.add((kind, child))
            elif kind and isinstance(child, list):
                found.update((kind, key) for key in child)
            else:
                taxonomy_references(child, found)
    elif isinstance(value, list):
        for child in value:
            taxonomy_references(child, found)
    return found


def fides_validate(manifest: dict) -> list[str]:
    """Problems fideslang finds in ``manifest``: invalid resources or unknown keys."""
    from fideslang.models import Taxonomy
    from pydantic import ValidationError

    from pledge.inventory.taxonomy import default_keys

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            Taxonomy.model_validate(manifest)
        except ValidationError as error:
            return [str(error)]
    problems = []
    for kind, key in sorted(taxonomy_references(manifest)):
        declared = {resource["fides_key"] for resource in manifest.get(kind, [])}
        if key not in default_keys(kind) and key not in declared:
            problems.append(f"unknown key: {key}")
    return problems
