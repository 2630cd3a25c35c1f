"""Names, titles and phone numbers for the demo: seed 004's town (齐村镇, 枣庄市市中区) and a
district shaped like seed 001's, with people generated deterministically from a seed.

Village names come from seed 004 (齐东, 齐西, 朱子埠 …) plus plausible neighbours; people's
names are common surnames and given names; phones are valid in format (checked with
phonenumbers) but invented."""

from __future__ import annotations

import numpy as np
import phonenumbers

from gridgov.demo.layout import rng_for

PROVINCE = ("37", "山东省")
CITY = ("3704", "枣庄市")
COUNTY = ("370402", "市中区")
TOWN = ("370402103", "齐村镇")
AREA_CODE = "0632"  # 枣庄

# Seed 004 names 19 of the town's 25 administrative villages; the last six are plausible
# neighbours (一街/三街 beside 二街; 石岭, 崮山, 长乐 from the roads the seed names).
TOWN_VILLAGES = [
    "齐东",
    "齐西",
    "朱子埠",
    "西圩子",
    "建国",
    "乔屯",
    "二街",
    "胡埠",
    "和平",
    "张庄",
    "渴口",
    "汤庄",
    "柏山",
    "李岭",
    "赵庄",
    "韩庄",
    "后村",
    "银庄",
    "齐福",
    "一街",
    "三街",
    "石岭",
    "崮山",
    "长乐",
    "东王庄",
]

# Natural villages (自然村) beside a station's main village: the base grids (seed 004).
NATURAL_VILLAGES = [
    "王家庄",
    "刘家峪",
    "孙家洼",
    "上庄",
    "下庄",
    "石桥",
    "南峪",
    "北坡",
    "东岭",
    "西沟",
    "黄泥沟",
    "杨家湾",
    "山后",
    "河东",
    "河西",
    "小屯",
    "大屯",
    "前楼",
    "后楼",
    "辛庄",
    "马家洼",
    "周家峪",
    "高庄",
    "林场",
    "枣园",
    "南岭",
    "北岭",
    "东峪",
    "西峪",
    "蒋庄",
    "陈家湾",
    "吴家坡",
]

# Seed 001's district: 25 streets (0xx) and towns (1xx) with their township codes; real names
# of 市中区 first, then plausible ones. 齐村镇 keeps seed 004's code 370402103.
DISTRICT_STREETS = [
    ("001", "中心街街道"),
    ("002", "垎塔埠街道"),
    ("003", "矿区街道"),
    ("004", "文化路街道"),
    ("005", "龙山路街道"),
    ("006", "光明路街道"),
    ("007", "建华路街道"),
    ("008", "青檀路街道"),
    ("009", "振兴路街道"),
    ("010", "西昌路街道"),
    ("011", "君山路街道"),
    ("012", "解放路街道"),
    ("101", "税郭镇"),
    ("102", "孟庄镇"),
    ("103", "齐村镇"),
    ("104", "永安镇"),
    ("105", "西王庄镇"),
    ("106", "光明镇"),
    ("107", "周村镇"),
    ("108", "沙沟镇"),
    ("109", "陶庄镇"),
    ("110", "邹坞镇"),
    ("111", "张范镇"),
    ("112", "榴园镇"),
    ("113", "北庄镇"),
]

SURNAMES = list(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
)
GIVEN_MALE = [
    "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "飞",
    "建国", "建华", "志强", "海涛", "永刚", "俊杰", "文斌", "国庆", "红军", "立新", "庆华",
    "德胜", "宏伟", "振东", "长青", "学军", "兆林", "广才", "玉山", "传峰", "元庆",
]  # fmt: skip
GIVEN_FEMALE = [
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "秀英", "桂兰", "玉兰",
    "红梅", "淑珍", "丽娟", "海燕", "晓燕", "春梅", "凤霞", "美玲", "雪梅", "翠萍", "文静",
]  # fmt: skip
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151",
    "152", "153", "155", "156", "157", "158", "159", "176", "177", "180", "181", "182",
    "183", "185", "186", "187", "188", "189", "199",
]  # fmt: skip


class Cast:
    """Deterministic people: a unique name and a unique valid phone for each call."""

    def __init__(self, seed: str) -> None:
        self._rng: np.random.Generator = rng_for("cast", seed)
        self._names: set[str] = set()
        self._phones: set[str] = set()

    def pick(self, items: list[str]) -> str:
        return items[int(self._rng.integers(len(items)))]

    def chance(self, p: float) -> bool:
        return bool(self._rng.random() < p)

    def integer(self, low: int, high: int) -> int:
        """An integer in [low, high]."""
        return int(self._rng.integers(low, high + 1))

    def person(self) -> tuple[str, str]:
        """(name, gender) of a new person, unique within the demo."""
        for _ in range(1000):
            gender = "f" if self.chance(0.4) else "m"
            name = self.pick(SURNAMES) + self.pick(GIVEN_FEMALE if gender == "f" else GIVEN_MALE)
            if name not in self._names:
                self._names.add(name)
                return name, gender
        gender = "m"
        name = f"{self.pick(SURNAMES)}{self.pick(GIVEN_MALE)}{len(self._names)}"
        self._names.add(name)
        return name, gender

    def mobile(self) -> str:
        while True:
            raw = self.pick(MOBILE_PREFIXES) + f"{int(self._rng.integers(10**8)):08d}"
            if raw not in self._phones and _valid(raw):
                self._phones.add(raw)
                return raw

    def landline(self) -> str:
        while True:
            raw = f"{AREA_CODE}-{int(self._rng.integers(2, 9))}{int(self._rng.integers(10**6)):06d}"
            if raw not in self._phones and _valid(raw):
                self._phones.add(raw)
                return raw


def _valid(raw: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(raw, "CN"))


def natural_village_names(seed: str, count: int) -> list[str]:
    """`count` distinct natural-village names, in a seeded order."""
    rng = rng_for("natural", seed)
    names = list(NATURAL_VILLAGES)
    rng.shuffle(names)
    if count > len(names):
        names += [f"{a}{b}" for a in "东西南北前后" for b in ("庄", "屯", "峪", "洼")]
    return names[:count]


def community_names(seed: str, count: int) -> list[str]:
    """Distinct community and village names for the district (王庄, 东李屯, …)."""
    rng = rng_for("communities", seed)
    stems = [
        f"{s}{t}"
        for s in SURNAMES[:60]
        for t in ("庄", "屯", "楼", "埠", "集", "营", "店", "洼", "岭", "桥", "河")
    ]
    rng.shuffle(stems)
    if count > len(stems):
        stems += [f"{d}{s}" for d in "东西南北前后" for s in stems]
    return stems[:count]
