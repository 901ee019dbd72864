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
