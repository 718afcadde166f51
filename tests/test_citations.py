"""The citation parser: the forms the issue names, and precision/recall on the hand-labelled gold set."""
import pytest

from bench.citation_eval import evaluate
from legaltext.citations import normalize_law_title, parse_citations
from legaltext.numerals import to_int

pytestmark = pytest.mark.nodb


@pytest.mark.parametrize("text, expected", [
    ("《中华人民共和国民法典》第一千一百六十五条", [("中华人民共和国民法典", 1165, 0, None, None)]),
    ("《民法典》第1165条", [("中华人民共和国民法典", 1165, 0, None, None)]),
    ("民法典第一千一百六十五条第二款", [("中华人民共和国民法典", 1165, 0, 2, None)]),
    ("刑法第一百三十三条之一", [("中华人民共和国刑法", 133, 1, None, None)]),
    ("《食品安全法》第一百四十八条第二款", [("中华人民共和国食品安全法", 148, 0, 2, None)]),
    ("《合同法》第74条、第81条", [("中华人民共和国合同法", 74, 0, None, None), ("中华人民共和国合同法", 81, 0, None, None)]),
    ("《公司法》第十条至第十二条", [("中华人民共和国公司法", n, 0, None, None) for n in (10, 11, 12)]),
    ("《中华人民共和国招标投标法》规定了招标程序。该法第二十八条第（八）项",
     [("中华人民共和国招标投标法", 28, 0, None, 8)]),
    ("《工伤保险条例》第十四条第（六）项、第（七）项", [("工伤保险条例", 14, 0, None, 6), ("工伤保险条例", 14, 0, None, 7)]),
    ("最高人民法院《关于审理民间借贷案件适用法律若干问题的规定》第二十六条",
     [("最高人民法院关于审理民间借贷案件适用法律若干问题的规定", 26, 0, None, None)]),
    ("双方签订的合同第五条约定，按照第三条约定付款", []),
])
def test_citation_forms(text, expected):
    assert [c.key() for c in parse_citations(text)] == expected


def test_revision_notes_give_the_version():
    assert parse_citations("《中华人民共和国公司法》（2005年修订）第三十四条")[0].version == 2005
    assert parse_citations("本案适用的是2009年修正的《中华人民共和国专利法》第二十二条")[0].version == 2009


def test_unresolvable_citations_are_kept_with_their_text():
    cite = parse_citations("依照第六十四条的规定")[0]
    assert cite.law is None and cite.number == 64 and cite.raw == "第六十四条"


def test_law_titles_are_normalised():
    assert normalize_law_title("民诉法") == "中华人民共和国民事诉讼法"
    assert normalize_law_title("中华人民共和国合同法") == "中华人民共和国合同法"  # repealed, still its title
    assert normalize_law_title("工伤保险条例") == "工伤保险条例"


@pytest.mark.parametrize("text, value", [("一千一百六十五", 1165), ("十二", 12), ("一百零六", 106), ("1165", 1165)])
def test_numerals(text, value):
    assert to_int(text) == value


def test_precision_and_recall_on_the_gold_set():
    result = evaluate()
    assert result["tp"] + result["fn"] >= 150  # at least 150 hand-labelled citations
    assert result["precision"] >= 0.97 and result["recall"] >= 0.90, result
