"""De-identification (脱敏) check: find personal data in a case and suggest replacements.

Pure library (no database, no Flask). Kinds of findings (Finding.kind):

  id_number    resident ID: 18 digits whose last is the ISO 7064 MOD 11-2 check digit and
               whose birth date is valid; the old 15-digit form only right after 身份证
  mobile       1[3-9] + 9 digits, not inside a longer digit run (+86 / 86- allowed)
  landline     area code 0xx(x) + 7–8 digits (021-62365289, （0756）2512038), and a number
               continuing one after a slash (021-62365289/62365883)
  bank_card    16–19 digits passing the Luhn check, with a card/account word nearby or a
               card-like first digit (3, 4, 5, 62, 9)
  email        name@domain.tld
  plate        province abbreviation + letter + 5 characters (6 for new-energy plates),
               trailer and similar plates (鲁H-D555挂); masked plates (鲁AVXXXX) are not flagged
  address      a road/street/lane + house number, with building/unit/room if given
               (延安西路2299号世贸商城6F50室), or an estate/building/village + building or room
               number (北江里新村6座204室, 杉洋村12号)
  person_name  natural persons: names after a party position (原告：/被告人/证人/被害人/其子…),
               names listed with them (证人甲、乙、丙), parties named in the title (X诉Y…案),
               and names jieba tags as nr; then every exact repeat anywhere in the case

Not flagged: anonymised forms (张某、张某某、韩某坤、××), names in a professional or
representative role (法定代表人、委托代理人、辩护人、律师、审判员…, 负责人：X) unless the
same person is also a party, names of courts, procuratorates, companies and other bodies,
law names, case numbers, dates and amounts.

Replacement rule: a name becomes surname + 某 (张三 → 张某, 欧阳明 → 欧阳某). When two
different names in one case would get the same replacement, all of them are numbered in
the order they first appear (张某甲, 张某乙, …), so two people never merge into one; the
same mapping is applied to the title and every section. Numbers keep a few digits
(1101**********1234, 139****2781), e-mail keeps its domain, plates their province and
letter, addresses their road or estate name (中山路某号).

Names come from rules plus jieba's part-of-speech tags; jieba runs here as rjieba (its Rust
port: the same dictionary and tag set as jieba.posseg, about a hundred times faster).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

from indexer.analysis import general_dictionary, pos_tag

TITLE = -1  # Finding.section of a finding in the title (find_in_case)

LABELS = {
    "id_number": "身份证号",
    "mobile": "手机号码",
    "landline": "固定电话",
    "bank_card": "银行卡号",
    "email": "电子邮箱",
    "plate": "车牌号",
    "address": "详细地址",
    "person_name": "自然人姓名",
}
# When two findings overlap, the kind listed first wins.
PRIORITY = ["id_number", "bank_card", "mobile", "landline", "email", "plate", "address",
            "person_name"]


@dataclass(frozen=True)
class Finding:
    """One item of personal data: where it is, what it is and what to put instead."""

    kind: str
    text: str
    start: int
    end: int
    label: str
    suggestion: str
    section: int | None = None


# ================================================================ public API


def find(text: str) -> list[Finding]:
    """Findings in one text, sorted by position and non-overlapping (section is None)."""
    return [replace(f, section=None) for f in find_in_case([{"text": text}]) if f.section == 0]


def find_in_case(sections: list[dict], title: str = "") -> list[Finding]:
    """All findings of a case, in order; Finding.section is the section index (TITLE for
    the title). Names are decided on the whole case, so a name flagged in one section is
    flagged wherever it recurs, and replacements are numbered case-wide."""
    texts = [title] + [s.get("text") or "" for s in sections]
    names = _person_names(texts)
    suggestions = _name_suggestions(_in_order_of_appearance(names, texts))
    findings = []
    for index, text in enumerate(texts):
        items = list(_number_and_place_items(text)) + list(_name_items(text, names))
        for kind, start, end, suggestion in _without_overlaps(items):
            if kind == "person_name":
                suggestion = suggestions[suggestion]
            section = TITLE if index == 0 else index - 1
            findings.append(Finding(kind, text[start:end], start, end, LABELS[kind], suggestion,
                                    section))
    return findings


def summary(title: str, section_texts: list[str]) -> tuple[int, dict[str, int]] | None:
    """(number of findings, count per kind) of a case, or None without findings: what an audit
    records (never the personal data itself), small enough to send back from a worker process."""
    findings = find_in_case([{"text": text} for text in section_texts], title)
    if not findings:
        return None
    kinds: dict[str, int] = {}
    for finding in findings:
        kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
    return len(findings), kinds


def summaries(cases: list[tuple[str, list[str]]]) -> list[tuple[int, dict[str, int]] | None]:
    """summary() of each (title, section texts): one call per batch, for a process pool."""
    return [summary(title, texts) for title, texts in cases]


def replacement_map(findings: list[Finding]) -> dict[str, str]:
    """flagged text → replacement, one entry per distinct text."""
    return {f.text: f.suggestion for f in findings}


def replace_all(texts: list[str], findings_or_mapping) -> list[str]:
    """Apply replacements to every text (title and sections alike), longest match first,
    so the same person gets the same replacement everywhere."""
    mapping = findings_or_mapping
    if not isinstance(mapping, dict):
        mapping = replacement_map(mapping)
    mapping = {k: v for k, v in mapping.items() if k}
    if not mapping:
        return list(texts)
    pattern = re.compile("|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True)))
    return [pattern.sub(lambda m: mapping[m.group()], t) for t in texts]


def id_checksum_ok(number: str) -> bool:
    """True when an 18-digit ID's last character is its ISO 7064 MOD 11-2 check digit."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_ok(number: str) -> bool:
    """True when a digit string passes the Luhn check used by bank cards."""
    digits = [int(d) for d in number if d.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return bool(digits) and total % 10 == 0


# ================================================================ assembling


def _number_and_place_items(text: str):
    """(kind, start, end, suggestion) of every item that is not a name."""
    for finder in (_find_ids, _find_cards, _find_phones, _find_emails, _find_plates,
                   _find_addresses):
        yield from finder(text)


def _name_items(text: str, names: list[str]):
    """Every occurrence of each flagged name; the name stands in for its suggestion."""
    for name in names:
        for start, end in _spans(name, text):
            yield "person_name", start, end, name


def _spans(word: str, text: str):
    """(start, end) of every non-overlapping occurrence of `word` (what re.finditer of the escaped
    word gives, without compiling one pattern per name: a case has dozens of names, re's cache
    holds 512 patterns, and compiling them was an eighth of the import)."""
    if not word:
        yield from ((m.start(), m.end()) for m in re.finditer("", text))
        return
    start = text.find(word)
    while start != -1:
        yield start, start + len(word)
        start = text.find(word, start + len(word))


def _without_overlaps(items: list[tuple]) -> list[tuple]:
    """Drop overlaps: earlier PRIORITY kinds win, then longer spans, then earlier ones."""
    ranked = sorted(items, key=lambda t: (PRIORITY.index(t[0]), -(t[2] - t[1]), t[1]))
    taken: list[tuple[int, int]] = []
    kept = []
    for item in ranked:
        if all(item[2] <= s or item[1] >= e for s, e in taken):
            kept.append(item)
            taken.append((item[1], item[2]))
    return sorted(kept, key=lambda t: (t[1], t[2]))


def _in_order_of_appearance(names: list[str], texts: list[str]) -> list[str]:
    """Names sorted by where they first occur (title, then the sections in order)."""
    def first(name):
        return min((k, t.find(name)) for k, t in enumerate(texts) if name in t)
    return sorted(names, key=first)


def _name_suggestions(names_in_order: list[str]) -> dict[str, str]:
    """surname + 某; names that would collide are numbered 甲乙丙… by first appearance."""
    groups: dict[str, list[str]] = {}
    for name in names_in_order:
        s = _surname_len(name, 0)
        groups.setdefault(name[:s] + "某" if s else "某某", []).append(name)
    result = {}
    for stem, members in groups.items():
        for k, name in enumerate(members):
            suffix = "" if len(members) == 1 else ("甲乙丙丁戊己庚辛壬癸"[k] if k < 10 else str(k + 1))
            result[name] = stem + suffix
    return result


# ================================================================ numbers

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID18 = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_ID15 = re.compile(r"(身份证(?:号码?|件号码?)?[：:为是]?\s*[“\"]?)(\d{15})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![\d\-])(?:\+?86[\- ]?)?(1[3-9]\d(?:[\- ]?\d{4}){2})(?!\d)")
_LANDLINE = re.compile(
    r"(?<![\d\-])(?:\+?86[\- ]?)?((?:[（(]0\d{2,3}[）)]|0\d{2,3}[\-－—])[\- ]?[2-9]\d{6,7})(?!\d)"
    r"((?:[/、／][2-9]\d{6,7}(?!\d))*)"
)
_CARD = re.compile(
    r"(?<![0-9A-Za-z])(\d{4}(?: \d{4}){3}(?: \d{1,3})?|\d{16,19})(?![0-9A-Za-z])")
_CARD_WORDS = re.compile(r"卡|账号|帐号|账户|帐户|存折")
# Every match of the pattern named contains one of these: a text without any skips that pattern's
# scan, which tries every position (their look-behinds and optional prefixes defeat re's fast search).
_MOBILE_HINT = re.compile(r"1[3-9]\d")
_LANDLINE_HINT = re.compile(r"0\d\d")
_CARD_HINT = re.compile(r"\d{4} \d{4}|\d{16}")
_ID18_HINT = re.compile(r"\d{17}")
_EMAIL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")


def _birth_date_ok(yyyymmdd: str) -> bool:
    """A plausible birth date (1900–2099, real month, day 1–31)."""
    year, month, day = int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8])
    return 1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31


