"""The demo city's service catalogue 服务事项目录: what a Puyang community service centre
takes in, with who closes each item, how many working hours it has, and what intake asks.

Loaded (and updated in place) by ``linli demo``. Departments' liaisons and their work
phones are invented.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.cases.models import CloseLevel, HandlingMode, ServiceCategory, ServiceItem

__all__ = ["CATEGORIES", "ITEMS", "load_catalogue"]

G, C, S, D = CloseLevel.grid, CloseLevel.community, CloseLevel.sub_district, CloseLevel.department
NOW, PROXY, WITH = HandlingMode.on_the_spot, HandlingMode.by_proxy, HandlingMode.accompanied

# code, 简体, 繁體, English
CATEGORIES: tuple[tuple[str, str, str, str], ...] = (
    ("civil_affairs", "民政服务", "民政服務", "Civil affairs"),
    ("social_security", "社会保障", "社會保障", "Social security"),
    ("medical_insurance", "医疗保障", "醫療保障", "Medical insurance"),
    ("elderly_care", "养老服务", "養老服務", "Elderly care"),
    ("disability", "残疾人服务", "殘疾人服務", "Disability services"),
    ("housing_repair", "房屋维修", "房屋維修", "Housing repair"),
    ("sanitation", "环境卫生", "環境衛生", "Sanitation"),
    ("disputes", "矛盾纠纷", "矛盾糾紛", "Disputes and mediation"),
    ("public_safety", "安全隐患", "安全隱患", "Safety hazards"),
    ("certificates", "证明开具", "證明開具", "Certificates"),
)

# Departments 职能部门: name in three languages, liaison 联络员, work phone.
DEPARTMENTS: dict[str, tuple[str, str, str, str, str]] = {
    "civil": (
        "华龙区民政局",
        "華龍區民政局",
        "Hualong District Civil Affairs Bureau",
        "郭晓燕",
        "0393-8991201",
    ),
    "hrss": (
        "华龙区人力资源和社会保障局",
        "華龍區人力資源和社會保障局",
        "Hualong District Human Resources and Social Security Bureau",
        "马建平",
        "0393-8991302",
    ),
    "medical": (
        "华龙区医疗保障局",
        "華龍區醫療保障局",
        "Hualong District Healthcare Security Bureau",
        "杨静",
        "0393-8991403",
    ),
    "housing": (
        "华龙区住房和城乡建设局",
        "華龍區住房和城鄉建設局",
        "Hualong District Housing and Urban-Rural Development Bureau",
        "韩磊",
        "0393-8991504",
    ),
    "urban": (
        "华龙区城市管理局",
        "華龍區城市管理局",
        "Hualong District Urban Management Bureau",
        "宋卫华",
        "0393-8991605",
    ),
    "safety": (
        "华龙区应急管理局",
        "華龍區應急管理局",
        "Hualong District Emergency Management Bureau",
        "许志刚",
        "0393-8991706",
    ),
    "disabled": (
        "华龙区残疾人联合会",
        "華龍區殘疾人聯合會",
        "Hualong District Disabled Persons' Federation",
        "冯丽娟",
        "0393-8991807",
    ),
    "market": (
        "华龙区市场监督管理局",
        "華龍區市場監督管理局",
        "Hualong District Market Supervision Bureau",
        "曹振宇",
        "0393-8991908",
    ),
}


def field(
    key: str,
    kind: str,
    zh: str,
    hant: str,
    en: str,
    required: bool = False,
    choices: tuple[tuple[str, str, str, str], ...] = (),
) -> dict[str, Any]:
    return {
        "key": key,
        "kind": kind,
        "label": {"zh_Hans": zh, "zh_Hant": hant, "en": en},
        "required": required,
        "choices": [
            {"value": v, "label": {"zh_Hans": a, "zh_Hant": b, "en": c}} for v, a, b, c in choices
        ],
    }


HOUSEHOLD = field(
    "household_size", "number", "家庭人口数", "家庭人口數", "People in the household", True
)
INCOME = field(
    "monthly_income",
    "number",
    "家庭月收入（元）",
    "家庭月收入（元）",
    "Household monthly income (yuan)",
    True,
)
BIRTH = field("birth_date", "date", "出生日期", "出生日期", "Date of birth", True)
ROOM = field(
    "where",
    "choice",
    "位置",
    "位置",
    "Where",
    True,
    (
        ("roof", "屋顶", "屋頂", "Roof"),
        ("kitchen", "厨房", "廚房", "Kitchen"),
        ("bathroom", "卫生间", "衛生間", "Bathroom"),
        ("wall", "外墙", "外牆", "Outer wall"),
        ("stairwell", "楼道", "樓道", "Stairwell"),
    ),
)
FLOOR = field("floor", "number", "楼层", "樓層", "Floor")
PARTIES = field("parties", "number", "涉及户数", "涉及戶數", "Households involved")
SINCE = field("since", "date", "开始时间", "開始時間", "Since when")
DISABILITY = field(
    "disability_kind",
    "choice",
    "残疾类别",
    "殘疾類別",
    "Kind of disability",
    True,
    (
        ("visual", "视力", "視力", "Visual"),
        ("hearing", "听力", "聽力", "Hearing"),
        ("physical", "肢体", "肢體", "Physical"),
        ("intellectual", "智力", "智力", "Intellectual"),
        ("mental", "精神", "精神", "Mental"),
    ),
)
PURPOSE = field("purpose", "text", "用途", "用途", "What it is for", True)
HAZARD = field(
    "urgency",
    "choice",
    "紧急程度",
    "緊急程度",
    "How urgent",
    True,
    (
        ("now", "正在发生", "正在發生", "Happening now"),
        ("soon", "可能发生", "可能發生", "Could happen soon"),
        ("watch", "需要关注", "需要關注", "Needs watching"),
    ),
)

# code, category, 简体, 繁體, English, level, working hours, mode, fields, department
ITEMS: tuple[tuple[Any, ...], ...] = (
    # 民政
    (
        "dibao",
        "civil_affairs",
        "最低生活保障申请",
        "最低生活保障申請",
        "Minimum living allowance (dibao) application",
        D,
        120,
        PROXY,
        [HOUSEHOLD, INCOME],
        "civil",
    ),
    (
        "tekun",
        "civil_affairs",
        "特困人员救助供养",
        "特困人員救助供養",
        "Support for people in extreme poverty",
        D,
        120,
        PROXY,
        [HOUSEHOLD, INCOME],
        "civil",
    ),
    (
        "temporary_aid",
        "civil_affairs",
        "临时救助申请",
        "臨時救助申請",
        "Temporary assistance",
        S,
        40,
        PROXY,
        [HOUSEHOLD, field("reason", "text", "困难原因", "困難原因", "What happened", True)],
        None,
    ),
    (
        "marriage_cert",
        "civil_affairs",
        "婚姻登记咨询",
        "婚姻登記諮詢",
        "Marriage registration advice",
        C,
        8,
        NOW,
        [],
        None,
    ),
    (
        "funeral_subsidy",
        "civil_affairs",
        "惠民殡葬补贴",
        "惠民殯葬補貼",
        "Funeral subsidy",
        D,
        40,
        PROXY,
        [field("date_of_death", "date", "去世日期", "去世日期", "Date of death", True)],
        "civil",
    ),
    # 社保
    (
        "pension_cert",
        "social_security",
        "养老保险待遇资格认证",
        "養老保險待遇資格認證",
        "Pension eligibility check",
        C,
        8,
        WITH,
        [BIRTH],
        None,
    ),
    (
        "urban_pension",
        "social_security",
        "城乡居民养老保险参保登记",
        "城鄉居民養老保險參保登記",
        "Residents' pension insurance enrolment",
        C,
        16,
        PROXY,
        [BIRTH],
        None,
    ),
    (
        "unemployment",
        "social_security",
        "失业登记",
        "失業登記",
        "Registering as unemployed",
        C,
        8,
        NOW,
        [field("last_employer", "text", "原工作单位", "原工作單位", "Last employer")],
        None,
    ),
    (
        "job_help",
        "social_security",
        "就业援助与岗位推荐",
        "就業援助與崗位推薦",
        "Job seeking help and referrals",
        C,
        24,
        WITH,
        [],
        None,
    ),
    (
        "social_card",
        "social_security",
        "社会保障卡申领与补换",
        "社會保障卡申領與補換",
        "Social security card: apply or replace",
        D,
        40,
        PROXY,
        [],
        "hrss",
    ),
    (
        "wage_arrears",
        "social_security",
        "拖欠工资投诉",
        "拖欠工資投訴",
        "Unpaid wages complaint",
        D,
        40,
        WITH,
        [field("amount", "number", "拖欠金额（元）", "拖欠金額（元）", "Amount owed (yuan)", True)],
        "hrss",
    ),
    # 医保
    (
        "resident_medical",
        "medical_insurance",
        "城乡居民医保参保缴费",
        "城鄉居民醫保參保繳費",
        "Residents' medical insurance enrolment and payment",
        C,
        8,
        NOW,
        [HOUSEHOLD],
        None,
    ),
    (
        "chronic_disease",
        "medical_insurance",
        "门诊慢特病待遇申请",
        "門診慢特病待遇申請",
        "Outpatient chronic illness benefits",
        D,
        80,
        PROXY,
        [field("diagnosis", "text", "诊断病种", "診斷病種", "Diagnosed illness", True)],
        "medical",
    ),
    (
        "medical_reimburse",
        "medical_insurance",
        "异地就医备案",
        "異地就醫備案",
        "Registering medical treatment elsewhere",
        C,
        8,
        PROXY,
        [field("city", "text", "就医城市", "就醫城市", "City of treatment", True)],
        None,
    ),
    (
        "medical_aid",
        "medical_insurance",
        "医疗救助申请",
        "醫療救助申請",
        "Medical aid application",
        D,
        80,
        PROXY,
        [INCOME],
        "medical",
    ),
    # 养老
    (
        "old_age_allowance",
        "elderly_care",
        "高龄津贴申领",
        "高齡津貼申領",
        "Old-age allowance (80 and over)",
        C,
        40,
        PROXY,
        [BIRTH],
        None,
    ),
    (
        "home_care",
        "elderly_care",
        "居家养老上门服务",
        "居家養老上門服務",
        "Home care visits",
        C,
        24,
        WITH,
        [
            field(
                "service",
                "choice",
                "服务内容",
                "服務內容",
                "Service",
                True,
                (
                    ("cleaning", "助洁", "助潔", "Cleaning"),
                    ("meals", "助餐", "助餐", "Meals"),
                    ("bathing", "助浴", "助浴", "Bathing"),
                    ("medical", "助医", "助醫", "Going to the doctor"),
                ),
            )
        ],
        None,
    ),
    (
        "meal_canteen",
        "elderly_care",
        "老年助餐点就餐登记",
        "老年助餐點就餐登記",
        "Seniors' canteen registration",
        G,
        8,
        NOW,
        [BIRTH],
        None,
    ),
    (
        "elderly_checkin",
        "elderly_care",
        "独居老人关爱探访",
        "獨居老人關愛探訪",
        "Visits to seniors living alone",
        G,
        8,
        WITH,
        [],
        None,
    ),
    (
        "ageing_retrofit",
        "elderly_care",
        "适老化改造申请",
        "適老化改造申請",
        "Home adaptation for older people",
        S,
        120,
        PROXY,
        [BIRTH],
        None,
    ),
    # 残疾人
    (
        "disability_card",
        "disability",
        "残疾人证办理",
        "殘疾人證辦理",
        "Disability card application",
        D,
        120,
        WITH,
        [DISABILITY],
        "disabled",
    ),
    (
        "disability_subsidy",
        "disability",
        "困难残疾人生活补贴",
        "困難殘疾人生活補貼",
        "Living allowance for disabled people in need",
        D,
        80,
        PROXY,
        [DISABILITY, INCOME],
        "disabled",
    ),
    (
        "assistive_device",
        "disability",
        "辅助器具适配申请",
        "輔助器具適配申請",
        "Assistive devices",
        D,
        80,
        PROXY,
        [DISABILITY],
        "disabled",
    ),
    # 房屋维修
    (
        "roof_leak",
        "housing_repair",
        "房屋漏水",
        "房屋漏水",
        "Leaking roof or walls",
        C,
        24,
        PROXY,
        [ROOM, FLOOR],
        None,
    ),
    (
        "stair_light",
        "housing_repair",
        "楼道灯损坏",
        "樓道燈損壞",
        "Stairwell light broken",
        G,
        8,
        NOW,
        [FLOOR],
        None,
    ),
    (
        "water_pipe",
        "housing_repair",
        "公共供水管道破裂",
        "公共供水管道破裂",
        "Burst shared water pipe",
        C,
        8,
        PROXY,
        [FLOOR],
        None,
    ),
    (
        "door_lock",
        "housing_repair",
        "单元门禁故障",
        "單元門禁故障",
        "Building entrance door fault",
        G,
        16,
        PROXY,
        [],
        None,
    ),
    (
        "old_estate",
        "housing_repair",
        "老旧小区改造诉求",
        "老舊小區改造訴求",
        "Old estate renovation request",
        D,
        160,
        PROXY,
        [],
        "housing",
    ),
    (
        "elevator",
        "housing_repair",
        "电梯故障",
        "電梯故障",
        "Lift out of order",
        S,
        8,
        PROXY,
        [
            field(
                "trapped",
                "choice",
                "是否有人被困",
                "是否有人被困",
                "Anyone trapped",
                True,
                (("yes", "有人被困", "有人被困", "Yes"), ("no", "无人被困", "無人被困", "No")),
            )
        ],
        None,
    ),
    # 环境卫生
    (
        "garbage",
        "sanitation",
        "垃圾清运不及时",
        "垃圾清運不及時",
        "Rubbish not collected",
        G,
        8,
        NOW,
        [],
        None,
    ),
    (
        "corridor_clutter",
        "sanitation",
        "楼道杂物堆放",
        "樓道雜物堆放",
        "Clutter in the stairwell",
        G,
        16,
        NOW,
        [FLOOR],
        None,
    ),
    ("sewer", "sanitation", "下水道堵塞", "下水道堵塞", "Blocked drain", C, 16, PROXY, [], None),
    (
        "pets",
        "sanitation",
        "不文明养犬",
        "不文明養犬",
        "Dogs kept without care for others",
        G,
        16,
        NOW,
        [],
        None,
    ),
    (
        "street_vendors",
        "sanitation",
        "占道经营",
        "佔道經營",
        "Stalls blocking the street",
        D,
        24,
        PROXY,
        [],
        "urban",
    ),
    (
        "green_space",
        "sanitation",
        "绿地毁坏与私种",
        "綠地毀壞與私種",
        "Damaged or privately planted green space",
        C,
        40,
        PROXY,
        [],
        None,
    ),
    # 矛盾纠纷
    (
        "neighbour",
        "disputes",
        "邻里纠纷调解",
        "鄰里糾紛調解",
        "Neighbour dispute mediation",
        G,
        24,
        WITH,
        [
            PARTIES,
            field(
                "about",
                "choice",
                "纠纷类型",
                "糾紛類型",
                "About",
                True,
                (
                    ("noise", "噪音", "噪音", "Noise"),
                    ("parking", "停车", "停車", "Parking"),
                    ("leak", "漏水", "漏水", "Water leaking"),
                    ("space", "公共空间占用", "公共空間佔用", "Shared space taken"),
                    ("other", "其他", "其他", "Other"),
                ),
            ),
        ],
        None,
    ),
    (
        "family",
        "disputes",
        "婚姻家庭纠纷调解",
        "婚姻家庭糾紛調解",
        "Family dispute mediation",
        C,
        40,
        WITH,
        [],
        None,
    ),
    (
        "property_mgmt",
        "disputes",
        "物业服务纠纷",
        "物業服務糾紛",
        "Property management dispute",
        C,
        40,
        WITH,
        [PARTIES],
        None,
    ),
    (
        "landlord",
        "disputes",
        "房屋租赁纠纷",
        "房屋租賃糾紛",
        "Tenancy dispute",
        S,
        40,
        WITH,
        [SINCE],
        None,
    ),
    (
        "consumer",
        "disputes",
        "消费维权投诉",
        "消費維權投訴",
        "Consumer complaint",
        D,
        56,
        PROXY,
        [field("shop", "text", "商户名称", "商戶名稱", "Shop", True)],
        "market",
    ),
    # 安全隐患
    (
        "fire_passage",
        "public_safety",
        "消防通道堵塞",
        "消防通道堵塞",
        "Fire lane blocked",
        G,
        4,
        NOW,
        [HAZARD],
        None,
    ),
    (
        "ebike_charging",
        "public_safety",
        "电动车楼道充电",
        "電動車樓道充電",
        "E-bike charged in the stairwell",
        G,
        4,
        NOW,
        [HAZARD, FLOOR],
        None,
    ),
    (
        "gas_smell",
        "public_safety",
        "燃气异味",
        "燃氣異味",
        "Smell of gas",
        S,
        2,
        PROXY,
        [HAZARD],
        None,
    ),
    (
        "manhole",
        "public_safety",
        "井盖缺失破损",
        "井蓋缺失破損",
        "Missing or broken manhole cover",
        D,
        8,
        PROXY,
        [HAZARD],
        "urban",
    ),
    (
        "building_crack",
        "public_safety",
        "房屋结构安全隐患",
        "房屋結構安全隱患",
        "Cracks in a building's structure",
        D,
        24,
        PROXY,
        [HAZARD, SINCE],
        "safety",
    ),
    # 证明开具
    (
        "residence_cert",
        "certificates",
        "居住证明开具",
        "居住證明開具",
        "Proof of residence",
        C,
        4,
        NOW,
        [PURPOSE],
        None,
    ),
    (
        "kinship_cert",
        "certificates",
        "亲属关系证明协助",
        "親屬關係證明協助",
        "Help proving a family relationship",
        C,
        16,
        PROXY,
        [PURPOSE],
        None,
    ),
    (
        "hardship_cert",
        "certificates",
        "家庭经济困难证明",
        "家庭經濟困難證明",
        "Proof of household hardship",
        C,
        24,
        PROXY,
        [PURPOSE, INCOME],
        None,
    ),
)


async def load_catalogue(session: AsyncSession) -> None:
    """Add the demo catalogue, updating items already there (by code)."""
    categories = {c.code: c for c in (await session.scalars(select(ServiceCategory))).all()}
    for position, (code, zh, hant, en) in enumerate(CATEGORIES):
        category = categories.get(code)
        if category is None:
            category = categories[code] = ServiceCategory(code=code)
            session.add(category)
        category.name, category.name_i18n, category.position = (
            zh,
            {"zh_Hant": hant, "en": en},
            position,
        )
    await session.flush()
    items = {i.code: i for i in (await session.scalars(select(ServiceItem))).all()}
    for position, row in enumerate(ITEMS):
        code, cat, zh, hant, en, level, hours, mode, fields, dept = row
        item = items.get(code)
        if item is None:
            item = ServiceItem(code=code)
            session.add(item)
        item.category_id = categories[cat].id
        item.name, item.name_i18n = zh, {"zh_Hant": hant, "en": en}
        item.close_level, item.deadline_hours, item.mode = level, hours, mode
        item.fields = list(fields)
        item.position = position
        if dept is not None:
            d_zh, d_hant, d_en, liaison, phone = DEPARTMENTS[dept]
            item.department, item.department_i18n = d_zh, {"zh_Hant": d_hant, "en": d_en}
            item.liaison, item.liaison_phone = liaison, phone
        else:
            item.department, item.department_i18n, item.liaison, item.liaison_phone = (
                None,
                {},
                None,
                None,
            )
    await session.flush()
