"""Chinese is set in Chinese punctuation: ，：；（）！？ and never , : ; ( ) ! ? beside it.

A half-width mark touching Chinese is a slip a Chinese reader sees at once ("您好,请" instead of
"您好，请"). This module finds it wherever Chinese is written or shown: the message catalogues,
every site folder's policy prose and zh-hans declarations (inventory.toml, site.toml), the
templates' own Chinese, every public page rendered in zh-Hans (walked from the URLconf and the
pages' links, so a new page is checked without touching this file), the console's pages and
every email rendered in zh-Hans.

The rule, ``HALF_WIDTH``: a mark of ``, : ; ( ) ! ?`` with a Chinese ideograph on either side,
spaces and tabs between allowed:
"中文 (English)" is as wrong as "中文(English)"; Chinese keeps full-width marks around Latin
words too: "IP 地址（IPv4）", "Gonex，我们". Not Chinese, never flagged: "09:30", "1,000",
"%(name)s", "sessionid, csrftoken". Left out, because they are not prose: template syntax
(``{{ }}``, ``{% %}``, ``{# #}``), HTML tags and attributes of the sources, the script, style,
code and pre elements of a page, Markdown link targets, and web and email addresses (a mark
inside one is the address's; a mark ending one is still checked, as a linkifier would end the
link before it). In a Chinese message of the catalogue a placeholder counts as Chinese."""

import re
import shutil
import tomllib
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import translation

from pledge.tests.test_translations import CATALOGUES, entries

BASE = Path(settings.BASE_DIR)
SITES = sorted(path for path in (BASE / "sites").iterdir() if (path / "inventory.toml").is_file())
TEMPLATES = sorted(
    path
    for path in (BASE / "pledge").glob("**/templates/**/*")
    if path.suffix in (".html", ".txt") and path.is_file()
)
CHINESE_KEYS = ("zh-hans", "zh_hans", "zh")

CHINESE = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # the ideographs
HALF_WIDTH = re.compile(rf"[{CHINESE}][ \t\u00a0]*[,:;()!?]|[,:;()!?][ \t\u00a0]*[{CHINESE}]")
FULL_WIDTH = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "!": "！", "?": "？"}

TEMPLATE_SYNTAX = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
TAG = re.compile(r"<!--.*?-->|<[^<>]*>", re.S)
# RFC 3986's characters, then the marks a linkifier leaves out of a URL's end.
ADDRESS = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://|mailto:)[\w\-.~:/?#\[\]@!$&'()*+,;=%]*[\w\-~/#=&%]"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    re.I | re.A,
)
# A Markdown link's target (a campaign's or a notice's text): an address, whatever it holds.
LINK_TARGET = re.compile(r"\]\([^()\s]*\)")
NOT_PROSE = re.compile(r"<(script|style|code|pre)\b.*?</\1\s*>", re.S | re.I)
BLOCK = re.compile(
    r"</?(?:p|div|li|ul|ol|dl|dt|dd|td|th|tr|table|thead|tbody|h[1-6]|br|hr|section|article|"
    r"header|footer|main|nav|aside|form|fieldset|legend|label|option|select|button|summary|"
    r"details|figure|figcaption|blockquote|title|head|body|html|input|textarea)\b[^<>]*>",
    re.I,
)
# Text that the reader sees but that sits in an attribute.
SHOWN_ATTRIBUTE = re.compile(
    r"""\s(?:alt|title|aria-label|placeholder|content)\s*=\s*("[^"]*"|'[^']*')""", re.I
)


def blanked(text: str, pattern: re.Pattern, by: str = "") -> str:
    """``text`` with each match replaced by ``by`` and its line breaks, so lines keep counting."""
    return pattern.sub(lambda match: by + "\n" * match.group().count("\n"), text)


def slips(text: str) -> list[tuple[int, str]]:
    """(line number, snippet) of every half-width mark touching Chinese in ``text``."""
    text = blanked(blanked(text, ADDRESS, " "), LINK_TARGET, "]")
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in HALF_WIDTH.finditer(line):
            start, end = max(0, match.start() - 12), match.end() + 12
            found.append((number, line[start:end].strip()))
    return found


