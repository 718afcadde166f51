"""The lecturer's journey of issue 12 in a real headless Chromium, and the kiosk at 1080×1920.

Journey: a lecturer logs in (lands on the workspace) → builds a 6-case collection from a topic page
and the search results → reorders (keyboard, drag and drop, and the no-JavaScript buttons) → writes
讲解要点 → downloads all three exports (re-opened and their QR codes decoded) → projection mode with
the keys a clicker sends → publishes the 专题 → a phone-sized browser decodes the QR code shown on
the page and opens the 专题 from it, then a case.
"""
from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select
from test_kit_exports import decode_qr, read_docx, read_pdf, read_pptx
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import Collection, User
from tests.helpers import STAFF_PASSWORD, chromium, new_page, screenshot_dir, serve, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.nodb]
pytest.importorskip("playwright.sync_api")
TARGET = 44  # px: the smallest touch target the kiosk may show


@pytest.fixture(scope="module")
def live_url(seeded_app):
    """The seeded app on a free loopback port, with a lecturer account."""
    with seeded_app.app_context():
        if db.session.scalar(select(User).filter_by(username="jiangshi")) is None:
            db.session.add(User(username="jiangshi", display_name="王讲师", role="lecturer",
                                password_hash=generate_password_hash(STAFF_PASSWORD)))
            db.session.commit()
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


