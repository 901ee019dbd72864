"""Order and repair lookups (P19): the form's questions, the phone check, the answer."""

from __future__ import annotations

from knowledge.language import Language

PHRASES: dict[str, dict[Language, str]] = {
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