def _is_id(number: str) -> bool:
    return id_checksum_ok(number) and _birth_date_ok(number[6:14])


def _mask(text: str, keep_start: int, keep_end: int) -> str:
    """Keep the first and last few characters, star the digits and letters in between."""
    middle = text[keep_start:len(text) - keep_end]
    return text[:keep_start] + re.sub(r"[0-9A-Za-z]", "*", middle) + text[len(text) - keep_end:]


def _find_ids(text: str):
    for m in _ID18.finditer(text) if _ID18_HINT.search(text) else ():
        if _is_id(m.group()):
            yield "id_number", m.start(), m.end(), _mask(m.group(), 4, 4)
    for m in _ID15.finditer(text) if "身份证" in text else ():
        if _birth_date_ok("19" + m.group(2)[6:12]):
            yield "id_number", m.start(2), m.end(2), _mask(m.group(2), 4, 3)


def _find_phones(text: str):
    for m in _MOBILE.finditer(text) if _MOBILE_HINT.search(text) else ():
        yield "mobile", m.start(1), m.end(1), _mask(m.group(1), 3, 4)
    for m in _LANDLINE.finditer(text) if _LANDLINE_HINT.search(text) else ():
        yield "landline", m.start(1), m.end(1), _mask(m.group(1), len(m.group(1)) - 4, 0)
        # numbers continuing this one after a slash share its area code
        for part in re.finditer(r"\d+", m.group(2)):
            yield "landline", m.start(2) + part.start(), m.start(2) + part.end(), "****"


