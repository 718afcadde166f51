"""The analysis chain: dictionary, index/query tokens, normalisation, rjieba = jieba."""
import json
import math

import pytest

from indexer import analysis
from indexer.query import parse_query
from tests.helpers import SEED_DIR

pytestmark = pytest.mark.nodb


def seed_texts():
    """Title and full text of every seed case."""
    texts = []
    for path in sorted(SEED_DIR.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                case = json.loads(line)
                texts.append(case["title"] + "\n" + "\n".join(s["text"] for s in case["sections"]))
    return texts


@pytest.mark.parametrize("word", ["高空抛物", "电信网络诈骗", "拒不支付劳动报酬罪", "食品安全法", "醉驾",
                                  "劳动合同法", "危险驾驶罪", "以案释法", "人身安全保护令"])
def test_legal_terms_stay_whole(word):
    assert analysis.cut(word) == [word]


def test_dictionary_words_are_kept_whole_in_isolation():
    broken = [w for w, _ in analysis.dictionary_entries() if analysis.cut(w) != [w]]
    assert broken == []


def test_sub_word_table_is_jiebas_own_frequency_table():
    """The compact table (trie + counts) answers every word as jieba's FREQ does (0: unknown or a
    zero-frequency prefix), with jieba's total, so sub-word splits are jieba's."""
    reference = analysis.reference_segmenter()
    words, counts, log_total = analysis._word_frequencies()
    assert log_total == math.log(reference.total)
    differing = [w for w, freq in reference.FREQ.items()
                 if (counts[words[w]] if w in words else 0) != freq]
    assert differing == [] and len(words) > 350_000
    assert reference.FREQ["最高人"] == 0 and "最高人" not in words  # zero-frequency prefixes: left out


def test_compound_contributes_its_real_parts_only():
    tokens = analysis.index_tokens("最高人民法院")
    assert {"人民法院", "法院", "最高", "最高人民法院"} <= set(tokens)
    assert "民法" not in tokens  # an accidental substring, not a part of the compound


def test_query_word_inside_longer_indexed_word_matches():
    # The measured failure of accurate-mode-only indexing: 人民法院 vs 最高人民法院.
    missed = [text[:30] for text in seed_texts()
              if "最高人民法院" in text and "人民法院" not in analysis.index_tokens(text)]
    assert missed == []


def test_index_tokens_drop_punctuation_and_fold_width():
    tokens = analysis.index_tokens("ＡＢＣ１２３，“正当防卫”！")
    assert "abc123" in tokens and "正当防卫" in tokens
    assert not any(t in {"，", "“", "”", "！"} for t in tokens)


def test_normalize_keeps_offsets():
    text = "Ｘ市（二〇一九）第１号　判决"
    assert len(analysis.normalize(text)) == len(text)


def test_query_normalisation_traditional_and_full_width():
    assert parse_query("醫療損害　賠償").terms == parse_query("医疗损害 赔偿").terms


def test_query_stop_words_removed_unless_nothing_else():
    assert "怎么办" not in parse_query("被拖欠工资怎么办").terms
    assert parse_query("的").terms == ["的"]


def test_rjieba_gives_the_same_tokens_as_jieba_on_every_seed_case():
    reference = analysis.reference_segmenter()
    mismatched = []
    for text in seed_texts():
        text = analysis.normalize(text)
        if analysis.cut(text) != reference.lcut(text, HMM=False):
            mismatched.append(text[:40])
    assert mismatched == []


HOSTILE = ['"', '""', '"未闭合', "-", "--", "- -醉驾", "NEAR(a b)", "a OR b", "a AND NOT b", "title:高空",
           "^x", "*", "高空*", "(", ")", "{a b}", "'; DROP TABLE cases; --", "\x00", "\\", "𠮷野家",
           "😀", "\u200b", "a" * 500, "，。！？", "１＋１", "<script>alert(1)</script>", "%", "_"]


@pytest.mark.parametrize("raw", HOSTILE)
def test_parser_never_raises_and_keeps_syntax_out(raw):
    parsed = parse_query(raw)
    for term in parsed.terms:
        assert term.strip()



def test_charge_words_name_every_listed_charge_with_and_without_zui():
    from indexer.analysis import charge_words

    words = charge_words()
    assert {"交通肇事", "交通肇事罪", "诈骗", "危险驾驶罪", "武装叛乱", "销售伪劣产品"} <= words
    assert not {"死亡", "生产", "暴乱", "罪", ""} & words  # short parts of joined names are everyday words


def test_a_charge_name_in_a_question_weighs_double_and_a_story_word_does_not():
    from app.services.search import CHARGE_WEIGHT, weigh_charge_names
    from indexer.query import parse_query

    parsed = parse_query("酒驾交通肇事致人死亡 被骗")
    weigh_charge_names(parsed)
    assert parsed.weights.get("交通肇事") == CHARGE_WEIGHT == 2.0
    assert "诈骗" in parsed.synonyms and parsed.weights.get("诈骗") == CHARGE_WEIGHT  # 被骗 stands for 诈骗
    assert "死亡" not in parsed.weights