def source_text(text: str) -> str:
    """A template's own words: its syntax and HTML tags blanked, line numbers kept."""
    return unescape(blanked(blanked(text, TEMPLATE_SYNTAX), TAG))


def page_text(html: str) -> str:
    """What a reader sees of a rendered page: its text and its shown attributes, one block a
    line (so two cells or list items never run into one sentence)."""
    shown = "\n".join(unescape(value[1:-1]) for value in SHOWN_ATTRIBUTE.findall(html))
    html = blanked(html, NOT_PROSE, " ")
    html = blanked(html, BLOCK, "\n")
    return unescape(TAG.sub("", html)) + "\n" + shown


def report(found: dict[str, list[tuple[int, str]]]) -> str:
    """One line a slip, with the places it is seen (a layout's slip shows on every page)."""
    places: dict[str, list[str]] = {}
    for where, items in found.items():
        for number, snippet in items:
            places.setdefault(snippet, []).append(f"{where}:{number}")
    lines = [
        f"{', '.join(seen[:3])}{f' and {len(seen) - 3} more' if len(seen) > 3 else ''}: …{snippet}…"
        for snippet, seen in places.items()
    ]
    marks = " ".join(f"{half}→{full}" for half, full in FULL_WIDTH.items())
    return (
        f"Chinese text uses half-width punctuation ({len(lines)}); write full-width marks in "
        f"Chinese ({marks}), and no space around them:\n" + "\n".join(lines[:200])
    )


def assert_full_width(found: dict[str, list[tuple[int, str]]]) -> None:
    found = {where: items for where, items in found.items() if items}
    assert not found, report(found)


# The rule itself: what it flags and what it leaves alone.


@pytest.mark.parametrize(
    "text",
    [
        "您好,请稍候",
        "时间:09:30",
        "姓名(可选)",
        "中文 (English)",
        "(English) 中文",
        "Gonex, 我们",
        "谢谢!",
        "是否继续?",
        "第一;第二",
        "语言: zh-hans",
        "请访问 https://example.com/a, 然后",
        "请[点击这里]({{ link }}), 然后",
    ],
)
def test_the_rule_flags_half_width_marks_beside_chinese(text):
    assert slips(text), text


@pytest.mark.parametrize(
    "text",
    [
        "您好，请稍候",
        "时间：09:30",
        "IP 地址（IPv4）",
        "共 1,000 条",
        "您好，%(name)s",
        "sessionid, csrftoken",
        "网址：https://example.com/a?b=(1);c=2,3",
        "写信至 privacy@example.com。",
        "Cookie (English only)",
        "请[点击这里](https://example.com/a?q=(1))。",
    ],
)
def test_the_rule_leaves_full_width_and_latin_text_alone(text):
    assert not slips(text), text


def test_page_text_skips_code_and_tags_but_reads_shown_attributes():
    html = '<p title="提示:">姓名</p><p>(English)</p><code>中(x)</code><a href="/a?b=中">链接</a>'
    text = page_text(html)
    assert [snippet for _line, snippet in slips(text)] == ["提示:"]


# The sources.


# In a Chinese message a placeholder is a word of the Chinese sentence: "新请求 %(reference)s:"
# needs its full-width colon as much as "新请求:".
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|\{\w+\}")


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda path: path.name)
def test_the_catalogues_use_full_width_punctuation(catalogue):
    assert_full_width(
        {
            f"{catalogue.name} msgid {msgid[:60]!r}": slips(
                PLACEHOLDER.sub("字", msgstr) if re.search(f"[{CHINESE}]", msgstr) else msgstr
            )
            for msgid, msgstr, _flags in entries(catalogue)
            if msgid
        }
    )


@pytest.mark.parametrize("site", SITES, ids=lambda path: path.name)
def test_the_site_folders_policy_prose_uses_full_width_punctuation(site):
    assert_full_width(
        {
            str(path.relative_to(BASE)): slips(source_text(path.read_text(encoding="utf-8")))
            for path in sorted((site / "policy").glob("*.zh-hans.html"))
        }
    )