def _find_cards(text: str):
    for m in _CARD.finditer(text) if _CARD_HINT.search(text) else ():
        number = m.group(1).replace(" ", "")
        if not 16 <= len(number) <= 19 or not luhn_ok(number) or _is_id(number):
            continue
        context = text[max(0, m.start() - 20):m.start()] + text[m.end():m.end() + 4]
        if _CARD_WORDS.search(context) or number[0] in "345" or number.startswith(("62", "9")):
            yield "bank_card", m.start(1), m.end(1), _mask(m.group(1), 4, 4)


def _find_emails(text: str):
    for m in _EMAIL.finditer(text):
        local, domain = m.group().split("@", 1)
        yield "email", m.start(), m.end(), local[0] + "***@" + domain


# ================================================================ plates

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(
    rf"(?<![A-Za-z0-9])([{_PROVINCES}][A-Z])[·•\-\s]?"
    r"([A-Z0-9]{4}[挂学警港澳]|[A-Z0-9]{5,6})(?![A-Za-z0-9])"
)


def _find_plates(text: str):
    for m in _PLATE.finditer(text):
        body = m.group(2)
        if not re.search(r"\d", body) or "XXX" in body:
            continue  # no digit, or already masked (鲁AVXXXX)
        suffix = body[-1] if not body[-1].isascii() else ""
        yield "plate", m.start(), m.end(), m.group(1) + "*" * (len(body) - len(suffix)) + suffix


# ================================================================ addresses

# the name before a road/estate suffix: 1–8 Chinese characters (cut later) or a street number
_PLACE_NAME = r"(?:[\u4e00-\u9fff]{1,8}?|\d{1,4})"
_NUM = r"(?:\d+|[一二三四五六七八九十百零〇]+)"
_ROAD = r"(?:路|街|巷|弄|胡同|大道|公路|道)"
_ESTATE = r"(?:小区|新村|花园|公寓|大厦|商厦|大楼|广场|家园|山庄|苑|庭|城|园|里|楼|村|组)"
_TWO_CHAR_SUFFIXES = ("大道", "公路", "胡同", "小区", "新村", "花园", "公寓", "大厦", "商厦", "大楼",
                      "广场", "家园", "山庄")
_UNIT = r"(?:号楼|幢|栋|座|单元|室|层|楼|号|F|f)"
_ALNUM = r"[A-Za-z]?\d+(?:[A-Za-z\-－]\d+)*"
# building, unit, room… after the house number: 6F50室, 3单元202室, 科汇大厦301
_TAIL_HAN = r"[^\W\d_A-Za-z至到从将的在于为由向迁、，。；：]"
_TAIL = (rf"(?:{_TAIL_HAN}{{0,8}}?(?:{_ALNUM}|{_NUM}){_UNIT})*"
         rf"(?:{_TAIL_HAN}{{2,8}}?\d{{2,5}}(?![\d号]))?")
