"""What the synthetic province is made of: where enterprises are, what they do, the risk points and
hazards they report, and who signs. Plain data; `plan.py` draws from it with a seeded RNG."""

from __future__ import annotations

from dataclasses import dataclass

from domain.risks.aggregate import ControlMeasure
from domain.shared.codes import Industry, RiskLevel

# Relative weight of each prefecture (by its code; 济源 sits directly under the province): roughly
# how many supervised enterprises each has, Zhengzhou and Luoyang first.
CITY_WEIGHTS: dict[str, int] = {
    "410100": 20, "410200": 4, "410300": 10, "410400": 5, "410500": 5, "410600": 2, "410700": 7, "410800": 5,
    "410900": 4, "411000": 6, "411100": 3, "411200": 3, "411300": 8, "411400": 6, "411500": 5, "411600": 6,
    "411700": 5, "419001": 2,
}

INDUSTRY_WEIGHTS: dict[Industry, int] = {
    Industry.HAZARDOUS_CHEMICALS: 14, Industry.NON_COAL_MINE: 8, Industry.FIREWORKS: 4, Industry.METALLURGY: 6,
    Industry.NONFERROUS: 4, Industry.BUILDING_MATERIALS: 10, Industry.MACHINERY: 14, Industry.LIGHT_INDUSTRY: 10,
    Industry.TEXTILES: 6, Industry.TOBACCO: 1, Industry.COMMERCE_TRADE: 10, Industry.POWER: 2,
    Industry.TRANSPORT: 3, Industry.WATER: 1, Industry.CONSTRUCTION: 4, Industry.OTHER: 3,
}

NAME_SUFFIX: dict[Industry, str] = {
    Industry.HAZARDOUS_CHEMICALS: "化工有限公司", Industry.NON_COAL_MINE: "矿业有限公司",
    Industry.FIREWORKS: "烟花爆竹有限公司", Industry.METALLURGY: "钢铁有限公司", Industry.NONFERROUS: "铝业有限公司",
    Industry.BUILDING_MATERIALS: "建材有限公司", Industry.MACHINERY: "机械制造有限公司",
    Industry.LIGHT_INDUSTRY: "食品有限公司", Industry.TEXTILES: "纺织有限公司", Industry.TOBACCO: "卷烟厂",
    Industry.COMMERCE_TRADE: "商贸有限公司", Industry.POWER: "热电有限公司", Industry.TRANSPORT: "物流有限公司",
    Industry.WATER: "水务有限公司", Industry.CONSTRUCTION: "建设工程有限公司", Industry.OTHER: "实业有限公司",
}

BRANDS = ["华源", "中原", "豫丰", "嵩山", "黄河", "伏牛", "太行", "洛神", "汴梁", "宛城", "天瑞", "宏达", "金鼎", "恒通",
          "瑞丰", "鑫泰", "永安", "昌盛", "正和", "博远", "新航", "润泽", "隆基", "东方"]

PEOPLE = ["张伟", "王芳", "李娜", "刘洋", "陈杰", "杨帆", "赵磊", "黄敏", "周强", "吴静", "徐刚", "孙丽", "马超", "朱琳"]

# Supervision level of the enterprise (which tier supervises it): mostly counties.
LEVEL_WEIGHTS = {"county": 75, "city": 20, "province": 5}

# Current risk level mix: low, general, significant, major.
RISK_LEVEL_WEIGHTS = {RiskLevel.LOW: 45, RiskLevel.GENERAL: 35, RiskLevel.SIGNIFICANT: 15, RiskLevel.MAJOR: 5}
# LEC scores (D = L x E x C) inside each default band (70 / 160 / 320), so the stated level agrees.
LEC_SCORES: dict[RiskLevel, tuple[float, ...]] = {
    RiskLevel.LOW: (18.0, 27.0, 45.0, 54.0),
    RiskLevel.GENERAL: (72.0, 90.0, 126.0, 150.0),
    RiskLevel.SIGNIFICANT: (180.0, 240.0, 270.0),
    RiskLevel.MAJOR: (360.0, 400.0, 540.0),
}


@dataclass(frozen=True)
class RiskPoint:
    name: str
    location: str
    hazard_factors: tuple[str, ...]
    accident_types: tuple[str, ...]  # GB 6441 codes
    measure: str


