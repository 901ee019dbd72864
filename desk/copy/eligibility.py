"""Eligibility decisions and their reasons, with the dates (desk/eligibility/reason_text.py)."""

from __future__ import annotations

from knowledge.language import Language

PHRASES: dict[str, dict[Language, str]] = {
    # Eligibility decisions (desk/eligibility/reason_text.py): a decision and its reason, with the dates.
    "eligibility_remedy_no_reason_return": {"zh": "无理由退货", "en": "a no-reason return"},
    "eligibility_remedy_quality_return": {"zh": "因质量问题退货", "en": "a return for a quality problem"},
    "eligibility_remedy_exchange": {"zh": "因质量问题换货", "en": "an exchange for a quality problem"},
    "eligibility_remedy_repair": {"zh": "因质量问题免费维修", "en": "a free repair for a quality problem"},
    "eligibility_remedy_warranty": {"zh": "保修", "en": "the warranty"},
    "eligibility_remedy_installation": {"zh": "预约免费安装", "en": "booking the free installation"},
    "eligibility_remedy_price_protection": {"zh": "申请价格保护", "en": "price protection"},
    "eligibility_remedy_invoice_title_change": {"zh": "修改发票抬头", "en": "changing the invoice title"},
    "eligibility_remedy_special_invoice": {"zh": "开具增值税专用发票", "en": "a special VAT invoice"},
    "eligibility_fact_delivered_on": {"zh": "签收日期", "en": "the delivery date"},
    "eligibility_fact_invoice_on": {"zh": "开票日期", "en": "the invoice date"},
    "eligibility_fact_paid_on": {"zh": "付款日期", "en": "the payment date"},
    "eligibility_fact_category": {"zh": "是哪类商品", "en": "which product it is"},
    "eligibility_fact_part": {
        "zh": "故障部位（整机、电机、压缩机、电池、配件还是耗材）",
        "en": "which part is faulty (whole unit, motor, compressor, battery, accessory or consumable)",
    },
    "eligibility_fact_quality_problem": {"zh": "是否为质量问题", "en": "whether it is a quality problem"},
    "eligibility_fact_is_company": {"zh": "是否以企业名义开票", "en": "whether the invoice is for a company"},
    "eligibility_needs": {"zh": "要判断能否{remedy}，需要知道{fact}", "en": "To decide on {remedy}, I need {fact}"},
    "eligibility_day_delivery": {"zh": "签收第 {day} 天（{start} 签收）", "en": "Day {day} after delivery ({start})"},
    "eligibility_day_payment": {"zh": "付款第 {day} 天（{start} 付款）", "en": "Day {day} after payment ({start})"},
    "eligibility_day_invoice": {
        "zh": "开票第 {day} 天（{start} 开票）",
        "en": "Day {day} after the invoice date ({start})",
    },
    "eligibility_window_open": {
        "zh": "{day_text}：{last_day} 24:00 前可以{remedy}（{days} 天内）",
        "en": "{day_text}: {remedy} is possible until 24:00 on {last_day} (within {days} days)",
    },
    "eligibility_window_closed": {
        "zh": "{day_text}：已过 {days} 天{remedy}期限（截至 {last_day}）",
        "en": "{day_text}: the {days}-day period for {remedy} ended on {last_day}",
    },
    "eligibility_window_by_invoice": {
        "zh": "{day_text}，签收不晚于开票日：已过签收后 {days} 天{remedy}期限",
        "en": "{day_text}, and delivery came no later: the {days}-day period for {remedy} after delivery has ended",
    },
    "eligibility_condition_opened_consumable": {
        "zh": "已拆封的耗材（滤芯、边刷/滚刷、耳塞套）",
        "en": "opened consumables (filters, brush heads, ear tips) are not eligible",
    },
    "eligibility_condition_used_beyond_inspection": {
        "zh": "已激活或超出正常检查范围使用",
        "en": "it has been activated or used beyond normal inspection",
    },
    "eligibility_condition_incomplete": {
        "zh": "商品、配件、说明书或赠品不全，或包装不完好",
        "en": "the product, accessories, manuals or gifts are not complete, or the packaging is not intact",
    },
    "eligibility_condition_customised": {"zh": "定制商品", "en": "customised products are not eligible"},
    "eligibility_condition_gift_card": {"zh": "礼品卡", "en": "gift cards are not eligible"},
    "eligibility_refused_condition": {"zh": "{condition}，不能{remedy}", "en": "{remedy} is not possible: {condition}"},
    "eligibility_cause_user_damage": {"zh": "人为损坏", "en": "damage caused by the user"},
    "eligibility_cause_drop": {"zh": "摔落", "en": "a drop"},
    "eligibility_cause_liquid_damage": {
        "zh": "进液（超出产品防水等级）",
        "en": "liquid damage beyond the rated water resistance",
    },
    "eligibility_cause_unauthorised_repair": {"zh": "私自拆修", "en": "unauthorised disassembly or repair"},
    "eligibility_cause_non_original_charger": {"zh": "使用非原装充电器", "en": "a non-original charger"},
    "eligibility_refused_cause": {
        "zh": "{cause}不属于质量问题，不能{remedy}，也不在保修范围内",
        "en": "{cause} is not a quality problem: {remedy} is not possible, and the warranty does not cover it",
    },
    "eligibility_warranty_cause": {"zh": "{cause}不在保修范围内", "en": "{cause} is not covered by the warranty"},
    "eligibility_flag_flash_sale": {"zh": "秒杀价", "en": "flash-sale prices"},
    "eligibility_flag_coupon_price": {"zh": "用券后的价格", "en": "prices reached with coupons"},
    "eligibility_flag_trade_in": {"zh": "以旧换新价", "en": "trade-in prices"},
    "eligibility_refused_flag": {"zh": "{flag}不参加价格保护", "en": "price protection does not apply to {flag}"},
    "eligibility_once_price_protection": {
        "zh": "价格保护每笔订单限一次，本订单已申请过",
        "en": "price protection is once per order, and this order has had it",
    },
    "eligibility_once_invoice_title_change": {
        "zh": "发票抬头只能修改一次，已修改过",
        "en": "the invoice title can be changed only once, and it has been",
    },
    "eligibility_na_quality_problem": {
        "zh": "不是质量问题，不适用{remedy}",
        "en": "without a quality problem, {remedy} does not apply",
    },
    "eligibility_na_installation": {
        "zh": "{category}不提供安装服务",
        "en": "installation is not offered for {category}",
    },
    "eligibility_na_part_category": {
        "zh": "{category}不适用{part}保修",
        "en": "the {part} warranty does not apply to {category}",
    },
    "eligibility_na_is_company": {
        "zh": "增值税专用发票仅向企业开具",
        "en": "special VAT invoices are issued to companies only",
    },
    "eligibility_category_robot_vacuum": {"zh": "扫地机器人", "en": "robot vacuums"},
    "eligibility_category_air_purifier": {"zh": "空气净化器", "en": "air purifiers"},
    "eligibility_category_water_purifier": {"zh": "净水器", "en": "water purifiers"},
    "eligibility_category_air_conditioner": {"zh": "空调", "en": "air conditioners"},
    "eligibility_category_smart_speaker": {"zh": "智能音箱", "en": "smart speakers"},
    "eligibility_category_earbuds": {"zh": "无线耳机", "en": "earbuds"},
    "eligibility_part_whole_unit": {"zh": "整机", "en": "whole-unit"},
    "eligibility_part_motor": {"zh": "电机", "en": "motor"},
    "eligibility_part_compressor": {"zh": "压缩机", "en": "compressor"},
    "eligibility_part_battery": {"zh": "电池", "en": "battery"},
    "eligibility_part_accessory": {"zh": "配件", "en": "accessory"},
    "eligibility_part_consumable": {"zh": "耗材", "en": "consumable"},
    "eligibility_not_covered_part": {
        "zh": "耗材（滤芯、边刷/滚刷、耳塞套、尘袋）不在保修范围内",
        "en": "consumables (filters, brush heads, ear tips, dust bags) are not covered by the warranty",
    },
    "eligibility_warranty_covered": {
        "zh": "{part}保修 {period}，自开票日（{start}）起至 {end}（含）；现已 {age}，在保修期内",
        "en": "{part} warranty is {period} from the invoice date ({start}) to {end} inclusive; at {age} it is covered",
    },
    "eligibility_warranty_ended": {
        "zh": "{part}保修 {period}，自开票日（{start}）起；现已 {age}，已于 {end} 到期",
        "en": "{part} warranty is {period} from the invoice date ({start}); at {age} it ended on {end}",
    },
    "eligibility_not_quality_problem": {
        "zh": "不是质量问题，不在免费保修范围内",
        "en": "without a quality problem, the warranty does not cover it",
    },
    "eligibility_charge_free": {"zh": "免费维修", "en": "the repair is free"},
    "eligibility_charge_quoted_free_diagnosis": {
        "zh": "可免费检测，维修前先报价，经您同意后才维修",
        "en": "diagnosis is free and repairs are quoted first, never done without your consent",
    },
    "eligibility_charge_quoted": {
        "zh": "维修前先报价，经您同意后才维修",
        "en": "repairs are quoted first, never done without your consent",
    },
    "eligibility_charge_paid": {"zh": "维修需付费", "en": "the repair is charged"},
    "eligibility_shipping_customer": {"zh": "退货运费由您承担", "en": "you pay the return shipping"},
    "eligibility_shipping_customer_unless_insured": {
        "zh": "退货运费由您承担（已购买运费险的除外）",
        "en": "you pay the return shipping unless you bought return-shipping insurance",
    },
    "eligibility_shipping_insurance": {
        "zh": "退货运费由运费险承担",
        "en": "your return-shipping insurance pays the shipping",
    },
    "eligibility_shipping_lumio": {"zh": "运费由禾光承担", "en": "Lumio pays the return shipping"},
    "eligibility_provisos": {"zh": "前提是{conditions}", "en": "provided that {conditions}"},
    "eligibility_proviso_opened_consumable": {"zh": "耗材未拆封", "en": "no consumable has been opened"},
    "eligibility_proviso_used_beyond_inspection": {
        "zh": "未激活、未超出正常检查范围使用",
        "en": "it has not been activated or used beyond normal inspection",
    },
    "eligibility_proviso_incomplete": {
        "zh": "商品、配件、说明书、赠品齐全且包装完好",
        "en": "the product, accessories, manuals and gifts are complete and the packaging intact",
    },
    "eligibility_proviso_customised": {"zh": "不是定制商品", "en": "it is not a customised product"},
    "eligibility_proviso_gift_card": {"zh": "不是礼品卡", "en": "it is not a gift card"},
    "eligibility_proviso_damage_causes": {
        "zh": "非人为损坏、摔落、进液、私自拆修或使用非原装充电器所致",
        "en": "the fault was not caused by the user, a drop, liquid, unauthorised repair or a non-original charger",
    },
    "eligibility_proviso_flash_sale": {"zh": "不是秒杀价", "en": "it was not a flash-sale price"},
    "eligibility_proviso_coupon_price": {"zh": "不是用券后的价格", "en": "the price was not reached with a coupon"},
    "eligibility_proviso_trade_in": {"zh": "不是以旧换新价", "en": "it was not a trade-in price"},
    "eligibility_proviso_price_protection_used": {
        "zh": "本订单未申请过价格保护",
        "en": "this order has not had price protection before",
    },
    "eligibility_proviso_invoice_title_changed": {
        "zh": "发票抬头未修改过",
        "en": "the invoice title has not been changed before",
    },
    "eligibility_unit_year": {"zh": "{n} 年", "en": "{n} year"},
    "eligibility_unit_years": {"zh": "{n} 年", "en": "{n} years"},
    "eligibility_unit_month": {"zh": "{n} 个月", "en": "{n} month"},
    "eligibility_unit_months": {"zh": "{n} 个月", "en": "{n} months"},
    "eligibility_unit_day": {"zh": "{n} 天", "en": "{n} day"},
    "eligibility_unit_days": {"zh": "{n} 天", "en": "{n} days"},
    # The case dialogue (actions/eligibility.py): the one fact asked for, and what frames the answer.
    "case_ask_delivered_on": {
        "zh": "请问您是哪天签收的？（例如“12月3日”或“5天前”）",
        "en": 'On which day was it delivered? (e.g. "3 December" or "5 days ago")',
    },
    "case_ask_paid_on": {
        "zh": "请问您是哪天付款的？（例如“12月3日”）",
        "en": 'On which day did you pay for the order? (e.g. "3 December")',
    },
    "case_ask_invoice_on": {
        "zh": "请问发票上的开票日期是哪天？（可在订单页下载发票查看）",
        "en": "What is the date on the invoice? (You can download it from the order page.)",
    },
    "case_ask_category": {
        "zh": "请问是哪类商品？（扫地机器人、空气净化器、净水器、空调、智能音箱或耳机）",
        "en": "Which product is it? (robot vacuum, air purifier, water purifier, air conditioner, smart speaker or earbuds)",
    },
    "case_ask_part": {
        "zh": "请问是哪个部位有故障？整机、电机、压缩机、电池、配件（充电座、遥控器、充电盒）还是耗材（滤芯、边刷、耳塞套）？",
        "en": "Which part is faulty: the whole unit, the motor, the compressor, the battery, an accessory (charging dock, remote, charging case) or a consumable (filter, brush, ear tips)?",
    },
    "case_ask_quality_problem": {
        "zh": "请问商品是否有质量问题（例如无法开机、异响、异味）？",
        "en": "Does the product have a quality problem (e.g. it won't turn on, makes a noise, smells)?",
    },
    "case_ask_is_company": {
        "zh": "请问发票是开给公司（企业）还是个人？",
        "en": "Is the invoice for a company or for a person?",
    },
    "case_ask_again": {
        "zh": "抱歉，我没有看懂。",
        "en": "Sorry, I did not catch that.",
    },
    "case_estimated": {
        "zh": "（以上日期按您提供的时间推算，最终以订单和发票日期为准。）",
        "en": "(These dates are worked out from what you told me; the order and invoice dates decide.)",
    },
    "case_undecided": {
        "zh": "暂时无法判断，需要人工客服帮您核实。",
        "en": "I can't decide this without that; an agent can check it with you.",
    },
    "case_ask_request_order": {
        "zh": "请提供订单号（LM 加 12 位数字，可在订单页查看）；如果找不到，回复“没有”，客服审核时会与您核对。",
        "en": "What is the order number (LM and 12 digits, on the order page)? If you can't find it, say \"don't know\" "
        "and the agent will check it with you.",
    },
    "case_ask_request_serial": {
        "zh": "请提供产品序列号（SN：2 个大写字母加 10 位数字，在机身底部或包装盒上）；如果找不到，回复“没有”。",
        "en": "What is the serial number (SN: 2 capital letters and 10 digits, under the device or on the box)? "
        "If you can't find it, say \"don't know\".",
    },
    "case_serial_format": {
        "zh": "序列号是 2 个大写字母加 10 位数字，例如 RV2406123456。",
        "en": "A serial number is 2 capital letters and 10 digits, e.g. RV2406123456.",
    },
    "case_offer_request": {"zh": "申请{kind}", "en": "Open a {kind} request"},
    "case_request_not_opened": {
        "zh": "抱歉，申请暂时无法自动提交，可以转人工客服为您处理。",
        "en": "Sorry, the request could not be submitted automatically; an agent can handle it for you.",
    },
}
