"""Synthetic bilingual after-sales knowledge bases and questions about them, for the retrieval benchmark.

Entries are product × model × aspect from templates (seeded), so a big knowledge base has many entries
that differ only by model, as product-specific FAQs do; questions are paraphrases and perturbations
of the entries' phrasings, plus unrelated ones.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.entries import FaqEntry
from knowledge.language import Language

SEED = 7
PHRASINGS_PER_LANGUAGE = 2
OUT_OF_SCOPE_SHARE = 0.15

# (key, English name, Chinese name)
PRODUCTS = [
    ("vacuum", "robot vacuum", "扫地机器人"),
    ("purifier", "air purifier", "空气净化器"),
    ("waterfilter", "water purifier", "净水器"),
    ("speaker", "smart speaker", "智能音箱"),
    ("earbuds", "wireless earbuds", "无线耳机"),
    ("aircon", "air conditioner", "空调"),
    ("dehumidifier", "dehumidifier", "除湿机"),
    ("humidifier", "humidifier", "加湿器"),
    ("kettle", "electric kettle", "电水壶"),
    ("ricecooker", "rice cooker", "电饭煲"),
    ("microwave", "microwave oven", "微波炉"),
    ("fridge", "refrigerator", "冰箱"),
    ("washer", "washing machine", "洗衣机"),
    ("dryer", "clothes dryer", "干衣机"),
    ("dishwasher", "dishwasher", "洗碗机"),
    ("watch", "smart watch", "智能手表"),
    ("tablet", "tablet", "平板电脑"),
    ("router", "wifi router", "路由器"),
    ("camera", "security camera", "监控摄像头"),
    ("lock", "smart door lock", "智能门锁"),
    ("toothbrush", "electric toothbrush", "电动牙刷"),
    ("hairdryer", "hair dryer", "吹风机"),
    ("coffee", "coffee machine", "咖啡机"),
    ("blender", "blender", "破壁机"),
    ("airfryer", "air fryer", "空气炸锅"),
    ("fan", "electric fan", "电风扇"),
    ("heater", "space heater", "取暖器"),
    ("projector", "projector", "投影仪"),
]

# Model codes, e.g. "R7": as many as a big knowledge base needs (entries of different models of a
# product differ only by the code, as in product-specific FAQs).
LETTERS = "ACEGKLMNPRSTVXZ"

# (key, English phrasings, Chinese phrasings, English answer, Chinese answer); {p} is the product
# with its model, e.g. "R7 robot vacuum" / "R7扫地机器人".
ASPECTS: list[tuple[str, list[str], list[str], str, str]] = [
    (
        "warranty",
        [
            "How long is the warranty on the {p}?",
            "What's the warranty period for my {p}?",
            "is the {p} still under warranty after a year",
            "{p} warranty how many years",
            "Does the {p} come with a warranty?",
            "when does the warranty of the {p} run out",
        ],
        [
            "{p}保修多久",
            "{p}的质保期是多长",
            "{p}买了一年还在保修期吗",
            "{p}保修几年",
            "{p}有没有保修",
            "{p}三包期多久",
        ],
        "The {p} is covered for {n} year(s) from the invoice date.",
        "{p}整机保修 {n} 年，以发票日期为准。",
    ),
    (
        "battery",
        [
            "How long does the {p} battery last?",
            "The battery of my {p} drains fast, what can I do?",
            "{p} battery life",
            "Can I replace the battery in the {p}?",
            "my {p} won't hold a charge",
            "how many hours does a full charge of the {p} give",
        ],
        [
            "{p}电池能用多久",
            "{p}电池掉电很快怎么办",
            "{p}续航多长时间",
            "{p}电池可以换吗",
            "{p}充满电能用几个小时",
            "{p}充不进电了",
        ],
        "A full charge of the {p} lasts about {n} hours; a worn battery can be replaced at a service centre.",
        "{p}充满电约可使用 {n} 小时，电池老化可到服务网点更换。",
    ),
    (
        "filter",
        [
            "How often should I change the filter of the {p}?",
            "Where can I buy a replacement filter for the {p}?",
            "{p} filter replacement",
            "the filter light on my {p} is on",
            "which filter fits the {p}",
            "how much is a new filter for the {p}",
        ],
        [
            "{p}滤网多久换一次",
            "{p}的滤芯在哪里买",
            "{p}更换滤网",
            "{p}滤网提示灯亮了",
            "{p}用哪款滤芯",
            "{p}滤芯多少钱",
        ],
        "Replace the {p} filter every {n} months; genuine filters are sold in the official store.",
        "{p}的滤网建议每 {n} 个月更换一次，官方商城有原装滤芯出售。",
    ),
    (
        "reset",
        [
            "How do I factory reset the {p}?",
            "How can I restore the {p} to default settings?",
            "{p} reset steps",
            "my {p} is frozen, how to reset it",
            "where is the reset button on the {p}",
            "reset {p} to factory settings",
        ],
        [
            "{p}怎么恢复出厂设置",
            "{p}如何重置",
            "{p}重置步骤",
            "{p}死机了怎么重启",
            "{p}的复位键在哪",
            "{p}恢复默认设置",
        ],
        "Hold the {p}'s reset button for {n} seconds until the light flashes.",
        "长按{p}的复位键 {n} 秒，指示灯闪烁即完成重置。",
    ),
    (
        "wifi",
        [
            "How do I connect the {p} to wifi?",
            "The {p} won't connect to the app",
            "{p} wifi pairing",
            "can the {p} use 5GHz wifi",
            "my {p} keeps dropping the wifi connection",
            "how to add the {p} in the Lumio app",
        ],
        ["{p}怎么连接wifi", "{p}连不上app", "{p}配网步骤", "{p}支持5G wifi吗", "{p}总是断网", "{p}怎么添加到app"],
        "Open the Lumio app, tap Add device and choose the {p}; it needs 2.4 GHz wifi.",
        "打开 Lumio App，点击添加设备并选择{p}；仅支持 2.4GHz 无线网络。",
    ),
    (
        "noise",
        [
            "Why is my {p} so noisy?",
            "The {p} makes a strange noise",
            "{p} loud noise when running",
            "is it normal that the {p} rattles",
            "my {p} started buzzing",
            "how to make the {p} quieter",
        ],
        ["{p}声音很大正常吗", "{p}有异响", "{p}运行时噪音大", "{p}嗡嗡响怎么回事", "{p}咔咔响", "{p}怎么调安静一点"],
        "Some noise from the {p} is normal; a rattle usually means a loose part — book a check.",
        "{p}运行有轻微声音属正常；如有异响多为部件松动，请预约检测。",
    ),
    (
        "poweron",
        [
            "My {p} won't turn on",
            "The {p} does not power up",
            "{p} dead no lights",
            "what to do if the {p} does not start",
            "pressed the power button on the {p} and nothing happens",
            "{p} not switching on",
        ],
        ["{p}开不了机", "{p}通电没反应", "{p}不启动了", "{p}按电源键没反应", "{p}指示灯不亮", "{p}突然不能开机"],
        "Check the {p}'s power cable and socket; if it still does not start, request a repair.",
        "请检查{p}的电源线和插座；仍无法开机请申请维修。",
    ),
    (
        "manual",
        [
            "Where can I download the manual for the {p}?",
            "I lost the user guide of my {p}",
            "{p} instruction manual pdf",
            "is there an online manual for the {p}",
            "user manual {p}",
            "need the quick start guide for the {p}",
        ],
        [
            "{p}说明书在哪下载",
            "{p}说明书丢了怎么办",
            "{p}电子版说明书",
            "{p}有没有在线说明书",
            "{p}使用手册",
            "{p}快速入门指南",
        ],
        "The {p} manual is in the Lumio app under Device > Manual.",
        "{p}说明书可在 Lumio App 的设备 > 说明书中查看。",
    ),
    (
        "install",
        [
            "Do you install the {p} for free?",
            "How much does installation of the {p} cost?",
            "{p} installation service",
            "can someone come to install my {p}",
            "book installation for the {p}",
            "is installation included with the {p}",
        ],
        ["{p}免费安装吗", "{p}安装要收费吗", "{p}安装服务", "{p}可以上门安装吗", "{p}预约安装", "{p}包安装吗"],
        "Installation of the {p} is free within {n} days of delivery; book it in the app.",
        "{p}在签收后 {n} 天内可免费安装，请在 App 中预约。",
    ),
    (
        "firmware",
        [
            "How do I update the firmware of the {p}?",
            "Is there a new software version for the {p}?",
            "{p} firmware update failed",
            "the {p} update is stuck",
            "latest firmware {p}",
            "should I update my {p}",
        ],
        ["{p}怎么升级固件", "{p}有新版本吗", "{p}固件升级失败", "{p}升级卡住了", "{p}最新固件", "{p}要不要升级"],
        "Firmware for the {p} updates in the app; keep it powered and on wifi for {n} minutes.",
        "{p}固件在 App 中升级，升级时请保持通电联网约 {n} 分钟。",
    ),
    (
        "cleaning",
        [
            "How do I clean the {p}?",
            "What's the best way to descale the {p}?",
            "{p} cleaning instructions",
            "can I wash the parts of the {p} in water",
            "how often should the {p} be cleaned",
            "the {p} smells bad, how to clean it",
        ],
        ["{p}怎么清洗", "{p}如何除垢", "{p}清洁方法", "{p}的配件能水洗吗", "{p}多久清洗一次", "{p}有异味怎么清理"],
        "Clean the {p} every {n} weeks with a damp cloth; do not rinse the main unit.",
        "{p}建议每 {n} 周用湿布清洁一次，主机请勿水洗。",
    ),
    (
        "parts",
        [
            "Where can I buy spare parts for the {p}?",
            "Do you sell accessories for the {p}?",
            "{p} spare parts price",
            "need a replacement part for my {p}",
            "order accessories {p}",
            "is the {p} charger sold separately",
        ],
        ["{p}的配件在哪买", "{p}有卖配件吗", "{p}配件价格", "{p}零件坏了去哪买", "{p}买配件", "{p}充电器单独卖吗"],
        "Spare parts for the {p} are sold in the official store; delivery takes {n} days.",
        "{p}配件可在官方商城购买，{n} 天内发货。",
    ),
    (
        "repaircost",
        [
            "How much does it cost to repair the {p} out of warranty?",
            "What is the repair fee for the {p}?",
            "{p} paid repair price",
            "my {p} is out of warranty, is repair expensive",
            "repair cost estimate {p}",
            "do I pay for shipping when the {p} goes to repair",
        ],
        ["{p}过保维修多少钱", "{p}维修费用", "{p}付费维修价格", "{p}保外修贵吗", "{p}维修报价", "{p}寄修要付运费吗"],
        "Out-of-warranty repair of the {p} starts at {n}0 yuan plus parts; we quote before repairing.",
        "{p}保外维修 {n}0 元起另加配件费，维修前会先报价。",
    ),
    (
        "return",
        [
            "Can I return the {p} within 7 days?",
            "How do I send back the {p}?",
            "{p} return policy",
            "I don't like the {p}, can I get my money back",
            "return an opened {p}",
            "how many days do I have to return the {p}",
        ],
        [
            "{p}可以七天无理由退货吗",
            "{p}怎么退货",
            "{p}退货政策",
            "{p}不喜欢能退吗",
            "{p}拆封了还能退吗",
            "{p}几天内可以退",
        ],
        "The {p} can be returned within 7 days of delivery if it is complete and undamaged.",
        "{p}签收后 7 天内，商品完好、配件齐全即可无理由退货。",
    ),
    (
        "power",
        [
            "How much electricity does the {p} use?",
            "What is the power consumption of the {p}?",
            "{p} wattage",
            "does the {p} use a lot of power in standby",
            "energy rating of the {p}",
            "is the {p} energy efficient",
        ],
        ["{p}耗电量大吗", "{p}功率多少", "{p}一天用几度电", "{p}待机耗电吗", "{p}能效等级", "{p}省电吗"],
        "The {p} draws about {n}0 W when running and under 1 W on standby.",
        "{p}运行功率约 {n}0 瓦，待机功耗低于 1 瓦。",
    ),
    (
        "size",
        [
            "What are the dimensions of the {p}?",
            "How heavy is the {p}?",
            "{p} size and weight",
            "will the {p} fit in a small space",
            "how big is the {p} box",
            "measurements of the {p}",
        ],
        ["{p}尺寸多大", "{p}有多重", "{p}长宽高", "{p}占地方吗", "{p}包装箱多大", "{p}的重量"],
        "The {p} weighs {n}.5 kg; full dimensions are on its product page.",
        "{p}重约 {n}.5 公斤，详细尺寸见商品详情页。",
    ),
    (
        "error",
        [
            "The {p} shows an error code",
            "What does the error light on the {p} mean?",
            "{p} error message",
            "my {p} is blinking red",
            "how to fix an error on the {p}",
            "{p} says fault",
        ],
        ["{p}显示故障码", "{p}报错怎么办", "{p}错误代码", "{p}红灯一直闪", "{p}提示故障怎么处理", "{p}出现报警"],
        "Look up the {p}'s error code in the app; most clear after a restart of {n} minutes.",
        "在 App 中查询{p}的故障码；多数故障断电 {n} 分钟重启即可解除。",
    ),
    (
        "tradein",
        [
            "Can I trade in my old {p}?",
            "How much is my used {p} worth for trade-in?",
            "{p} trade in offer",
            "do you recycle the {p}",
            "old for new {p}",
            "trade-in discount for the {p}",
        ],
        ["{p}可以以旧换新吗", "旧{p}能抵多少钱", "{p}以旧换新活动", "{p}回收吗", "{p}旧换新", "{p}换新补贴多少"],
        "Trade in an old {p} for up to {n}0 yuan off a new one.",
        "旧{p}以旧换新最高可抵 {n}0 元。",
    ),
]

# Questions no after-sales knowledge base answers: the retriever should abstain on them.
OUT_OF_SCOPE: list[tuple[Language, str]] = [
    ("en", "what's the weather like tomorrow"),
    ("en", "can you recommend a good restaurant nearby"),
    ("en", "who won the football match last night"),
    ("en", "tell me a joke"),
    ("en", "how do I bake sourdough bread"),
    ("en", "book me a flight to Shanghai"),
    ("en", "what is the capital of Australia"),
    ("en", "translate good morning into French"),
    ("en", "how tall is mount everest"),
    ("en", "are you hiring software engineers"),
    ("en", "what's the exchange rate for the euro"),
    ("en", "play some relaxing music"),
    ("zh", "明天天气怎么样"),
    ("zh", "附近有什么好吃的餐厅"),
    ("zh", "昨晚的足球比赛谁赢了"),
    ("zh", "给我讲个笑话"),
    ("zh", "帮我订一张去上海的机票"),
    ("zh", "澳大利亚的首都是哪里"),
    ("zh", "今天股市行情如何"),
    ("zh", "怎么做红烧肉"),
    ("zh", "你们公司招聘程序员吗"),
    ("zh", "珠穆朗玛峰有多高"),
    ("zh", "人民币兑美元汇率多少"),
    ("zh", "放一首轻松的音乐"),
]


@dataclass(frozen=True)
class Synthetic:
    """A generated entry with what made it, so questions about it can be phrased anew."""

    entry: FaqEntry
    product: dict[Language, str]
    aspect: int


@dataclass(frozen=True)
class Query:
    text: str
    language: Language
    expected: str | None


def _models(count: int) -> list[str]:
    models: list[str] = []
    number = 1
    while len(models) < count:
        models.extend(f"{letter}{number}" for letter in LETTERS)
        number += 1
    return models[:count]


def synthetic_knowledge_base(size: int, seed: int = SEED) -> list[Synthetic]:
    """`size` entries, product × model × aspect, each with a few phrasings per language.

    Drawn at random from the grid, so a small knowledge base mixes products and topics like a real
    one; a big one has many entries that differ only by model, as product-specific FAQs do."""
    rng = random.Random(seed)
    per_model = len(PRODUCTS) * len(ASPECTS)
    models = _models(-(-size // per_model))
    grid = [(p, m, a) for p in range(len(PRODUCTS)) for m in range(len(models)) for a in range(len(ASPECTS))]
    out = []
    for product, model, aspect in rng.sample(grid, size):
        key, en_name, zh_name = PRODUCTS[product]
        aspect_key, en_templates, zh_templates, en_answer, zh_answer = ASPECTS[aspect]
        names: dict[Language, str] = {"en": f"{models[model]} {en_name}", "zh": f"{models[model]}{zh_name}"}
        n = 1 + (product + model + aspect) % 9
        entry = FaqEntry(
            id=f"{key}-{models[model].lower()}-{aspect_key}",
            category=aspect_key,
            section="SYN",
            questions={
                "en": [t.format(p=names["en"]) for t in rng.sample(en_templates, PHRASINGS_PER_LANGUAGE)],
                "zh": [t.format(p=names["zh"]) for t in rng.sample(zh_templates, PHRASINGS_PER_LANGUAGE)],
            },
            answer={"en": en_answer.format(p=names["en"], n=n), "zh": zh_answer.format(p=names["zh"], n=n)},
        )
        out.append(Synthetic(entry, names, aspect))
    return out


def _perturb(text: str, language: Language, rng: random.Random) -> str:
    """What customers do to a question: lower case, no question mark, a typo, a filler."""
    out = text.rstrip("?？")
    roll = rng.random()
    if language == "en":
        if roll < 0.3:
            out = out.lower()
        elif roll < 0.55 and len(out) > 8:
            i = rng.randrange(2, len(out) - 2)
            out = out[:i] + out[i + 1] + out[i] + out[i + 2 :]  # two letters swapped
        elif roll < 0.8:
            out = rng.choice(["hi, ", "hello ", "quick question: "]) + out + rng.choice(["", " please", " thanks"])
    elif roll < 0.4:
        out = rng.choice(["你好，", "请问", "问一下"]) + out + rng.choice(["", "呀", "？", "啊"])
    elif roll < 0.7:
        out = out.replace("的", "")
    return out


def synthetic_queries(kb: Sequence[Synthetic], count: int, seed: int = SEED) -> list[Query]:
    """Distinct questions, alternately English and Chinese: an entry's topic in a phrasing the entry
    does not hold (a paraphrase) or one of its own phrasings perturbed, plus unrelated questions."""
    rng = random.Random(seed + 1)
    queries: list[Query] = []
    seen: set[str] = set()
    for _ in range(50 * count):
        if len(queries) >= count:
            break
        language: Language = "en" if len(queries) % 2 == 0 else "zh"
        expected: str | None
        if rng.random() < OUT_OF_SCOPE_SHARE:
            text = _perturb(rng.choice([t for lang, t in OUT_OF_SCOPE if lang == language]), language, rng)
            expected = None
        else:
            item = rng.choice(kb)
            own = item.entry.questions[language]
            templates = ASPECTS[item.aspect][1 if language == "en" else 2]
            paraphrases = [t.format(p=item.product[language]) for t in templates]
            paraphrases = [t for t in paraphrases if t not in own]
            source = rng.choice(paraphrases) if paraphrases and rng.random() < 0.6 else rng.choice(own)
            text = _perturb(source, language, rng)
            expected = item.entry.id
        if text not in seen:
            seen.add(text)
            queries.append(Query(text, language, expected))
    return queries