RISK_POINTS = [
    RiskPoint("液氨储罐区", "储罐区", ("液氨泄漏", "储罐超压"), ("17", "19"), "安装液位和压力报警并每日巡检"),
    RiskPoint("配电室", "配电室", ("电气线路老化", "违章操作"), ("05", "08"), "定期检测绝缘并执行停送电操作票"),
    RiskPoint("有限空间作业", "污水处理池", ("缺氧", "有毒气体积聚"), ("19",), "作业前通风检测并设专人监护"),
    RiskPoint("高处作业平台", "装置区", ("防护栏缺失", "未系安全带"), ("09",), "设置防护栏并检查安全带佩戴"),
    RiskPoint("动火作业", "检修现场", ("可燃物未清理", "动火审批缺失"), ("08", "18"), "执行动火作业票并配备灭火器材"),
    RiskPoint("粉尘涉爆区域", "打磨车间", ("粉尘积聚", "除尘设施失效"), ("18",), "每班清扫积尘并检查除尘系统"),
    RiskPoint("叉车作业区", "成品仓库", ("超速行驶", "视线盲区"), ("02",), "限速行驶并设置警示标识和反光镜"),
    RiskPoint("燃气锅炉房", "锅炉房", ("燃气泄漏", "安全阀失效"), ("16", "18"), "安装燃气报警器并定期校验安全阀"),
    RiskPoint("冲压设备", "冲压车间", ("安全光栅失效", "违章调模"), ("03",), "每班点检光栅并执行调模挂牌"),
    RiskPoint("危险化学品仓库", "甲类仓库", ("超量储存", "禁忌物混存"), ("08", "18", "19"), "按储存限量分区存放并双人双锁"),
    RiskPoint("桥式起重机", "装配车间", ("钢丝绳磨损", "限位失灵"), ("04",), "每日检查钢丝绳和限位器"),
    RiskPoint("熔融金属作业", "熔炼车间", ("熔融金属喷溅", "冷却水泄漏"), ("07", "18"), "配备防护用品并监测冷却水压力"),
    RiskPoint("露天采场边坡", "采场", ("边坡失稳", "浮石"), ("10", "01"), "边坡位移监测并定期清理浮石"),
    RiskPoint("成品库房", "成品库", ("静电", "超量储存"), ("14", "08"), "设置静电释放装置并限量储存"),
]

CONTROL_LEVELS = ("company", "workshop", "team", "post")
DEPARTMENTS = ("生产部", "安环部", "设备部", "仓储部")
LEVEL_REASONS = ("年度复评", "工艺变更后复评", "管控措施落实后复评", "事故案例警示后复评")
REVISION_REASONS = ("增加巡检频次", "落实上级检查意见", "设备更新后调整措施")
RISK_INVALIDATION_REASONS = ("设备拆除", "工艺停用", "风险点合并")


@dataclass(frozen=True)
class HazardKind:
    name: str
    description: str
    rectification: str
    major: bool = False


HAZARD_KINDS = [
    HazardKind("消防通道堵塞", "仓库消防通道堆放杂物", "清理杂物并设置禁止占用标识"),
    HazardKind("灭火器过期", "车间灭火器超过检验有效期", "更换灭火器并建立检查台账"),
    HazardKind("安全警示标志缺失", "有限空间入口未设置警示标志", "补设警示标志和告知牌"),
    HazardKind("配电箱未上锁", "配电箱柜门未上锁且无警示", "加锁并张贴触电警示"),
    HazardKind("防护罩缺失", "皮带传动部位防护罩缺失", "加装防护罩并纳入点检"),
    HazardKind("应急照明失效", "疏散通道应急照明灯不亮", "更换应急照明灯具"),
    HazardKind("气体检测报警器故障", "储罐区可燃气体报警器显示故障", "维修报警器并重新标定"),
    HazardKind("劳保用品佩戴不规范", "作业人员未按规定佩戴防护用品", "开展班前教育并加强现场检查"),
    HazardKind("特种作业人员无证上岗", "电焊作业人员未持有效证件", "停止作业并安排持证人员"),
    HazardKind("安全阀未校验", "压力容器安全阀超期未校验", "送检安全阀并更新校验记录"),
    HazardKind("储罐区防火堤破损", "甲类储罐区防火堤多处开裂渗漏", "修复防火堤并做闭水试验", major=True),
    HazardKind("除尘系统未设泄爆装置", "铝镁粉尘除尘器未设泄爆和隔爆装置", "加装泄爆片和隔爆阀", major=True),
    HazardKind("边坡超高超陡", "采场台阶高度和坡面角超过设计", "按设计削坡减载并加强监测", major=True),
]

INSPECTION_SCOPES = ("日常排查", "综合排查", "专项排查", "季节性排查", "节假日前排查")
HAZARD_INVALIDATION_REASONS = ("重复登记", "误报")
FAILED_OPINIONS = ("整改不到位", "整改资料不全")
PASSED_OPINIONS = ("整改合格", "验收通过")
DEREGISTRATION_REASONS = ("企业注销", "停产关闭")


def measure(text: str, rng_pick: int, person: str) -> ControlMeasure:
    return ControlMeasure(text, CONTROL_LEVELS[rng_pick % len(CONTROL_LEVELS)], DEPARTMENTS[rng_pick % len(DEPARTMENTS)], person)
