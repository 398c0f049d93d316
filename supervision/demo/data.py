"""Static tables of the demo bureau: units, leadership seats, posts and name characters.

Everything here is plain data; supervision.demo.loader turns it into rows. Codes are
stable so that `demo accounts` (and anyone else) can find the demo's key people by post.
"""

from __future__ import annotations

from dataclasses import dataclass

BUREAU_NAME = "东湖公安分局"
EMAIL_DOMAIN = "donghu.police.example"


@dataclass(frozen=True)
class UnitSpec:
    """One org unit: code, name, kind, parent code, head's title, headcount, supervisor seat."""

    code: str
    name: str
    kind: str
    parent: str | None
    head_title: str | None
    police: int
    auxiliary: int
    #: Code of the leadership seat (see SEATS) whose holder supervises this unit.
    supervisor: str | None = None


@dataclass(frozen=True)
class PostSpec:
    """One post of a unit (code suffix, name, category and flags)."""

    suffix: str
    name: str
    category: str = "other"
    is_sensitive: bool = False
    sworn_only: bool = False
    is_technical: bool = False
    rotation_years: int | None = None
    #: Relative share of the unit's people holding this post.
    weight: int = 1


ROOT = "DH"
TEAM_UNIT = "DH-LD"

UNITS: tuple[UnitSpec, ...] = (
    UnitSpec(ROOT, BUREAU_NAME, "branch", None, None, 0, 0),
    UnitSpec(TEAM_UNIT, "局领导班子", "other", ROOT, None, 0, 0),
    UnitSpec("DH-BGS", "办公室", "department", ROOT, "办公室主任", 7, 5, "DH-LD-03"),
    UnitSpec("DH-ZG", "政工监督室", "department", ROOT, "政工监督室主任", 7, 2, "DH-LD-02"),
    UnitSpec("DH-JW", "纪委", "department", ROOT, "纪委副书记", 6, 0, "DH-LD-07"),
    UnitSpec("DH-FZ", "法制大队", "department", ROOT, "法制大队大队长", 8, 3, "DH-LD-03"),
    UnitSpec("DH-XZ", "刑事侦查大队", "department", ROOT, "刑侦大队大队长", 19, 10, "DH-LD-04"),
    UnitSpec("DH-XZ-JS", "刑事技术中队", "team", "DH-XZ", "技术中队中队长", 8, 3, "DH-LD-04"),
    UnitSpec("DH-ZA", "治安管理大队", "department", ROOT, "治安大队大队长", 12, 8, "DH-LD-05"),
    UnitSpec("DH-JG", "交通管理大队", "department", ROOT, "交管大队大队长", 17, 18, "DH-LD-05"),
    UnitSpec("DH-CRJ", "出入境管理科", "department", ROOT, "出入境管理科科长", 6, 6, "DH-LD-05"),
    UnitSpec("DH-CW", "财务装备室", "department", ROOT, "财务装备室主任", 6, 2, "DH-LD-03"),
    UnitSpec("DH-KSS", "看守所", "department", ROOT, "看守所所长", 17, 13, "DH-LD-04"),
    UnitSpec("DH-PCS1", "东湖派出所", "station", ROOT, "东湖派出所所长", 22, 16, "DH-LD-06"),
    UnitSpec(
        "DH-PCS1-XL", "东湖派出所巡逻中队", "team", "DH-PCS1", "巡逻中队中队长", 7, 11, "DH-LD-06"
    ),
    UnitSpec("DH-PCS2", "城南派出所", "station", ROOT, "城南派出所所长", 17, 13, "DH-LD-06"),
    UnitSpec(
        "DH-PCS2-SQ",
        "城南派出所社区警务中队",
        "team",
        "DH-PCS2",
        "社区中队中队长",
        6,
        6,
        "DH-LD-06",
    ),
    UnitSpec("DH-PCS3", "港口派出所", "station", ROOT, "港口派出所所长", 14, 11, "DH-LD-06"),
)

#: Leadership-team seats (班子成员): post code, title. The first is the party secretary.
SEATS: tuple[tuple[str, str], ...] = (
    ("DH-LD-01", "局长（党委书记）"),
    ("DH-LD-02", "政委（党委副书记）"),
    ("DH-LD-03", "常务副局长"),
    ("DH-LD-04", "副局长（分管刑侦、监管）"),
    ("DH-LD-05", "副局长（分管治安、交管、出入境）"),
    ("DH-LD-06", "副局长（分管派出所）"),
    ("DH-LD-07", "纪委书记"),
)
SECRETARY_SEAT = "DH-LD-07"
CHIEF_SEAT = "DH-LD-01"

_S = dict(is_sensitive=True)
_SW = dict(is_sensitive=True, sworn_only=True)


def _station_posts() -> tuple[PostSpec, ...]:
    return (
        PostSpec("01", "刑事、行政案件办理岗", "law_enforcement", **_SW, weight=4),
        PostSpec("02", "户籍窗口岗", "licensing", **_S, weight=2),
        PostSpec("03", "涉案财物管理员", "case_property", **_S),
        PostSpec("04", "特种行业及场所管理岗", "law_enforcement", **_S),
        PostSpec("05", "社区民警岗", weight=3),
        PostSpec("06", "接处警值班岗", weight=3),
        PostSpec("07", "所内勤岗"),
    )


