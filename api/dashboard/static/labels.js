// Chinese labels for the codes the API speaks (docs/data-standard.md, docs/supervision.md).

export const INDUSTRIES = {
  non_coal_mine: "非煤矿山", hazardous_chemicals: "危险化学品", fireworks: "烟花爆竹", metallurgy: "冶金",
  nonferrous: "有色", building_materials: "建材", machinery: "机械", light_industry: "轻工", textiles: "纺织",
  tobacco: "烟草", commerce_trade: "商贸", power: "电力", transport: "交通运输", water: "水利",
  construction: "建筑", other: "其他",
};

export const LEVELS = { province: "省级", city: "市级", county: "县级" };
export const REGION_LEVELS = { province: "省", city: "市", county: "县（区）" };

export const ROLES = { admin: "系统管理员", supervisor: "监管人员", auditor: "审计人员", enterprise: "企业用户" };

/** 风险等级 1..4 with the standard colours (GB/T 33000 practice: red, orange, yellow, blue). */
export const RISK_LEVELS = {
  4: { label: "重大风险", short: "重大", tone: "risk-major", color: "#d7191c" },
  3: { label: "较大风险", short: "较大", tone: "risk-significant", color: "#f28e1c" },
  2: { label: "一般风险", short: "一般", tone: "risk-general", color: "#f2d21c" },
  1: { label: "低风险", short: "低", tone: "risk-low", color: "#2a6fdb" },
};

export const KINDS = {
  risk_identification: "风险辨识", hazard_investigation: "隐患排查", rectification_overdue: "隐患整改逾期",
};

export const REMINDER_STATUS = { open: "已提醒", escalated: "已升级督办", resolved: "已整改", closed: "已关闭" };

export const TIERS = { county: "县级", city: "市级", province: "省级" };

export const WHY = {
  climbed: "未处理，已上升一级", deadline_passed: "超过处理期限未处理", ended_after_deadline: "超期未处理后办结",
};

export const MEASURES = {
  phone_call: "电话督促", on_site_inspection: "现场检查", written_order: "下达整改指令书", interview: "约谈",
  enforcement: "立案处罚", other: "其他", enforcement_plan: "列入执法计划",
};

export const CHANNELS = { sms: "短信", inapp: "站内消息" };

export const DELIVERY = {
  pending: "待发送", held: "暂缓（非工作时间）", capped: "已达上限", retrying: "重试中", delivered: "已送达",
  failed: "发送失败", cancelled: "已取消",
};

export const EVENT_TYPES = {
  "Reminder.Raised": "发出提醒", "Reminder.Escalated": "升级督办", "Reminder.DeliveryRecorded": "送达记录",
  "Reminder.Responded": "登记处理措施和结果", "Reminder.MessageRead": "消息已读", "Reminder.Resolved": "企业已整改",
  "Reminder.Closed": "提醒关闭", "Enterprise.Registered": "企业注册", "Enterprise.Deregistered": "企业注销",
};

export const PLAN_STATUS = { planned: "已列入", withdrawn: "已撤回" };

export function industry(code, label) {
  return label || INDUSTRIES[code] || code || "—";
}

export function label(map, code) {
  return (code && map[code]) || code || "—";
}

export const CONTROL_LEVELS = { company: "公司级", workshop: "车间级", team: "班组级", post: "岗位级" };
