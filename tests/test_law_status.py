"""Law in force: the repeal facts (data), the reviewed 民法典 correspondence table, and the notices
and current texts on the public case page, including how the page prints."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Case, CaseCitation
from app.services import law_status
from app.services.law_status import to_chinese
from legaltext.numerals import to_int

ROOT = Path(__file__).resolve().parent.parent
NINE = ("合同法", "民法通则", "侵权责任法", "物权法", "婚姻法", "继承法", "担保法", "收养法", "民法总则")


@pytest.mark.nodb
def test_the_nine_laws_the_civil_code_repealed_are_recorded():
    for name in NINE:
        repeal = law_status.repeal_of("中华人民共和国" + name)
        assert repeal is not None, name
        assert (repeal.successor_short, repeal.date.isoformat()) == ("民法典", "2021-01-01")
        assert repeal.provision == "《中华人民共和国民法典》第一千二百六十条" and repeal.in_force
    assert law_status.repeal_of("中华人民共和国民法典") is None
    assert law_status.repeal_of("中华人民共和国工会法") is None  # re-enacted under the same name
    chained = law_status.repeal_of("中华人民共和国经济合同法")
    assert chained.successor_short == "合同法" and chained.then == "中华人民共和国民法典"


@pytest.mark.nodb
def test_every_repeal_our_law_data_states_is_in_the_data_file():
    """A law's closing article names what it repealed; each national one must be in repealed_laws.json."""
    data = json.loads((ROOT / "app/data/repealed_laws.json").read_text(encoding="utf-8"))["repeals"]
    known = {r["law"] for r in data}
    stated = set()
    for path in (ROOT / "seed_laws").rglob("*.md"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.match(r"^第[^ ]+条 本法", line) and "同时废止" in line:
                stated |= set(re.findall(r"《(中华人民共和国[^》]+)》", line.split("施行", 1)[-1]))
    missing = stated - known - {"中华人民共和国国家安全法", "中华人民共和国工会法"}
    assert missing == set() and len(known) >= 40


@pytest.mark.nodb
@pytest.mark.parametrize("number", [1, 9, 10, 12, 20, 99, 100, 101, 106, 110, 577, 1001, 1165, 1260])
def test_chinese_numerals_round_trip(number):
    assert to_int(to_chinese(number)) == number


@pytest.mark.nodb
def test_the_correspondence_table_points_at_real_civil_code_articles(seeded_app):
    table = json.loads((ROOT / "app/data/article_successors.json").read_text(encoding="utf-8"))
    for law, rows in table.items():
        if law.startswith("_") or "same_numbers" in rows:
            continue
        assert law_status.repeal_of(law).successor_short == "民法典"
        for old, news in rows.items():
            found = law_status.successors_for(law, int(old))
            assert [c.label for c in found] == [f"第{to_chinese(n)}条" for n in news], (law, old)
    assert law_status.successors_for("中华人民共和国侵权责任法", 6)[0].paragraphs[0].startswith("行为人因过错侵害他人")
    assert law_status.successors_for("中华人民共和国民法总则", 188)[0].label == "第一百八十八条"
    assert law_status.successors_for("中华人民共和国合同法", 9999) == []
    assert law_status.mapped_articles_count() == 112 + 204


@pytest.fixture(scope="module")
def contract_case_id(seeded_app) -> int:
    """A published case citing 合同法 第一百零七条."""
    with seeded_app.app_context():
        return db.session.scalar(select(CaseCitation.case_id).join(Case, Case.id == CaseCitation.case_id).where(
            CaseCitation.law_title == "中华人民共和国合同法", CaseCitation.number == 107,
            Case.is_public).order_by(CaseCitation.case_id).limit(1))


@pytest.mark.nodb
def test_case_page_names_the_successor_and_the_current_article(seeded_client, contract_case_id):
    page = seeded_client.get(f"/cases/{contract_case_id}").get_data(as_text=True)
    assert "法律效力提示" in page and "本案引用的《合同法》已于2021年1月1日被废止" in page
    assert "现行规定见《民法典》" in page and "第一百零七条 → " in page
    assert "现行对应条文：" in page and "当事人一方不履行合同义务" in page
    assert page.index("法律效力提示") < page.index('class="case-section')  # before the text


@pytest.mark.nodb
def test_a_case_citing_only_laws_in_force_has_no_notice(seeded_client, seeded_app):
    with seeded_app.app_context():
        case_id = db.session.scalar(select(Case.id).where(Case.is_public, ~Case.id.in_(
            select(CaseCitation.case_id).where(CaseCitation.law_title.in_(list(law_status.repeals())))))
                                    .order_by(Case.id).limit(1))
    assert "法律效力提示" not in seeded_client.get(f"/cases/{case_id}").get_data(as_text=True)


@pytest.mark.nodb
def test_case_page_prints_article_text_and_a_qr_code_instead_of_the_address(seeded_client, contract_case_id):
    page = seeded_client.get(f"/cases/{contract_case_id}").get_data(as_text=True)
    assert page.count('class="print-only print-article"') >= 1  # texts hidden in <details> on screen
    assert 'class="case-qr"' in page and "data:image/svg+xml" in page
    assert "本页地址" not in page
    css = (ROOT / "app/static/print.css").read_text(encoding="utf-8")
    assert ".case-qr { display: block !important" in css and "details.citation" in css
