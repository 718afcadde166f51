"""The de-identification check (legaltext/deid.py): detectors, replacement, measured figures."""
from __future__ import annotations

import pytest

from bench.deid_eval import evaluate, load
from legaltext import deid
from legaltext.deid import TITLE, find, find_in_case, id_checksum_ok, luhn_ok, replace_all

pytestmark = pytest.mark.nodb


def kinds(text: str) -> dict[str, str]:
    """text → kind of every finding in one text."""
    return {f.text: f.kind for f in find(text)}


# ---------------------------------------------------------------- numbers


def test_id_number_checksum_decides():
    assert id_checksum_ok("110105198003071234")
    assert not id_checksum_ok("110105198003071235")
    assert kinds("身份证号码为110105198003071234。") == {"110105198003071234": "id_number"}
    assert "110105198003071235" not in kinds("身份证号码为110105198003071235。")


def test_id_number_with_x_check_digit_and_mask():
    assert kinds("公民身份号码11010119900307002X，") == {"11010119900307002X": "id_number"}
    assert kinds("公民身份号码110101199003070021，") == {}  # same number, wrong check digit
    (finding,) = find("身份证440301198512310020，")
    assert finding.suggestion == "4403**********0020"
    assert finding.label == "身份证号"


def test_bank_card_needs_luhn():
    assert luhn_ok("6222021001032908011")
    assert not luhn_ok("6222021001032908012")
    assert kinds("卡号为6222021001032908011的借记卡") == {"6222021001032908011": "bank_card"}
    assert kinds("卡号为6222021001032908012的借记卡") == {}
    assert find("账号6217000000000000129")[0].suggestion == "6217***********0129"


def test_long_document_numbers_are_not_cards():
    # an 18-digit tax document number that fails Luhn, and a case number
    assert kinds("517720021772499587/L04号《海关代征增值税专用缴款书》") == {}


def test_mobile_and_landline():
    found = kinds("手机：13651847356滕经理 电话：021-62365289/62365883 传真：（0756）2512028")
    assert found == {"13651847356": "mobile", "021-62365289": "landline", "62365883": "landline",
                     "（0756）2512028": "landline"}
    assert find("手机13651847356")[0].suggestion == "136****7356"


def test_mobile_not_inside_longer_digit_runs():
    assert kinds("编号为2013651847356789的票据") == {}


def test_email():
    (finding,) = find("通过电子邮箱（shanjingjing@tps-logistics.com）发送")
    assert (finding.kind, finding.text) == ("email", "shanjingjing@tps-logistics.com")
    assert finding.suggestion == "s***@tps-logistics.com"


# ---------------------------------------------------------------- plates and addresses


def test_plates_including_new_energy_and_trailer():
    found = kinds("车牌号为苏A856S3的轿车、京AD12345新能源车和鲁H-D555挂半挂车")
    assert found == {"苏A856S3": "plate", "京AD12345": "plate", "鲁H-D555挂": "plate"}


def test_masked_plate_is_not_flagged():
    assert kinds("号牌为鲁AVXXXX的车辆") == {}


def test_detailed_addresses():
    found = kinds("住福州市鼓楼区北江里新村6座204室，后搬至南京市中山路123号3栋201室。")
    assert found == {"北江里新村6座204室": "address", "中山路123号3栋201室": "address"}
    assert find("住南京市中山路123号")[0].suggestion == "中山路某号"


def test_numbers_that_are_not_addresses():
    text = ("（2019）京01民终123号民事判决书、（2008）鼓刑初字第241号刑事判决书、"
            "第7162768号商标、小区地面105号车位、《中华人民共和国刑法》第二百三十四条")
    assert kinds(text) == {}


# ---------------------------------------------------------------- names


def test_party_names_in_header_lines():
    text = "原告：夏永麟，男，1952年1月9日出生。\n被告：海通证券有限公司无锡营业部。\n"
    assert kinds(text) == {"夏永麟": "person_name"}


def test_names_listed_after_a_party_position():
    text = "证人秦涛、王颖、谢智作、符子静的证言，证实被害人董方明被控制。"
    assert set(kinds(text)) == {"秦涛", "王颖", "谢智作", "符子静", "董方明"}


