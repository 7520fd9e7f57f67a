"""The marketing pages from the site folder: products, services, stories, about, the footer's
filing numbers, and what search engines read on every page (description, canonical, hreflang).
"""

import re
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from pledge.inventory.loader import current_site, site_cache_clear
from pledge.web.tests.test_second_site import PUBLIC_PAGES

pytestmark = pytest.mark.django_db

EXAMPLE = Path(django_settings.BASE_DIR) / "sites" / "example"
PREFIXES = {"zh-hans": "", "en": "/en"}
GONEX_PAGES = (
    "/",
    "/products/customer-management/",
    "/products/service-desk/",
    "/products/workflow-automation/",
    "/services/support/",
    "/services/consulting/",
    "/customers/",
    "/about/",
    "/careers/",
)


def head_of(client, url: str) -> dict:
    """What a search engine reads in a page's head: title, description, canonical, alternates."""
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.content.decode()
    description = re.findall(r'<meta name="description" content="([^"]*)">', page)
    return {
        "page": page,
        "title": unescape(re.search(r"<title>(.*?)</title>", page, re.S).group(1)),
        "description": unescape(description[0]) if len(description) == 1 else None,
        "canonical": re.findall(r'<link rel="canonical" href="([^"]+)">', page),
        "alternates": dict(
            re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', page)
        ),
    }


@pytest.fixture
def northwind(settings):
    """Serve sites/example/ (Northwind Analytics: a legal entity, an address, example filings)."""
    settings.SITE_DIR = EXAMPLE
    site_cache_clear()
    yield current_site()
    site_cache_clear()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_marketing_page_has_its_own_title_and_description(client, language):
    heads = [head_of(client, PREFIXES[language] + path) for path in GONEX_PAGES]
    descriptions = [head["description"] for head in heads]
    assert all(descriptions), "a page has no description"
    assert len(set(descriptions)) == len(GONEX_PAGES), descriptions
    titles = [head["title"] for head in heads]
    assert len(set(titles)) == len(GONEX_PAGES), titles


def test_descriptions_come_from_the_site_folder_in_the_pages_language(client):
    site = current_site()
    offering = site.profile.offerings["service-desk"]
    assert head_of(client, "/products/service-desk/")["description"] == offering.summary.get(
        "zh-hans"
    )
    assert head_of(client, "/en/products/service-desk/")["description"] == offering.summary.get(
        "en"
    )
    assert head_of(client, "/en/")["description"] == site.home.description.get("en")
    assert head_of(client, "/customers/")["description"] == site.stories.description.get("zh-hans")
    assert head_of(client, "/en/about/")["description"] == site.about.description.get("en")
    assert head_of(client, "/careers/")["description"] == site.careers.description.get("zh-hans")


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_every_public_page_has_a_description_of_its_own(client, prefix):
    """Not the home page's again: the policies, cookie settings, the portal and the login say
    what they are (a page that is not there, such as an unpublished version, is left out)."""
    home = head_of(client, prefix + "/")["description"]
    pages = [path for path in PUBLIC_PAGES if path != "/"]
    shown = [path for path in pages if client.get(prefix + path).status_code == 200]
    assert len(shown) >= 15, shown
    reused = [path for path in shown if head_of(client, prefix + path)["description"] == home]
    assert not reused, f"these pages repeat the home page's description: {reused}"


def test_a_form_page_is_described_by_its_declaration(client):
    form = current_site().inventory.form("demo")
    assert head_of(client, "/en/demo/")["description"] == form.description.get("en")
    assert head_of(client, "/demo/")["description"] == form.description.get("zh-hans")


@pytest.mark.parametrize("path", [*GONEX_PAGES, "/demo/", "/privacy/"])
def test_every_page_links_its_languages_by_absolute_address(client, settings, path):
    settings.PLEDGE_SITE_URL = "https://letsgonex.cn"
    for prefix in PREFIXES.values():
        head = head_of(client, prefix + path)
        assert head["alternates"] == {
            "zh-hans": "https://letsgonex.cn" + path,
            "en": "https://letsgonex.cn/en" + path,
            "x-default": "https://letsgonex.cn" + path,
        }
        assert head["canonical"] == ["https://letsgonex.cn" + prefix + path]


