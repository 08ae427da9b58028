"""Demo data of 主动治理: a knowledge base of common questions (answers and policy names are illustrative,
written in the style of a community's 答复口径, not quotations of real documents), and one running 治理专项
set up from the demo's biggest hotspot, with milestones, so its before/after chart shows data."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from minqing.accounts.models import Role, RoleAssignment, User
from minqing.org.models import Unit, UnitKind
from minqing.tickets.models import Category, Ticket
from minqing.triage.actions import hotspots

from . import actions
from .models import KnowledgeEntry, Project, Source

# (category code, question, keywords, answer, policy basis — generic names, for illustration)
ENTRIES: list[tuple[str, str, str, str, str]] = [
    ("JZ01", "怎样申请最低生活保障（低保）？", "低保 最低生活保障 申请 材料",
     "由本人（或委托家属）向户籍所在地街道提出书面申请，社区协助填表并收集身份证、户口簿、收入和财产情况等材料；"
     "街道入户调查、民主评议并公示后报区民政局审批，一般在 30 个工作日内答复。", "社会救助相关规定（示例）"),
    ("JZ01", "低保每月能领多少钱？", "低保 标准 多少钱 补差",
     "低保按“补差”发放：家庭人均收入低于当地低保标准的差额部分按月发放，具体标准以区民政局当年公布的为准，可到社区查询。",
     "本市城乡低保标准调整通知（示例）"),
    ("JZ01", "低保家庭收入变了要不要报告？", "低保 收入变化 复核 退出",
     "要。家庭人口、收入、财产变化时请主动告知社区；社区定期复核，收入超过标准的按规定减发或停发，隐瞒的要追回。",
     "最低生活保障审核确认办法（示例）"),
    ("JZ02", "家里突然遇到困难，能申请临时救助吗？", "临时救助 急难 大病 意外",
     "因火灾、交通事故、突发重病等导致基本生活暂时困难的，可向社区或街道申请临时救助；情况紧急的可先行救助、后补手续。",
     "临时救助制度实施意见（示例）"),
    ("JZ03", "残疾人证怎么办？", "残疾人证 残疾 评定 办证",
     "携带身份证、户口簿和近期照片到社区领取申请表，到指定医院做残疾评定，评定结果经区残联审核后发证，一般 20 个工作日左右。",
     "残疾人证管理办法（示例）"),
    ("JZ03", "残疾人有哪些补贴？", "残疾人 补贴 护理补贴 生活补贴",
     "困难残疾人可申请生活补贴，重度残疾人可申请护理补贴，两项补贴在社区受理，材料包括残疾人证、身份证和银行卡。",
     "残疾人两项补贴制度（示例）"),
    ("YA03", "高龄补贴怎么领？", "高龄补贴 八十岁 老人 补贴",
     "年满 80 周岁的本区户籍老人可申请高龄补贴，本人或家属带身份证、户口簿到社区登记，审核通过后按月发放到社保卡。",
     "高龄老人补贴发放办法（示例）"),
    ("YA02", "社区老年餐桌怎么吃饭？", "老年餐桌 助餐 吃饭 老人",
     "60 岁以上老人可到社区老年餐桌办理就餐卡，午餐 11:30 开餐；行动不便的独居老人可登记送餐上门，困难老人有补贴。",
     "社区居家养老助餐服务规范（示例）"),
    ("YA01", "居家养老服务能提供什么？", "居家养老 上门服务 助浴 助洁",
     "签约养老服务机构可提供助餐、助洁、助浴、助医和巡访关爱；特困、失能等老人可申请政府购买的服务时长，在社区登记评估。",
     "居家和社区养老服务实施方案（示例）"),
    ("YL01", "医保报销需要带什么材料？", "医保 报销 材料 异地就医",
     "在定点医院就医持社保卡即时结算；异地就医需先在医保经办机构或线上平台备案，回来补报销的带身份证、发票、费用清单和病历。",
     "基本医疗保险经办规程（示例）"),
    ("YL01", "城乡居民医保每年什么时候缴费？", "医保 缴费 城乡居民 参保",
     "城乡居民医保一般在每年 9 月至 12 月集中缴费，可通过社区、银行或手机政务平台缴纳；低保、特困等人员个人缴费有资助。",
     "城乡居民基本医疗保险参保缴费通知（示例）"),
    ("YL01", "家庭医生怎么签约？", "家庭医生 签约 社区卫生",
     "带身份证到社区卫生服务中心或在其线上平台签约，老人、慢病患者优先；签约后可享受健康档案、随访和优先预约等服务。",
     "家庭医生签约服务工作方案（示例）"),
    ("YL02", "买到过期食品怎么办？", "过期食品 食品安全 投诉 退赔",
     "保留小票和实物，先与商家协商退赔；协商不成可拨打 12315 或向区市场监管局投诉举报，我们也可以帮您转办。",
     "食品安全相关规定（示例）"),
    ("JY01", "失业了怎么办理失业登记？", "失业登记 就业 失业",
     "带身份证到街道或社区劳动保障服务站办理失业登记，也可在线办理；登记后可享受职业介绍、技能培训等免费服务。",
     "就业失业登记管理办法（示例）"),
    ("JY01", "社区有免费的技能培训吗？", "技能培训 免费 培训 就业",
     "区人社局每季度组织家政、电工、电商等免费培训，在社区报名，取得证书的可申请培训补贴，具体课程看社区公示栏。",
     "职业技能提升行动方案（示例）"),
    ("JY02", "老板拖欠工资找谁？", "拖欠工资 欠薪 讨薪 劳动监察",
     "请保留劳动合同、考勤和工资记录，向区人社局劳动保障监察机构投诉，也可申请劳动仲裁；农民工欠薪可走快速处理通道。",
     "保障农民工工资支付相关规定（示例）"),
    ("JY03", "自己创业有什么扶持？", "创业 创业担保贷款 扶持 补贴",
     "符合条件的可申请创业担保贷款（财政贴息）、一次性创业补贴和场地支持，到区人社局创业服务窗口或社区咨询。",
     "创业担保贷款实施办法（示例）"),
    ("WT03", "孩子上小学怎么划片？", "入学 划片 小学 学区",
     "公办小学按户籍和实际居住地划片就近入学，每年春季区教育局公布划片范围和报名时间，可在社区公示栏或教育局网站查询。",
     "义务教育招生入学工作意见（示例）"),
    ("WT03", "随迁子女在这里上学要什么材料？", "随迁子女 入学 居住证 上学",
     "一般需要父母的居住证、就业或经营证明、住房证明和孩子户口簿，按教育局公布的时间报名，由教育局统筹安排学位。",
     "随迁子女接受义务教育工作办法（示例）"),
    ("WT01", "小区健身器材坏了找谁修？", "健身器材 健身 坏了 维修",
     "社区或体育部门配建的器材由社区登记报修，物业配建的由物业维修；坏了的器材请先别使用，我们会贴停用提示。",
     "全民健身设施管理规定（示例）"),
    ("WT02", "社区有哪些文化活动可以参加？", "文化活动 合唱 书画 活动室",
     "社区活动室每周有合唱、书画、太极和电影放映，时间表贴在党群服务中心门口，居民凭身份证登记即可参加。", ""),
    ("HJ02", "垃圾怎么分类？", "垃圾分类 厨余 可回收 有害",
     "分四类：厨余垃圾（剩菜果皮）、可回收物（纸、塑料瓶、金属）、有害垃圾（电池、灯管、药品）、其他垃圾；厨余要沥干水、去袋投放。",
     "生活垃圾分类管理办法（示例）"),
    ("HJ02", "大件垃圾和装修垃圾怎么扔？", "大件垃圾 装修垃圾 建筑垃圾 清运",
     "旧家具等大件垃圾放到小区指定的临时堆放点或预约清运；装修垃圾要袋装后堆放在物业指定位置，由有资质的单位清运，费用一般由产生者承担。",
     "建筑垃圾管理规定（示例）"),
    ("HJ01", "楼下垃圾几天没清运找谁？", "垃圾 清运 没人拉 垃圾箱",
     "小区内由物业负责，背街小巷和公共区域由环卫部门负责；您反映后我们会通知责任单位，一般 24 小时内清运。", "城市市容和环境卫生管理规定（示例）"),
    ("HJ03", "小区流浪狗太多怎么办？", "流浪狗 流浪猫 犬只 收容",
     "请不要驱赶、投喂，我们会联系城管和动物收容机构处置；伤人的请立即就医并拨打 110。养犬要登记、拴绳、及时清理粪便。",
     "养犬管理规定（示例）"),
    ("SR03", "共享单车堵在门口怎么处理？", "共享单车 乱停 停放区",
     "我们会通知运营企业在规定时间内清理，并协调在小区门口划定停放区；您也可以拍照在运营企业的客服渠道举报。", ""),
    ("SR01", "邻居私搭乱建怎么举报？", "违建 私搭乱建 彩钢房 举报",
     "请说明具体位置和搭建情况，可附照片；我们转城市管理执法部门核查，确属违建的依法责令限期拆除，举报人信息保密。",
     "城乡规划相关规定（示例）"),
    ("SR04", "门口有人占道摆摊怎么办？", "占道 摆摊 占道经营",
     "我们会通知城管执法队员到场劝导，引导摊贩到便民市场或临时疏导点经营，反复占道的依法处理。", ""),
    ("WY04", "物业服务不到位，可以换物业吗？", "物业 更换物业 业主大会 业委会",
     "更换物业须由业主大会依法表决（双过半），由业委会组织实施；没有业委会的，社区可指导成立。日常服务问题我们可先约谈物业。",
     "物业管理相关规定（示例）"),
    ("WY04", "物业费涨价合理吗？", "物业费 涨价 收费 公示",
     "物业费标准应按合同约定，调整须经业主共同决定并公示；未经同意擅自涨价的，可向区住建局或价格主管部门反映。",
     "物业服务收费管理办法（示例）"),
    ("WY02", "楼道里能给电动车充电吗？", "电动车 充电 楼道 飞线",
     "不能。电动车进楼入户和飞线充电有火灾风险，请到小区集中充电桩充电；充电桩不够的可以反映，我们会协调增设。",
     "高层民用建筑消防安全管理规定（示例）"),
    ("WY02", "小区想装充电桩怎么申请？", "充电桩 电动车棚 增设",
     "由业委会或物业提出方案，征求业主意见后报社区，社区协调供电和消防部门现场勘查；可在协商议事厅议定选址。", ""),
    ("WY03", "老楼加装电梯怎么申请？", "加装电梯 老楼 电梯 补贴",
     "以单元为单位，经本单元业主依法表决同意后，委托设计施工单位编制方案，向街道和区住建局申请，符合条件的有财政补贴。",
     "既有住宅加装电梯实施意见（示例）"),
    ("WY03", "二次供水水压低找谁？", "二次供水 水压 停水 供水",
     "二次供水设施由物业或供水企业负责运维，我们会通知其检修；计划停水应提前 24 小时公告，临时停水请拨打供水企业客服。", ""),
    ("WY05", "楼道堆放杂物可以要求清理吗？", "楼道 杂物 消防通道 清理",
     "可以。楼道和消防通道不得堆物，我们会通知物业劝导清理，拒不清理的由消防救援机构依法处理。", "消防法相关规定（示例）"),
    ("WY01", "小区路灯坏了谁负责修？", "路灯 不亮 照明 维修",
     "小区内部路灯由物业维修，市政道路路灯由城市照明管理部门维修；请说明具体位置（楼号、路段），一般 3 个工作日内修复。", ""),
    ("FW01", "小区门口道路坑洼谁来修？", "道路 坑洼 破损 修路",
     "市政道路由区住建局安排养护单位修补，小区内道路由物业或业主共同出资维修；我们会先转办查看现场。", ""),
    ("FW02", "下水道堵了反味怎么办？", "下水道 堵塞 反味 疏通",
     "楼内管道由物业疏通，市政管网由排水部门疏通；化粪池满溢的由物业联系清掏。紧急外溢的请同时拨打物业值班电话。", ""),
    ("FW03", "老旧小区改造什么时候轮到我们？", "老旧小区改造 改造 计划",
     "改造按年度计划推进，列入计划前会征求居民意愿；可以通过社区把改造需求报上去，进入下一年度的项目库。",
     "城镇老旧小区改造实施方案（示例）"),
    ("YL03", "楼下饭馆油烟太大怎么办？", "油烟 饭馆 噪音 扰民",
     "餐饮油烟由城管或生态环境部门监管，我们会转办要求商户加装或清洗油烟净化设施；夜间噪声扰民可同时拨打 110。", ""),
    ("", "外地户口办居住证需要什么？", "居住证 暂住 外地 办理",
     "在本地居住满半年、有合法稳定就业或住所的，带身份证、照片和居住证明（租房合同等）到社区警务室或派出所申请。",
     "居住证暂行条例（示例）"),
    ("", "冬天暖气不热找谁？", "供暖 暖气 不热 温度",
     "供暖期室温不达标的，请先联系供热企业客服报修；反映后我们会督促供热企业上门测温，确认不达标的按规定处理。",
     "城市供热管理相关规定（示例）"),
    ("", "小区停车位不够怎么办？", "停车 车位 乱停 停车费",
     "小区内停车由业主大会和物业共同管理，可在协商议事厅商议划线增位、错时共享；周边道路可向交警部门申请施划临时停车位。", ""),
]


def _supervisor() -> User | None:
    a = RoleAssignment.objects.filter(role=Role.DISTRICT_SUPERVISOR).select_related("user").order_by("id").first()
    return a.user if a else None


def build_knowledge(actor: User | None) -> int:
    codes = {c.code: c for c in Category.objects.all()}
    rows = [KnowledgeEntry(category=codes.get(code), question=q, keywords=k, answer=a, citation=cite,
                           created_by=actor, updated_by=actor, uses=0) for code, q, k, a, cite in ENTRIES]
    KnowledgeEntry.objects.bulk_create(rows)
    return len(rows)


def build_project(actor: User, *, now: dt.datetime) -> Project | None:
    """A 治理专项 from the biggest hotspot of the last 90 days, started part-way through it."""
    since = now - dt.timedelta(days=90)
    tickets = list(Ticket.objects.filter(created_at__gte=since).exclude(status__in=["rejected", "merged"])
                   .select_related("community", "compound", "category").order_by("-created_at")[:5000])
    spots = hotspots(tickets, days=90)
    if not spots:
        return None
    h = spots[0]
    example = h.examples[0]
    lead = example.category.default_unit or Unit.objects.filter(
        kind=UnitKind.COMMUNITY_OFFICE, area=example.community).first() or example.handling_unit
    office = Unit.objects.filter(kind=UnitKind.COMMUNITY_OFFICE, area=example.community).exclude(pk=lead.pk).first()
    property_co = Unit.objects.filter(kind=UnitKind.PROPERTY).order_by("name").first()
    today = timezone.localdate(now)
    # Started when about half of the matter's requests had come in: its first is 治理前, its latest 治理后.
    first, last = timezone.localdate(h.first), timezone.localdate(h.last)
    start = min(first + (last - first) * 3 // 5 + dt.timedelta(days=1), last, today - dt.timedelta(days=7))
    place = h.place.split(" ")[0]
    from minqing.triage.problems import PROBLEMS

    words = [w for p in h.problem.split("、") if p in PROBLEMS for w in PROBLEMS[p] if len(w) >= 2] or h.words
    project = actions.project_create(
        actor=actor, title=f"{place or example.community.name}{h.problem or example.category.name}专项治理",
        description=f"近 90 天同一地点同类问题反映 {h.count} 次。牵头单位会同物业、社区排查原因，"
                    f"集中整治并建立长效管理，按月公示进展。",
        category=example.category if not place else None, area=example.community if len(h.communities) == 1 else None,
        place=place, keywords=" ".join(dict.fromkeys(words)), lead_unit=lead,
        co_units=[u for u in (office, property_co) if u is not None], target_kind="volume", target_value=30,
        start_date=start, deadline=start + dt.timedelta(days=120), baseline_months=3, source=Source.HOTSPOT,
        source_note=f"高频事项：{h.title}（最近 90 天 {h.count} 次）",
        milestones=[("现场排查，摸清问题点位和原因", start + dt.timedelta(days=10)),
                    ("集中整治，逐点销号", start + dt.timedelta(days=45)),
                    ("建立长效管理机制并回访群众", start + dt.timedelta(days=100))])
    survey = project.milestones.order_by("due_date").first()
    if survey is not None:
        actions.milestone_done(milestone=survey, actor=actor, note="排查完毕，形成问题点位清单")
    return project


def build(*, now: dt.datetime, seed: int) -> int:
    actor = _supervisor()
    n = build_knowledge(actor)
    if actor is not None and build_project(actor, now=now) is not None:
        n += 1
    return n