def wait_until(page, expression: str, timeout: float = 10.0) -> None:
    """Poll a JavaScript expression until it is true (wait_for_function evaluates strings, which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.05)


def hit_ids(page) -> list[int]:
    """Case ids of the hits on a results page, in order."""
    return [int(i.removeprefix("hit-")) for i in page.eval_on_selector_all("li.hit", "els => els.map(e => e.id)")]


def add_hits(page, want: int, have: set[int]) -> None:
    """Click 加入备课篮 on hits not yet added until `want` cases are in the collection."""
    for case_id in hit_ids(page):
        if len(have) >= want:
            return
        if case_id in have:
            continue
        page.click(f"#hit-{case_id} form.add-to-kit button")
        page.wait_for_load_state()
        assert "已加入备课篮《食品安全进乡村》" in page.inner_text(".flashes")
        assert page.url.endswith(f"#hit-{case_id}")  # back where the lecturer was in the list
        have.add(case_id)


def order_on_page(page) -> list[str]:
    """Item ids in the order the 备课篮 shows them."""
    return page.eval_on_selector_all(".kit-item", "els => els.map(e => e.dataset.itemId)")


def test_lecturer_prepares_a_talk_and_takes_it_into_the_room(browser, live_url, seeded_app, shots, tmp_path):
    page = sign_in(browser, live_url, "jiangshi")
    assert page.url == f"{live_url}/kits/" and "我的备课篮" in page.inner_text("h1")
    assert page.locator("nav.staff a:text-is('备课')").count() == 1
    page.fill("input[name=title]", "食品安全进乡村")
    page.select_option("select[name=audience]", "乡村")
    page.fill("input[name=planned_date]", "2026-12-04")
    page.fill("input[name=place]", "某村村委会会议室")
    page.fill("input[name=duration_minutes]", "45")
    page.click("form.kit-new button[type=submit]")
    assert page.locator("h1").inner_text() == "食品安全进乡村"
    kit_url = page.url

    added: set[int] = set()
    page.goto(live_url)
    page.click(".tiles a:has-text('食品安全')")
    page.wait_for_url("**/topics/food-safety")
    add_hits(page, 3, added)
    page.screenshot(path=shots / "kit-add-from-topic.png")
    page.emulate_media(media="print")  # the topic list prints as a clean list
    for chrome in ("aside.facets", "nav.pages", "form.add-to-kit >> nth=0", ".searchbar", "p.sort"):
        assert page.locator(chrome).is_hidden(), chrome
    page.screenshot(path=shots / "topic-list-print.png", full_page=True)
    page.emulate_media(media="screen")
    page.click("header.site a:text-is('全部案例')")
    page.fill("input[name=q]", "过期食品 赔偿")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/search?q=*")
    add_hits(page, 6, added)
    assert len(added) == 6

    page.click("nav.staff a:text-is('备课')")
    page.click("table.kit-list a:has-text('食品安全进乡村')")
    assert page.url == kit_url and page.locator(".kit-item").count() == 6
    start = order_on_page(page)
    # keyboard: the first case moves down one place
    page.focus(f"#item-{start[0]} .drag-handle")
    page.keyboard.press("ArrowDown")
    wait_until(page, f"document.querySelector('.kit-item').dataset.itemId === '{start[1]}'")
    wait_until(page, "document.querySelector('.order-status').textContent.includes('顺序已保存')")
    assert page.evaluate("document.activeElement.classList.contains('drag-handle')")  # focus stays
    # drag and drop: the last case onto the first
    page.evaluate("document.querySelector('.order-status').textContent = ''")
    page.set_viewport_size({"width": 1280, "height": 2400})  # source and target on screen at once
    page.hover(f"#item-{start[5]} .drag-handle")
    page.mouse.down()
    page.hover(f"#item-{start[1]} h3")
    page.hover(f"#item-{start[1]} .pos")
    page.mouse.up()
    wait_until(page, "document.querySelector('.order-status').textContent.includes('顺序已保存')")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    expected = [start[5], start[1], start[0], start[2], start[3], start[4]]
    assert order_on_page(page) == expected
    # no JavaScript needed: the 上移 button of the third case
    page.click(f"#item-{expected[2]} button[value=up]")
    expected[1], expected[2] = expected[2], expected[1]
    assert order_on_page(page) == expected

    first = f"#item-{expected[0]}"
    page.fill(f"{first} textarea[name=note]", "先请听众猜一猜：买到过期食品能要求几倍赔偿？")
    page.uncheck(f"{first} input[value=significance]")
    page.click(f"{first} .row-actions button[value=save]")
    assert page.input_value(f"{first} textarea[name=note]").startswith("先请听众猜一猜")
    assert not page.is_checked(f"{first} input[value=significance]")
    page.fill("textarea[name=questions]", "买到过期食品该找谁？\n十倍赔偿有没有上限？")
    page.click("form.kit-details button[type=submit]")
    page.screenshot(path=shots / "kit-workspace-desktop.png", full_page=True)

    titles = page.eval_on_selector_all(".kit-item h3 a", "els => els.map(e => e.textContent)")
    case_urls = [f"{live_url}/cases/{i}" for i in page.eval_on_selector_all(
        ".kit-item h3 a", "els => els.map(e => e.getAttribute('href').split('/').pop())")]
    for fmt in ("docx", "pptx", "pdf"):
        with page.expect_download() as info:
            page.click(f".kit-tools a[href$='export.{fmt}']")
        path = tmp_path / f"kit.{fmt}"
        info.value.save_as(path)
        data = path.read_bytes()
        if fmt == "docx":
            text, codes = read_docx(data)
            assert "先请听众猜一猜" in text and "十倍赔偿有没有上限" in text
            assert all(t in text for t in titles)
        elif fmt == "pptx":
            slides, notes, codes = read_pptx(data)
            assert all(any(t in s for s in slides) for t in titles) and "先请听众猜一猜" in notes
        else:
            text, codes, _ = read_pdf(data)
            assert all(re.sub(r"\s", "", t) in text for t in titles)
        assert codes == case_urls, fmt  # one QR per case, in the talk's order

    page.click("a:text-is('投影模式')")
    page.wait_for_url("**/present*")
    assert page.locator(".slide.current").count() == 1 and page.inner_text(".slide.current h1") == "食品安全进乡村"
    total = page.locator(".slide").count()
    assert page.inner_text(".counter") == f"1 / {total}"
    page.screenshot(path=shots / "kit-present-title.png")
    for key, expect in (("ArrowRight", 2), ("PageDown", 3), ("PageUp", 2), (" ", 3), ("End", total), ("Home", 1)):
        page.keyboard.press(key)
        assert page.inner_text(".counter") == f"{expect} / {total}", key
    while "案例1" not in page.inner_text(".slide.current"):
        page.keyboard.press("PageDown")
    assert titles[0] in page.inner_text(".slide.current .case-title")
    size = page.eval_on_selector(".slide.current p:not(.case-title):not(.fallback)",
                                 "e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 22
    page.screenshot(path=shots / "kit-present-case.png")

    page.goto(kit_url)
    page.click("#share button:text-is('发布为专题页')")
    topic_link = page.get_attribute("#share a[href*='/zhuanti/']", "href")
    qr_png = page.locator("#share img.qr").screenshot()
    assert decode_qr(qr_png) == [topic_link]

    phone = new_page(browser, 390, 844)
    phone.goto(decode_qr(qr_png)[0])
    assert phone.locator("h1").inner_text() == "食品安全进乡村"
    assert phone.eval_on_selector_all("ol.topic-cases h2", "els => els.map(e => e.textContent.trim())") == titles
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert "先请听众猜一猜" not in phone.inner_text("main")  # the lecturer's notes stay private
    phone.screenshot(path=shots / "topic-phone.png", full_page=True)
    phone.click(f"ol.topic-cases a:has-text('{titles[0]}')")
    assert phone.locator("h1").inner_text() == titles[0]
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    phone.emulate_media(media="print")
    phone.goto(topic_link)
    phone.screenshot(path=shots / "topic-print.png", full_page=True)
    with seeded_app.app_context():  # leave the shared seeded database as other tests expect it
        db.session.execute(Collection.__table__.delete())
        db.session.commit()


SMALL_TARGETS = """() => [...document.querySelectorAll(
    'a, button, input:not([type=hidden]), select, textarea, summary')]
  .filter(e => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);
                 return r.width > 1 && r.height > 1 && r.right > 0 && s.visibility !== 'hidden'; })
  .filter(e => { const r = e.getBoundingClientRect(); return r.height < TARGET || r.width < TARGET; })
  .map(e => e.tagName + ' ' + (e.textContent || e.name || '').trim().slice(0, 20) + ' ' +
            Math.round(e.getBoundingClientRect().width) + 'x' + Math.round(e.getBoundingClientRect().height))