def test_the_canonical_address_leaves_the_query_string_out(client, settings):
    settings.PLEDGE_SITE_URL = "https://letsgonex.cn"
    head = head_of(client, "/en/?utm_source=newsletter")
    assert head["canonical"] == ["https://letsgonex.cn/en/"]
    assert "utm_source" not in "".join(head["alternates"].values())


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_home_page_leads_to_every_product_and_service_and_a_story(client, language):
    prefix = PREFIXES[language]
    page = client.get(prefix + "/").content.decode()
    site = current_site()
    for offering in site.offerings:
        kind = "products" if offering.kind == "product" else "services"
        assert f'<a href="{prefix}/{kind}/{offering.key}/">' in page
        assert str(offering.summary.get(language)) in unescape(page)
        assert f'src="/static/site/{offering.image.file}"' in page
    assert site.stories.items[0].customer.get(language) in page
    assert f'href="{prefix}/customers/"' in page
    assert f'href="{prefix}/demo/"' in page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_product_page_shows_its_words_its_picture_and_its_stories(client, language):
    page = unescape(client.get(PREFIXES[language] + "/products/service-desk/").content.decode())
    offering = current_site().profile.offerings["service-desk"]
    assert f"<h1>{offering.title.get(language)}</h1>" in page
    for paragraph in offering.body:
        assert paragraph.get(language) in page
    image = offering.image
    assert (
        f'src="/static/site/service-desk.svg" alt="{image.alt.get(language)}" '
        f'width="{image.width}" height="{image.height}"'
    ) in page
    # The logistics story tells of the service desk; the manufacturer's does not.
    stories = current_site().stories.items
    assert stories[0].customer.get(language) in page
    assert stories[1].customer.get(language) not in page


def test_an_offering_is_found_only_under_its_own_kind(client):
    assert client.get("/en/services/support/").status_code == 200
    assert client.get("/en/products/support/").status_code == 404
    assert client.get("/en/services/service-desk/").status_code == 404
    assert client.get("/en/products/no-such-thing/").status_code == 404


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_stories_page_tells_each_story_with_links_to_what_it_tells_of(client, language):
    page = unescape(client.get(PREFIXES[language] + "/customers/").content.decode())
    for story in current_site().stories.items:
        for text in (story.customer, story.sector, story.challenge, story.result):
            assert text.get(language) in page
        for key in story.offerings:
            assert f"/{key}/" in page


def test_gonex_about_page_shows_what_is_declared_and_invents_nothing(client):
    site = current_site()
    assert site.inventory.organization.legal_name is None  # undeclared on purpose (the seed)
    assert site.postal_address is None
    for prefix in PREFIXES.values():
        page = client.get(prefix + "/about/").content.decode()
        assert "service@letsgonex.com" in page and "letsgonex.cn" in page
        assert 'class="legal-entity"' not in page
        assert 'class="postal-address"' not in page
    en = client.get("/en/about/").content.decode()
    assert "Legal entity" not in en and "Postal address" not in en
    assert "<h1>About Gonex</h1>" in en


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_about_page_shows_the_declared_legal_entity_and_address(client, northwind, language):
    organization = northwind.inventory.organization
    page = client.get(PREFIXES[language] + "/about/").content.decode()
    assert f'<dd class="legal-entity">{organization.legal_name.get(language)}</dd>' in page
    assert f'<dd class="postal-address">{organization.postal_address.get(language)}</dd>' in page
    assert "gonex" not in page.lower()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_footer_shows_the_filing_numbers_when_set(client, northwind, language):
    page = client.get(PREFIXES[language] + "/").content.decode()
    assert '<a href="https://beian.miit.gov.cn/" rel="noopener">沪ICP备00000000号-1</a>' in page
    assert (
        '<a href="https://beian.mps.gov.cn/#/query/webSearch?code=31000000000000" '
        'rel="noopener">沪公网安备31000000000000号</a>'
    ) in page
    # A plain link: nothing is loaded from the registries.
    assert not re.search(r'src="https?://', page)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_footer_shows_no_filing_while_none_is_set(client, language):
    assert current_site().icp_filing == "" and current_site().public_security_filing == ""
    page = client.get(PREFIXES[language] + "/").content.decode()
    assert "beian" not in page
    assert 'class="filings"' not in page


def test_a_filing_number_set_in_site_toml_appears_on_every_page(client, use_site):
    use_site.edit('icp_filing = ""', 'icp_filing = "沪ICP备12345678号-1"', file="site.toml")
    site_cache_clear()
    for url in ("/", "/en/", "/en/demo/", "/about/"):
        page = client.get(url).content.decode()
        assert "沪ICP备12345678号-1" in page, url
        assert "公网安备" not in page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_example_sites_marketing_pages_never_name_gonex(client, northwind, language):
    for path in ("/", "/products/reports/", "/services/analysts/", "/customers/", "/about/"):
        response = client.get(PREFIXES[language] + path)
        assert response.status_code == 200, path
        assert "gonex" not in response.content.decode().lower(), path


