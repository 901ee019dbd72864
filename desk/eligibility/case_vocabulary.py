"""The words of a case: one pattern per fact, Chinese and English together (customers mix them).

Read by `case_words` on simplified Chinese (traditional characters are folded first) with the
common English misspellings spelled out here (recieved, warrenty, retrun, vaccum). Grown on the dev
sets (knowledge/eval/cases_dev*.yml, `python -m bench.cases --set dev`), never on the test sets.
The patterns only recognise; how a fact is decided from them (a said "no" beats a "yes", a fault
beats a change of mind) is `case_words`' business.
"""

from __future__ import annotations

import re

from desk.eligibility.facts import DamageCause, Part
from desk.eligibility.rules import Anchor
from desk.orders.records import Category


def any_of(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns), re.IGNORECASE)


# Cantonese words as Mandarin ones (after traditional characters are simplified): "部冷气上个月到咗，
# 一直未揾人装" reads as "…到了，一直未找人装". Whole words only where a character alone means otherwise.
CANTONESE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), mandarin)
    for pattern, mandarin in (
        (r"咗", "了"), (r"唔", "不"), (r"冇", "没"), (r"[嘅慨](?=[，。,？?！!\s]|$)", "的"), (r"嘅", "的"),
        (r"系咪|係咪", "是不是"), (r"喺", "在"), (r"而家", "现在"), (r"仲", "还"), (r"[揾搵]", "找"),
        (r"摩打", "马达"), (r"琴日|寻日", "昨天"), (r"今日", "今天"), (r"成日", "经常"), (r"唔识|唔会", "不会"), (r"(?<=免费)整|整(?=[返翻好下]|[？?]|$)", "修"), (r"点样|點樣", "怎么"), (r"熄[机機咗]", "关机"), (r"[著着]返", "重启"),
    )
)  # fmt: skip

# --- what the customer is after -------------------------------------------------------------------

# Named, price protection is what the customer is after; a price drop alone may be the story of a
# return ("降了50块，我干脆退了重新买") and counts only when no other remedy is named.
PRICE_PROTECTION = any_of(
    r"价保|保价|价格保护|差价|补差|差的[^，。,]{0,8}补",
    r"price[- ]?(?:protection|match|adjust)|the dif+e?r[ea]nce|(?:the )?gap (?:refunded|back)|refund (?:the )?gap|price[- ]dif+e?r[ea]nce (?:refund|claim|compensation)|partial refund|refund[^.?!]{0,20}price (?:drop|difference)",
)
PRICE_DROP = any_of(
    r"降价|便宜了|降了|打折了",
    r"price[- ]?(?:drop|difference)|cheaper|for less|on sale|price (?:has |already )?(?:dropped|gone down|went down|go(?:es)? down|fell)|"
    r"(?:lower|less) than (?:what )?(?:i|we) paid|(?:dropped|fell|went down|gone down) (?:another |a further |further |again |by )?(?:[¥￥$€£]\s?\d+(?:[,.]\d+)*|\d+ ?(?:yuan|rmb|kuai|bucks|dollars))(?![\d,.])(?! on\b)",
)
INSTALLATION = any_of(
    r"安装|装机|来装|上门装|装一下|师傅装|装上墙|挂墙|挂(?:到|在)墙上|帮[^，。]{0,10}装(?:好|上)|装到|装在|帮[^，。]{0,3}装|装吗|免费装|能装|约[^，。]{0,6}装|"
    r"[没未][^，。]{0,4}装(?!修)|联系[^，。]{0,4}装|约[^，。]{0,4}师傅",
    r"\binstal+|(?:send|come)[^.?!]{0,25}\b(?:set (?:it |them )?up|mount|fit)\b|mount(?:ing)? (?:it|the)",
)
EXCHANGE = any_of(
    r"换货|换一?\s*(?:[台个副只件]|tai|ge)|(?<!以旧)换新|调换|更换(?!电池|滤)|换吗|能换|可以换|想换(?!电池|滤)|要换(?!电池|滤)|换成|[弄搞换][台个副只]?(?:新的|好的)",
    r"ex?c?hange|excange|(?<!warranty )(?<!guarantee )replac(?:e|ement|ment)\b(?! (?:filters?|parts?|brush\w*|batter\w*|ear ?tips?))|swap(?!ped (?:in|out) (?:a |the )?(?:new |fresh |spare )?(?:filters?|brush\w*|batter\w*|ear ?tips?|dust ?bags?))|(?:get|have|send me|like|want|need) a new (?:one|pair|unit)|(?:a|new) working (?:one|pair|unit)|change (?:it |a |to a )?(?:for )?(?:a )?new one",
)
RETURN = any_of(
    r"退(?!出|休|役|烧|步)|无理由",
    r"(?<![a-z])ret(?:urn|run|un|rn)|(?:send|go|take|ship|bring)\w* (?:\w+ ){0,3}back|ref(?:u)?n?d|money back",
)
REPAIR = any_of(
    r"(?:能|可以)?走?保修(?:维修|修理|[^，。,]{0,4}(?:给我|帮我|帮忙)修)|维修|修理|寄修|返修|报修|售后|(?<![保装])修(?!手机|电脑|[^，。,]{0,3}的(?:师傅|人|店|小哥))|[找派]人来?看|来看一?下|(?:给我|帮我|帮忙)[弄搞整]好|[弄搞整]好吗",
    r"repair(?! shop| kiosk| stall| booth| guy| man)|\bfix|get it fixed|send it in|look at it|take a look|come (?:and |to )?(?:take a )?look",
)
WARRANTY = any_of(
    r"保修|质保|在保|过保|保固|保养期|有没有?保养|还保|保吗|保不保|能保|保[一两二三几\d]年|保多久|保秀|包修",
    r"war+[ae]n?t|g[ua]+rant[e]+|cover(?:e)?d|cover (?:it|them|this)|(?:is|for|be|get) (?:\d+|one|two|three) (?:years?|yrs?)\b",
)
# A change of mind told without the remedy named ("Changed my mind on these earbuds…"): a return.
CHANGED_MIND = any_of(
    r"不想要了|不要了|反悔了",
    r"changed? (?:my|our) minds?|(?:don'?t|do not) (?:want|need) (?:it|them) (?:any ?more|after all)",
)
SEND_SOMEONE = any_of(r"派人|派个?师傅|上门", r"send (?:someone|somebody|an engineer|a technician)|can an engineer")
INVOICE = any_of(r"发票|抬头|专票", r"invoice|fapiao|(?:billing|company) name|name on (?:my|the) (?:receipt|bill)")
# Where the remedy the customer is after is named: a clause that asks for something ("帮我修一下",
# "I'd rather have my money back"), else one that asks a question ("能退吗", "can I exchange it?").
ASKS_QUESTION = any_of(
    r"吗|能否|可以|能不能|行不行|么",
    r"^\s*(?:\w+,\s*)?(?:can|could|is|are|does|do|will|may|would|am|should)\b|\b(?:can|could) (?:i|we|you)\b",
)
CLAUSE = re.compile(r"[，,。!！?？;；\n]+|(?<=[\u4e00-\u9fff])\s+|\.(?!\d)\s*")
# English date phrases a date reader misses inside a long sentence, read on their own.
EN_DATE_PHRASE = re.compile(
    r"\b(?:(?:last|this|past) (?:week|month|year|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"yesterday|the day before yesterday|(?:\d+|a|an|one|two|three|four|five|six|ten) (?:days?|weeks?|months?|years?) ago|"
    r"on (?:the )?\d{1,2}(?:st|nd|rd|th)?(?: of \w+)?|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w* \d{1,2}(?:,? \d{4})?|"
    r"\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*(?:,? \d{4})?|since \w+|"
    r"(?:back )?in (?:early |late )?(?:january|february|march|april|june|july|august|september|october|november|december)(?: last year|,? \d{4})?|in (?:early|late|mid[- ]) ?may)\b",
    re.IGNORECASE,
)
# A remedy the customer says they do not want ("不想修也不想换，我要退", "I don't want a repair"):
# taken out of the text before anything else is read.
NOT_WANTED = any_of(
    r"(?:不想|不要|不用|不必|不需要|别|也不想|也不要)(?:再)?(?:维修|修理|修|换货|换新|换|退货|退款|退)(?:了|一台|个新的|新的)?|不退不换|不换不退",
    r"(?:don'?t|do not|doesn'?t|no need to|not)\s+(?:want|need|looking for)\s+(?:a |an |to |the )?"
    r"(?:repair|exchange|replacement|refund|return|fix|swap)\w*|"
    r"(?:an? )?(?:replacement|repair|refund|exchange|swap)(?: or (?:an? )?(?:replacement|repair|refund|exchange|swap))? "
    r"(?:isn'?t|is not|aren'?t|are not) what i'?m after",
)
SPECIAL_INVOICE = any_of(r"专票|专用发票|增值税专用", r"special (?:vat )?invoice|vat special")
TITLE_CHANGE = any_of(r"抬头|改发票|换发票|开错|写错", r"title|header|company name|wrong name|name on")
REQUESTING = any_of(
    r"我要|我想|(?<!不)想要|(?<!不)想(?=[退换修约])|要把|想把|要求|申请|帮我|给我|麻烦|报修|请|安排",
    r"\bi want|i'?d like|i would like|\bplease\b|\bpls\b|want to|arrange|\bbook\b|\bstart (?:a|the)|send someone",
)
# A case supposed, not the customer's own ("如果收货第十天才发现质量问题，还能退吗？", "what if I dropped
# them?"): the knowledge base answers it, unless the customer asks for something.
HYPOTHETICAL = any_of(
    r"如果|(?<!主)(?<!只)(?<!还)要是|万一|假如|假设|比如说|一般(?=来说|情况|都|是|会|要|可以|能|多|怎么)|通常",
    r"(?<!check )(?<!see )(?<!know )(?<!wondering )(?<!me )(?<!ask )\bif\b(?! (?:i|we) (?:have|need|must) to\b| (?:needed|necessary|required|need be)\b| (?:that|it) (?:matters|helps)\b)|suppose|in case|in general|generally|usually|typically",
)
# The customer's own item, said ("我的净化器…", "my vacuum…"): a case even before a fact is read.
# ("my" alone is not: "Can the refund go to my bank account?" asks how the policy works.)
OWN_ITEM = any_of(
    r"我的|我家的?|我们的|我买的|我刚买的|我家里|这[个台款副只部]",
    r"\bi (?:just )?(?:bought|got|ordered)\b|\b(?:my|our|this|these) (?:new |\w+ )?(?:vacuum|robot|purifier|ac|air ?con\w*|speaker|earbuds|buds|unit|machine|order)\b",
)
POLICY_QUESTION = any_of(
    r"(?<!不了)(?<!没)多久|多长|(?<![没才这])几(?:年|个月|天)|怎么|如何|是什么|哪些|规定|政策|谁|哪里|哪儿",
    r"how (?:long|many|much|do|does|to)|what (?:is|are|does)|\bwhich\b|\bwho\b|\bwhere\b|policy|in general",
)

