"""The shared world of the reliability tests: generated seeds large enough that a pass takes a
while, both sandboxes, and what their stores hold (read behind the APIs, so a duplicate the
connectors would hide is still seen)."""

from __future__ import annotations

import asyncio
import copy
import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.afas.sandbox import SandboxApp
from connectors.afas.sandbox import create_app as afas_app
from connectors.mpluskassa.sandbox import create_app as mplus_app
from connectors.sandbox import FaultInjector, SandboxServer, _drop

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "reconciler" / "demo"
TENANT = "bakkerij-jansen"
TOKEN, IDENT, SECRET = "afas-rel-token-5d1e", "mplus-rel-ident-2b8c", "mplus-rel-secret-c07a"
SECRET_PATH = "/run/secrets/mplus-jansen-secret"
ENV = {"AFAS_JANSEN_TOKEN": TOKEN, "MPLUS_JANSEN_IDENT": IDENT}
SELLABLE = ["1001", "1002", "1003", "1004", "1005", "1006", "1008"]
"""Articles both systems know: the till's sales of them reach AFAS without failing."""


def seeds(
    *, products: int = 60, orders: int = 40, customers: int = 15, seed: int = 4
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(AFAS seed, MplusKASSA seed): the demo's bakery without the records that fail on
    purpose (a non-numeric article, a sale of an article AFAS lacks), plus ``products`` extra
    articles and ``customers`` extra debtors in AFAS, and ``orders`` paid till sales by
    ``customers`` till relations. Seeded, so every call gives the same data."""
    rng = random.Random(seed)
    afas = json.loads((DEMO / "seeds" / "bakkerij-jansen" / "afas.json").read_text())
    kassa = json.loads((DEMO / "seeds" / "bakkerij-jansen" / "kassa.json").read_text())
    afas["articles"] = [a for a in afas["articles"] if a["ItCd"] != "TAART-XL"]
    afas["stock"] = [s for s in afas["stock"] if s["ItCd"] != "TAART-XL"]
    template = next(a for a in afas["articles"] if a["ItCd"] == "1001")
    for n in range(products):
        code = str(3000 + n)
        article = copy.deepcopy(template)
        article.update(
            ItCd=code,
            Ds=f"Gebak {n:02d}",
            DsEx=f"Gebak nummer {n} van de week.",
            SaPrice=round(rng.uniform(0.5, 25), 2),
            BaCo=f"87100030{n:05d}",
        )
        afas["articles"].append(article)
        afas["stock"].append({"ItCd": code, "War": "01", "quantity": rng.randint(0, 90)})
    template_debtor = next(d for d in afas["debtors"] if d["DbId"] == "20001")
    for n in range(customers):
        debtor = copy.deepcopy(template_debtor)
        debtor.update(
            DbId=str(30000 + n),
            BcCo=str(300000 + n),
            Nm=f"Afnemer {n:02d} BV",
            EmAd=f"inkoop{n:02d}@afnemer.test",
        )
        debtor.pop("contact", None)
        afas["debtors"].append(debtor)
    kassa["orders"] = [o for o in kassa["orders"] if o["extOrderId"] != "K-1005"]
    # The tax table names the Belgian codes too; the till knows them (the master-data check).
    kassa["vatGroups"] += [{"vatCode": 5, "vatPercentage": 21}, {"vatCode": 6, "vatPercentage": 6}]
    for n in range(customers):
        kassa["relations"].append(
            {
                "relationNumber": 100 + n,
                "name": f"Klant {n:02d}",
                "email": f"klant{n:02d}@example.test",
                "address": f"Voorstraat {n + 1}",
                "zipcode": "1135 AA",
                "city": "Edam",
                "country": "NL",
            }
        )
    prices = {int(a["ItCd"]): round(a["SaPrice"] * 100) for a in afas["articles"]
              if a["ItCd"] in SELLABLE}  # fmt: skip
    for n in range(orders):
        lines, total = [], 0
        for number in rng.sample(sorted(prices), rng.randint(1, 3)):
            quantity = rng.randint(1, 5)
            total += prices[number] * quantity
            lines.append(
                {
                    "articleNumber": number,
                    "data": {
                        "quantity": quantity * 100,
                        "decimalPlaces": 2,
                        "price": prices[number],
                        "vatPercentage": 9,
                    },
                }
            )
        kassa["orders"].append(
            {
                "extOrderId": f"K-{2000 + n}",
                "paymentMethod": "pin",
                "deliveryAddress": {
                    "name": "",
                    "address": "Damplein 1",
                    "zipcode": "1135 BA",
                    "city": "Edam",
                    "country": "NL",
                },
                "lineList": {"line": lines},
                "relationNumber": 100 + n % customers,
                "paymentList": {"payment": [{"method": "pin", "amount": total}]},
            }
        )
    return afas, kassa


@dataclass
class Sandboxes:
    """Both sandboxes, running in threads of the test process."""

    afas_app: SandboxApp
    kassa_app: FaultInjector
    afas: SandboxServer
    kassa: SandboxServer
    late: list[LateAnswer]

    @classmethod
    def start(
        cls, *, answer_delay: float = 0.0, lost_answers: float = 0.0, seed: int = 4, **sizes: int
    ) -> Sandboxes:
        """Fresh sandboxes with the generated seeds; ``answer_delay`` holds back every write's
        answer after the work is done (see ``LateAnswer``), ``lost_answers`` is the share of
        writes whose answer is lost after the work is done (see ``LostAnswer``)."""
        afas_seed, kassa_seed = seeds(seed=seed, **sizes)
        afas = afas_app(seed=afas_seed, token=TOKEN)
        kassa = mplus_app(seed=kassa_seed, ident=IDENT, secret=SECRET)
        late = [
            LateAnswer(LostAnswer(afas, lost_answers, seed), answer_delay),
            LateAnswer(LostAnswer(kassa, lost_answers, seed + 1), answer_delay),
        ]
        afas_server = SandboxServer(late[0]).start()
        try:
            kassa_server = SandboxServer(late[1]).start()
        except BaseException:
            afas_server.stop()
            raise
        return cls(afas, kassa, afas_server, kassa_server, late)

    @property
    def lost(self) -> int:
        """Writes done whose answer was lost on purpose."""
        return sum(late.app.lost for late in self.late)

    @property
    def writes(self) -> int:
        """Write requests both sandboxes have received so far."""
        return sum(late.writes for late in self.late)

    @property
    def held(self) -> int:
        """Creates done whose answers were held (see ``LateAnswer``)."""
        return sum(late.held for late in self.late)

    def hold(self, on: bool) -> None:
        """Hold the answers of record creates from now on, or let them go."""
        for late in self.late:
            late.holding = on

    def stop(self) -> None:
        self.afas.stop()
        self.kassa.stop()

    def __enter__(self) -> Sandboxes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoints(self) -> dict[str, str]:
        return {"afas": f"{self.afas.url}/ProfitRestServices", "kassa": self.kassa.url}

    def faults(self, **changes: Any) -> None:
        """The same fault settings on both sandboxes."""
        self.afas_app.configure(**changes)
        self.kassa_app.configure(**changes)

    def snapshot(self) -> dict[str, Any]:
        """Everything koppel wrote, by natural key and without the ids and stamps the targets
        assign, so two runs that wrote the same records compare equal."""
        afas = self.afas_app.sandbox.store
        kassa = self.kassa_app.app.state.sandbox.store  # type: ignore[attr-defined]
        with afas.lock:
            emails = {k: str(d.get("EmAd") or "").lower() for k, d in afas.debtors.items()}
            orders = {
                str(o.get("RfCs")): {**_plain(o), "debtor": emails.get(str(o.get("DbId")))}
                for o in afas.orders.values()
            }
            debtors = {emails[k]: _plain(d) for k, d in afas.debtors.items()}
        articles = {
            int(a["articleNumber"]): _plain(a)
            for p in list(kassa.products.values())
            for a in (p.get("articleList") or {}).get("article", [])
        }
        relations = {
            str(r.get("email")).lower(): {
                **_plain(r),
                # AFAS's debtor number, assigned in creation order: compare whose it is.
                "extRelationId": emails.get(str(r.get("extRelationId")), r.get("extRelationId")),
            }
            for r in kassa.relations.values()
        }
        stock = {n: (str(row.free), str(row.reserved)) for n, row in kassa.stock.items()}
        return {
            "afas orders": orders,
            "afas debtors": debtors,
            "kassa articles": articles,
            "kassa relations": relations,
            "kassa stock": stock,
        }

    def contents(self) -> Contents:
        afas = self.afas_app.sandbox.store
        kassa = self.kassa_app.app.state.sandbox.store  # type: ignore[attr-defined]
        with afas.lock:
            references = Counter(
                str(o.get("RfCs") or o.get("CustomerReference") or "") for o in afas.orders.values()
            )
            emails = Counter(str(d.get("EmAd") or "").lower() for d in afas.debtors.values())
            orders = sorted(json.dumps(o, sort_keys=True, default=str)
                            for o in afas.orders.values())  # fmt: skip
        articles: Counter[int] = Counter()
        for product in list(kassa.products.values()):
            for article in (product.get("articleList") or {}).get("article", []):
                articles[int(article["articleNumber"])] += 1
        relations = Counter(str(r.get("email") or "").lower() for r in kassa.relations.values())
        return Contents(references, emails, articles, relations, len(orders))


@dataclass
class Contents:
    """What both targets hold, counted by natural key."""

    afas_order_refs: Counter[str]
    afas_debtor_emails: Counter[str]
    kassa_articles: Counter[int]
    kassa_relation_emails: Counter[str]
    afas_orders: int

    def duplicates(self) -> dict[str, list[Any]]:
        found = {
            "AFAS sales orders by POS reference": _twice(self.afas_order_refs),
            "AFAS debtors by e-mail": _twice(self.afas_debtor_emails),
            "MplusKASSA articles by number": _twice(self.kassa_articles),
            "MplusKASSA relations by e-mail": _twice(self.kassa_relation_emails),
        }
        return {what: keys for what, keys in found.items() if keys}


VOLATILE = {"OrNu", "DbId", "BcCo", "CreateDate", "ModifiedDate", "GuLi", "relationNumber",
            "syncMarker", "changeTimestamp", "createTimestamp", "productNumber", "orderId",
            "entryTimestamp", "stockId", "changed"}  # fmt: skip
"""What the targets assign themselves: differs between two runs that wrote the same."""


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if not isinstance(value, (str, int, float, bool, type(None))) else value


def _twice(counter: Counter[Any]) -> list[Any]:
    return sorted(key for key, n in counter.items() if n > 1 and key != "")


class LostAnswer:
    """ASGI middleware dropping the connection *after* the sandbox did a write, with
    probability ``rate`` (seeded): the client cannot know whether the write happened, the
    case koppel settles by a natural-key look-up. The sandboxes' own faults all strike before
    the work, so this one is added here."""

    def __init__(self, app: Any, rate: float, seed: int) -> None:
        self.app, self.rate, self.lost = app, rate, 0
        self._rng = random.Random(seed)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        lose = (
            scope["type"] == "http"
            and self.rate > 0
            and _is_write(scope)
            and self._rng.random() < self.rate
        )
        if not lose:
            await self.app(scope, receive, send)
            return
        self.lost += 1

        async def swallow(message: Any) -> None:
            if message["type"] == "http.response.start":
                _drop(send)

        await self.app(scope, receive, _Send(send, swallow).send)


class LateAnswer:
    """ASGI middleware holding every write's answer back for ``delay`` seconds *after* the
    sandbox has done the work: a client killed meanwhile has written without hearing so, the
    window a journal exists for. Counts the writes it has seen (AFAS POST/PUT, MplusKASSA
    create/update operations), so a test can wait for writes to be under way.

    While ``holding``, the answers of record creates (see ``_is_record_create``) are held until
    it is switched off, and ``held`` counts them: a test can then kill a client that is certain
    to have created a record it has not heard of, instead of hoping a kill lands in the window."""

    def __init__(self, app: Any, delay: float) -> None:
        self.app, self.delay, self.writes = app, delay, 0
        self.holding, self.held = False, 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        write = scope["type"] == "http" and _is_write(scope)
        self.writes += write
        hold = write and self.holding and _is_record_create(scope)

        async def late(message: Any) -> None:
            if message["type"] == "http.response.start" and write:
                if hold:
                    self.held += 1
                    while self.holding:
                        await asyncio.sleep(0.005)
                elif self.delay:
                    await asyncio.sleep(self.delay)
            await send(message)

        await self.app(scope, receive, _Send(send, late).send)


class _Send:
    """A wrapped ASGI ``send`` that still lets the sandbox's own faults drop the connection
    (``connectors.sandbox._drop`` finds the transport through the bound method)."""

    def __init__(self, inner: Any, wrapper: Any) -> None:
        self.transport = getattr(getattr(inner, "__self__", None), "transport", None)
        self._wrapper = wrapper

    async def send(self, message: Any) -> None:
        await self._wrapper(message)


def _is_write(scope: Any) -> bool:
    if str(scope.get("path", "")).startswith("/_sandbox"):
        return False
    if scope.get("method") in ("PUT", "DELETE"):
        return True
    headers = dict(scope.get("headers") or [])
    action = headers.get(b"soapaction", b"").decode().strip('"')
    if action:
        return action.startswith(("create", "update", "delete", "save"))
    return scope.get("method") == "POST"


def _is_record_create(scope: Any) -> bool:
    """A create of a flow's own record, whose intent ``recover`` settles with an activity
    entry: an MplusKASSA ``create…`` operation, or an AFAS POST other than the debtor an order
    brings along (that intent is settled silently)."""
    headers = dict(scope.get("headers") or [])
    action = headers.get(b"soapaction", b"").decode().strip('"')
    if action:
        return action.startswith("create")
    path = str(scope.get("path", ""))
    return scope.get("method") == "POST" and "KnSalesRelation" not in path
