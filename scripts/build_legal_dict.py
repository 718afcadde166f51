"""Build the legal user dictionary and the law → department map from ../shared (dev-time only).

Run by hand when the vocabularies or the law set change; the outputs are committed so the
product never reads ../shared at run time:
    .venv/bin/python scripts/build_legal_dict.py [--shared ../shared]
Outputs: indexer/data/legal_dict.txt ("word freq" per line), legaltext/data/law_departments.json.
"""
import argparse
import json
import re
from pathlib import Path

import jieba

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "中华人民共和国"
DEPARTMENT_FOLDERS = {
    "宪法": "宪法及宪法相关法",
    "宪法相关法": "宪法及宪法相关法",
    "民法典": "民法商法",
    "民法商法": "民法商法",
    "行政法": "行政法",
    "经济法": "经济法",
    "社会法": "社会法",
    "刑法": "刑法",
    "诉讼与非诉讼程序法": "诉讼与非诉讼程序法",
}
# Repealed laws still cited by older cases, absent from the current law set.
REPEALED = {
    "合同法": "民法商法", "物权法": "民法商法", "侵权责任法": "民法商法", "婚姻法": "民法商法",
    "继承法": "民法商法", "担保法": "民法商法", "民法通则": "民法商法", "民法总则": "民法商法",
    "收养法": "民法商法", "经济合同法": "民法商法", "涉外经济合同法": "民法商法",
    "技术合同法": "民法商法", "治安管理处罚条例": "行政法",
}
# Everyday and policy terms the product's users type; kept whole by the dictionary.
EXTRA_TERMS = [
    "以案释法", "谁执法谁普法", "普法责任制", "高空抛物", "高空坠物", "电信网络诈骗", "征地拆迁",
    "食品安全", "环境保护", "安全生产", "社会救助", "教育就业", "医疗卫生", "劳动争议", "消费维权",
    "婚姻家庭", "未成年人保护", "公益诉讼", "民事公益诉讼", "行政公益诉讼", "正当防卫", "醉驾", "酒驾", "酒后驾驶", "无证驾驶", "肇事逃逸",
    "醉酒驾驶", "危险驾驶", "工伤认定", "拖欠工资", "拖欠劳动报酬", "欠薪", "家庭暴力", "人身安全保护令",
    "校园欺凌", "网络暴力", "个人信息", "医疗损害", "医疗事故", "房屋征收", "违法建筑", "劳动合同",
    "经济补偿", "加班费", "试用期", "彩礼", "抚养费", "赡养费", "离婚冷静期", "知假买假", "惩罚性赔偿",
    "失信被执行人", "拒不执行判决、裁定罪", "网络购物", "快递", "外卖", "直播带货", "帮信罪",
]


def law_titles(laws_dir: Path):
    """Yield (full_title, short_name, department or None) for every law file."""
    for path in sorted(laws_dir.rglob("*.md")):
        if path.name == "README.md":
            continue
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        title = first.lstrip("# ").strip()
        short = re.sub(r"\(\d{4}-\d{2}-\d{2}\)$", "", path.stem)
        folder = path.relative_to(laws_dir).parts[0]
        yield title, short, DEPARTMENT_FOLDERS.get(folder)


def charge_names(path: Path):
    """Split listed charge names: "武装叛乱、暴乱罪" gives 武装叛乱罪 and 暴乱罪."""
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        parts = line.rstrip("罪").split("、")
        for part in parts:
            if len(part) >= 2:
                yield part + "罪"
        if "、" not in line:
            continue
        yield line.replace("、", "")


def dictionary_words(shared: Path, department_map: dict) -> list[str]:
    """Every word the legal dictionary should keep whole."""
    words = []
    for line in (shared / "data/vocab/THUOCL_law.txt").read_text(encoding="utf-8").splitlines():
        word = line.split("\t")[0].strip()
        if word:
            words.append(word)
    words += list(charge_names(shared / "data/vocab/criminal_charges_lecardv2.txt"))
    for name in department_map:
        words.append(name)
        words.append(name.removeprefix(PREFIX))
    words += EXTRA_TERMS
    for line in (ROOT / "indexer/data/synonyms.txt").read_text(encoding="utf-8").splitlines():
        if "=>" in line and not line.startswith("#"):  # everyday words and their legal terms stay whole
            word, terms = line.split("=>", 1)
            words += [word.strip(), *terms.split()]
    clean = []
    for word in words:
        if 2 <= len(word) <= 20 and not re.search(r"[\s《》（）()、，,。：:]", word):
            clean.append(word)
    return list(dict.fromkeys(clean))


def frequencies(words: list[str]) -> list[tuple[str, int]]:
    """Frequencies that keep each word whole without splitting others more often.

    A word jieba already knows keeps its own frequency. A new word gets what
    jieba.suggest_freq(word, tune=True) would give (just enough to beat its parts),
    floored at 3 so rare words are never weaker than jieba's own rare entries.
    """
    out = []
    for word in words:
        known = jieba.dt.FREQ.get(word, 0)
        if known:
            continue
        freq = max(jieba.suggest_freq(word, tune=False), 3)
        jieba.add_word(word, freq)  # later words see earlier ones, as at load time
        out.append((word, freq))
    return out


def main() -> None:
    """Write the dictionary and the law map."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"))
    shared = Path(parser.parse_args().shared)
    jieba.setLogLevel(60)
    jieba.initialize()
    department_map = {}
    for title, short, department in law_titles(shared / "data/laws"):
        if department and not title.startswith(PREFIX + "刑法修正案") and "修正案" not in short:
            department_map.setdefault(title, department)
            department_map.setdefault(PREFIX + short if not short.startswith(PREFIX) else short, department)
    for short, department in REPEALED.items():
        department_map.setdefault(PREFIX + short, department)
    words = dictionary_words(shared, department_map)
    entries = frequencies(words)
    out = ROOT / "indexer/data/legal_dict.txt"
    out.write_text(
        "# Legal user dictionary, generated by scripts/build_legal_dict.py from THUOCL_law (MIT),\n"
        "# LeCaRDv2 charge names (MIT) and the national law titles (official documents).\n"
        + "".join(f"{w} {f}\n" for w, f in entries),
        encoding="utf-8",
    )
    law_map = {
        title.removeprefix(PREFIX): dep for title, dep in sorted(department_map.items())
    }
    (ROOT / "legaltext/data/law_departments.json").write_text(
        json.dumps(law_map, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"{len(entries)} dictionary entries, {len(law_map)} laws mapped to departments")


if __name__ == "__main__":
    main()