def chinese_values(value, path=""):
    """(dotted path, text) of every Chinese text of a parsed TOML document."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in CHINESE_KEYS and isinstance(item, str):
                yield path, item
            else:
                yield from chinese_values(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from chinese_values(item, f"{path}[{index}]")


def line_of(source: str, text: str) -> int:
    """The line of the first line holding ``text``'s first line (0 if escapes hide it)."""
    first = text.splitlines()[0] if text else text
    for number, line in enumerate(source.splitlines(), 1):
        if first in line:
            return number
    return 0


@pytest.mark.parametrize(
    "declarations",
    [path / name for path in SITES for name in ("inventory.toml", "site.toml")],
    ids=lambda path: f"{path.parent.name}/{path.name}",
)
def test_the_site_folders_declarations_use_full_width_punctuation(declarations):
    if not declarations.is_file():
        pytest.skip(f"{declarations.name} is optional")
    source = declarations.read_text(encoding="utf-8")
    found = {}
    for where, text in chinese_values(tomllib.loads(source)):
        items = [(line_of(source, text), snippet) for _number, snippet in slips(text)]
        if items:
            found[f"{declarations.relative_to(BASE)} [{where}]"] = items
    assert_full_width(found)


def test_the_templates_own_chinese_uses_full_width_punctuation():
    assert any(path.name == "500.html" for path in TEMPLATES)
    assert_full_width(
        {
            str(path.relative_to(BASE)): slips(source_text(path.read_text(encoding="utf-8")))
            for path in TEMPLATES
        }
    )


# What people read: the public pages and the emails, rendered in Chinese.

# The walk starts at every route without an argument and at these samples (the published
# policy versions), and follows the links of each page to the site's other pages (a product's
# page, say). A route it never reaches fails the test: add a sample here. A page with a private
# token is reached from an email: its words are its templates' and the catalogue's.
SAMPLES = {
    "privacy_version": {"number": 1},
    "cookies_version": {"number": 1},
    "policy_diff": {"older": 1, "newer": 2},
}
TOKEN_ARGUMENTS = {"token"}
NOT_HTML = {"cookie_proof", "download"}  # a JSON proof and files, not pages
LINK = re.compile(r'href="(/[^"#?]*)"')
WALK_LIMIT = 300


def web_patterns() -> list[URLPattern]:
    """The public site's routes, the ones added tomorrow included."""
    for prefix, namespace in get_resolver().namespace_dict.items():
        if prefix == "web":
            return [
                pattern
                for pattern in namespace[1].url_patterns
                if isinstance(pattern, URLPattern) and not isinstance(pattern, URLResolver)
            ]
    raise AssertionError("no web namespace")


def walked_route(pattern: URLPattern) -> bool:
    return pattern.name not in NOT_HTML and not set(pattern.pattern.converters) & TOKEN_ARGUMENTS


def start_urls() -> list[str]:
    with translation.override("zh-hans"):
        return [
            reverse(f"web:{pattern.name}", kwargs=SAMPLES.get(pattern.name))
            for pattern in web_patterns()
            if walked_route(pattern) and (not pattern.pattern.converters or pattern.name in SAMPLES)
        ]


def chinese_page_route(path: str) -> str | None:
    """The web route a link of a Chinese page leads to, if the walk should follow it."""
    if path.startswith(("/en/", "/static/", "/console/")):
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.namespace != "web" or match.url_name in NOT_HTML:
        return None
    return match.url_name if not set(match.kwargs) & TOKEN_ARGUMENTS else None


def pages_walk(client):
    """(url, response) of every Chinese page reachable from the routes, each once."""
    queue, seen = start_urls(), set()
    while queue and len(seen) < WALK_LIMIT:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        yield url, response
        if response.status_code == 200 and is_html(response):
            links = LINK.findall(response.content.decode())
            queue.extend(link for link in links if chinese_page_route(unescape(link)))


def is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


FORM = re.compile(r"<form\b[^>]*>", re.I)


def posts_to_itself(html: str, url: str) -> bool:
    """Whether the page's own form (not the cookie banner's) is sent to the page."""
    for form in FORM.findall(html):
        action = re.search(r'action="([^"]*)"', form)
        if 'method="post"' in form.lower() and (action is None or action[1] in ("", url)):
            return True
    return False


