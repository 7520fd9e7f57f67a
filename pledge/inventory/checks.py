"""A broken inventory stops start-up: every `pledge` command runs this check first."""

from django.core.checks import Error, register

from pledge.inventory.loader import current_site
from pledge.inventory.problems import InventoryError


def problem_errors(problems) -> list[Error]:
    return [
        Error(
            problem.message, hint=problem.fix, obj=problem.location, id=f"inventory.{problem.code}"
        )
        for problem in problems
    ]


@register("inventory")
def inventory_check(app_configs, **kwargs):
    """The site's inventory and policy texts load: schema, fideslang, rules, every language."""
    try:
        current_site()
    except InventoryError as error:
        return problem_errors(error.problems)
    return []