# --- the product and the part ---------------------------------------------------------------------

CATEGORIES: tuple[tuple[Category, re.Pattern[str]], ...] = (
    (Category.WATER_PURIFIER, any_of(r"净水器|净水机", r"water (?:purifier|filter system)")),
    (Category.AIR_PURIFIER, any_of(r"空气净化器|净化器", r"air pur+if?i?er|pur+if?i?er")),
    (Category.ROBOT_VACUUM, any_of(r"扫地机|扫拖|扫地", r"robot vac|vac+u+m|robovac|hoover")),
    (Category.AIR_CONDITIONER, any_of(r"空调|冷气", r"air ?con|air conditioner|\bac\b|a/c")),
    (Category.SMART_SPEAKER, any_of(r"音箱|音响", r"speaker")),
    (Category.EARBUDS, any_of(r"耳机|耳塞(?!套)", r"ear ?buds?|earphones?|headphones?")),
    # Last: a PM2.5 reading is the purifier's only where no product is named.
    (Category.AIR_PURIFIER, any_of(r"pm ?2\.?5", r"pm ?2\.?5")),
)
BATTERY_FAULT = any_of(
    r"[充冲]不[进上]?去?电|[充冲]不[满进上]|不充电|只能[用听撑扫][^，。,]{0,6}(?:分钟|一会)|充不了电|掉电|不蓄电|充电充不|没电很快|就没电|续航(?:变|很)?短",
    r"won'?t (?:hold (?:a|the) )?charge|(?:full|100 ?%) to (?:dead|empty|flat|zero|0 ?%)|(?:only|just) last\w* (?:like |about |maybe |around )?\d+ ?(?:min|minutes|mins)|not charging|stopped charging|doesn'?t charge|can'?t charge|"
    r"no longer charges|drains|doesn'?t hold (?:a |the )?charge|wasn'?t charging|didn'?t charge|did not charge|isn'?t charging",
)
# Named parts first (a remote that fails is the accessory, not the whole unit).
PARTS: tuple[tuple[Part, re.Pattern[str]], ...] = (
    (Part.ACCESSORY, any_of(r"充电座|回充座|充电底座|基站|遥控器|遥控|充电盒|充电仓", r"charging (?:dock|base|station|case)|\bdock\b|remote|(?:earbuds?|the) case\b")),
    (Part.CONSUMABLE, any_of(r"(?:滤芯|滤网)(?![^，。,]{0,2}(?:灯|提示|指示))|(?:边刷|滚刷)(?!电机|马达)|耳塞套|耳帽|尘袋|集尘袋", r"filter(?!ing\b|ed\b| (?:light|indicator|reminder|warning|alert|icon|led)\b)|brush(?! motor)|ear ?tips?|(?:silicone|foam|rubber) tips?|dust ?bags?")),
    (Part.COMPRESSOR, any_of(r"压缩机", r"compressor")),
    (Part.MOTOR, any_of(r"电机|马达", r"motor")),
    (Part.BATTERY, any_of(r"电池|续航", r"battery", BATTERY_FAULT.pattern)),
)  # fmt: skip
# "不知道是机器的问题还是充电座的问题": the part is not known.
PART_UNSURE = any_of(
    r"不知道是[^，。,]{1,12}还是|不确定是[^，。,]{1,12}还是", r"not sure (?:if|whether) it'?s (?:the )?\w+ or"
)
# The whole unit named as the part ("the whole unit is too tall for the cabinet"): no failure said.
WHOLE_UNIT_NAMED = any_of(r"整机", r"whole (?:unit|device|machine)")
# A failure of the whole product, no part named ("不开机", "won't turn on").
WHOLE_UNIT_FAILURE = any_of(
    r"不开机|开不了机|打不开了?|启动不了|开不开机|坏了|不工作|不能用了|不制冷|不制热|不出水|没反应|反应都没有|死机|故障|不亮|没声音|连不上|(?<![劝没封房])不动了?|"
    r"不走|罢工|自动关机",
    r"fell silent|(?:hasn'?t|won'?t|doesn'?t) made? a sound|(?:won'?t|will not|doesn'?t|does not)(?: even)? (?:turn|switch|power) on|stopped working|"
    r"not working|doesn'?t work|broke|broken|dead|died|faulty|malfunction|no lights?|no power|nothing happens|"
    r"no water (?:comes|coming|came) out|water (?:won'?t|doesn'?t|does not) come out|stopped (?:producing|dispensing|giving) (?:any )?water|"
    r"(?:not|stopped|isn'?t|doesn'?t|won'?t) (?:cool|heat)(?:ing)?\b(?! (?:(?:the |our |my )?(?:room|house|flat|place|air) )?(?:well|properly|enough|much|as|like|below|above))",
)
FAULT = any_of(
    r"(?:制冷|制热|吸力|音质|效果|信号|续航)[^，。,]{0,4}(?:不行|不好|很差|太差)|打转|出(?:了)?(?:点|些)?问题|出毛病|歪了|走不了直线|跑偏|掉出来|异味|臭味|怪味|塑料味|胶味|焦味|电留声|嗞嗞|吱吱|化学味|刺鼻|[一有]股[^，。,]{0,6}味|铁锈味|回不去|回不了|找不到(?:充电座|基站|家)|噪音|噪声|响声|异响|杂音|电流声|滋滋|嗡嗡|咔咔|吵|漏水|滴水|质量问题|瑕疵|次品|有问题|毛病|失灵|不灵|卡顿|卡住|"
    r"发热|裂|转圈|没声|破音|不热|不够热|乱跳|乱响|乱跑|自己(?:启动|开机|关机|响|动|停)|[转跑扫吹](?:一会儿?|几分钟|没多久)就(?:自己)?停|时有时无|时好时坏|断断续续|时不时[^，。,]{0,4}(?:断|卡|停|没声|关机|重启|响)|(?<![判诊中间推])断一下|(?<![刷打])卡一下|(?:对方|通话|耳机|那边)[^，。,]{0,8}听不[清见到]|不对劲|松了|合不上|"
    r"(?:特别|越来越|非常)(?:慢|小|弱|差|烫|响|吵)|[很太](?:慢|弱|差|烫|响|吵)|要等半天|没反应|不响|不出|声音?特别大|好大声|"
    r"越来越(?:小|慢|弱|差|短|少)|断连|断开|不出|报错|故障码|掉毛|划痕|闪|关机|重启|声音[^，。,]{0,4}(?:没有|越来越|忽大忽小)|吸力|吸不|不凉|温的|"
    r"不够冷|拖拉机|不转|热风|一直显示|声音都没了|一点声音都没|哑了|[响叫]个不停|[滴嘀]{2}(?:叫|响|声)|黑屏|显示[^，。,]{0,6}(?:不对|不准|异常|乱)|数值?不[对准]|撞|避不开|不会避|声音?[太很好]大",
    r"smell|stink|rams? (?:straight |right )?into|(?:doesn'?t|does not|won'?t) (?:register|detect|sense) (?:anything|obstacles|walls|the)|not even a (?:light|sound|beep|flicker)|dribbl|shows (?:an? )?(?:error|e\d+\b|code)|error code|went (?:blank|dark|black|dead|silent|quiet)|tast(?:es|ing|e) (?:a bit |kind of |slightly |really )?(?:metallic|funny|weird|odd|strange|bad|off)|nois(?!e[- ]?cancel)|loud|rattl|leak|drip|defect|quality (?:problem|issue)|faulty|crack|glitch|squeak|\bstick(?:s|ing|y)\b|"
    r"keeps? (?!(?:listening|using|asking|telling|saying|playing music|wanting|looking)\b)\w+ing|reboot|"
    r"suction|weak|barely|lukewarm|trickle|does nothing|do nothing|sounds? like|\bdies\b|dying|restarts?|randomly|"
    r"(?:warm|hot) air|blowing (?:warm|hot)|stays (?:red|on)|blinks?|blinking|flashing|noise like|no response|(?:stuck|frozen) (?:at|on) (?:\d|zero|full|max|the same)|"
    r"drops? (?:off|out)|cuts? out|cutting out|turning (?:itself )?off|shutting (?:itself )?(?:off|down)|stuck on|runs? flat out|"
    r"squeal|whin(?:e|ing)|stops after|won'?t stay (?:shut|closed|on|in|connected)|falls? out|trips? (?:off|out)|flash(?:es|ed)?(?![- ]?(?:sale|deal|sell))|light'?s? (?:is |was |goes |went )?off|(?:don'?t|doesn'?t) do anything|grind|buzz|hum\b|hiss|(?:has|have|had|'s) failed|is failing|already (?:split|torn|cracked|broken)|\bdent(?:ed|s)?\b|split (?:down|along|open)|beep|error|disconnect|static|crackl|flicker|overheat|snapped|scratch|no sound|click|acting up|"
    r"(?:won'?t|doesn'?t|does not|will not|can'?t) (?:work|start|turn|power|cool|heat|pair|con+ect|suck|clean|charge|spin|rotate)|(?:isn'?t|is not|not|stopped) (?:cool|heat)ing|"
    r"shuts? (?:itself )?(?:off|down)|turns? (?:itself )?off|stopped \w+ing|not responding|unresponsive|(?:quieter|louder|weaker) than the other|(?:can'?t|cannot|couldn'?t|barely) hear (?:me|my voice)",
)
# A fault said without what the product does ("有毛病", "it's faulty"): it may be in any part.
GENERIC_FAULT = any_of(
    r"质量问题|瑕疵|次品|有问题|出(?:了)?(?:点|些)?问题|毛病|故障|坏了|不好使|不正常|不对劲",
    r"quality (?:problem|issue)|defect\w*|faulty|broken?|malfunction\w*|acting up|glitch\w*|problems?|issues?|wrong with",
)
NOT_FAULTY = any_of(
    r"没有?质量问题|不是质量问题|没(?:什么|啥)?毛病|没坏|功能正常|用着挺好|一切正常",
    r"nothing wrong|not (?:a )?(?:quality|defect)|(?<!charger )(?<!cable )(?<!phone )(?<!adapter )works? (?:fine|perfectly|well)|not faulty|no (?:fault|defect|problem with it)|"
    r"(?:they'?re|they are|it'?s|it is) (?:working )?(?:perfectly )?fine(?:\s*[.!]?\s*$|\s*[,.;!]?\s*(?:(?:i|we)(?:'d| would| just| simply| only| really| don'?t| no longer| prefer| changed)|just|nothing)\b)",
)
CHANGE_OF_MIND = any_of(
    r"不(?:太|怎么|是很)?(?:想要|喜欢|需要)|不(?:打算|准备)要|无理由|(?:跟|同|和)(?![^，。,]{0,6}(?:订单|描述|页面|图片|宣传|详情|下单|手机|蓝牙|app|路由))[^，。,]{0,6}(?:不夹|不配|不匹配|(?<!配)对不上)|没(?:什么|啥)?必要(?:买|要|用)?|买错|买多|买重|重复|买大了|买小了|用不上|用不着|不合适|不(?:太|怎么)?适合|不啱|用处不大|没什么用处|不搭|闲置|嫌|占地方|[放摆塞]不下|不用了|(?<!声音)(?<!声)(?<!噪音)(?:太大|太小)|颜色|[黑白灰红蓝粉金银]色|尺寸|"
    r"已经有一?台|家里有了|用不惯|跟我想的不一样|不是我想要的|决定(?:先|还是|暂时|就)?不[装要用换买]|不(?:想|打算)?装了|一模一样的|同款|没地方[放摆]|型号对不上|对不上型号|不适合我|(?:体积|个头|尺寸|实物|机器|东西)比[^，。,声噪响]{0,6}(?:想象|预想|预期|以为|想的)[^，。,声噪响]{0,4}(?:大|小)|(?<!来的)(?<!发的)(?<!寄的)(?<!不)(?:是|适用于|适配)(?:老|旧|别的|其他)(?:款|型号)",
    r"changed? (?:my|our) minds?|(?<!for )no[- ]reason|(?:not|isn'?t|aren'?t) (?:really |quite )?(?:my|our) (?:style|taste|thing|cup of tea)|(?:return|send|refund)[^.?!]{0,25}without (?:a |giving a |giving any )?reason|no questions asked|(?:rather|prefer to) keep (?:using )?(?:my|our|the) (?:old|current)|(?:rather|prefer to) (?:stick|stay) with (?:her|his|my|our|the|their) (?:old|current)|prefer (?:my|our) (?:old|other|previous|former)|never use|won (?:one|a \w+)|(?:exact )?same one|(?:exact )?same (?:purifier|vacuum|speaker|earbuds|unit|model)\b|(?:now )?(?:we'?ve|i'?ve|we have|i have) got two(?: of (?:them|these|those|the same \w+))?(?=\s*(?:[.,!;]|$|now\b|and\b|so\b))|(?<!filter )(?<!filters )(?<!part )(?:won'?t|will not|doesn'?t) fit|(?:had )?already (?:ordered|bought|got) (?:one|me one|her one|him one)|rather have (?!(?:my |the |a )?(?:money|refund|cash|replacement|repair))|don'?t use it|does the job (?:anyway|already|just fine)|(?:my|our|the) old one (?:did|does|was|worked|works) (?:a )?(?:better|fine)|already (?:have|has|had|bought|got|put|installed) (?:one|two)|already (?:have|own|has) (?:a|an) (?:\w+ ){0,3}(?:vac\w*|purifier|speaker|earbuds|unit|air ?con\w*|machine)\b|not feeling (?:them|it)|(?:prefer|rather have) (?:the |a )?(?:\w+ )?(?:one|colou?r|model)|to match|"
    r"don'?t (?:really )?(?:want|need|like)|no longer (?:need|want)|won'?t (?:really )?need|will not need|wrong (?:one|model|colou?r|size)|(?:different|another|other) colou?r|"
    r"ordered (?:the )?wrong|by mistake|too (?:big|small|large|bulky)|not (?:really |quite |exactly )?what (?:i|we) (?:wanted|expected)|(?:just )?not for (?:me|us)|(?:isn'?t|is not|aren'?t|are not) (?:really )?for (?:me|us)|"
    r"won'?t let (?:us|me)|landlord|(?:bigger|smaller|larger|taller|wider|bulkier|heavier) than (?:i|we)(?: had)? (?:expected|thought|imagined)|(?:(?:they'?re|it'?s|they are|it is|they were|it was) (?:only |made |meant )?for|fits?|only fits?) (?:the|an?|my) (?:older|old|previous|different|other) (?:model|version|generation)|(?:don'?t|doesn'?t|dont|doesnt) (?:sit|fit) (?:well|right|rite|properly)|too (?:tall|wide|big|large|long|bulky|deep|high) to (?:fit|go|slide)|wanted the \w+ one|(?:wants?|wanted|prefers?|preferred) the (?:bigger|smaller|larger|other|cheaper|newer|older) (?:model|one|version|brand)|\b(?:grey|gray|white|black|pink|silver|gold|beige)\b (?:one|version|colou?r)",
)

