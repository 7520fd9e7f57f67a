"""The system check that keeps the personal data registry complete (DESIGN.md, P02, P18).

A model holds personal data when it links to a Person (a foreign key or one-to-one) or has an
encrypted field. Each such model must be named in some provider's ``models`` or declared
exempt with a reason; otherwise every ``pledge`` command stops with an error naming it, so a
new table can never be left out of the access export and erasure.
"""

from django.apps import apps
from django.core.checks import Error, Tags, register

from pledge.inventory.problems import InventoryError
from pledge.people.registry import covered_models

PERSON = "people.Person"


def personal_reasons(model) -> list[str]:
    """Why ``model`` counts as personal: its links to Person and its encrypted fields."""
    reasons = []
    for model_field in model._meta.get_fields():
        if model_field.auto_created and not model_field.concrete:
            continue  # reverse relations belong to the other model
        related = getattr(model_field, "related_model", None)
        if isinstance(related, str):  # a lazy reference not resolved in this registry
            related_label = related
        else:
            related_label = related._meta.label if related is not None else ""
        if (
            model_field.is_relation
            and (model_field.many_to_one or model_field.one_to_one or model_field.many_to_many)
            and related_label.lower() == PERSON.lower()
        ):
            reasons.append(f"links to Person through '{model_field.name}'")
        elif getattr(model_field, "encrypted", False):
            reasons.append(f"has the encrypted field '{model_field.name}'")
    if model._meta.label == PERSON:
        reasons.append("is the person")
    return reasons


def coverage_errors(models=None) -> list[Error]:
    """One error per personal model no provider covers; one per provider naming no model."""
    models = list(apps.get_models() if models is None else models)
    covered = covered_models()
    errors = []
    for model in models:
        if model._meta.proxy or model._meta.abstract:
            continue
        label = model._meta.label
        reasons = personal_reasons(model)
        if reasons and label not in covered:
            errors.append(
                Error(
                    f"{label} holds personal data ({'; '.join(reasons)}) but no personal data "
                    "provider covers it, so the access export and erasure would miss it.",
                    hint=(
                        f"In its app's AppConfig.ready, register a provider with "
                        f'provider_register(PersonalDataProvider(key=..., models=("{label}",), '
                        "export=..., erase=...)), or, if it holds no one's personal data, "
                        f'exempt_register("{label}", reason=...). See docs/personal-data.md.'
                    ),
                    obj=model,
                    id="people.E001",
                )
            )
    known = {model._meta.label for model in [*apps.get_models(), *models]}
    for label, provider_key in sorted(covered.items()):
        if label not in known:
            errors.append(
                Error(
                    f"The personal data provider '{provider_key}' names the model {label}, "
                    "which does not exist.",
                    hint="Use the model's label as Django spells it: 'app_label.ModelName'.",
                    id="people.E002",
                )
            )
    return errors


@register(Tags.models)
def personal_data_coverage(app_configs, **kwargs):
    return coverage_errors()


def retention_errors(models=None) -> list[Error]:
    """One error per personal model no retention rule empties (``people.E003``), and one per
    retention declaration no rule reads or rule reading a missing one (``people.E004``): the
    retention twin of the registry's check, so no table keeps rows past a declared period
    because nobody remembered it."""
    from pledge.people.registry import exemptions
    from pledge.people.retention import declaration_errors, retained_models

    models = list(apps.get_models() if models is None else models)
    retained = retained_models()
    exempt = {exemption.model for exemption in exemptions()}
    errors = []
    for model in models:
        if model._meta.proxy or model._meta.abstract:
            continue
        label = model._meta.label
        reasons = personal_reasons(model)
        if reasons and label not in retained and label not in exempt:
            errors.append(
                Error(
                    f"{label} holds personal data ({'; '.join(reasons)}) but no retention rule "
                    "says when its rows expire, so `pledge purge` would keep them for ever.",
                    hint=(
                        "In its app's AppConfig.ready, register a rule with rule_register("
                        f'RetentionRule(key=..., models=("{label}",), expired=...)) reading its '
                        "period from the inventory ([retention.<key>]). See "
                        "docs/personal-data.md#retention."
                    ),
                    obj=model,
                    id="people.E003",
                )
            )
    try:
        problems = declaration_errors()
    except InventoryError:  # the inventory's own check reports it (inventory.E0xx)
        problems = []
    for problem in problems:
        errors.append(
            Error(
                problem,
                hint="Each [retention.<key>] of the inventory is read by exactly the rules "
                "naming it in their declarations (pledge/<app>/expiry.py).",
                id="people.E004",
            )
        )
    return errors


@register(Tags.models)
def retention_coverage(app_configs, **kwargs):
    return retention_errors()
