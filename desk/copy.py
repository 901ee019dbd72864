"""Everything the assistant says in its own words, in Chinese and English: the actions, the turn
service and the channels read it here. (Rasa's fixed responses live in domain.yml.)"""

from __future__ import annotations

from knowledge.language import Language

PHRASES: dict[str, dict[Language, str]] = {
    "helpful": {"zh": "👍 有帮助", "en": "👍 Helpful"},
    "not_helpful": {"zh": "👎 没帮助", "en": "👎 Not helpful"},
    "did_you_mean": {"zh": "您想问的是以下哪个问题？", "en": "Did you mean one of these?"},
    "none_of_these": {"zh": "都不是", "en": "None of these"},
    "rephrase": {
        "zh": "抱歉，我没有找到这个问题的答案。能换个说法再问一次吗？我可以解答退换货、退款、保修、维修、物流和发票等问题。",
        "en": "Sorry, I couldn't find an answer to that. Could you rephrase it? "
        "I can help with returns, refunds, warranty, repairs, delivery and invoices.",
    },
    "offer_human": {
        "zh": "抱歉，我还是没能解答您的问题。需要为您转接人工客服吗？",
        "en": "Sorry, I still couldn't answer your question. Would you like to talk to a human agent?",
    },
    "yes_human": {"zh": "转人工客服", "en": "Talk to a human"},
    "no_rephrase": {"zh": "我换个说法", "en": "I'll rephrase"},
    "vote_up_thanks": {
        "zh": "感谢您的反馈！还有其他可以帮您的吗？",
        "en": "Thanks for your feedback! Anything else I can help with?",
    },
    "vote_down_sorry": {
        "zh": "抱歉没能帮到您。您可以换个说法再问一次，或者说“转人工”联系人工客服。",
        "en": 'Sorry that didn\'t help. You can rephrase your question, or say "human" to reach an agent.',
    },
    "vote_unclear": {
        "zh": "请点击 👍 或 👎 告诉我们这个回答是否有帮助。",
        "en": "Please tap 👍 or 👎 to tell us whether the answer helped.",
    },
    "csat_thanks": {"zh": "感谢您的评分！", "en": "Thank you for your rating!"},
    "comment_thanks": {
        "zh": "感谢您的留言，我们会认真改进。",
        "en": "Thank you for your comment, we'll use it to improve.",
    },
    "safety_first": {
        "zh": "为了您的安全，请立即停止使用设备并断开电源，远离设备。",
        "en": "For your safety, please stop using the device at once, unplug it and keep away from it.",
    },
    "handoff_queue": {
        "zh": "正在为您转接人工客服，您目前排在第 {position} 位，预计等待约 {wait} 分钟。",
        "en": "I'm handing you over to a human agent. You are number {position} in the queue; "
        "the expected wait is about {wait} minutes.",
    },
    "still_queued": {
        "zh": "您的消息已转给人工客服。您目前排在第 {position} 位，预计等待约 {wait} 分钟。",
        "en": "Your message has been passed to our agents. You are number {position} in the queue; "
        "the expected wait is about {wait} minutes.",
    },
    "still_queued_closed": {
        "zh": "您的消息已保存。人工客服的服务时间是每天 {opens}–{closes}（北京时间），客服将在 {opens} 后回复您。",
        "en": "Your message has been saved. Our human agents work {opens}–{closes} Beijing time and will reply "
        "after {opens}.",
    },
    "handoff_closed": {
        "zh": "人工客服的服务时间是每天 {opens}–{closes}（北京时间）。您的问题已生成工单，客服将在 {opens} 后回复您。",
        "en": "Our human agents work {opens}–{closes} Beijing time, every day. Your request has been saved as a ticket "
        "and an agent will reply after {opens}.",
    },
    "handoff_already": {
        "zh": "您的问题已在人工客服队列中，请稍候。",
        "en": "Your request is already in the human agents' queue, please wait a moment.",
    },
    # The conversation or its client opened as many escalations as it may lately (engine/escalation_budget.py).
    "handoff_limited": {
        "zh": "您最近已多次申请人工客服，暂时无法再转接。请稍后再试，或者继续向我提问，我会尽力帮您解答。",
        "en": "You have asked for a human agent several times recently, so I can't open another request right now. "
        "Please try again later, or keep asking me and I'll do my best to help.",
    },
    # Rasa could not be reached: the customer's message is stored (every channel, the conversation API's 503).
    "assistant_unavailable": {
        "zh": "抱歉，智能助手暂时无法回复。您的消息已保存，助手恢复后会尽快回复您。",
        "en": "Sorry, the assistant is temporarily unavailable. Your message is saved and will be answered "
        "as soon as it is back.",
    },
    # What the channels say themselves (messages the bot cannot read, platforms without buttons).
    "choose_by_number": {"zh": "（回复数字选择）", "en": "(Reply with a number to choose.)"},
    "picture_received": {
        "zh": "已收到您的图片，客服人员处理您的问题时会查看。请用文字简单描述一下遇到的问题。",
        "en": "We have received your picture; an agent will see it when handling your request. "
        "Please also describe the problem in a few words.",
    },
    "voice_unclear": {
        "zh": "抱歉，没能听清这段语音。请用文字描述您的问题。",
        "en": "Sorry, I could not make out your voice message. Please type your question.",
    },
    "attachment_received": {
        "zh": "已收到您发送的内容。智能助手目前只能阅读文字，请用文字简单描述您的问题；转接人工客服后，客服人员可以查看您发送的内容。",
        "en": "We have received what you sent. The assistant can only read text, so please describe your "
        "question in a few words; a human agent will be able to see what you sent.",
    },
    # A new follower of the WeChat Official Account is greeted in both languages (see `both`).
    "follower_welcome": {
        "zh": "您好，欢迎关注禾光售后服务！我是智能售后助手，可以帮您查询退换货、退款、保修、维修、物流和发票等问题，"
        "请直接发送您的问题。需要人工客服请回复“人工”。",
        "en": "Welcome to Lumio after-sales support! Ask me about returns, refunds, warranty, repairs, delivery "
        "or invoices, in Chinese or English. Type “agent” to talk to a person.",
    },
    # The web chat's refusals that a customer sees (the widget shows them as they are).
    "message_failed": {"zh": "出错了，请重试。", "en": "Something went wrong; please retry."},
    # Nothing of the message was kept (the database was unreachable): it must be sent again.
    "message_not_stored": {
        "zh": "抱歉，您的消息没能送达，请重新发送。",
        "en": "Sorry, your message did not get through; please send it again.",
    },
    "session_failed": {"zh": "会话未能开始，请重试。", "en": "The session could not be started; please retry."},
    # Order and repair lookups (P19, actions/orders.py). A wrong phone and an unknown number get the
    # same words: nothing says whether an order exists before the check passes.
    "lookup_ask_order": {
        "zh": "请发送您的订单号（LM 加 12 位数字，例如 LM202611260001）。",
        "en": "Please send your order number (LM followed by 12 digits, e.g. LM202611260001).",
    },
    "lookup_ask_repair": {
        "zh": "请发送您的维修单号（RMA 加 8 位数字，例如 RMA20261234）。",
        "en": "Please send your repair ticket number (RMA followed by 8 digits, e.g. RMA20261234).",
    },
    "lookup_format_order": {
        "zh": "这个订单号的格式不对：订单号是 LM 加 12 位数字，例如 LM202611260001，可在订单详情页找到。",
        "en": "That order number doesn't look right: it is LM followed by 12 digits, e.g. LM202611260001, "
        "as shown on the order page.",
    },
    "lookup_format_repair": {
        "zh": "这个维修单号的格式不对：维修单号是 RMA 加 8 位数字，例如 RMA20261234。",
        "en": "That repair ticket number doesn't look right: it is RMA followed by 8 digits, e.g. RMA20261234.",
    },
    "lookup_ask_phone": {
        "zh": "为保护您的隐私，请发送下单手机号的后 4 位数字。",
        "en": "To protect your privacy, please send the last 4 digits of the phone number on the order.",
    },
    "lookup_digits_help": {
        "zh": "请只发送手机号的后 4 位数字，例如 8000。",
        "en": "Please send just the last 4 digits of the phone number, e.g. 8000.",
    },
    "lookup_mismatch": {
        "zh": "信息核对未通过：单号或手机号后 4 位不匹配。请核对后再试（本次对话还可尝试 {tries} 次）。",
        "en": "That didn't match: the number or the last 4 digits of the phone are not right. "
        "Please check and try again ({tries} more tries in this conversation).",
    },
    "lookup_locked": {
        "zh": "核对未通过的次数已达上限，暂时无法继续查询。我可以为您转接人工客服。",
        "en": "Too many checks did not match, so I can't look anything up for now. I can pass you to a human agent.",
    },
    "lookup_unavailable": {
        "zh": "抱歉，订单系统暂时无法查询，请稍后再试；也可以转接人工客服为您处理。",
        "en": "Sorry, I can't reach the order system right now. Please try again later, or talk to a human agent.",
    },
    # The answer after a passed check (desk/orders/answer_text.py). P19's words for states and stages.
    "order_status_paid": {"zh": "已付款", "en": "paid"},
    "order_status_shipped": {"zh": "已发货", "en": "shipped"},
    "order_status_delivered": {"zh": "已签收", "en": "delivered"},
    "order_status_cancelled": {"zh": "已取消", "en": "cancelled"},
    "order_status_returned": {"zh": "已退货", "en": "returned"},
    "repair_stage_created": {"zh": "已创建", "en": "created"},
    "repair_stage_pickup_booked": {"zh": "已预约取件", "en": "pickup booked"},
    "repair_stage_received": {"zh": "已收货", "en": "received at the service centre"},
    "repair_stage_diagnosing": {"zh": "检测中", "en": "diagnosing"},
    "repair_stage_quoted": {"zh": "已报价（过保）", "en": "quoted (out of warranty)"},
    "repair_stage_repairing": {"zh": "维修中", "en": "being repaired"},
    "repair_stage_shipped_back": {"zh": "已寄回", "en": "shipped back to you"},
    "repair_stage_completed": {"zh": "已完成", "en": "completed"},
    "lookup_goods_more": {"zh": "{first} 等 {count} 件", "en": "{first} and more, {count} items"},
    "lookup_order_head": {"zh": "订单 {number}（{goods}）：{status}。", "en": "Order {number} ({goods}): {status}."},
    "lookup_ships_on": {
        "zh": "预计 {day} 发货（16:00 前付款当天发货，之后次日发货）。",
        "en": "It should ship on {day} (orders paid before 16:00 ship the same day, later ones the next day).",
    },
    "lookup_carrier": {
        "zh": "承运：{carrier}，运单号 {tracking}。",
        "en": "Carrier: {carrier}, tracking number {tracking}.",
    },
    "lookup_latest_tracking": {"zh": "最新物流（{at}）：{description}", "en": "Latest tracking ({at}): {description}"},
    "lookup_window": {
        "zh": "预计 {span} 送达（发往{province}：发货后 {low}–{high} 天）。",
        "en": "Expected delivery: {span} ({province}: {low}–{high} days after shipping).",
    },
    "lookup_window_passed": {
        "zh": "已超过预计送达时间（发往{province}：发货后 {low}–{high} 天，即 {span}），抱歉久等。",
        "en": "It is later than expected ({province}: {low}–{high} days after shipping, {span}); sorry for the wait.",
    },
    "lookup_stalled": {
        "zh": "物流信息已超过 72 小时未更新，我已为您提交查件申请，48 小时内给您结果。",
        "en": "Tracking has not updated for over 72 hours, so I've opened a parcel investigation for you: "
        "you'll have the result within 48 hours.",
    },
    "lookup_stalled_noted": {
        "zh": "物流信息已超过 72 小时未更新，可以转人工申请查件，48 小时内给您结果。",
        "en": "Tracking has not updated for over 72 hours: a human agent can open a parcel investigation, "
        "with the result within 48 hours.",
    },
    "lookup_delivered_on": {"zh": "已于 {day} 签收。", "en": "Delivered on {day}."},
    "lookup_address": {"zh": "收货地区：{area}", "en": "Delivery area: {area}"},
    "lookup_repair_head": {
        "zh": "维修单 {number}（{product}，SN {serial}）：{stage}。",
        "en": "Repair {number} ({product}, SN {serial}): {stage}.",
    },
    "lookup_repair_not_arrived": {
        "zh": "机器送达维修中心后 5–7 个工作日内修好寄回。",
        "en": "Once the device reaches the service centre, it is repaired and sent back within 5–7 working days.",
    },
    "lookup_repair_quoted": {
        "zh": "维修报价等待您确认；确认后 5–7 个工作日内修好寄回。",
        "en": "The repair quote is waiting for your approval; once approved, it takes 5–7 working days.",
    },
    "lookup_repair_expected": {
        "zh": "预计 {span} 修好寄回（收到机器后 5–7 个工作日）。",
        "en": "Expected back with you between {span} (5–7 working days after the device arrived).",
    },
    "lookup_repair_estimate": {
        "zh": "（该日期按周末推算，为估计值；节假日安排公布后可能调整。）",
        "en": "(An estimate counting weekends only: next year's public holidays are not published yet.)",
    },
    "lookup_repair_overdue": {
        "zh": "维修已超过通常的 5–7 个工作日，抱歉久等；需要的话可以转人工为您催办。",
        "en": "The repair is taking longer than the usual 5–7 working days, sorry; a human agent can chase it for you.",
    },
    "lookup_latest_repair": {"zh": "最新进展（{at}）：{description}", "en": "Latest update ({at}): {description}"},
    "lookup_dropped": {
        "zh": "好的，已取消查询。还有其他问题随时告诉我。",
        "en": "All right, I've stopped the lookup. Let me know if there's anything else.",
    },
    # Return, exchange and repair requests (desk/request_text.py): received, then the agent's decision.
    "request_kind_return": {"zh": "退货", "en": "return"},
    "request_kind_exchange": {"zh": "换货", "en": "exchange"},
    "request_kind_repair": {"zh": "维修", "en": "repair"},
    "request_received": {
        "zh": "已为您提交{kind}申请（申请编号 {id}），客服审核后会在这里通知您结果。",
        "en": "Your {kind} request (no. {id}) has been submitted; an agent will review it and tell you the result here.",
    },
    "request_received_repair": {
        "zh": "已为您提交维修申请，维修单号 {rma}。客服审核后会在这里通知您结果。",
        "en": "Your repair request has been submitted: repair ticket {rma}. An agent will review it and tell you "
        "the result here.",
    },
    "request_attachments_missing": {
        "zh": "质量问题需要照片或视频确认，客服审核时会请您补充。",
        "en": "A quality problem is confirmed from photos or a video: an agent will ask you for them.",
    },
    "request_approved": {"zh": "您的{kind}申请已通过。", "en": "Your {kind} request has been approved."},
    "request_approved_repair": {
        "zh": "您的维修申请已通过，维修单号 {rma}。",
        "en": "Your repair request has been approved: repair ticket {rma}.",
    },
    "request_next_mail_in_repair": {
        "zh": "我们会为您预约顺丰上门取件（保修期内免费）。机器送达维修中心后 5–7 个工作日内修好寄回。",
        "en": "We will book an SF Express pickup for you (free for repairs under warranty). Once the device "
        "reaches the service centre, it is repaired and sent back within 5–7 working days.",
    },
    "request_next_on_site": {
        "zh": "工程师将在 24 小时内致电与您预约上门时间，覆盖城市 48 小时内上门。",
        "en": "An engineer will call you within 24 hours to book a visit; in covered cities the visit happens "
        "within 48 hours.",
    },
    "request_out_of_warranty": {
        "zh": "如已过保：免费检测，维修前先报价，经您同意后才维修。",
        "en": "If it is out of warranty, diagnosis is free and any repair is quoted first: nothing is done "
        "without your consent.",
    },
    "request_next_pickup": {
        "zh": "我们会为您预约顺丰上门取件，请将商品及配件、说明书、赠品一并包好。",
        "en": "We will book an SF Express pickup; please pack the product with its accessories, manuals and gifts.",
    },
    "request_shipping_quality": {
        "zh": "质量问题的退换货运费由禾光承担。",
        "en": "Lumio pays the return shipping for a quality problem.",
    },
    "request_shipping_customer": {
        "zh": "无理由退货的运费由您承担（已购买运费险的除外）。",
        "en": "Return shipping for a no-reason return is paid by you, unless you bought return-shipping "
        "insurance with the order.",
    },
    "request_refund_timing": {
        "zh": "退货签收后 2 个工作日内完成检验，退款原路退回：微信支付、支付宝 1–3 个工作日，银行卡、信用卡 3–7 个工作日。",
        "en": "After the returned item arrives, inspection takes up to 2 working days; then the refund goes back "
        "to the original payment method: WeChat Pay and Alipay in 1–3 working days, bank and credit cards in "
        "3–7 working days.",
    },
    "request_exchange_next": {
        "zh": "收到原商品并确认质量问题后，我们会为您寄出新商品。",
        "en": "Once the item has arrived and the quality problem is confirmed, we send you the replacement.",
    },
    "request_rejected": {
        "zh": "很抱歉，您的{kind}申请未通过：{reason}",
        "en": "Sorry, your {kind} request was not approved: {reason}",
    },
    "request_rejected_more": {
        "zh": "如有疑问，可以回复“人工”联系客服。",
        "en": "If you have questions, type “agent” to talk to a person.",
    },
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
}

NO_COMMENT = frozenset(
    {
        "no",
        "nope",
        "n",
        "skip",
        "none",
        "no thanks",
        "nothing",
        "没有",
        "不用",
        "无",
        "不用了",
        "没有了",
        "跳过",
        "算了",
    }
)


def say(key: str, language: Language, **values: object) -> str:
    return PHRASES[key][language].format(**values)


def both(key: str, **values: object) -> str:
    """The phrase in Chinese, then in English (for a first contact whose language nobody knows yet)."""
    return f"{say(key, 'zh', **values)}\n\n{say(key, 'en', **values)}"