# --- P6's conditions ------------------------------------------------------------------------------

UNOPENED = any_of(
    r"没拆封|未拆封|没开封|未开封|全新未拆|没拆过|原封|没拆|没打开|没动过|没撕",
    r"unopened|still sealed|still boxed|still (?:taped|sealed) up|box is still (?:taped|sealed)|still in (?:the |its )?(?:shrink[- ]?wrap|cellophane|plastic wrap)|(?:plastic|film|wrap\w*) (?:is |are )?still on|never opened|not opened|still (?:in (?:the|its) box|shrink[- ]?wrapped|in (?:the )?(?:plastic|wrapping))|sitting in (?:the|its) box|(?:even|never|not) open(?:e)?d|haven'?t (?:even )?open(?:e)?d|(?:has|have)n'?t been opened|brand new in (?:the )?box|unused|(?:haven'?t|have not|never|didn'?t|did not) (?:even )?(?:taken|took|take|gotten|got) (?:it|them) out of (?:the|its|their) (?:box|packaging)",
)
_CONSUMABLE = r"(?:滤芯|滤网|边刷|滚刷|耳塞套|尘袋|集尘袋)"
# A consumable said to be replaced already is not the part at fault ("滤芯都换了新的还是这样").
# A part named as what the product is charged on or came with, not as the part at fault ("only ever
# been charged on the dock it came with … the battery won't charge").
PART_AS_MEANS = any_of(
    r"(?:用|在)(?:原装的?|自带的?|原配的?)?(?:充电座|底座|基站)(?:上)?充|(?:插|放)在(?:原装的?)?(?:充电座|底座|基站)上|(?:滤芯|滤网|边刷|尘袋)[^，。,]{0,4}(?:也|都)?(?:一直)?用的?(?:是)?(?:原装|官方)|"
    # A remote's cells ("换了两节新电池也一样"): what the customer tried, not the product's battery.
    r"[一两二三四几]节[^，。,]{0,3}电池|干电池|[57]号电池",
    r"(?:charged|charging|charges|charge) (?:it |them |the \w+ )?(?:on|with|from|in) (?:the|its|my|our) (?:original |own )?(?:charging )?(?:dock|base|station)(?: (?:and \w+ )?(?:it|they) came with)?|"
    r"(?:only|always) (?:ever )?(?:used|use) (?:genuine|original|official) (?:filters?|brush\w*|ear ?tips?|dust ?bags?)|"
    r"(?:charge|charged|charging)\w* (?:them |it )?(?:with|in|on|from) (?:the|its|their|my|our) (?:original |own )?(?:charging )?(?:case|cable|dock)\b(?: and (?:the )?(?:case|cable|adapter))?|"
    r"(?:dock|charger|cable|case)\b[^.]{0,20}\bis the (?:one|original)(?: it came with)?|\baa+ batter(?:y|ies)|batteries in (?:the|its|my) remote",
)
REPLACED_CONSUMABLE = any_of(
    rf"{_CONSUMABLE}[^，。,]{{0,4}}(?:都|也|已经)?换(?:了|过)(?:新的?)?|换(?:了|过)(?:新的?)?{_CONSUMABLE}|新的?{_CONSUMABLE}[^，。,]{{0,3}}(?:换|装)上",
    r"(?:(?:brand[- ]?new|new|fresh) |(?:replaced|changed) (?:the )?)(?:filters?|brush(?:es)?)",
)
OPENED_CONSUMABLE = any_of(
    rf"(?<![没未])(?:拆|打开|开封|(?<!备)用|撕)[了过]?(?:的)?{_CONSUMABLE}|{_CONSUMABLE}[^，。,]{{0,12}}(?<![没未])(?:拆|开封|打开|撕开|撕了|用)[了过开]?",
    rf"{_CONSUMABLE}[^。？?]{{0,16}}(?:密封袋|包装袋?|塑封|封膜|袋子)[^，。,]{{0,4}}(?<![没未])(?<!没有)(?:撕|拆|打开|剪)",
    rf"{_CONSUMABLE}[^。？?]{{0,10}}拆(?:了|开)?(?:一[个片包支盒只])?(?:的|外)?(?:包装袋?|塑封|封膜|袋子|盒子)?[^，。,]{{0,2}}装(?:上|进|好|到)",
    rf"{_CONSUMABLE}[^。？?]{{0,16}}(?<![没未])(?<!没有)(?:拆|撕|剪|打开)(?:了|开)?(?:的)?(?:包装袋?|塑封|封膜|袋子|密封袋|盒子)|{_CONSUMABLE}[^。？?]{{0,16}}拆(?:了|开)[^，。,]{{0,6}}(?:抽|拿|取)出",
    r"(?:filter|brush|ear ?tips?|(?:silicone|foam|rubber) tips|dust ?bags?|cartridge)[^.;]{0,40}(?:tore|ripped|opened|unsealed|unwrapped) (?:open |the |it|them)|"
    r"(?:filter|brush|ear ?tips?|(?:silicone|foam|rubber) tips|dust ?bags?|cartridge)[^?!]{0,120}\b(?:tore|torn|ripped|peeled|pulled|took) (?:the )?(?:shrink[- ]?wrap|plastic|wrap\w*|seal\w*|film|packaging) off|"
    r"(?:filter|brush|ear ?tips?|(?:silicone|foam|rubber) tips|dust ?bags?|cartridge)[^?!]{0,120}\b(?:ripped|tore|torn|cut|slit) (?:the |a )?(?:packet|pack|pouch|bag|box|wrap\w*|seal\w*|plastic) open|"
    r"(?:filter|brush|ear ?tips?)[^?!]{0,80}\b(?:opened|unwrapped|unsealed) one\b|"
    r"(?:tear|tore|torn|rip|ripped|cut|slit) open (?:the |a |that )?(?:\w+ ){0,2}(?:bag|pack|packet|pouch|wrap\w*|seal\w*|sleeve|film)[^.,;]{0,30}(?:filter|brush|ear ?tips?|(?:silicone|foam|rubber) tips|cartridge)|"
    r"(?:filter|brush|ear ?tips?)[^?!]{0,160}\b(?:ripped|tore|torn|took|taken|pulled|got(?:ten)?) (?:one|it|them) out of (?:its|their|the) (?:plastic|wrap\w*|seal\w*|bag|pouch|film)|"
    r"(?:screwed|twisted|clicked|fitted|installed|put) (?:one of |both of )?(?:the |a |my )?(?:\w+ ){0,2}(?:filters?|cartridges?)\b[^.]{0,12}\b(?:in|into|on)\b(?! (?:the|its|their) (?:box|bag|wrap\w*|packaging))|"
    r"(?:popped|took|pulled|got|ripped|tore) (?:one of |both of )?(?:the |a |both |my )?(?:\w+ ){0,2}(?:filters?|brush\w*|ear ?tips?|(?:silicone|foam|rubber) tips)\b[^.]{0,10}\bout of (?:its|their|the|a) (?:\w+ )?(?:plastic|wrap\w*|seal\w*|bag|pouch|film|packet|pack|box)|"
    r"(?:clipped|popped|snapped|attached|stuck|fitted|put) (?:one of |both of )?(?:the |a |both |my )?(?:two |three |four |\d |both )?(?:spare |new |extra |small |little |smaller |bigger |larger )?(?:side )?(?:brush\w*|filters?|ear ?tips?|(?:silicone|foam|rubber) tips)\b[^.]{0,40}\b(?:on|onto|in|into)\b|"
    r"(?:opened|used|unsealed|unwrapped|installed|tried|(?:took|tore|ripped|peeled|pulled) (?:the )?(?:plastic|wrap\w*|seal\w*|film|packaging)[^.,;]{0,20}off)\b[^.,;]{0,30}"
    r"(?:filter|brush|ear ?tips?)|(?:filter|brush|ear ?tips?)\w* (?:is |are |was |were |has been |have been )?"
    r"(?:opened|used|unsealed|installed|unwrapped)",
)
# A consumable said to be still sealed ("the spare filter is still in its wrapper", "备用滤芯没拆封").
CONSUMABLE_SEALED = any_of(
    rf"{_CONSUMABLE}[^，。,]{{0,6}}(?:没拆|没开封|未拆|未开封|原封|还封着|没撕)",
    r"(?:filter|brush\w*|ear ?tips?|(?:silicone|foam|rubber) tips|dust ?bags?|cartridge)\w*[^.,;]{0,20}\b(?:still|all) (?:in (?:its|their|the) (?:wrapper|wrapping|packaging|bag|packet|pouch|plastic|box)|sealed|unopened|wrapped)",
)
# "重启也没用" is "did not help", not "not used"; a fault at the first start, or a try ("试听了一下"), is
# found in inspection.
NOT_USED = any_of(
    r"没用过|(?<![也都])没用(?![的处])|未使用|没激活|未激活|没开机|没开过|(?:第一次|首次|头一次)(?:开机|启动|打开|通电|用)就|试(?:听|戴|用|开|机)了?一下",
    r"never used|haven'?t used|not used|didn'?t use|never turned it on|never set (?:it|them|the \w+) up|(?:only|just) (?:plugged|switched|turned) (?:it|them) (?:in|on)\b[^.;]{0,30}\bto (?:check|see|test|make sure)|not activated|never switched it on|never installed|(?:haven'?t|not) (?:been )?installed(?: it)? yet",
)
USED = any_of(
    r"用了|用过|使用了|激活|当背景音乐|放着放着|用着用着|听着听着|(?:日日|天天|每天|每晚)[^，。,]{0,8}(?:播|放|用|开(?!不)|听|扫|跑|吹|戴)|试用了|开机用|跑了|戴了|戴过|听了|装好|装上用|开过|用着|[扫跑拖吹听戴开][过了]\s*[\d一两二三四五六七八九十几好多]+\s*[回次遍趟]",
    r"\bused (?:it|them|the)|'ve used|been using|had (?:it|them|the \w+(?: \w+)?) running|(?:running|used) (?:it )?every (?:night|day)|every (?:night|day) since|\bactivated|used for|tried it|using it|ran it|run it|wore them|worn|set (?:it|them|the \w+) up|set up the \w+|linked (?:it|them) to (?:my|our|the) (?:account|phone|app)|"
    r"(?:(?:been|i|we|i'?ve|we'?ve|it'?s|it has) (?:\w+ )?(?:running|using|used|ran|run|wear|wore|wearing|vacuuming|done)\b[^.?]{0,25})(?:twice|three times|once) a day|(?:ever|every day) since|\b(?:ran|run|running|had) (?:it|the \w+|them) (?:all|the whole) (?:night|day|weekend)|"
    r"(?:took|take|taken|brought) (?:them|it|the \w+) (?:along )?(?:on|to|for) (?:a |the |my |our )?(?:\w+ )?(?:trip|holiday|vacation|flight|gym|commute|camping)|"
    r"(?:ran|run|running|used|using|wore|worn|wearing) (?:it|them|the \w+) (?:every|each) (?:day|night)|for (?:like |about )?\d+ days (?:straight|strait|in a row)|(?:run|ran|used|cleaned|played|worn|wore)\b[^.]{0,40}\bevery (?:single )?(?:morning|night|day|evening)",
)
_PACKAGING = r"(?:包装|盒子|箱子|外箱|纸箱|彩盒|外盒|泡沫托?)"
INCOMPLETE = any_of(
    rf"(?:赠品|送的|附送)[^。！？!?]{{0,20}}(?:转送|转手|送人了|给[^，。,]{{0,6}}(?:用了|用着|在用))|{_PACKAGING}[^，。,]{{0,12}}(?:扔|丢|没了|坏了|破了|撕|当垃圾|当废品|当废纸|卖了|卖掉|处理掉)|(?:配件|说明书|赠品|送的|附送|耳塞套)[^，。,]{{0,16}}(?:丢|没了|少了|不全|找不到|送人|送给|送朋友|转手|给了|给我|拆开|拆了|用了)",
    r"(?:threw|thrown|tossed|binned|chucked) (?:away |out )?(?:the |its |their )?(?:original )?(?:box|packaging)|(?:box|packaging)[^.,;]{0,25}(?:gone|damaged|torn|recycl|thrown|binned|trash)|(?:box|packaging|carton)[^.]{0,30}\b(?:went|gone|thrown|tossed|dumped|put|chucked|binned|threw|stuffed|sent)\b[^.]{0,30}(?:garbage|rubbish|trash|chute|dumpster|landfill)|"
    r"(?:threw|tossed|dumped|put|chucked|sent|stuffed) (?:the |our |my |its )?(?:box|packaging|carton)[^.]{0,30}(?:garbage|rubbish|trash|chute|dumpster|landfill|bin)\b|"
    r"(?:dock|remote|cable|charger|manual|accessor\w*|gift)[^.]{0,50}\b(?:i|we)(?: just| still)? (?:can'?t|cannot|couldn'?t) find (?:it|them)|(?:hidden|hid|misplaced) (?:the |its |my )?(?:charging )?(?:dock|remote|cable|charger|manual)|"
    r"(?:free|bonus) (?:gift|(?:\w+ ){0,3}\w+)\b[^.]{0,60}(?:went to|gave|given (?:away|to)|handed (?:over|to)|passed (?:it |them )?on)|(?:gave|given) away the (?:free |bonus )?gift|(?:gave|given) (?:away )?the (?:free|bonus) gift|"
    r"(?:lost|missing|without) (?:the )?(?:box|packaging|accessor\w*|manual|parts?|gift)|"
    r"(?:manual|accessor\w*|ear ?tips?|gift)[^.;]{0,30}(?:missing|lost|gone)|(?:dock|remote|charger|cable)[^.;]{0,20}\b(?:went|gone|is|are) missing|"
    r"(?:lost|misplaced|can'?t find) (?:the |my |its )?[\w ]{0,20}(?:cable|charger|dock|remote|manual|box|packaging|accessor\w*|gift|parts?)\b",
)
CUSTOMISED = any_of(
    r"定制|刻字|刻了[^，。,]{0,5}(?:字|名|图案|logo|标志|图|日期)",
    r"custom(?!er| firmware| rom)|engrav|personali[sz]ed|etch(?:ed|ing)|monogram",
)
GIFT_CARD = any_of(r"礼品卡", r"gift ?card")

