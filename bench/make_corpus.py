"""Synthetic benchmark corpus made by perturbing the real seed cases (hand-run, never by tests).

    .venv/bin/python bench/make_corpus.py N OUT.jsonl [--seed S]

Every output line is a real case from seed_cases/*.jsonl, picked at random, then changed so
that no line is an exact copy: a new source_id (bench-<n>), party / company / place names
swapped for others from a pool (consistently inside one case), dates shifted (judgment and
publication by the same number of days, so their order holds), money amounts scaled, a few
sentences shuffled or dropped inside sections, and sometimes a section spliced in from another
case of the same case_type. Field shapes and the length distribution follow the real cases.
Output is deterministic for a given --seed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

SEED_DIR = Path(__file__).resolve().parent.parent / "seed_cases"
_CASE_YEAR = re.compile(r"([（(])(\d{4})([）)])")
_SERIAL = re.compile(r"\d+(?=号)")
_LEAD_PARTY = re.compile(r"^([\u4e00-\u9fff]{2,4}?)(?:等|诉|与|、|某)")

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏飞斌宇浩凯健俊帆帅旭宁琳晨辉欣雪梅莉婷慧颖")
CITIES = ["南京", "苏州", "无锡", "常州", "杭州", "宁波", "温州", "合肥", "芜湖", "福州", "厦门", "泉州", "南昌",
          "济南", "青岛", "烟台", "郑州", "洛阳", "武汉", "宜昌", "长沙", "株洲", "广州", "深圳", "佛山", "东莞",
          "南宁", "桂林", "海口", "成都", "绵阳", "贵阳", "昆明", "西安", "兰州", "西宁", "银川", "石家庄", "唐山",
          "太原", "大同", "沈阳", "大连", "长春", "吉林", "哈尔滨", "呼和浩特", "乌鲁木齐", "拉萨", "重庆", "天津"]
PROVINCES = ["江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省",
             "广西壮族自治区", "海南省", "四川省", "贵州省", "云南省", "陕西省", "甘肃省", "青海省", "河北省",
             "山西省", "辽宁省", "吉林省", "黑龙江省"]
FIRM_CORES = ["华信", "恒达", "金盛", "鼎泰", "宏远", "瑞丰", "嘉禾", "永安", "天成", "汇通", "新纪元", "长城",
              "东方", "盛世", "万通", "中联", "博远", "正阳", "安泰", "丰华", "锦绣", "海川", "明德", "润泽"]
FIRM_KINDS = ["置业", "物流", "建设工程", "电子科技", "食品", "贸易", "房地产开发", "投资管理", "网络科技",
              "商贸", "餐饮管理", "汽车销售", "物业管理", "医药", "化工", "机械制造"]

_CJK_NAME = re.compile(r"^[\u4e00-\u9fff]{2,3}$")
_FIRM = re.compile(r"(?:^|(?<=[诉与、，：:（）()\s]))([\u4e00-\u9fff]{2,4})(?=[\u4e00-\u9fff]{0,8}(?:有限责任公司|股份有限公司|有限公司|公司))")
_FIRM_STOP = {"中国", "某某", "原告", "被告", "上诉", "第三", "被上诉", "申请", "被申请", "法定", "委托", "人民"}
_DATE_CN = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_MONEY = re.compile(r"(\d{2,9}(?:\.\d{1,2})?)(万元|元)")
_SENT = re.compile(r"[^。！？]*[。！？]?")


def load_seed() -> list[dict]:
    """Every real case, in file order."""
    records = []
    for path in sorted(SEED_DIR.glob("*.jsonl")):
        with open(path, encoding="utf-8") as handle:
            records += [json.loads(line) for line in handle if line.strip()]
    return records


def title_parties(title: str) -> list[str]:
    """Person-like names of the parties in titles such as 张三诉李四…纠纷案 / 王五、赵六故意伤害案."""
    head = re.split(r"(?:纠纷|案$)", title)[0]
    people = []
    for side in re.split(r"诉|与", head):
        for part in re.split(r"[、，,及]", side):
            part = part.strip()
            if _CJK_NAME.match(part):
                people.append(part)
    return people


class Perturber:
    """Turns one real case into a new, plausible one."""

    def __init__(self, rng: random.Random, by_type: dict[str, list[dict]]):
        self.rng = rng
        self.by_type = by_type

    def person(self) -> str:
        rng = self.rng
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))

    def firm(self) -> str:
        return self.rng.choice(FIRM_CORES) + self.rng.choice(FIRM_KINDS)

    def make(self, base: dict, number: int) -> dict:
        rng = self.rng
        rec = json.loads(json.dumps(base))  # deep copy
        mapping: dict[str, str] = {}
        for name in title_parties(rec["title"]):
            mapping.setdefault(name, self.person())
        blob = rec["title"] + "".join(s["text"] for s in rec["sections"][:2])
        for match in list(_FIRM.finditer(blob))[:4]:
            core = match.group(1)
            if core not in _FIRM_STOP and core[:2] not in _FIRM_STOP and core not in mapping:
                mapping[core] = self.rng.choice(FIRM_CORES) + self.rng.choice(("", "", "新", "大"))
        for city in CITIES:
            if city in blob and rng.random() < 0.8:
                mapping.setdefault(city, rng.choice(CITIES))
        for province in PROVINCES:
            if province in blob and rng.random() < 0.5:
                mapping.setdefault(province, rng.choice(PROVINCES))
        replace = self._replacer(mapping)
        day_shift = rng.choice((-1, 1)) * rng.randint(30, 900)
        year_shift = round(day_shift / 365)
        money_factor = rng.choice((0.5, 0.8, 1.2, 1.5, 2, 3))

        def text_fix(text: str) -> str:
            text = replace(text)
            text = _DATE_CN.sub(lambda m: f"{int(m.group(1)) + year_shift}年{m.group(2)}月{m.group(3)}日", text)
            return _MONEY.sub(lambda m: _scale(m.group(1), money_factor) + m.group(2), text)

        rec["source_id"] = f"bench-{number}"
        rec["title"] = replace(rec["title"])
        if rec["title"] == base["title"]:  # no party recognised: rename the leading one, or say where
            lead = _LEAD_PARTY.match(rec["title"])
            rec["title"] = (self.person() + rec["title"][lead.end(1):] if lead
                            else f"{rng.choice(CITIES)}市{rec['title']}")
        for key in ("summary", "court", "region", "case_number"):
            if rec.get(key):
                rec[key] = text_fix(rec[key])[:200 if key != "summary" else 5000]
        if rec.get("case_number"):  # its own year and serial: copies of one seed case are not one case twice
            rec["case_number"] = _SERIAL.sub(str(number), _CASE_YEAR.sub(
                lambda m: f"{m.group(1)}{int(m.group(2)) + year_shift}{m.group(3)}", rec["case_number"]), count=1)
        for key in ("judgment_date", "published_date"):
            if rec.get(key):
                rec[key] = _shift_date(rec[key], day_shift)
        if rec.get("keywords"):
            keywords = list(rec["keywords"])
            rng.shuffle(keywords)
            rec["keywords"] = keywords
        sections = []
        for section in rec["sections"]:
            section = dict(section)
            section["text"] = self._shuffle_sentences(text_fix(section["text"]))
            sections.append(section)
        if rng.random() < 0.2:
            self._splice(sections, rec["case_type"], text_fix)
        rec["sections"] = sections
        if {k: v for k, v in rec.items() if k != "source_id"} == {k: v for k, v in base.items() if k != "source_id"}:
            self._force_change(rec)
        return rec

    def _force_change(self, rec: dict) -> None:
        """Make sure no output line is a copy: swap two sentences of the longest section, or set a region."""
        longest = max(rec["sections"], key=lambda s: len(s["text"]))
        sentences = [s for s in _SENT.findall(longest["text"]) if s]
        if len(sentences) >= 2 and sentences[0] != sentences[1]:
            sentences[0], sentences[1] = sentences[1], sentences[0]
            longest["text"] = "".join(sentences)
        else:
            rec["region"] = self.rng.choice(PROVINCES) + self.rng.choice(CITIES) + "市"

    @staticmethod
    def _replacer(mapping: dict[str, str]):
        if not mapping:
            return lambda text: text
        pattern = re.compile("|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True)))
        return lambda text: pattern.sub(lambda m: mapping[m.group(0)], text)

    def _shuffle_sentences(self, text: str) -> str:
        """Inside each paragraph: sometimes swap two sentences, sometimes drop one."""
        rng = self.rng
        paragraphs = []
        for paragraph in text.split("\n"):
            sentences = [s for s in _SENT.findall(paragraph) if s]
            if len(sentences) >= 3:
                if rng.random() < 0.3:
                    i = rng.randrange(len(sentences) - 1)
                    sentences[i], sentences[i + 1] = sentences[i + 1], sentences[i]
                if rng.random() < 0.2:
                    del sentences[rng.randrange(len(sentences))]
            paragraphs.append("".join(sentences))
        result = "\n".join(p for p in paragraphs if p)
        return result or text

    def _splice(self, sections: list[dict], case_type: str, text_fix) -> None:
        """Replace one section by the same kind of section from another case of this case_type."""
        rng = self.rng
        donor = rng.choice(self.by_type[case_type])
        by_kind = {s["kind"]: s for s in donor["sections"]}
        candidates = [i for i, s in enumerate(sections) if s["kind"] in by_kind]
        if candidates:
            i = rng.choice(candidates)
            section = dict(by_kind[sections[i]["kind"]])
            section["text"] = text_fix(section["text"])
            sections[i] = section


def _scale(number: str, factor: float) -> str:
    value = float(number) * factor
    return f"{value:.2f}" if "." in number else str(int(round(value)))


def _shift_date(value: str, days: int) -> str:
    try:
        return (dt.date.fromisoformat(value) + dt.timedelta(days=days)).isoformat()
    except ValueError:
        return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    seed = load_seed()
    by_type: dict[str, list[dict]] = defaultdict(list)
    for rec in seed:
        by_type[rec["case_type"]].append(rec)
    perturber = Perturber(rng, by_type)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(args.out.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        for number in range(1, args.n + 1):
            base = seed[rng.randrange(len(seed))]
            out.write(json.dumps(perturber.make(base, number), ensure_ascii=False) + "\n")
    tmp.replace(args.out)
    print(f"wrote {args.n} cases to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