#: Posts of each unit (besides the head's post). Codes are "<unit code>-P<suffix>".
POSTS: dict[str, tuple[PostSpec, ...]] = {
    "DH-BGS": (
        PostSpec("01", "政府采购经办岗", "procurement", **_S),
        PostSpec("02", "公务用车管理岗", "equipment", **_S),
        PostSpec("03", "机要保密岗", "other", **_SW),
        PostSpec("04", "综合文秘岗", weight=3),
        PostSpec("05", "档案管理岗"),
    ),
    "DH-ZG": (
        PostSpec("01", "干部人事管理岗", "personnel", **_SW, weight=2),
        PostSpec("02", "辅警招录管理岗", "personnel", **_S),
        PostSpec("03", "督察岗", "other", **_SW),
        PostSpec("04", "教育训练岗"),
        PostSpec("05", "党建宣传岗"),
    ),
    "DH-JW": (
        PostSpec("01", "纪检监察岗", "other", **_SW, weight=3),
        PostSpec("02", "信访举报受理岗"),
    ),
    "DH-FZ": (
        PostSpec("01", "刑事案件审核岗", "legal_review", **_SW, weight=2),
        PostSpec("02", "行政案件法制审核岗", "legal_review", **_SW, weight=2),
        PostSpec("03", "执法监督岗", "legal_review", **_SW),
        PostSpec("04", "涉案财物管理员", "case_property", **_S),
        PostSpec("05", "执法办案中心管理岗", "law_enforcement", **_S),
        PostSpec("06", "法制内勤岗"),
    ),
    "DH-XZ": (
        PostSpec("01", "刑事案件主办侦查员", "law_enforcement", **_SW, weight=4),
        PostSpec("02", "侦查协办岗", "law_enforcement", **_S, weight=3),
        PostSpec("03", "涉案财物管理员", "case_property", **_S),
        PostSpec("04", "网络侦查岗", "law_enforcement", **_SW),
        PostSpec("05", "情报研判岗", "law_enforcement", **_SW),
        PostSpec("06", "刑侦内勤岗"),
    ),
    "DH-XZ-JS": (
        PostSpec("01", "法医岗", "law_enforcement", **_SW, is_technical=True, rotation_years=10),
        PostSpec("02", "痕迹检验岗", "law_enforcement", **_SW, is_technical=True),
        PostSpec("03", "电子物证检验岗", "law_enforcement", **_SW, is_technical=True),
        PostSpec("04", "视频侦查岗", "law_enforcement", **_S, is_technical=True),
        PostSpec("05", "技术辅助岗", weight=2),
    ),
    "DH-ZA": (
        PostSpec("01", "治安案件主办岗", "law_enforcement", **_SW, weight=3),
        PostSpec("02", "特种行业许可管理岗", "licensing", **_S),
        PostSpec("03", "枪支危爆物品管理岗", "licensing", **_SW),
        PostSpec("04", "娱乐场所检查岗", "law_enforcement", **_S),
        PostSpec("05", "治安辅助岗", weight=3),
    ),
    "DH-JG": (
        PostSpec("01", "交通事故处理岗", "traffic", **_SW, weight=3),
        PostSpec("02", "事故处理辅助岗", "traffic", **_S, weight=2),
        PostSpec("03", "车辆管理窗口岗", "licensing", **_S),
        PostSpec("04", "驾驶人管理窗口岗", "licensing", **_S),
        PostSpec("05", "交通违法处理岗", "traffic", **_S),
        PostSpec("06", "暂扣车辆管理岗", "case_property", **_S),
        PostSpec("07", "交通设施建设采购岗", "procurement", **_S),
        PostSpec("08", "路面执勤岗", weight=5),
        PostSpec("09", "交通协管岗", weight=4),
    ),
    "DH-CRJ": (
        PostSpec("01", "出入境受理窗口岗", "licensing", **_S, weight=3),
        PostSpec("02", "出入境证件审批岗", "licensing", **_SW),
        PostSpec("03", "外国人管理岗", "licensing", **_SW),
        PostSpec("04", "出入境辅助岗", weight=2),
    ),
    "DH-CW": (
        PostSpec("01", "会计岗", "finance", **_S),
        PostSpec("02", "出纳岗", "finance", **_S),
        PostSpec("03", "报账员岗", "finance", **_S),
        PostSpec("04", "政府采购岗", "procurement", **_SW),
        PostSpec("05", "装备管理岗", "equipment", **_S),
        PostSpec("06", "枪支弹药保管岗", "equipment", **_SW),
    ),
    "DH-KSS": (
        PostSpec("01", "管教民警岗（一监区）", "detention", **_SW, weight=3),
        PostSpec("02", "管教民警岗（二监区）", "detention", **_SW, weight=3),
        PostSpec("03", "监区看护岗", "detention", **_S, weight=4),
        PostSpec("04", "收押登记岗", "detention", **_SW),
        PostSpec("05", "在押人员财物保管岗", "case_property", **_S),
        PostSpec("06", "监控指挥室岗", "detention", **_S),
        PostSpec("07", "所医岗", "detention", **_S, is_technical=True),
        PostSpec("08", "所内勤岗"),
    ),
    "DH-PCS1": _station_posts(),
    "DH-PCS1-XL": (
        PostSpec("01", "巡逻盘查岗", weight=3),
        PostSpec("02", "巡逻辅助岗", weight=2),
    ),
    "DH-PCS2": _station_posts(),
    "DH-PCS2-SQ": (
        PostSpec("01", "社区警务岗", weight=3),
        PostSpec("02", "流动人口登记岗", "licensing", **_S),
    ),
    "DH-PCS3": _station_posts(),
}

#: Common surnames, most frequent first (the loader weights them by rank).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余"
    "于杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙"
    "史黎贺顾毛郝龚邵万钱覃武戴孔欧莫麦冼"
)
#: Characters common in given names.
GIVEN_CHARS = (
    "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆亮建林峰毅志海文晨东旭振国立新"
    "永庆卫红春晓丽芳敏静婷雪慧颖琳燕玲洁佳欣怡思宏世家嘉子德成兴安荣铭锋俊豪正翔"
)