# --- P8's causes ----------------------------------------------------------------------------------

CAUSES: tuple[tuple[DamageCause, re.Pattern[str]], ...] = (
    (DamageCause.NON_ORIGINAL_CHARGER, any_of(r"万能充|别[的人][^，。,]{0,5}充电器|非原装|手机的?(?:快充头|充电头|充电器|数据线)|快充头|别的充电头|其他[^，。,]{0,5}充电器|第三方[^，。,]{0,3}充电器|杂牌", r"(?:third[- ]party|another|other|different|non[- ]?original|generic|cheap|universal|random)[^.,;]{0,15}(?:charger|adapter)|(?:charg\w*|using|used|use|plugged)\b[^.]{0,40}phone(?:'s)? (?:fast |quick |usb[- ]?c )?(?:cable|charger|adapter|brick)|(?:lost|without) the original charger|universal (?:one|charger|cable|adapter)|(?:charger|cable)[^.]{0,60}(?:using|used|use) (?:a |an )?(?:universal|generic|cheap|random) (?:one|charger)")),
    (DamageCause.LIQUID_DAMAGE, any_of(r"进水|泡水|(?:进了?|渗进|里面有?|里有|内部有?)[^，。,]{0,2}(?:水汽|水蒸气|水珠)|浴室[^，。,]{0,6}(?:水汽|水蒸气)|(?:水汽|潮气|湿气)(?:太|很|特别)(?:重|大)|里面[^，。,]{0,6}凝[^，。,]{0,3}水|受潮|洒了?水|水洒|洒在|飘进|进去[^，。,]{0,4}水|暴雨|雨水|洒到|洒了|泼|浸水|淋雨|淋了[^，。,]{0,6}雨|掉水里|进了水|弄湿|打湿|碰翻[^，。]{0,6}水|打翻|洗衣机|洗了一遍|(?:口袋|裤兜|衣兜|兜)里?[^，。,]{0,6}(?:一起|一块)?洗了|(?:跟|和|连)着?衣服[^，。,]{0,4}(?:一起|一块)?洗了|一摊水|水里|水上开|吸进[^，。,]{0,4}水|水盆", r"water (?:got|went|spilled|spilt)|puddle|(?:through|in|into) (?:the |a )?(?:washing machine|wash|laundry)\b|water (?:ran|poured|leaked|dripped) (?:\w+ )?(?:into|in|onto|over)|poured (?:\w+ )?(?:juice|water|tea|coffee|milk|drink|soda|wine|beer) (?:into|in|onto|over|on)|(?:drink|juice|tea|coffee|milk|wine|beer|soda)\b[^.,;]{0,15}(?:all )?over the|spill|(?:juice|tea|milk|coffee|wine|soda|drink|beer|water) over|knocked (?:his|her|my|a|the|their) (?:\w+ )?(?:juice|drink|water|tea|coffee|milk)|spilt|(?<!never )(?<!not )got wet|liquid|into (?:the )?water|soaked|\brain(?:ed)?\b|coffee|"
     r"(?:glass|cup|bottle|mug) of (?:water|tea|juice|milk)|water over|swimming|swam|in the (?:pool|shower|rain|sea)|drench\w*|waterlogged|submerged|dunked")),
    (DamageCause.DROP, any_of(r"摔|掉地|推下|滚下|滚落|碌了?落|栽(?:到|下|了(?:下|一跤|个跟头))|[从由][^，。,]{0,6}[上顶][^，。,]{0,4}(?:掉|推|碰|扫)下|掉在地|跌落|掉下|磕|碰掉|碰倒|(?:碰|推|扫|弄|撞|拍)(?:到|在|掉到)了?地|到地上", r"tumbled|fell (?:down|off|over)|landed on (?:the |a )?(?:floor|ground|tiles?|concrete|stairs)|(?<!price )(?:got|was|were) knocked (?:off|over|down)(?! by \d| onto (?:it|them|the))|hit the (?:floor|ground|tiles)|(?:slipped|slid|flew) (?:out of|off|from)\b|onto the (?:floor|ground|pavement|sidewalk|concrete|tiles?|street|road|stairs)|(?<!price )(?<!price has )(?<!price already )\bdropped\b(?! (?:by|to|in price|out|off|connection|(?:another |a further |further |again )?(?:[¥￥$€£]\s?\d|\d+ ?(?:yuan|rmb|kuai|bucks|dollars))))|(?<!price )(?<!price has )\bfell\b(?! in love| by| silent| quiet| asleep)|knocked (?:it|them|the \w+(?: \w+)?) (?:off|over)\b(?! \w* ?(?:water|coffee|drink))")),
    (DamageCause.UNAUTHORISED_REPAIR, any_of(r"自己拆(?!.{0,2}滤)|拆开过|撬开|拧开[^，。,]{0,3}(?:螺丝|外壳|后盖|底盖|机身)|(?:螺丝|后盖|底盖)[^，。,]{0,3}拧(?:开|下来)|(?:背板|后盖|底盖|外壳|机壳|面板)[^，。,]{0,3}拆(?:下来|开|了)(?![^，。,]{0,8}(?:洗|清|擦|滤网|滤芯))|(?:换|装)了?个?[^，。,]{0,6}(?:淘宝|网上|拼多多|闲鱼)[^，。,]{0,4}买的|自己焊|焊上去|找人焊|改装|(?:网上|淘宝|拼多多)[^，。,]{0,6}买了?[^，。,]{0,4}(?:电池|零件|配件|风扇|马达|电机)[^，。,]{0,6}(?:换|装)|(?:^|[，。,])(?![^，。,]*(?:包装|袋|塑封|膜|箱|盒))[^，。,]*拆开看|帮[^，。,]{0,4}拆|拆开[^，。,]{0,3}[弄修搞]|拆过(?!.{0,3}(?:滤|包装))|拆机|外面[^，。,]{0,6}修|(?:小店|店里|楼下|路边|街边|修理店|小区|门口|街上|附近)[^，。,]{0,6}修|私自|找人修(?:过|了)|别人修|维修店|修手机的店|第三方维修|路边店", r"open(?:ed)? (?:it|them) up(?! and (?:honestly|they'?re|it'?s|they|it|i|we)\b)|took (?:the |its )?(?:\w+ )?(?:panel|cover|casing|case) off|open(?:ed)? up (?:the|my) |took (?:it|the \w+(?: \w+)?) apart|repaired (?:it )?elsewhere|third[- ]party repair|(?:local|repair|phone) shop|repair (?:stall|booth|kiosk)|repair (?:guy|man)(?! (?:said|says|told|thinks|reckons|confirmed|checked|looked))|disassembl|self[- ]repair|with a screwdriver|solder|3d[- ]printed|(?:^|[.!?])(?![^.!?]*(?:filter|brush|ear ?tips?|dust ?bags?))[^.!?]*\b(?:fitted|fixed|repaired|replaced) (?:it|them|one) myself|(?:flashed|installed|loaded) (?:some |a |the )?(?:custom|third[- ]party|modded|unofficial|hacked) firmware|swapped (?:it |in |out )?(?:the \w+ )?(?:for|with) (?:a |an )?(?:replacement|third[- ]party|cheap|aftermarket|generic) (?:part|fan|battery|motor|board)")),
    (DamageCause.USER_DAMAGE, any_of(r"我弄坏|弄坏了|掰断|掰坏|扯断|拽断|孩子[^，。]{0,6}弄|(?:儿子|女儿|闺女|孩子|小孩|宝宝|娃|侄子|侄女|外甥|狗|猫|二哈|哈士奇|柯基|泰迪|主子)[^，。]{0,12}(?:扔|砸|踩|咬|啃)|啃(?:坏|烂|破|得|了)|往[^，。]{0,4}墙上?(?:扔|砸|摔)|当鼓敲|踩坏|踩(?:上去|了一脚|裂|碎|扁)|一脚踩|踩着(?:玩|它|走|跳|上去|满屋)|当(?:成|作)?小?(?:滑板|玩具|凳子|马骑)|当[^，。,]{0,4}(?:车|马)骑|压坏|(?:^|[，。,])(?![^，。,]*(?:盒|箱|包装|快递|物流|运输|收到|到货|送来|送到))[^，。,]*压(?:裂|碎|扁)|砸(?:坏|裂|碎|烂|破)|戳(?:了|出)?[^，。,]{0,4}(?:洞|窟窿|破|坏|烂)|人为|玩坏|坐坏|坐[在到]|坐了?上去|往[^，。,]{0,10}(?:充电口|接口|插口|耳机孔|出风口|进风口|孔|缝|槽)里?[^，。,]{0,4}(?:塞|捅|戳|插(?![^，。,]{0,3}(?:线|充电|插头|电源|数据)))|咬|(?<![耳堵])(?:塞|捅|戳)[^，。,]{0,3}(?:进|到|在)[^，。,]{0,6}(?:充电口|接口|插口|耳机孔|出风口|进风口|吸口|(?<!门)孔|(?<!门)缝|槽)", r"i broke|sat on|claw(?:ed|ing|s)? (?:at |the |it|them)|scratching post|(?:kid|son|daughter|child|toddler|baby|nephew|niece|grandson|granddaughter)[^.]{0,40}\b(?:coins?|lego|toys?|crayons?|pens?|keys?)\b[^.]{0,30}\b(?:port|vent|slot|hole|grille|jack)\b|(?:posted|stuffed|shoved|jammed|wedged|crammed|fed) (?:a |an |the |some )?(?:whole )?(?:handful of |bunch of |pile of )?(?:\w+ ){0,2}(?:lego|coins?|toys?|crayons?|sand|rice|beads?|marbles?|bricks?)\b[^.]{0,30}\b(?:in|into)\b|stood on|standing on|crushed|chew\w*|(?:kid|son|daughter|child|toddler|baby|dog|puppy|cat)[^.,;]{0,10}(?:broke|chewed|damaged|threw|snapped|cracked|sat|stepped|dropped)|stepped on|my fault|damaged it myself|(?:shoved|stuck|jammed|wedged|poked|forced|pushed|inserted|rammed) (?:a |an |the |some |his |her |my |their )?(?:\w+ )?(?:coin|pen|pencil|crayon|key|pin|paper ?clip|fork|toy|lego|stick|screwdriver|knife|needle|hairpin|something|food|candy|sweets?)s?[^.,;]{0,15}\b(?:in|into|down) (?:the |its |a )?(?:[\w']+'s )?(?:charging |usb |headphone |aux )?(?:port|socket|slot|jack|vent|grille|hole|opening)")),
)  # fmt: skip
NO_CAUSE = any_of(
    r"没摔|没进水|没有摔|没有进水|正常使用|没磕|(?:包装盒?|盒子|箱子|纸箱|外箱|配件|泡沫)[^，。,]{0,4}(?:都|也)?(?:还(?:留着|在)|留着)|(?:耳机|盒子里)[^，。,]{0,4}掉出来|没(?:有)?掉(?:到|在)?地上?过?|(?:用|拿)[^，。,]{0,6}(?:原装|原配|官方|自带)的?(?:充电器|充电头|数据线|充电线|线)|手机[^，。,]{0,8}充电器[^，。,]{0,4}(?:也|都)?正常|没(?:有)?(?:自己)?(?:拆|修)过|没(?:有)?找[^，。,]{0,8}修过?|没(?:有)?(?:拿|送)[去到]?[^，。,]{0,6}修过?",
    # Two denials in one ("never been near water or dropped") before either alone.
    r"never been (?:near (?:any )?water|wet|in water),? (?:or|nor) (?:been )?dropped|never (?:been )?dropped,? (?:or|nor) (?:got |gotten |been )?(?:wet|near (?:any )?water)|never (?:been )?dropped|not (?:been )?dropped|(?:nobody|no one|no-one) (?:has )?dropped|never been wet|(?:don'?t|do not|never) (?:even )?(?:wear|use|take) (?:them|it) (?:out )?in the (?:rain|shower|pool|sea)|(?:with|using) (?:its|their) own (?:cable|charger|adapter|plug)|(?:courier|driver|postman|delivery \w+)[^.]{0,20}dropped (?:it|them) off|(?:haven'?t|have not|hasn'?t|has not) (?:ever )?(?:been )?dropped|never been near (?:any )?water|recommended (?:a |the )?(?:local )?repair (?:stall|shop|guy)|(?:with|on|using) (?:the |its |their )?(?:original|genuine|official|supplied) (?:charger|cable|adapter|charging cable)|(?:cable|charger|adapter)s? (?:that|it|they) came (?:with|in)|never (?:\w+ )?(?:worn|taken|used|had) (?:them|it) (?:swimming|in the (?:shower|rain|pool|sea))|no water(?! (?:comes|coming|came|at all|out))|didn'?t drop|normal use|never opened it|(?:box|packaging)(?: is| are|'s)? (?:right |still )?here|(?:still (?:have|got)|kept) (?:the |its |their )?(?:original )?(?:box|packaging)|every (?:bit|piece|part)(?: is)? (?:still )?in(?:side)?\b",
)

