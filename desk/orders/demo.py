"""The demo data set: orders and repair tickets that let a newcomer try every lookup on a fresh
`make run` (`python -m desk orders demo`; docs/demo-orders.md lists them and what each one shows).

Clearly marked, so nobody takes it for a customer's: order numbers LM99…, RMA numbers RMA99…, serial
numbers with 99 after the prefix, customers named 演示 (demo) with phone numbers from the 138-0013-8xxx
test range (each order its own last four digits, 8001 for the first order …), addresses on 演示路
(Demo Road). Every time is relative to `today` in Beijing time and no later than the end of the day
before, so nothing lies in the future whenever today the set is loaded; loading it again re-dates it.
Every order status and every repair stage is there, P2's three delivery windows, a parcel whose
tracking has not moved for more than 72 hours (P3), the P12 pricing flags, and repairs received in
the last few days, so P9's 5–7 working days are still running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from desk.orders.records import (
    Address,
    Category,
    Customer,
    Order,
    OrderFlags,
    OrderItem,
    OrderStatus,
    Repair,
    RepairStage,
    TrackingEvent,
)
from desk.orders.store import OrderStore
from desk.working_days import BEIJING

CARRIER = "SF Express 顺丰速运"
PREFIX = {
    Category.ROBOT_VACUUM: "RV",
    Category.AIR_PURIFIER: "AP",
    Category.WATER_PURIFIER: "WP",
    Category.AIR_CONDITIONER: "AC",
    Category.SMART_SPEAKER: "SP",
    Category.EARBUDS: "EB",
}


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: Category
    price: Decimal


ROBOT_VACUUM = Product("RV-S7", "禾光扫地机器人 S7 · Lumio Robot Vacuum S7", Category.ROBOT_VACUUM, Decimal("2999.00"))
ROBOT_VACUUM_OLD = Product(
    "RV-S5", "禾光扫地机器人 S5 · Lumio Robot Vacuum S5", Category.ROBOT_VACUUM, Decimal("2799.00")
)
AIR_PURIFIER = Product("AP-P3", "禾光空气净化器 P3 · Lumio Air Purifier P3", Category.AIR_PURIFIER, Decimal("1299.00"))
WATER_PURIFIER = Product(
    "WP-R6", "禾光净水器 R6 · Lumio Water Purifier R6", Category.WATER_PURIFIER, Decimal("2499.00")
)
AIR_CONDITIONER = Product(
    "AC-K35", "禾光变频空调 K35 · Lumio Inverter Air Conditioner K35", Category.AIR_CONDITIONER, Decimal("3699.00")
)
SPEAKER = Product("SP-H1", "禾光智能音箱 H1 · Lumio Smart Speaker H1", Category.SMART_SPEAKER, Decimal("299.00"))
SPEAKER_MINI = Product(
    "SP-M1", "禾光智能音箱 Mini · Lumio Smart Speaker Mini", Category.SMART_SPEAKER, Decimal("89.90")
)
EARBUDS = Product("EB-A2", "禾光降噪耳机 A2 · Lumio ANC Earbuds A2", Category.EARBUDS, Decimal("399.00"))


@dataclass(frozen=True)
class DemoOrder:
    order: Order
    shows: str  # what it lets a newcomer try


@dataclass(frozen=True)
class DemoRepair:
    repair: Repair
    shows: str


@dataclass(frozen=True)
class DemoSet:
    orders: tuple[DemoOrder, ...]
    repairs: tuple[DemoRepair, ...]

    def phone_of(self, order_number: str) -> str:
        return next(d.order.customer.phone for d in self.orders if d.order.number == order_number)


def order_number(index: int) -> str:
    return f"LM{990000000000 + index}"


def rma_number(index: int) -> str:
    return f"RMA{99000000 + index}"


def phone(index: int) -> str:
    return f"1380013{8000 + index}"


def serial_number(product: Product, order_index: int, position: int) -> str:
    return f"{PREFIX[product.category]}99{order_index:06d}{position + 1:02d}"


def demo_set(today: date) -> DemoSet:
    """The demo orders and repairs, dated relative to `today` (Beijing time)."""

    def at(days_ago: int, clock: str) -> datetime:
        if days_ago < 1:
            raise ValueError("demo times lie before today")
        hour, minute = (int(part) for part in clock.split(":"))
        return datetime.combine(today - timedelta(days=days_ago), time(hour, minute), BEIJING)

    def event(days_ago: int, clock: str, description: str) -> TrackingEvent:
        return TrackingEvent(at(days_ago, clock), description)

    def customer(index: int, name: str) -> Customer:
        return Customer(f"演示·{name} (demo)", phone(index))

    def address(province: str, city: str, district: str, index: int) -> Address:
        return Address(province, city, district, f"演示路 {index} 号 (Demo Road {index}, demo address)")

    def items(index: int, products: tuple[Product, ...], shipped: bool) -> tuple[OrderItem, ...]:
        # A device's serial number is known once it is packed: none on an order that never shipped.
        return tuple(
            OrderItem(p.sku, p.name, p.category, serial_number(p, index, position) if shipped else None, p.price, 1)
            for position, p in enumerate(products)
        )

    def tracking(index: int) -> str:
        return f"SF99000000{index:04d}"

    def trip(shipped: tuple[int, str], origin: str, *stops: tuple[int, str, str]) -> tuple[TrackingEvent, ...]:
        first = event(*shipped, f"【{origin}】顺丰速运已收取快件 · Picked up by SF Express in {origin}")
        return (first, *(event(*stop) for stop in stops))

    def delivered(days_ago: int, clock: str, city: str) -> tuple[int, str, str]:
        return (days_ago, clock, f"【{city}】快件已签收，感谢使用顺丰 · Delivered and signed for in {city}")

    def placed(
        index: int,
        name: str,
        where: tuple[str, str, str],
        products: tuple[Product, ...],
        status: OrderStatus,
        *,
        paid_at: datetime,
        shipped_at: datetime | None = None,
        delivered_at: datetime | None = None,
        tracking_events: tuple[TrackingEvent, ...] = (),
        flags: OrderFlags | None = None,
    ) -> Order:
        shipped = shipped_at is not None
        return Order(
            number=order_number(index),
            customer=customer(index, name),
            status=status,
            address=address(*where, index),
            items=items(index, products, shipped),
            paid_at=paid_at,
            shipped_at=shipped_at,
            delivered_at=delivered_at,
            invoice_date=paid_at if shipped else None,  # the e-invoice is issued when the order ships
            carrier=CARRIER if shipped else None,
            tracking_number=tracking(index) if shipped else None,
            tracking_events=tracking_events,
            flags=flags or OrderFlags(),
        )

    orders = (
        DemoOrder(
            placed(
                1,
                "林晓",
                ("上海市", "上海市", "浦东新区"),
                (AIR_PURIFIER,),
                OrderStatus.PAID,
                paid_at=at(1, "20:15"),
            ),
            "paid yesterday after 16:00, so it ships today (P2); can still be cancelled or re-addressed (P5)",
        ),
        DemoOrder(
            placed(
                2,
                "王芳",
                ("北京市", "北京市", "朝阳区"),
                (ROBOT_VACUUM,),
                OrderStatus.SHIPPED,
                paid_at=at(3, "10:05"),
                shipped_at=at(3, "15:30"),
                tracking_events=trip(
                    (3, "15:30"),
                    "深圳",
                    (2, "03:10", "【深圳转运中心】快件已发出 · Left the Shenzhen hub"),
                    (1, "21:40", "【北京转运中心】快件已到达 · Arrived at the Beijing hub"),
                ),
                flags=OrderFlags(flash_sale=True),
            ),
            "on its way to a major city, 1–3 days (P2); bought in a flash sale: no price protection (P12)",
        ),
        DemoOrder(
            placed(
                3,
                "陈静",
                ("浙江省", "杭州市", "西湖区"),
                (EARBUDS,),
                OrderStatus.SHIPPED,
                paid_at=at(7, "11:20"),
                shipped_at=at(7, "14:00"),
                tracking_events=trip(
                    (7, "14:00"),
                    "深圳",
                    (6, "02:00", "【深圳转运中心】快件已发出 · Left the Shenzhen hub"),
                    (5, "09:30", "【杭州转运中心】快件已到达 · Arrived at the Hangzhou hub"),
                ),
            ),
            "tracking not updated for more than 72 hours: a parcel investigation, result within 48 hours (P3)",
        ),
        DemoOrder(
            placed(
                4,
                "阿依古丽",
                ("新疆维吾尔自治区", "乌鲁木齐市", "天山区"),
                (WATER_PURIFIER,),
                OrderStatus.SHIPPED,
                paid_at=at(4, "09:00"),
                shipped_at=at(4, "13:20"),
                tracking_events=trip(
                    (4, "13:20"),
                    "深圳",
                    (3, "01:50", "【深圳转运中心】快件已发出 · Left the Shenzhen hub"),
                    (1, "18:00", "【乌鲁木齐转运中心】快件已到达 · Arrived at the Urumqi hub"),
                ),
            ),
            "on its way to Xinjiang, 5–7 days (P2)",
        ),
        DemoOrder(
            placed(
                5,
                "马强",
                ("青海省", "海西蒙古族藏族自治州", "格尔木市"),
                (SPEAKER,),
                OrderStatus.SHIPPED,
                paid_at=at(3, "09:40"),
                shipped_at=at(3, "14:10"),
                tracking_events=trip(
                    (3, "14:10"),
                    "深圳",
                    (2, "04:30", "【深圳转运中心】快件已发出 · Left the Shenzhen hub"),
                    (1, "19:20", "【西宁转运中心】快件已到达 · Arrived at the Xining hub"),
                ),
            ),
            "on its way to a remote area (Qinghai), 3–5 days (P2)",
        ),
        DemoOrder(
            placed(
                6,
                "黄磊",
                ("广东省", "广州市", "天河区"),
                (
                    SPEAKER,
                    EARBUDS,
                ),
                OrderStatus.DELIVERED,
                paid_at=at(6, "10:00"),
                shipped_at=at(6, "15:00"),
                delivered_at=at(3, "11:00"),
                tracking_events=trip(
                    (6, "15:00"),
                    "深圳",
                    (5, "02:40", "【广州转运中心】快件已到达 · Arrived at the Guangzhou hub"),
                    (3, "08:20", "【广州天河】快件派送中 · Out for delivery in Tianhe"),
                    delivered(3, "11:00", "广州"),
                ),
                flags=OrderFlags(coupon_price=True),
            ),
            "delivered 3 days ago, two items: 7-day no-reason return still open (P6); coupon price: no price protection (P12)",
        ),
        DemoOrder(
            placed(
                7,
                "刘洋",
                ("广东省", "深圳市", "南山区"),
                (ROBOT_VACUUM,),
                OrderStatus.DELIVERED,
                paid_at=at(42, "13:30"),
                shipped_at=at(42, "17:10"),
                delivered_at=at(40, "10:15"),
                tracking_events=trip((42, "17:10"), "深圳", delivered(40, "10:15", "深圳")),
                flags=OrderFlags(trade_in=True),
            ),
            "delivered 40 days ago with a trade-in (P12, P15); in warranty; its robot vacuum's repair is completed",
        ),
        DemoOrder(
            placed(
                8,
                "赵敏",
                ("四川省", "成都市", "武侯区"),
                (AIR_CONDITIONER,),
                OrderStatus.DELIVERED,
                paid_at=at(63, "10:00"),
                shipped_at=at(63, "14:30"),
                delivered_at=at(60, "16:40"),
                tracking_events=trip((63, "14:30"), "佛山", delivered(60, "16:40", "成都")),
            ),
            "air conditioner delivered 60 days ago: on-site repair just opened (P9)",
        ),
        DemoOrder(
            placed(
                9,
                "孙丽",
                ("湖北省", "武汉市", "洪山区"),
                (
                    EARBUDS,
                    SPEAKER,
                    AIR_PURIFIER,
                ),
                OrderStatus.DELIVERED,
                paid_at=at(103, "09:15"),
                shipped_at=at(103, "15:45"),
                delivered_at=at(100, "12:30"),
                tracking_events=trip((103, "15:45"), "深圳", delivered(100, "12:30", "武汉")),
            ),
            "three items delivered 100 days ago, each in a repair at another stage (P9)",
        ),
        DemoOrder(
            placed(
                10,
                "周杰",
                ("江苏省", "南京市", "鼓楼区"),
                (ROBOT_VACUUM_OLD,),
                OrderStatus.DELIVERED,
                paid_at=at(432, "20:05"),
                shipped_at=at(431, "10:30"),
                delivered_at=at(430, "15:00"),
                tracking_events=trip((431, "10:30"), "深圳", delivered(430, "15:00", "南京")),
            ),
            "invoiced more than a year ago: the battery is out of warranty, its repair is quoted (P8)",
        ),
        DemoOrder(
            placed(
                11,
                "吴桐",
                ("陕西省", "西安市", "雁塔区"),
                (AIR_PURIFIER,),
                OrderStatus.DELIVERED,
                paid_at=at(52, "11:00"),
                shipped_at=at(52, "15:20"),
                delivered_at=at(50, "14:10"),
                tracking_events=trip((52, "15:20"), "深圳", delivered(50, "14:10", "西安")),
            ),
            "delivered 50 days ago; its air purifier waits for the SF pickup of a repair (P9)",
        ),
        DemoOrder(
            placed(
                12,
                "郑爽",
                ("天津市", "天津市", "南开区"),
                (EARBUDS,),
                OrderStatus.DELIVERED,
                paid_at=at(27, "09:30"),
                shipped_at=at(27, "14:00"),
                delivered_at=at(25, "11:45"),
                tracking_events=trip((27, "14:00"), "深圳", delivered(25, "11:45", "天津")),
            ),
            "delivered 25 days ago; its repaired earbuds are on the way back (P9)",
        ),
        DemoOrder(
            placed(
                13,
                "何芸",
                ("重庆市", "重庆市", "渝中区"),
                (SPEAKER_MINI,),
                OrderStatus.CANCELLED,
                paid_at=at(2, "22:10"),
            ),
            "cancelled before shipping, refund within 24 hours (P5); under ¥99, so the shipping fee would be ¥10 (P2)",
        ),
        DemoOrder(
            placed(
                14,
                "高远",
                ("福建省", "厦门市", "思明区"),
                (EARBUDS,),
                OrderStatus.RETURNED,
                paid_at=at(20, "10:40"),
                shipped_at=at(20, "15:10"),
                delivered_at=at(18, "13:00"),
                tracking_events=trip(
                    (20, "15:10"),
                    "深圳",
                    delivered(18, "13:00", "厦门"),
                    (15, "10:00", "【厦门思明】退货快件已收取 · Return parcel picked up in Siming"),
                    (12, "16:30", "退货已入库，退款处理中 · Return received at the warehouse, refund under way"),
                ),
            ),
            "returned within the 7-day no-reason window (P6)",
        ),
    )

    def item_serial(order_index: int, position: int) -> str:
        serial = orders[order_index - 1].order.items[position].serial_number
        assert serial is not None
        return serial

    def repair(
        index: int,
        order_index: int,
        position: int,
        stage: RepairStage,
        received: tuple[int, str] | None,
        *events: TrackingEvent,
    ) -> Repair:
        return Repair(
            rma_number(index),
            order_number(order_index),
            item_serial(order_index, position),
            stage,
            at(*received) if received else None,
            events,
        )

    opened = "维修单已创建 · Repair ticket opened"
    pickup = "已预约顺丰上门取件 · Free SF pickup booked"
    arrived = "服务中心已收到机器 · Device received at the service centre"
    checking = "工程师检测中 · An engineer is diagnosing the device"
    repairs = (
        DemoRepair(
            repair(
                1,
                8,
                0,
                RepairStage.CREATED,
                None,
                event(
                    1,
                    "16:30",
                    "上门维修单已创建，工程师将在 24 小时内致电预约 · On-site repair opened; an engineer calls within 24 hours",
                ),
            ),
            "air conditioner, on-site repair: just opened (P9)",
        ),
        DemoRepair(
            repair(2, 11, 0, RepairStage.PICKUP_BOOKED, None, event(1, "10:00", opened), event(1, "10:05", pickup)),
            "mail-in repair, free SF pickup booked (P9)",
        ),
        DemoRepair(
            repair(
                3,
                9,
                0,
                RepairStage.RECEIVED,
                (1, "14:00"),
                event(3, "09:00", opened),
                event(3, "09:05", pickup),
                event(1, "14:00", arrived),
            ),
            "received yesterday: due 5–7 working days after arrival (P9)",
        ),
        DemoRepair(
            repair(
                4,
                9,
                1,
                RepairStage.DIAGNOSING,
                (2, "11:00"),
                event(4, "15:00", opened),
                event(4, "15:05", pickup),
                event(2, "11:00", arrived),
                event(1, "10:00", checking),
            ),
            "received 2 days ago, being diagnosed (P9)",
        ),
        DemoRepair(
            repair(
                5,
                10,
                0,
                RepairStage.QUOTED,
                (3, "15:00"),
                event(5, "10:00", opened),
                event(5, "10:05", pickup),
                event(3, "15:00", arrived),
                event(2, "11:00", checking),
                event(
                    1,
                    "16:00",
                    "电池已过保修期（1 年），报价 ¥199，待您确认 · Battery out of warranty (1 year): quoted ¥199, waiting for your consent",
                ),
            ),
            "out of warranty: diagnosis free, repair quoted, nothing done without consent (P8)",
        ),
        DemoRepair(
            repair(
                6,
                9,
                2,
                RepairStage.REPAIRING,
                (4, "10:30"),
                event(6, "09:30", opened),
                event(6, "09:35", pickup),
                event(4, "10:30", arrived),
                event(3, "14:00", checking),
                event(2, "10:00", "维修中：更换风机 · Being repaired: fan replaced under warranty"),
            ),
            "received 4 days ago, being repaired: due 5–7 working days after arrival (P9)",
        ),
        DemoRepair(
            repair(
                7,
                12,
                0,
                RepairStage.SHIPPED_BACK,
                (9, "11:00"),
                event(11, "10:00", opened),
                event(11, "10:05", pickup),
                event(9, "11:00", arrived),
                event(8, "15:00", checking),
                event(6, "17:00", "维修完成：更换电池 · Repaired: battery replaced"),
                event(1, "17:00", f"已寄回，顺丰单号 {tracking(112)} · Shipped back, SF tracking {tracking(112)}"),
            ),
            "repaired and shipped back yesterday (P9)",
        ),
        DemoRepair(
            repair(
                8,
                7,
                0,
                RepairStage.COMPLETED,
                (14, "10:00"),
                event(16, "09:00", opened),
                event(16, "09:05", pickup),
                event(14, "10:00", arrived),
                event(13, "14:00", checking),
                event(10, "16:00", "维修完成：更换主刷电机 · Repaired: main brush motor replaced"),
                event(9, "17:30", f"已寄回，顺丰单号 {tracking(107)} · Shipped back, SF tracking {tracking(107)}"),
                event(7, "12:00", "顾客已签收，维修完成 · Signed for by the customer: repair completed"),
            ),
            "completed: repaired within 5–7 working days and signed for (P9)",
        ),
    )
    return DemoSet(orders, repairs)


@dataclass(frozen=True)
class Loaded:
    demo: DemoSet
    created: int  # orders and repairs that were new
    updated: int  # that were there already (re-dated where today moved)


def load_demo(store: OrderStore, today: date) -> Loaded:
    """Upsert the demo set dated for `today`: orders first, then their repairs."""
    demo = demo_set(today)
    outcomes = [store.put_order(d.order) for d in demo.orders] + [store.put_repair(d.repair) for d in demo.repairs]
    return Loaded(demo, outcomes.count(True), outcomes.count(False))