def human() -> dict:
    from pledge.intake.defence import SUM_FIELD, SUM_TOKEN_FIELD, sum_issue

    question = sum_issue()
    return {SUM_TOKEN_FIELD: question.token, SUM_FIELD: str(question.left + question.right)}


@pytest.fixture
def served_site(request, settings, tmp_path):
    """The site folder under test, with two published policy versions to walk and compare,
    the second a material change."""
    from pledge.inventory.loader import site_cache_clear, site_load
    from pledge.inventory.services import policy_publish
    from pledge.tracking import declarations

    settings.SITE_DIR = request.param
    site_cache_clear()
    declarations.declarations_cache_clear()
    policy_publish(
        summary={"zh-hans": "首次发布。", "en": "First"}, material=False, published_by="test"
    )
    copy = tmp_path / "second"
    shutil.copytree(request.param, copy)
    with (copy / "policy" / "privacy.zh-hans.html").open("a", encoding="utf-8") as prose:
        prose.write("\n<p>第二版。</p>\n")
    policy_publish(
        summary={"zh-hans": "第二版。", "en": "Second"},
        material=True,  # the pages then show the notice of a material change
        published_by="test",
        site=site_load(copy),
    )
    yield request.param
    site_cache_clear()
    declarations.declarations_cache_clear()


@pytest.mark.django_db
@pytest.mark.parametrize("served_site", SITES, ids=lambda path: path.name, indirect=True)
def test_every_public_page_in_chinese_uses_full_width_punctuation(client, served_site):
    found, walked, reached = {}, [], set()
    for url, response in pages_walk(client):
        reached.add(resolve(url).url_name)  # a redirect or a POST-only address is reached too
        if is_html(response) and response.status_code in (200, 404):
            walked.append(url)
            found[url] = slips(page_text(response.content.decode()))
        if response.status_code == 200 and posts_to_itself(response.content.decode(), url):
            # The same page with every field's error message, as a visitor sending it empty.
            answer = client.post(url, human())
            if is_html(answer):
                found[f"{url} (sent empty)"] = slips(page_text(answer.content.decode()))
    unreached = [
        pattern.name
        for pattern in web_patterns()
        if walked_route(pattern) and pattern.name not in reached
    ]
    assert not unreached, (
        f"no page links to {unreached}, and no sample in SAMPLES of {Path(__file__).name} "
        "reaches them: add one, so their Chinese is checked"
    )
    found["/no-such-page/"] = slips(page_text(client.get("/no-such-page/").content.decode()))
    # A registered visitor's own page, reached by signing in.
    registered = client.post(
        "/account/register/",
        {
            "name": "读者",
            "email": "reader@customer.example",
            "password": "a long enough pass phrase 42",
            "age_band": "18_and_over",
            **human(),
        },
    )
    assert registered.status_code in (200, 302)
    if client.get("/account/").status_code != 200:
        client.post(
            "/account/login/",
            {"email": "reader@customer.example", "password": "a long enough pass phrase 42"},
        )
    downloads = client.get("/account/")
    if downloads.status_code == 200:
        walked.append("/account/ (signed in)")
        found["/account/ (signed in)"] = slips(page_text(downloads.content.decode()))
    assert len(walked) >= 15, walked
    assert_full_width(found)


MAIL_FOLDERS = sorted((BASE / "pledge").glob("*/templates/mail"))
MAIL_TEXTS = [path.read_text(encoding="utf-8") for root in MAIL_FOLDERS for path in root.iterdir()]
DATED = {
    name.split(".")[-1] for text in MAIL_TEXTS for name in re.findall(r"([\w.]+)\|date\b", text)
}
COUNTED = {
    name.split(".")[-1] for text in MAIL_TEXTS for name in re.findall(r"\bcount \w+=([\w.]+)", text)
}
ZONED = {name for text in MAIL_TEXTS for name in re.findall(r"\{% timezone (\w+)", text)}
MOMENT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