""".replace("TARGET", str(TARGET))


def test_kiosk_at_1080_by_1920_has_no_small_targets_and_no_way_out(browser, live_url, shots):
    page = new_page(browser, 1080, 1920)
    page.goto(live_url + "/?kiosk=1")
    for name, path in (("home", "/"), ("topic", "/topics/food-safety"), ("case", None)):
        if path:
            page.goto(live_url + path)
        else:
            page.click("ol.hits li.hit h2 a >> nth=0")
            page.wait_for_url("**/cases/*")
        assert page.locator("body.kiosk").count() == 1, name
        assert page.evaluate(SMALL_TARGETS) == [], name
        width = page.eval_on_selector("main", "e => e.getBoundingClientRect().width")
        assert width >= 1000, (name, width)  # the layout uses the screen's width
        links = page.eval_on_selector_all("a", "els => els.map(a => a.textContent + ' ' + a.getAttribute('href'))")
        assert not [link for link in links if "退出" in link or "kiosk=0" in link or "/login" in link], name
        page.screenshot(path=shots / f"kiosk-1080-{name}.png", full_page=name != "home")
    assert page.locator(".case-qr img").is_visible() and page.locator("a.to-top").is_hidden()
    page.mouse.wheel(0, 3000)
    wait_until(page, "getComputedStyle(document.querySelector('a.to-top')).display !== 'none'")
    page.click("a.to-top")
    wait_until(page, "window.scrollY < 400")
    assert page.locator(".case .actions").is_hidden()
    page.goto(live_url + "/?kiosk=0")
    assert page.locator("body.kiosk").count() == 1  # a passer-by's ?kiosk=0 no longer leaves
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    response = page.request.post(live_url + "/kiosk/exit")
    assert response.status in (400, 403)  # no session CSRF token / not staff: still a kiosk
    page.goto(live_url)
    assert page.locator("body.kiosk").count() == 1