# --- P12, P13 -------------------------------------------------------------------------------------

FLASH_SALE = any_of(r"秒杀|限量抢购|限时抢购|抢购价|零点[^，。,]{0,8}抢", r"flash[- ]?(?:sale|deal)|lightning deal")
COUPON = any_of(
    r"(?:用了?|使用了?|领了?)(?:优惠)?券|优惠券|满减券|满\d+减\d+|[减抵]\d*的?券", r"coupon|voucher|promo code"
)
TRADE_IN = any_of(
    r"以旧换新|(?:老|旧)(?!公|婆|客户|顾客|用户|会员|板|妈|爸)[^，。,]{0,10}(?:折价|抵掉|抵扣|抵了)|旧[^，。,]{0,6}抵|抵了\d|旧[^，。,]{0,10}折(?:了|价|成)?[^，。,]{0,8}换",
    r"trade[- ]?in|traded in|old[- ]for[- ]new|(?:took|hauled|carted|collected|picked up) (?:away )?(?:my|our|the) old (?:one|unit|\w+)(?: away)?[^.]{0,40}(?:money off|discount|credit|off the price)|(?:hand(?:ing|ed)?|gave|giving) (?:over|in) (?:our|my|the) (?:old|ancient|previous|former)",
)
NO_FLAG = any_of(
    r"没用券|没有用券|没用优惠券|不是秒杀|原价|正常价",
    r"no coupon|didn'?t use (?:a|any) coupon|not (?:a|in a) flash|(?:paid|bought (?:it )?(?:at|for)|at) (?:the )?(?:full|regular) price",
)
PROTECTION_USED = any_of(
    r"(?:申请|用|办)过(?:一次)?价保|价保过|已经价保|已经申请了?价保|(?:退|返|赔|(?<!我)(?<!自己)补)(?:过|了)(?:一次|一回)?差价(?![^，。,]{0,4}(?:换|升级|买了?))|(?:申请|用|办|领)过(?:一次|一回)?(?:退|补)?(?:差价|价保)",
    r"already (?:claimed|got|used|applied for|had) (?:the |a |my )?price|price protection (?:once )?already|"
    r"already (?:been )?(?:refunded|paid|given|got|received|had)[^.?!]{0,20}(?:difference|price adjustment)",
)
COMPANY = any_of(
    r"公司|企业|单位|税号|工作室", r"company|business|corporate|firm|enterprise|tax id|\b(?:our|the) office\b"
)
PERSON = any_of(
    r"(?<![\d一二两三四五六七八九十几多])个人|自己用|自己家里?用|家里用|(?:是|买来|自己|拿来|给)家用|家用的(?=[，。,！!？?\s]|$)|私人|不是公司",
    r"personal|myself|individual|private|not a (?:company|business)|for me",
)
NOT_TITLE_CHANGED = any_of(
    r"没改过|从没改|没有改过|第一次改",
    r"(?:haven'?t|have not|never|hasn'?t) (?:\w+ )?changed|first time (?:changing|i'?m changing)",
)
TITLE_CHANGED = any_of(
    r"改过(?:一次|一回)?(?:发票)?抬头|抬头(?:已经)?改过|已经改过|改过一次|(?:已经|之前|上次)(?![^，。,？?]{0,12}(?:地址|电话|手机|收货|型号|颜色|款|大号|小号|时间))[^，。,？?]{0,12}(?:改成|改为|改了|换成)",
    r"already changed|(?:was|were|has been|got) already (?:changed|corrected|amended|updated|switched)|already (?:corrected|amended|switched)|already had (?:it|the (?:invoice|title|name|header|heading)|my (?:invoice|title|name|header)) (?:changed|switched|corrected|amended|updated|swapped)|(?:had|got) (?:customer service|you|your team|support|someone) (?:to )?change (?:the |my |it)[^.]{0,30}(?:once|already|before)|already had (?:the |my )?(?:invoice )?(?:title|name|header) (?:changed|switched|corrected|amended|updated|swapped)|had (?:the |my )?(?:invoice )?(?:title|name|header) (?:changed|switched|corrected|amended|updated|swapped) once|changed (?:it|the title) (?:once )?(?:already|before)|changed it once",
)