class Sample(str):
    """Any value a mail template asks for, shown as a Chinese word so that a half-width mark
    the template writes beside it (``{{ label }}: {{ value }}``) is seen; iterable, and a
    date or a number where the templates need one (``|date``, the counters of plurals)."""

    def __new__(cls):
        return super().__new__(cls, "示例")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name in DATED:
            return MOMENT
        return 2 if name in COUNTED else Sample()

    def __getitem__(self, key):
        return self.__getattr__(str(key))

    def __iter__(self):
        return iter([Sample()])  # "{% for key, value in pairs %}" unpacks it as 示, 例


MAIL_KINDS = sorted(
    {
        path.name.removesuffix("-subject.txt")
        for root in MAIL_FOLDERS
        for path in root.glob("*-subject.txt")
    }
)
COUNTER = re.compile(r"\bcount \w+=([\w.]+)")
NAME = re.compile(r"(?<![\w.])[A-Za-z_]\w*")


def mail_context() -> dict:
    """Every name the mail templates look up, a Sample, but the counters of plurals (numbers),
    time zones and the site's address (the links are the site's own, Latin)."""
    names, counters = set(), set()
    for text in MAIL_TEXTS:
        for tag in TEMPLATE_SYNTAX.findall(text):
            names.update(NAME.findall(tag))
            counters.update(name for name in COUNTER.findall(tag) if "." not in name)
    context = {name: MOMENT if name in DATED else Sample() for name in names - counters}
    zones = dict.fromkeys(ZONED, "Asia/Shanghai")
    return {**context, **dict.fromkeys(counters, 2), **zones, "site_url": "https://example.com"}


@pytest.mark.django_db
def test_every_email_in_chinese_uses_full_width_punctuation():
    from pledge.mail.services import render_message

    assert "submission_received" in MAIL_KINDS and "lead_assigned" in MAIL_KINDS
    values = mail_context()
    empty = {name: 2 for name, value in values.items() if not isinstance(value, Sample)}
    found = {}
    for kind in MAIL_KINDS:
        # Once with every value present (the Chinese word), once with none: both branches.
        for label, context in (("values", values), ("empty", empty)):
            subject, text, html = render_message(kind, "zh-hans", context)
            found[f"mail/{kind}-subject.txt ({label})"] = slips(subject)
            found[f"mail/{kind}-body.txt ({label})"] = slips(text)
            found[f"mail/{kind}-body.html ({label})"] = slips(page_text(html))
    assert_full_width(found)


def test_the_check_fails_on_a_slip_in_a_site_folder(tmp_path):
    """The test above can fail: a policy sentence with a half-width comma is reported with its
    file, line and the mark to use."""
    site = tmp_path / "site"
    shutil.copytree(SITES[0] / "policy", site / "policy")
    prose = site / "policy" / "privacy.zh-hans.html"
    prose.write_text(prose.read_text(encoding="utf-8") + "\n<p>您好,请稍候</p>\n", "utf-8")
    found = {str(prose): slips(source_text(prose.read_text(encoding="utf-8")))}
    with pytest.raises(AssertionError) as failure:
        assert_full_width(found)
    assert "privacy.zh-hans.html:" in str(failure.value) and ",→，" in str(failure.value)


def console_urls() -> list[str]:
    for prefix, namespace in get_resolver().namespace_dict.items():
        if prefix == "console":
            with translation.override("zh-hans"):
                return [
                    reverse(f"console:{pattern.name}")
                    for pattern in namespace[1].url_patterns
                    if isinstance(pattern, URLPattern) and not pattern.pattern.converters
                ]
    raise AssertionError("no console namespace")


@pytest.mark.django_db
def test_every_console_page_in_chinese_uses_full_width_punctuation(administrator, client_for):
    """The staff console in Chinese, as the administrator sees it (every page without an
    argument; the pages of one record are checked through their templates and the catalogue)."""
    client = client_for(administrator)
    found = {}
    for url in console_urls():
        response = client.get(url)
        text = page_text(response.content.decode())
        if response.status_code == 200 and is_html(response) and re.search(f"[{CHINESE}]", text):
            found[url] = slips(text)
    assert len(found) >= 10, sorted(found)  # ten pages at least, each in Chinese
    assert_full_width(found)