_NOT_HOUSE = r"(?!车位|通道|码头|泊位|仓库|线|窗口|房间?|文件|令|函|公告|判决|裁定|决定|通知|案)"
# road + house number (+ building/room), also with a building name between (红星路向阳楼57号楼)
_ADDR_ROAD = re.compile(
    rf"({_PLACE_NAME}{_ROAD})((?:[\u4e00-\u9fff]{{1,6}}?{_ESTATE})?"
    rf"\d+(?:[\-－—]\d+)*(?:号楼|号|室){_NOT_HOUSE}{_TAIL})"
)
# estate/building/village + building or room number (北江里新村6座204室, 天池里一号楼, 杉洋村12号)
_ADDR_ESTATE = re.compile(
    rf"({_PLACE_NAME}{_ESTATE})({_NUM}(?:号楼|幢|栋|座)(?:{_ALNUM}(?:单元|室|层|楼))*"
    rf"|\d+(?:单元|室)(?:\d+室)?|(?<=[村组])\d+号{_NOT_HOUSE})"
)
# the place name starts after the last of these (administrative units, prepositions, verbs)
_ADDR_CUTS = re.compile(r"[省市区县镇乡州旗]|街道|地址|地点|迁出|[住在于至到为的、和及与从以将由向把]")
_LAST_ROAD = re.compile(r".*(?:路|街|道)(?=[^路街道]{2,}(?:路|街|道|巷|弄|胡同)$)")
_NOT_PLACE_NAME = re.compile(r"^(?:第|编号|条|款|项|字|案|书)|[第条款项]$")


def _place_name_start(name: str) -> int:
    """Where the road or estate name starts in a match: after the last administrative unit
    or preposition that leaves a real name (胶州路, 将军大道), and at the last of two roads."""
    suffix = 2 if name.endswith(_TWO_CHAR_SUFFIXES) else 1
    start = 0
    for m in _ADDR_CUTS.finditer(name):
        if len(name) - m.end() >= suffix + 2:
            start = m.end()
    last_road = _LAST_ROAD.match(name, start)
    return last_road.end() if last_road else start


# A match of either address pattern starts 1–8 characters (the place name) before a road or estate
# suffix, whose last character is one of these. Trying the patterns only there finds what
# finditer over every position finds, several times faster.
_ROAD_ENDS = re.compile("[路街巷弄同道]")
_ESTATE_ENDS = re.compile("[区村园寓厦楼场庄苑庭城里组]")
_SUFFIX_REACH = 8 + 2 - 1  # longest place name + longest suffix - 1


def _anchored_finditer(pattern: re.Pattern, ends: re.Pattern, text: str):
    """What pattern.finditer(text) yields, trying only the starts within reach of a suffix end."""
    pos = 0  # where the next match may start (after the last one)
    tried = 0  # starts below this were tried already
    for anchor in ends.finditer(text):
        start = max(pos, tried, anchor.start() - _SUFFIX_REACH)
        while start < anchor.start():
            m = pattern.match(text, start)
            if m:
                yield m
                pos = start = m.end()
            else:
                start += 1
        tried = max(tried, anchor.start())


def _find_addresses(text: str):
    for pattern, ends in ((_ADDR_ROAD, _ROAD_ENDS), (_ADDR_ESTATE, _ESTATE_ENDS)):
        for m in _anchored_finditer(pattern, ends, text):
            cut = _place_name_start(m.group(1))
            place, start = m.group(1)[cut:], m.start() + cut
            before = text[start - 1:start] if start else ""
            if len(place) < 2 or _NOT_PLACE_NAME.search(place) or (before and before in "第×X某"):
                continue  # 第241号, or a place already masked (××村108号)
            yield "address", start, m.end(), place + "某号"


# ================================================================ person names: vocabulary

_SURNAMES_2 = [
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "令狐", "夏侯",
    "轩辕", "端木", "独孤", "南宫", "西门", "百里", "呼延", "万俟", "单于", "闻人", "申屠", "澹台", "太史", "公冶",
    "宗政", "濮阳", "淳于", "赫连", "钟离", "第五",
]
# the most common surnames first: the first 102 are "common" (used where evidence is thin)
_SURNAME_LIST = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔汤向常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈"
    "饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟"
    "邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储"
    "原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平"
    "计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战"
    "慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由洪赖赛琚濮"
    "须蔚弓习铁侍腾"
)
_SURNAMES_1 = set(_SURNAME_LIST)
_COMMON_SURNAMES = set(_SURNAME_LIST[:102]) | set(_SURNAMES_2)
# characters a given name does not contain: places, bodies, anonymisation, function words
_NOT_NAME_CHARS = set(
    "省市区县镇乡村路街巷号楼室院厂局部处科所站队社司店馆团校园州府庭委厅署办某×＊*XＸ甲乙丙"
    "的了与及等或是被将把对从到自诉称辩告审氏们因由以之该本此在年"
    "，。、；：（）()“”‘’《》〈〉！？ \n\t0123456789"
)
# a two-character name is followed by these characters or words more often than a
# three-character name ends with them (李诚陈述, 刘珍发生, 李可向被告)
_FOLLOW_CHARS = set(
    "诉因与和及的等系在于向将对为已未是不也均以从到自被称说让给把并即就又还所之、，。；：（）()“”\"'《》 \n")
