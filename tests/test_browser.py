"""End-to-end flows in a real headless Chromium (Debian's package) driven by Playwright.

Screenshots go to $SCREENSHOT_DIR (scripts/screenshots sets docs/screenshots), else a temp folder.
"""
from urllib.parse import parse_qs, urlparse

import pytest

from tests.helpers import chromium, new_page, screenshot_dir, serve

pytestmark = [pytest.mark.browser, pytest.mark.nodb]
pytest.importorskip("playwright.sync_api")
CASE_TITLE = "张某某诉某物业公司等财产损害赔偿案"


@pytest.fixture(scope="module")
def live_url(seeded_app):
    """The seeded app served on a free loopback port for the module's tests."""
    with serve(seeded_app) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module."""
    with chromium() as instance:
        yield instance


@pytest.fixture()
def shots(tmp_path):
    """Where screenshots go."""
    return screenshot_dir(tmp_path)


def query(page) -> dict:
    """The current URL's query arguments."""
    return parse_qs(urlparse(page.url).query)


def assert_fits_width(page):
    """No horizontal scrolling at this viewport."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_search_filter_open_case_and_print(browser, live_url, shots):
    page = new_page(browser)
    page.goto(live_url)
    page.screenshot(path=shots / "home-desktop.png", full_page=True)
    page.fill("main input[name=q]", "高空抛物")
    page.press("main input[name=q]", "Enter")
    page.wait_for_url("**/search?q=*")
    assert page.input_value("input[name=q]") == "高空抛物"
    assert page.locator("ol.hits mark").first.inner_text() == "高空抛物"
    page.screenshot(path=shots / "search-desktop.png", full_page=True)

    page.click("aside.facets a:text-is('民事')")
    assert query(page)["case_type"] == ["民事"]
    assert page.locator(".chips").inner_text().startswith("案件类型：民事")
    page.go_back()
    assert "case_type" not in query(page) and query(page)["q"] == ["高空抛物"]
    page.go_forward()
    assert query(page)["case_type"] == ["民事"]

    page.click(f"ol.hits a:has-text('{CASE_TITLE}')")
    page.wait_for_url("**/cases/*")
    assert page.locator("h1").inner_text() == CASE_TITLE
    assert page.locator(".case-section h2").all_inner_texts()[:3] == ["基本案情", "裁判要旨", "适用解析"]
    assert page.locator(".similar li").count() == 5
    page.screenshot(path=shots / "case-desktop.png", full_page=True)

    page.emulate_media(media="print")
    assert page.locator("header.site").is_hidden() and page.locator(".similar").is_hidden()
    assert page.locator(".source").is_visible() and page.locator(".case-qr").is_visible()
    assert page.locator("details.citation").first.is_hidden() and page.locator(".print-article").first.is_visible()
    page.screenshot(path=shots / "case-print.png", full_page=True)


def test_browse_by_hot_issue_then_search_within_it(browser, live_url, shots):
    page = new_page(browser)
    page.goto(live_url)
    page.click(".tiles a:has-text('房产物业')")
    page.wait_for_url("**/topics/property-housing")
    assert page.locator("h1").inner_text() == "房产物业"
    assert "热点问题" in page.locator(".crumbs").inner_text()
    page.screenshot(path=shots / "browse-hot-issue.png", full_page=True)
    page.fill("input[name=q]", "高空")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/topics/property-housing?q=*")
    page.click(f"ol.hits a:has-text('{CASE_TITLE}')")
    page.wait_for_url("**/cases/*")
    assert page.locator("h1").inner_text() == CASE_TITLE


def test_browse_law_tree_to_a_law(browser, live_url):
    page = new_page(browser)
    page.goto(live_url)
    page.click(".tree a:text-is('民法典')")
    page.wait_for_url("**/laws/*")
    assert page.locator("h1").inner_text() == "《民法典》相关案例"
    assert page.locator(".crumbs a:text-is('民法商法')").count() == 1
    assert page.locator("ol.hits li").count() > 0


def test_suggestions_appear_while_typing_and_can_be_chosen(browser, live_url):
    page = new_page(browser)
    page.goto(live_url)
    page.type("main input[name=q]", "劳动合", delay=30)
    # The answer for "劳动" may be shown first; wait for the one for what was typed.
    page.wait_for_function("""() => {
      const items = [...document.querySelectorAll('#suggestions li')];
      return items.length > 0 && items.every(li => li.textContent.includes('劳动合'));
    }""", timeout=10_000)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=*")
    assert "劳动合" in page.input_value("input[name=q]")


def test_kiosk_flow_big_targets_no_external_links_and_idle_reset(browser, live_url, seeded_app, shots):
    seeded_app.config["KIOSK_IDLE_SECONDS"] = 2
    try:
        page = new_page(browser, 1080, 1920)
        page.goto(live_url + "/?kiosk=1")
        assert page.locator("body.kiosk").count() == 1
        size = page.eval_on_selector("main input[name=q]", "e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 24
        height = page.eval_on_selector(".tiles a", "e => e.getBoundingClientRect().height")
        assert height >= 48
        page.screenshot(path=shots / "kiosk-home.png")
        page.fill("main input[name=q]", "高空抛物")
        page.press("main input[name=q]", "Enter")
        page.click(f"ol.hits a:has-text('{CASE_TITLE}')")
        page.wait_for_url("**/cases/*")
        external = page.eval_on_selector_all("a[href^='http']", "links => links.map(a => a.href)")
        assert [href for href in external if not href.startswith(live_url)] == []
        page.wait_for_url(live_url + "/", timeout=6000)  # idle → back to the home page
    finally:
        seeded_app.config["KIOSK_IDLE_SECONDS"] = 120


def test_phone_width_search_and_read(browser, live_url, shots):
    page = new_page(browser, 360, 740)
    page.goto(live_url)
    assert_fits_width(page)
    page.screenshot(path=shots / "home-phone.png", full_page=True)
    page.fill("main input[name=q]", "高空抛物")
    page.press("main input[name=q]", "Enter")
    page.wait_for_url("**/search?q=*")
    assert_fits_width(page)
    first_hit = page.locator("ol.hits li").first.bounding_box()
    facets = page.locator("aside.facets").bounding_box()
    assert first_hit["y"] < facets["y"]  # results come before the filters on a phone
    page.screenshot(path=shots / "search-phone.png", full_page=True)
    page.click(f"ol.hits a:has-text('{CASE_TITLE}')")
    page.wait_for_url("**/cases/*")
    assert_fits_width(page)
    page.screenshot(path=shots / "case-phone.png", full_page=True)


def test_keyboard_reaches_search_and_results(browser, live_url):
    page = new_page(browser)
    page.goto(live_url)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "q"


def test_pages_run_under_the_content_security_policy_without_violations(browser, live_url):
    """The CSP allows only the app's own files: no page may need an inline script or style."""
    from tests.helpers import csp_violations

    page = new_page(browser)
    for path in ("/", "/search?q=高空抛物", "/topics", "/articles?q=高空抛物", "/login", "/no-such-page"):
        page.goto(live_url + path)
        page.wait_for_load_state("networkidle")
        assert csp_violations(page) == [], path
    page.goto(live_url + "/search?q=高空抛物")
    page.click("ol.hits h2 a >> nth=0")
    page.wait_for_load_state("networkidle")
    page.fill("input[name=q] >> nth=0", "劳动")  # suggestions fetch and render
    page.wait_for_timeout(500)
    assert csp_violations(page) == []