def test_name_boundary_in_running_text():
    text = "被害人李诚陈述，本人与林树臣签订雇佣协议。被害人李诚报案。"
    assert "李诚" in kinds(text)
    assert "李诚陈" not in kinds(text)


def test_anonymised_forms_are_not_flagged():
    text = "原告陈某某与其丈夫李某某至医院诊疗，证人韩某坤、丁某兰作证，被告人王××到案。"
    assert kinds(text) == {}


def test_courts_companies_and_representatives_are_not_flagged():
    text = ("原告：南京青和物业管理有限公司，住所地：溧水县永阳镇。\n"
            "法定代表人：符丽娟，该公司董事长。\n"
            "委托代理人：陆俊，江苏无锡居和信律师事务所律师。\n"
            "被告：中华人民共和国肇庆海关。\n"
            "江苏省南京市中级人民法院、上海市长宁区人民检察院、黄浦区安监局依法作出决定。")
    assert kinds(text) == {}


def test_law_names_dates_money_are_not_flagged():
    text = ("依照《中华人民共和国民法典》第一千一百六十五条第一款的规定，被告应于2020年3月1日前"
            "赔偿原告12 000元，并负担诉讼费1634.97元。")
    assert kinds(text) == {}


def test_representative_who_is_also_a_party_is_flagged():
    text = "被告：联达机械厂。\n负责人：魏恒聂，该厂投资人。\n被告：魏恒聂，男，39岁。\n"
    assert kinds(text) == {"魏恒聂": "person_name"}


# ---------------------------------------------------------------- the whole case


def case():
    sections = [
        {"heading": "基本案情", "text": "原告：张三丰，男，1960年出生。\n原告张三丰之子张小明于2019年受伤。"},
        {"heading": "裁判理由", "text": "张三丰主张的损失，张小明已经获赔，张三丰的请求不予支持。"},
    ]
    return sections, "张三丰诉某物业公司物业服务合同纠纷案"


def test_names_found_everywhere_in_the_case():
    sections, title = case()
    findings = find_in_case(sections, title)
    where = {(f.section, f.text) for f in findings}
    assert (TITLE, "张三丰") in where
    assert (1, "张三丰") in where and (1, "张小明") in where
    positions = [(f.section, f.start) for f in findings]
    assert positions == sorted(positions)


def test_colliding_replacements_are_numbered():
    sections, title = case()
    suggestions = {f.text: f.suggestion for f in find_in_case(sections, title)}
    assert suggestions == {"张三丰": "张某甲", "张小明": "张某乙"}


def test_replace_all_is_consistent_across_title_and_sections():
    sections, title = case()
    findings = find_in_case(sections, title)
    new_title, *texts = replace_all([title] + [s["text"] for s in sections], findings)
    assert new_title == "张某甲诉某物业公司物业服务合同纠纷案"
    assert texts[1] == "张某甲主张的损失，张某乙已经获赔，张某甲的请求不予支持。"
    assert find_in_case([{"text": t} for t in texts], new_title) == []


def test_replace_all_with_a_mapping():
    assert replace_all(["王春生诉张开峰", "张开峰盗用王春生的身份证"], {"王春生": "王某", "张开峰": "张某"}) == [
        "王某诉张某", "张某盗用王某的身份证"]


def test_findings_do_not_overlap():
    text = "卡号6222021001032908011，身份证110105198003071234，住中山路5号，原告：李彬，男。"
    findings = find(text)
    for a, b in zip(findings, findings[1:]):
        assert a.end <= b.start
    assert all(text[f.start:f.end] == f.text for f in findings)


# ---------------------------------------------------------------- measured figures


def test_figures_on_the_labelled_gazette_sample_stay_above_floors():
    """A regression guard: floors a little below the figures in docs/deid.md."""
    result = evaluate(load())
    assert result["labels"] >= 300
    assert result["overall"]["precision"] >= 0.95
    assert result["overall"]["recall"] >= 0.91
    assert result["per_kind"]["person_name"]["precision"] >= 0.95
    assert result["per_kind"]["person_name"]["recall"] >= 0.91


def test_module_constants_cover_every_kind():
    assert set(deid.LABELS) == set(deid.PRIORITY)
