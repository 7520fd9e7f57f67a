"""The console's frame in a real browser, in both languages (issue 16): the grouped navigation
fits one row at 1366 px and opens from the keyboard; at 390 px the leads and people pages
never scroll sideways (their tables scroll inside themselves); the people list searches by a
part of a name."""

import pytest

pytestmark = pytest.mark.browser

SEED = """
from pledge.intake.models import Submission
from pledge.meetings.models import Lead
from pledge.people.services import person_upsert
from pledge.vault.actors import Actor
for number in range(12):
    person, _ = person_upsert(
        actor=Actor.system("e2e.seed"), source="web_form",
        email=f"console.person.with.a.long.address.{number}@a-rather-long-company-domain.example",
        name=f"Console Person{number:02d}", company="A Rather Long Company Name Limited",
        language="en",
    )
    submission = Submission.objects.create(form="demo", person=person, language="en")
    Lead.objects.create(submission=submission, person=person, form="demo", language="en")
print("seeded")
"""

GROUPS = "details.nav-group > summary"


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= 390")


def test_console_frame_fits_desktop_and_phone_in_both_languages(
    server, page, staff_login, screenshot
):
    assert "seeded" in server.pledge("shell", "-c", SEED)
    page.set_viewport_size({"width": 1366, "height": 900})
    staff_login(page)
    for prefix, shot in (("/en", "console-nav-1366"), ("", "console-nav-1366-zh")):
        page.goto(f"{server.url}{prefix}/console/")
        summaries = page.locator(GROUPS)
        assert summaries.count() == 4  # the administrator holds a link in every group
        tops = summaries.evaluate_all("(all) => all.map((s) => s.offsetTop)")
        assert len(set(tops)) == 1, (prefix, tops)
        row = page.locator(".site-nav").bounding_box()
        assert row["height"] < 2 * summaries.first.bounding_box()["height"], (prefix, row)
        assert page.evaluate("document.documentElement.scrollWidth <= 1366")

        # The keyboard opens a group, reaches its links, and the page shown marks the group.
        privacy = page.locator("details.nav-group[data-group=privacy]")
        privacy.locator("summary").focus()
        page.keyboard.press("Enter")
        assert privacy.evaluate("(d) => d.open")
        people_link = privacy.locator(".nav-menu a").first
        assert people_link.is_visible()
        screenshot(page, shot)
        page.keyboard.press("Tab")
        assert people_link.evaluate("(a) => a === document.activeElement")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**{prefix}/console/people/")
        assert page.locator("details[data-group=privacy] > summary[aria-current]").count() == 1
        assert page.locator(f"{GROUPS}[aria-current]").count() == 1

    # Search by a part of a name, in the browser.
    page.goto(f"{server.url}/en/console/people/")
    page.locator("#id_q").fill("person03")
    page.locator(".people-search button[type=submit]").click()
    page.wait_for_url("**q=person03**")
    assert page.locator(".people-table tbody tr").count() == 1
    assert "Console Person03" in page.inner_text(".people-table")

    page.set_viewport_size({"width": 390, "height": 844})
    for prefix in ("/en", ""):
        for path in ("/console/leads/", "/console/people/", "/console/"):
            page.goto(f"{server.url}{prefix}{path}")
            assert no_sideways_scroll(page), (prefix, path)
        page.goto(f"{server.url}{prefix}/console/people/")
        table = page.locator(".people-table").first
        # The table scrolls inside its own box (its content is wider than the phone).
        assert table.evaluate(
            "(t) => { const box = t.closest('.table-scroll');"
            " return box.scrollWidth > box.clientWidth && box.clientWidth <= 390; }"
        )
        page.locator("details.nav-group[data-group=admin] > summary").click()
        assert page.locator("details.nav-group[data-group=admin] .nav-menu a").first.is_visible()
        assert no_sideways_scroll(page), (prefix, "menu open")
    page.goto(f"{server.url}/en/console/people/")
    screenshot(page, "people-390")
    page.goto(f"{server.url}/en/console/leads/")
    checkbox = page.locator("input[name=unassigned]")
    label = page.locator("label.checkbox", has=checkbox)
    box, words = checkbox.bounding_box(), label.bounding_box()
    assert box["x"] - words["x"] < 8  # the box starts its label, its words right beside it
    assert label.bounding_box()["width"] < 300


@pytest.mark.parametrize("width", [1366, 390])
def test_console_menus_work_without_javascript(server, page_without_javascript, staff_login, width):
    """With scripts off, every group menu opens on a click, shows its links, and its links
    lead to their pages, in both languages, at desktop and phone width."""
    page = page_without_javascript
    page.set_viewport_size({"width": width, "height": 900})
    staff_login(page)
    for prefix in ("/en", ""):
        page.goto(f"{server.url}{prefix}/console/")
        groups = page.locator("details.nav-group")
        assert groups.count() == 4
        for index in range(groups.count()):
            group = groups.nth(index)
            group.locator("summary").click()
            assert group.get_attribute("open") is not None, (prefix, index)
            links = group.locator(".nav-menu a")
            assert links.count() >= 1 and links.first.is_visible(), (prefix, index)
        page.locator("details.nav-group[data-group=sales] > summary").click()
        page.locator("details.nav-group[data-group=sales] .nav-menu a").first.click()
        page.wait_for_load_state()
        assert page.locator("details[data-group=sales] > summary[aria-current]").count() == 1