# --- answers to a yes/no question -----------------------------------------------------------------

# Replies that answer nothing ("让我想想", "why?"): no yes, no no, no fault described.
_DONT_KNOW = (
    r"不知道|不清楚|不确定|说不好|不好说|不懂|不记得|记不得|记不清",
    r"don'?t know|not sure|no idea|dunno|can'?t tell|don'?t remember",
)
# "I don't know" to a question asked, or a detail the customer has not got ("找不到订单号").
DONT_KNOW = any_of(rf"{_DONT_KNOW[0]}|找不到|没有|忘了", rf"{_DONT_KNOW[1]}|can'?t find|lost it")
UNSURE = any_of(
    rf"{_DONT_KNOW[0]}|想想|等一?下|稍等|看看|再说|为什么|为啥|[?？]",
    rf"{_DONT_KNOW[1]}|let me|hold on|wait|why|\?",
)
YES = any_of(
    r"^\s*(?:是|是的|对|对的|有|没错|确定|公司)", r"^\s*(?:yes|yeah|yep|yup|correct|right|sure|it is|a company)\b"
)
NO = any_of(r"^\s*(?:不是|没有|否|不|无|没)", r"^\s*(?:no|nope|not|nah|it'?s not|it isn'?t)\b")

# --- what a date is of ----------------------------------------------------------------------------