_FOLLOW_WORDS = (
    "发生", "签订", "签署", "陈述", "证言", "证明", "供述", "供称", "提交", "提供", "提出", "提起",
    "出具", "出资", "委托", "申请", "报警", "报案", "驾驶", "作为", "认为", "辩称", "经营", "要求",
    "同意", "交付", "交纳", "购买", "支付", "拨打", "持刀", "携带", "承诺", "承担", "负责", "死亡",
    "受伤", "所有", "名下", "个人", "本人", "父亲", "母亲", "妻子", "丈夫", "儿子", "女儿", "之子",
    "之女", "之父", "之母", "之妻", "之夫", "家属", "家中", "签字", "签名", "一起", "一人", "二人",
    "三人", "两人", "身上", "手机", "电话", "住处", "账户", "名义",
)
# words after which a natural person's name follows: party positions, relations, jobs
_PARTY_ROLES = (
    "再审申请人", "再审被申请人", "原审原告", "原审被告", "原审第三人", "一审原告", "一审被告",
    "一审第三人", "二审上诉人", "二审被上诉人", "申请执行人", "被执行人", "被申请人", "申请人",
    "被上诉人", "上诉人", "被申诉人", "申诉人", "刑事附带民事诉讼原告人", "刑事附带民事诉讼原告",
    "刑事附带民事诉讼被告人", "刑事附带民事诉讼被告", "附带民事诉讼原告人", "附带民事诉讼原告",
    "附带民事诉讼被告人", "附带民事诉讼被告", "犯罪嫌疑人", "被告人", "原告人", "被告", "原告",
    "第三人", "罪犯", "证人", "受害人", "被害人", "死者", "案外人", "当事人", "起诉人", "被起诉人",
    "自诉人", "举报人", "控告人", "被监护人", "监护人", "法定代理人", "被保险人", "投保人", "受益人",
    "被继承人", "继承人", "患者", "伤者", "雇员", "职工", "员工", "职员", "工作人员", "业务员",
    "驾驶员", "司机", "车主", "房东", "承租人", "出租人", "买受人", "出卖人", "借款人", "出借人",
    "保证人", "债务人", "债权人", "合伙人", "股东", "投资人", "户主", "配偶", "朋友", "女友", "男友",
    "邻居", "同事", "亲属", "村民", "其子", "其女", "其妻", "其夫", "其父", "其母", "之子", "之女",
    "之妻", "之夫", "之父", "之母", "丈夫", "妻子", "儿子", "女儿", "父亲", "母亲", "经理", "副经理",
    "主管", "会计", "出纳", "干部", "工人", "农民", "教师", "校长", "厂长", "店主", "老板", "保安",
    "医生", "护士",
)
# roles held as a professional or for an organisation: the SPC's rules for publishing
# judgments keep these names, and so do we ...
_PROFESSIONAL_ROLES = (
    "法定代表人", "委托代理人", "委托诉讼代理人", "诉讼代理人", "指定代理人", "辩护人", "指定辩护人",
    "审判长", "审判员", "代理审判员", "人民陪审员", "陪审员", "书记员", "法官助理", "执行员",
    "检察员", "检察官", "公诉人", "律师",
)
# ... and these only in a header (负责人：X): in running text they describe a private person
_HEADER_ROLES = ("负责人", "代表人", "诉讼代表人", "代理人", "首席代表", "投资人")


def _alternation(words) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


_ROLE_RE = re.compile(f"(?:{_alternation(_PARTY_ROLES)})(?![方们])")  # not 原告方, 被告们
_PRO_RE = re.compile(f"(?:{_alternation(_PROFESSIONAL_ROLES)})[：:，,\\s]*"
                     f"|(?:{_alternation(_HEADER_ROLES)})[：:]\\s*")
_HEADER_NAME = re.compile(_ROLE_RE.pattern + r"[：:]\s*([\u4e00-\u9fff]{2,4})[，,（(]")
_PROFESSIONS = ("律师", "法官", "检察官", "审判员", "书记员")
_BEFORE_PROFESSION = re.compile(r"([\u4e00-\u9fff]{2,4})(?=律师|法官|检察官|审判员|书记员)")  # one of _PROFESSIONS
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_BOUNDARY = "，,、（(；;。：:）)等"
# a name-like string that runs on into an organisation or place name is not a person
_ORG_AFTER = re.compile(
    r"^[^\W\d_的了在于向与和及等被将把对从到是为称诉因以原]{0,10}?"
    r"(?:公司|集团|有限|股份|银行|支行|分行|营业部|法院|检察院|公安|委员会|中心|医院|学校|大学|学院"
    r"|协会|商会|工会|事务所|派出所|出版社|旅行社|合作社|物流|物业|房地产|实业|贸易|商贸|科技|投资"
    r"|保险|证券|置业|小区|[厂店局村镇乡县区市省路街])"
)
_ORG_WORD = re.compile(r"公司|有限|集团|银行|厂|局|院|所|中心|协会|委员会|政府|社|店|部|站|场")
_RELATIVE = re.compile(
    r"[（(，,]\s*(?:系)?[\u4e00-\u9fff]{1,5}(?:之|的)(?:子|女|父|母|妻|夫|兄|弟|姐|妹|亲属|近亲属)")
