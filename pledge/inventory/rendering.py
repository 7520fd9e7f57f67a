"""The privacy policy and cookie policy, rendered from the inventory and the site's prose.

Each site directory holds ``policy/<document>.<language>.html`` for every document and
language: Django templates whose sentences are the site's own, and whose every list (forms and
fields, cookies, recipients, rights, deadlines) loops over the declarations. So a change to
``inventory.toml`` changes the published text, in every language, and nothing else can.
"""

from types import MappingProxyType

from django.template import Context, Engine, TemplateDoesNotExist
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from pledge.inventory.loader import POLICY_FOLDER, Site
from pledge.inventory.problems import InventoryError, Problem
from pledge.inventory.processings import processings_needing_assessment
from pledge.inventory.text import site_languages

DOCUMENTS = ("privacy", "cookies")
# The pages the prose links to; the web app serves them under these URL names.
DOCUMENT_URL_NAMES = {"privacy": "web:privacy", "cookies": "web:cookies"}


def template_name(document: str, language: str) -> str:
    return f"{document}.{language}.html"


def prose_engine(site: Site) -> Engine:
    """A template engine that sees only the site's policy folder and the policy filters."""
    return Engine(
        dirs=[str(site.directory / POLICY_FOLDER)],
        debug=True,  # keeps the line of a template error, for the message
        builtins=["pledge.inventory.templatetags.policy"],
        autoescape=True,
    )


def document_links() -> dict[str, str]:
    """The address of each document in the active language, or "" where none is routed."""
    links = {}
    for document, url_name in DOCUMENT_URL_NAMES.items():
        try:
            links[document] = reverse(url_name)
        except NoReverseMatch:
            links[document] = ""
    return links


def policy_context(site: Site, language: str) -> dict:
    """What a prose template can print: the declarations, ready to loop over."""
    inventory = site.inventory
    return {
        "inventory": inventory,
        "organization": inventory.organization,
        "language": language,
        "links": document_links(),
        "forms": tuple(inventory.forms.values()),
        "forms_with_consent": tuple(f for f in inventory.forms.values() if f.consent_fields),
        "forms_asking_age": tuple(f for f in inventory.forms.values() if f.asks_age),
        "unlinked_forms": tuple(f for f in inventory.forms.values() if not f.links_to_person),
        "channels": tuple(inventory.channels.values()),
        "cookies_by_category": inventory.cookies_by_category(),
        "cookies": tuple(inventory.cookies.values()),
        "consent": inventory.consent,
        "uses": tuple(inventory.uses.values()),
        "categories": tuple(inventory.data_categories.values()),
        "request_log": inventory.request_log,
        "request_log_fields": tuple(inventory.request_log.fields.values()),
        "visit_counting": inventory.visit_counting,
        "processors": tuple(inventory.processors.values()),
        "affiliates": tuple(inventory.affiliates.values()),
        "other_sources": tuple(inventory.other_sources.values()),
        "organization_identification": inventory.organization_identification,
        "mailing_lists": tuple(inventory.mailing_lists.values()),
        "marketing_lists": tuple(
            mailing_list
            for mailing_list in inventory.mailing_lists.values()
            if mailing_list.kind == "marketing"
        ),
        "service_lists": tuple(
            mailing_list
            for mailing_list in inventory.mailing_lists.values()
            if mailing_list.kind == "service"
        ),
        "rights": inventory.rights,
        "rights_requests": tuple(inventory.rights.requests.values()),
        "rights_channels": tuple(inventory.rights.channels.values()),
        "minors": inventory.minors,
        "age_bands": inventory.minors.age_bands,
        "guardian_consent_bands": tuple(
            band for band in inventory.minors.age_bands if band.needs_guardian_consent
        ),
        "guardian_involvement_bands": tuple(
            band
            for band in inventory.minors.age_bands
            if band.needs_guardian_involvement and not band.needs_guardian_consent
        ),
        "thresholds": tuple(sorted(inventory.minors.thresholds.values(), key=lambda t: t.age)),
        "legal_holds": tuple(inventory.legal_holds.values()),
        # PIPL Art. 55: each processing assessed before it runs (pledge.people.assessments).
        "assessed_processings": processings_needing_assessment(inventory),
        "retention_periods": tuple(
            {
                "records": period.records,
                "days": inventory.retention_days(key),
                "starts": period.starts,
                "kept_while": period.hold and inventory.legal_holds[period.hold].kept_while,
            }
            for key, period in inventory.retention.items()
        ),
    }


def site_render(site: Site) -> MappingProxyType:
    """Every document in every language, as HTML; InventoryError naming the template if not."""
    engine = prose_engine(site)
    problems = []
    texts = {}
    for document in DOCUMENTS:
        texts[document] = {}
        for language in site_languages():
            name = template_name(document, language)
            path = site.directory / POLICY_FOLDER / name
            try:
                with translation.override(language):
                    template = engine.get_template(name)
                    html = template.render(Context(policy_context(site, language)))
            except TemplateDoesNotExist:
                problems.append(
                    Problem(
                        "E040",
                        "",
                        f"the {document} policy has no text in {language}.",
                        f"add {POLICY_FOLDER}/{name} to the site folder (copy the one in "
                        "sites/gonex/policy/ and translate it).",
                        path=path,
                    )
                )
                continue
            except Exception as error:  # any failure is reported as the template's problem
                debug = getattr(error, "template_debug", None) or {}
                problems.append(
                    Problem(
                        "E041",
                        "",
                        f"the {document} policy in {language} cannot be rendered: {error}.",
                        "correct the template at that line ({{ ... }} prints a declaration, "
                        "{% for %} / {% if %} need their {% endfor %} / {% endif %}).",
                        path=path,
                        line=debug.get("line"),
                    )
                )
                continue
            texts[document][language] = html
    if problems:
        raise InventoryError(problems)
    return MappingProxyType(
        {document: MappingProxyType(by_language) for document, by_language in texts.items()}
    )