ANCHOR_WORDS: tuple[tuple[Anchor, re.Pattern[str]], ...] = (
    (Anchor.INVOICE, any_of(r"开票|发票日期|发票是|发票上|发票", r"invoice")),
    (Anchor.PAYMENT, any_of(r"买|购买|下单|下的单|付款|付的款|付的|入手|拍的|订的|抢到|抢的", r"bought|snagged|grabbed|\b(?:i|we) picked (?:(?:them|it|these|those) )?up(?! (?:from|at) (?:the |my |our |a )?(?:parcel|locker|post|courier|depot|door|porch|front|station|collection|pickup|reception|lobby|concierge|neighbou?r))|order(?! (?:page|details?|history|list|screen|status))|purchas|paid|buy|'ve had|have had|had (?:it|them|the|my)")),
    (Anchor.DELIVERY, any_of(r"收到|签收|收的货|收货|到货|(?<![抢买])到的|送到|送达|送来|送过来|到手|拿到|到了|[就才刚已]到|用了(?=\s*(?:快|将近|差不多|大概|近)?[\d一二两三四五六七八九十几半大])", r"rec(?:ie|ei)v|deliver|arriv|\bgot (?:it|them|the|my|this|mine|these|those|em|'em)\b|\b(?:we|i|just) got\b|came|showed up|turned up|got here")),
)  # fmt: skip
# Words a date reader takes for a day which are no date of the case ("现在不想要了", "now on sale").
# A length the customer asks about ("is it covered for 2 years?", "保两年吗") rather than their date.
WARRANTY_LENGTH = re.compile(r"(?:cover\w*|warrant\w*|guarantee\w*|保修?期?是?)\s*$", re.IGNORECASE)
# What a real date phrase has: a digit or a word of time (a date reader may take "we" for a day).
DATE_WORDS = re.compile(
    r"\d|[天周月年号日昨今前上去礼拜星期]|元旦|春节|元宵|清明|五一|劳动节|端午|七夕|中秋|国庆|双十|圣诞|平安夜|黑五|christmas|xmas|black friday|dragon boat|mid-?autumn|"
    r"day|week|month|year|ago|yesterday|today|tonight|morning|afternoon|last|since|"
    r"mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|fortnight|tomorrow",
    re.IGNORECASE,
)
NOT_A_DATE = re.compile(
    r"^(?:现在|目前|当前|如今|now(?: on)?(?: \d+)?|currently|right now|(?!618$)\d{3,4}|.*[¥￥$].*|.*\d\s*(?:元|块|rmb|yuan)\b.*|"
    r".*(?:分钟|小时|秒|\b(?:minutes?|mins?|hours?|hrs?|seconds?|secs?)\b).*)$",
    re.IGNORECASE,
)
# Days of the customer's story rather than of the case, when no verb of the case stands beside them.
STORY_DAY = re.compile(
    r"^(?:今天|今早|今晚|昨晚|晚上|早上|中午|today|tonight|this morning|this evening|yesterday|"
    r"(?:去年|今年)?(?:元旦|春节|元宵|清明|五一|劳动节|端午|七夕|中秋|国庆|双十一|双十二|618|圣诞|平安夜|christmas|black friday))$",  # a sale's day, too
    re.IGNORECASE,
)