_LATIN_AFTER = re.compile("（([A-Z][A-Za-z .'\\-]{2,40}?)(?=[）\u4e00-\u9fff])")
_LISTED_BEFORE = re.compile(r"(?:^|[、，,：:（(])([\u4e00-\u9fff]{2,4})、$")
COMMON_WORD_FREQ = 20  # jieba dictionary frequency from which a word is an ordinary word
NAME_WORD_FREQ = 50  # ... even when jieba tags it as a name (查明, 许可 are tagged nr)
PREFIX_WORD_FREQ = 300  # a name found by tagging alone may not begin with so common a word


# ================================================================ person names: jieba


def _freq(word: str) -> int:
    """How often jieba's dictionary says a word occurs (0 when unknown)."""
    return general_dictionary().get(word, (0, ""))[0]


def _common_word(word: str, name_tags: tuple = ("nr",)) -> bool:
    """A frequent dictionary word with another tag than name_tags (支付, 申请)."""
    freq, tag = general_dictionary().get(word, (0, ""))
    return freq >= COMMON_WORD_FREQ and not tag.startswith(name_tags)


def _looks_like_word(name: str) -> bool:
    """A candidate that is, or begins with, an ordinary word: 支付, 查明, 申请书, 宣传册."""
    return (_freq(name) >= NAME_WORD_FREQ or _common_word(name)
            or (_surname_len(name, 0) == 1 and _common_word(name[:2], ("nr", "ns"))))


@functools.lru_cache(maxsize=64)
def _nr_names(text: str) -> tuple[tuple[int, str], ...]:
    """(start, name) of the names jieba tags nr in a text (adjacent nr pieces merged)."""
    found, pos, run_start, run = [], 0, 0, ""
    for word, flag in pos_tag(text):
        if flag.startswith("nr") and flag != "nrt":
            run_start = run_start if run else pos
            run += word
        elif run:
            found.append((run_start, run))
            run = ""
        pos += len(word)
    if run:
        found.append((run_start, run))
    return tuple(found)


# ================================================================ person names: shape


def _surname_len(text: str, i: int) -> int:
    """Length of the surname starting at text[i] (0 when none)."""
    if text[i:i + 2] in _SURNAMES_2:
        return 2
    return 1 if text[i:i + 1] in _SURNAMES_1 else 0


def _plausible_name(name: str) -> bool:
    """2–4 Chinese characters: a surname and a one- or two-character given name without
    structural characters (王家 and 马氏 name a family or use a surname only)."""
    if not 2 <= len(name) <= 4 or not all(_HAN.match(c) for c in name):
        return False
    s = _surname_len(name, 0)
    given = name[s:]
    return bool(s) and 1 <= len(given) <= 2 and not set(given) & _NOT_NAME_CHARS and given != "家"


def _name_at(text: str, i: int, known: frozenset = frozenset()) -> tuple[str | None, bool]:
    """The name starting at text[i] and whether punctuation delimits it (then it is sure)."""
    for name in sorted((k for k in known if text.startswith(k, i)), key=len, reverse=True):
        return name, True
    s = _surname_len(text, i)
    if not s:
        return None, False
    run = _HAN_RUN.match(text, i)
    word = run.group().split("等")[0] if run else ""
    if s < len(word) <= s + 2 and text[i + len(word):i + len(word) + 1] in _BOUNDARY:
        # 原告：谢智作，男 / 证人秦涛、王颖、谢智作、郭萍、李强等: the whole run is the name
        return (word, True) if _plausible_name(word) else (None, False)
    given = []
    for ch in text[i + s:i + s + 2]:
        if ch in _NOT_NAME_CHARS or not _HAN.match(ch):
            break
        given.append(ch)
    if len(given) == 2 and (given[1] in _FOLLOW_CHARS
                            or text.startswith(_FOLLOW_WORDS, i + s + 1)):
        given = given[:1]
    return (text[i:i + s + len(given)], False) if given else (None, False)


def _ends_cleanly(text: str, end: int) -> bool:
    """A name ends here: punctuation or a word that typically follows a name comes next."""
    return end >= len(text) or text[end] in _FOLLOW_CHARS or text.startswith(_FOLLOW_WORDS, end)


def _runs_into_org(text: str, end: int) -> bool:
    """True when a name-like string runs on into an organisation or place (华龄出版社)."""
    if text[end:end + 1] in _BOUNDARY:
        return False
    return any(_ORG_AFTER.match(text[end - k:end + 12]) for k in (0, 1, 2))


