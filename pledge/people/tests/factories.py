"""People other apps' tests need, made through the real services."""

from pledge.people.models import ConsentMethod, Organization, Person
from pledge.people.services import consent_record, person_create
from pledge.vault.actors import Actor


def demo_requester(
    tag: str, *, organization: Organization, policy_version: int, **fields
) -> Person:
    """Someone at ``organization`` who sent the demo form: sending it is consent to its
    purposes, sales among them (P11), under the given policy version."""
    person = person_create(
        actor=Actor.system("test"),
        source="web_form",
        email=f"{tag}@{organization.domain}",
        organization=organization,
        policy_version=policy_version,
        **fields,
    )
    consent_record(
        person=person,
        subject="sales",
        granted=True,
        text="Book my demo",
        language="en",
        method=ConsentMethod.FORM,
        actor=Actor.system("test"),
        policy_version=policy_version,
    )
    return person
