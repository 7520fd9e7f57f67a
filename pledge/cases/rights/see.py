"""See and take (P18): every record held about the person, section by section, and the download
of it all as a zip (``pledge.cases.archive``). The words people read them in are the
presentation's (``pledge.web.presenting``); here, the records as the providers export them."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import translation

from pledge.cases import kinds
from pledge.cases.archive import archive_build
from pledge.cases.models import Case
from pledge.cases.rights.authorise import authorise, case_note
from pledge.dates import site_date
from pledge.people.models import Person
from pledge.people.registry import PersonalDataProvider, providers
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record


@dataclass
class Section:
    """One provider's records for the person, under the title and description it declares."""

    provider: PersonalDataProvider
    records: list[dict] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.provider.key

    @property
    def title(self) -> str:
        return str(self.provider.title or self.provider.key)

    @property
    def description(self) -> str:
        return str(self.provider.description)


def sections_of(person: Person) -> list[Section]:
    return [Section(provider, provider.export(person)) for provider in providers()]


def rights_view(*, person: Person, actor: Actor, case: Case | None = None) -> list[Section]:
    """Everything held about ``person``, for the portal or a case (audited, P18)."""
    authorise(actor, person, right="view", case=case)
    sections = sections_of(person)
    audit_record(
        actor=actor,
        action="person.shown",
        target=person,
        details={"sections": sum(1 for section in sections if section.records)},
    )
    return sections


def rights_view_recorded(*, actor: Actor) -> list[Section]:
    """The portal's first page: what is held, and the access request it answers as a case.
    Only a subject has a first page: anyone else is refused (they have no person here)."""
    access = actor.access if isinstance(actor, Actor) and actor.is_subject else None
    sections = rights_view(person=access.person if access else None, actor=actor)
    if access.link.opened_at is None:  # once per link, not per page view
        with transaction.atomic():
            case_note(
                actor,
                None,
                kinds.ACCESS,
                "shown",
                {"sections": sorted(section.key for section in sections if section.records)},
            )
    return sections


@dataclass
class Archive:
    filename: str
    content: bytes


def rights_archive(*, person: Person, actor: Actor, case: Case | None = None) -> Archive:
    """Everything held, as a zip of JSON and CSV with a readme (P18: copy, portability)."""
    case = authorise(actor, person, right="archive", case=case)
    language = translation.get_language() or person.language
    with transaction.atomic():
        sections = sections_of(person)
        files = []
        for section in sections:
            if section.provider.files is not None:
                files.extend(section.provider.files(person))
        content = archive_build(person=person, sections=sections, files=files, language=language)
        result = {
            "exported": sorted(section.key for section in sections if section.records),
            "files": len(files),
        }
        case_note(actor, case, kinds.COPY, "exported", result)
        audit_record(actor=actor, action="person.exported", target=person, details=result)
    stamp = site_date().strftime("%Y%m%d")
    return Archive(filename=f"my-data-{stamp}.zip", content=content)