def _cuts_word(text: str, end: int) -> bool:
    """True when a name ending here would cut an ordinary word in two (许可擅|自)."""
    return any(_freq(text[end - a:end + b]) >= COMMON_WORD_FREQ for a in (1, 2) for b in (1, 2))


def _odd_start(text: str, start: int) -> bool:
    """A tagged name starts where no name can: after 某/×, a number (1张熊猫皮), an
    administrative unit (朝阳区左家庄), a bracket (（2013）杨民四…) or inside a word."""
    before = text[start - 1:start]
    if before and (before in "某×Xx省市区县镇乡)）一二两三四五六七八九十几" or before.isdigit()):
        return True
    return any(_freq(text[start - a:start + 1]) >= COMMON_WORD_FREQ
               for a in (1, 2) if start - a >= 0)


# ================================================================ person names: sources


def _party_names(text: str, known: frozenset) -> tuple[set[str], set[str], set[str]]:
    """Names after a party position, and those listed after them with 、.

    Returns (sure, loose, listed): sure names are delimited by punctuation (原告：王某某，男);
    loose ones are cut by rule and need confirmation; listed ones sit in a 、 list after a
    party position and end cleanly (证人张庆山、张文才证言).
    """
    sure: set[str] = set()
    loose: set[str] = set()
    listed: set[str] = set()
    for m in _ROLE_RE.finditer(text):
        i = m.end()
        header = text[i:i + 1] in ("：", ":")
        in_list = False
        while True:
            while text[i:i + 1] in ("：", ":", " "):
                i += 1
            name, bounded = _name_at(text, i, known)
            if not name or _runs_into_org(text, i + len(name)) or not _plausible_name(name):
                break
            end = i + len(name)
            wordlike = _common_word(name) if in_list else _looks_like_word(name)
            if name in known or (bounded and (header or in_list or not _looks_like_word(name))):
                sure.add(name)
            elif header or bounded or wordlike or _cuts_word(text, end):
                break  # 被告：南京青和物业… (a header naming a body), 被告查明，
            else:
                (listed if in_list and _ends_cleanly(text, end) else loose).add(name)
            i = end
            if text[i:i + 1] != "、":
                break
            i += 1
            in_list = True
    return sure, loose, listed


def _title_names(title: str, sections: list[str]) -> set[str]:
    """Names among a title's parties (王春生诉张开峰、某公司侵权纠纷案); a last part that runs
    on into the cause (单晶晶劳动争议) is cut where the sections show the name ending."""
    head = re.split(r"侵权|纠纷|一案|案$|不服|罪", title)[0]
    found = set()
    for part in re.split(r"诉|与|、|等|暨|，|申请", head):
        part = re.sub(r"^(?:原告|被告|第三人|上诉人|被上诉人|申请人)", "", part.strip())
        for size in (4, 3, 2):
            name = part[:size]
            if not _plausible_name(name) or _common_word(name) or _ORG_WORD.search(part, size):
                continue
            if name == part or any(_ends_cleanly(t, end)
                                   for t in sections for _, end in _spans(name, t)):
                found.add(name)
                break
    return found


def _header_names(text: str) -> set[str]:
    """Names in party header lines (原告：王某某，男): parties even if also representatives."""
    return {m.group(1) for m in _HEADER_NAME.finditer(text) if _plausible_name(m.group(1))}


def _professional_names(text: str) -> set[str]:
    """Names held in a professional or representative role (法定代表人：X, X律师, 审判员X);
    an agent who is a relative (代理人：廖世锋（廖昌颐之子）) acts privately: not included."""
    found = set()
    for m in _PRO_RE.finditer(text):
        i = m.end()
        while True:
            name, _ = _name_at(text, i)
            if not name or not _plausible_name(name):
                break
            if not _RELATIVE.match(text, i + len(name)):
                found.add(name)
            i += len(name)
            if text[i:i + 1] not in ("、", "，", ","):
                break
            i += 1
    for m in _before_profession(text):
        candidates = [m.group(1)[cut:] for cut in range(len(m.group(1)) - 1)]
        found.update([c for c in candidates if _plausible_name(c)][:1])
    return found


def _before_profession(text: str):
    """What _BEFORE_PROFESSION.finditer(text) finds, trying the pattern only 2–4 characters before
    a profession word (finditer tries it at every position: every character is Han)."""
    starts: set[int] = set()
    for word in _PROFESSIONS:
        at = text.find(word)
        while at != -1:
            starts.update(at - k for k in (2, 3, 4) if at >= k)
            at = text.find(word, at + 1)
    resume = 0
    for start in sorted(starts):
        if start >= resume and (m := _BEFORE_PROFESSION.match(text, start)):
            yield m
            resume = m.end()


