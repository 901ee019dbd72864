"""Return, exchange and repair requests: received, then the agent's decision."""

from __future__ import annotations

from knowledge.language import Language

PHRASES: dict[str, dict[Language, str]] = {
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
}