# --- site.toml's pages are validated: a mistake is a clear error at its line ---------------


def problem_codes(site_copy) -> dict:
    return {problem.code: problem for problem in site_copy.problems()}


def test_an_offering_with_a_bad_address_is_refused(site_copy):
    site_copy.edit("[offerings.service-desk]", "[offerings.Service_Desk]", file="site.toml")
    site_copy.edit('offerings = ["service-desk", "consulting"]', "offerings = []", "site.toml")
    problem = problem_codes(site_copy)["E005"]
    assert problem.entry == "offerings.Service_Desk"
    assert "small letters, digits and hyphens" in problem.fix
    assert problem.line and problem.path.name == "site.toml"


def test_an_offering_of_an_unknown_kind_is_refused(site_copy):
    site_copy.edit(
        'kind = "service"\ntitle = { zh-hans = "技术支持"',
        'kind = "support"\ntitle = { zh-hans = "技术支持"',
        "site.toml",
    )
    problem = problem_codes(site_copy)["E005"]
    assert problem.entry == "offerings.support"
    assert "'product'" in problem.message and "'service'" in problem.message


def test_an_offering_without_its_summary_is_refused(site_copy):
    text = (site_copy.directory / "site.toml").read_text(encoding="utf-8")
    line = next(
        line for line in text.splitlines() if line.startswith('summary = { zh-hans = "用您的语言')
    )
    site_copy.edit(line + "\n", "", "site.toml")
    problem = problem_codes(site_copy)["E003"]
    assert problem.entry == "offerings.support"
    assert problem.attribute == "summary"


def test_a_text_missing_a_language_is_refused(site_copy):
    site_copy.edit(
        'title = { zh-hans = "服务台", en = "Service desk" }',
        'title = { zh-hans = "服务台" }',
        "site.toml",
    )
    problem = problem_codes(site_copy)["E006"]
    assert problem.entry == "offerings.service-desk"


def test_a_picture_missing_from_static_is_refused(site_copy):
    (site_copy.directory / "static" / "support.svg").unlink()
    problem = problem_codes(site_copy)["E053"]
    assert problem.entry == "offerings.support.image"
    assert "static/support.svg" in problem.fix
    assert problem.line


def test_a_picture_without_its_size_is_refused(site_copy):
    site_copy.edit(
        'file = "consulting.svg", width = 480, ', 'file = "consulting.svg", ', "site.toml"
    )
    codes = problem_codes(site_copy)
    assert codes["E003"].entry == "offerings.consulting.image"
    assert codes["E003"].attribute in ("width", "height")


def test_a_picture_from_another_host_is_refused(site_copy):
    site_copy.edit('file = "hero.svg"', 'file = "https://cdn.example.com/hero.svg"', "site.toml")
    problem = problem_codes(site_copy)["E005"]
    assert problem.entry == "home.image"
    assert "static/ folder" in problem.fix


def test_a_story_telling_of_an_undeclared_offering_is_refused(site_copy):
    site_copy.edit(
        'offerings = ["service-desk", "consulting"]',
        'offerings = ["service-dsk", "consulting"]',
        "site.toml",
    )
    problem = problem_codes(site_copy)["E054"]
    assert "service-dsk" in problem.message
    assert "did you mean 'service-desk'?" in problem.fix


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("icp_filing", "ICP 12345678"),
        ("icp_filing", "沪ICP备12345678"),
        ("public_security_filing", "沪公网安备123号"),
        ("public_security_filing", "<script>"),
    ],
)
def test_a_filing_number_not_written_as_issued_is_refused(site_copy, key, value):
    site_copy.edit(f'{key} = ""', f'{key} = "{value}"', "site.toml")
    problem = problem_codes(site_copy)["E005"]
    assert problem.attribute == key
    assert "as issued" in problem.fix


def test_filing_numbers_as_issued_load(site_copy):
    site_copy.edit('icp_filing = ""', 'icp_filing = "京ICP证030173号"', "site.toml")
    site_copy.edit(
        'public_security_filing = ""',
        'public_security_filing = "沪公网安备 31010402000001号"',
        "site.toml",
    )
    site = site_copy.load()
    assert site.public_security_code == "31010402000001"


def test_a_site_without_stories_or_about_is_refused(site_copy):
    text = (site_copy.directory / "site.toml").read_text(encoding="utf-8")
    (site_copy.directory / "site.toml").write_text(text.split("[about]")[0], encoding="utf-8")
    problem = problem_codes(site_copy)["E003"]
    assert problem.attribute == "about"