def _tagged_names(text: str) -> set[str]:
    """Names jieba tags nr that pass the filters; two-character ones need a common surname
    and a clean end (李可向被告…)."""
    found = set()
    for start, name in _nr_names(text):
        name = _trim_tagged(text, start, name)
        end = start + len(name)
        if (not _plausible_name(name) or _looks_like_word(name) or _runs_into_org(text, end)
                or _cuts_word(text, end) or _odd_start(text, start)
                or _freq(name[:2]) >= PREFIX_WORD_FREQ):
            continue
        if len(name) == 2 and (name[0] not in _COMMON_SURNAMES or not _ends_cleanly(text, end)):
            continue
        found.add(name)
    return found


def _trim_tagged(text: str, start: int, name: str) -> str:
    """Cut a tagged name of three or more characters by one when its last character
    belongs to the next word (李可向|被告, 吴红写|的)."""
    end = start + len(name)
    belongs_to_next = (name[-1] in _FOLLOW_CHARS or text.startswith(_FOLLOW_WORDS, end - 1)
                       or _cuts_word(text, end))
    if len(name) > 2 and belongs_to_next and _plausible_name(name[:-1]):
        return name[:-1]
    return name


def _list_neighbours(text: str, names: set[str]) -> set[str]:
    """Names listed with 、 next to a flagged name (马战辉、刘节（均另行处理）)."""
    found = set()
    for name in names:
        for start, end in _spans(name, text):
            after = text[end:end + 1] == "、" and _HAN_RUN.match(text, end + 1)
            if after and text[after.end():after.end() + 1] in _BOUNDARY:
                found.add(after.group())
            before = _LISTED_BEFORE.search(text[max(0, start - 6):start])
            if before:
                found.add(before.group(1))
    return {n for n in found if _plausible_name(n) and not _looks_like_word(n)}


def _latin_names(text: str, names: set[str]) -> set[str]:
    """A name in Latin letters right after a flagged name: 梅直方（FRANCISCO HUNG MOY）."""
    if "（" not in text:
        return set()
    found = set()
    for name in names:  # what re.finditer(name + _LATIN_AFTER) finds, one precompiled pattern for all names
        start = text.find(name)
        while start != -1:
            m = _LATIN_AFTER.match(text, start + len(name))
            if m:
                found.add(m.group(1).strip())
            start = text.find(name, m.end() if m else start + 1)
    return found


def _aliases(text: str) -> set[str]:
    """Short names defined with 简称 (以下简称惠骏物流): organisations, not persons
    (以下简称张少山等14人 names a group of persons: not an alias)."""
    return {a for a in re.findall(r"简称[“\"]?([\u4e00-\u9fff]{2,12})", text) if "等" not in a}


def _shadowed(name: str, longer_names: set[str], text: str) -> bool:
    """Every occurrence of `name` lies inside one of `longer_names` (张景 in 辩护人张景和)."""
    spans = [span for n in longer_names if name in n and n != name for span in _spans(n, text)]
    return bool(spans) and all(any(s <= start and end <= e for s, e in spans)
                               for start, end in _spans(name, text))


def _drop_extended(names: set[str], sure: set[str]) -> set[str]:
    """Of a name and the same name plus stray characters (彭崧 / 彭崧服) keep one: the sure
    one, or if neither is sure the longer one (胡赐开 over 胡赐)."""
    kept = set(names)
    for name in names:
        for inner in (n for n in names if n != name and n in name):
            kept.discard(name if inner in sure and name not in sure else inner)
    return kept


def _person_names(texts: list[str]) -> list[str]:
    """All names of natural persons to flag in a case (texts: the title, then sections),
    longest first."""
    title, sections = texts[0], texts[1:]
    joined = "\n".join(texts)
    professionals = _professional_names(joined) - _header_names(joined)
    sure = _title_names(title, sections)
    for text in sections:  # first the names punctuation delimits, to cut the others right
        sure |= _party_names(text, frozenset(sure))[0]
    loose = set()
    for text in sections:
        found_sure, found_loose, listed = _party_names(text, frozenset(sure))
        sure |= found_sure
        # a name cut by rule alone needs confirmation: jieba tags a name there, or it recurs
        tagged_at = {start for start, _ in _nr_names(text)}
        loose |= {n for n in found_loose if joined.count(n) > 1 or text.find(n) in tagged_at}
        loose |= listed | _tagged_names(text)
    names = {n for n in (sure | loose) - professionals
             if not _shadowed(n, professionals, joined)}
    for _ in range(3):  # 证人甲、乙、丙: names listed next to names already found
        more = set().union(*(_list_neighbours(t, names) for t in sections))
        more -= names | professionals
        if not more:
            break
        names |= more
    aliases = _aliases(joined)
    names = {n for n in names if not any(a != n and a.startswith(n) for a in aliases)}
    names = _drop_extended(names, sure)
    names |= set().union(*(_latin_names(t, names) for t in sections))
    return sorted(names, key=len, reverse=True)
