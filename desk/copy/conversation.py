"""The conversation's own words: answers' buttons, misses, feedback, handoff and queue, what the
channels say themselves."""

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
}

# Replies that mean "no comment" when a comment is asked for after a rating.
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
