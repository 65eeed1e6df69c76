"""A seeded generator of realistic synthetic medical-device genealogies, as canonical tables.

The shape follows a device maker's plant: suppliers deliver raw-material lots (some materials
single-sourced), work orders turn 3-6 input lots into sub-assembly lots and those into finished
lots (two sibling batches per finished work order, each consuming its own inputs), finished lots
are serialised and units are packed 24 to a case (a few repacked into another case of the lot).
Shipping follows a device maker's warehouse: about half the cases ship loose, 1-3 to a shipment, to
hospitals; the rest go 20 to a pallet for distributors; some pallets are broken down before they
ship, their cases going out loose and the pallet reused for a later build; a few cases stay in
stock, and a few sub-assembly lots are sold in part as spare parts. Quantities consumed are a part
of the input lot, in its unit, never more than is left of it (a used-up lot drops out of later bills
of materials), so a clean plant balances. The same seed and size always give the same files.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .errors import BadInput

EPOCH = datetime(2025, 1, 6, 6, 0, tzinfo=timezone.utc)
COUNTRIES = ("US", "DE", "IE", "CN", "JP", "MX", "CR", "FR", "IT", "CH", "NL", "SG", "KR", "IN", "BR")
UOMS = ("EA", "KG", "M", "L")
CASE_SIZE, PALLET_CASES = 24, 20
LOOSE_CASES, STOCK_CASES, BROKEN_PALLETS, SPARE_LOTS = 0.5, 0.03, 0.2, 0.05  # shares


def gtin14(seed_digits: str) -> str:
    """A GTIN-14 from 13 digits, with its GS1 check digit."""
    body = seed_digits.zfill(13)[-13:]
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Sizes:
    serials: int
    suppliers: int = 50
    materials: int = 2000
    products: int = 24
    customers: int = 20000
    serials_per_lot: int = 300

    @classmethod
    def for_serials(cls, serials: int) -> Sizes:
        """Full-size master data for benchmark volumes, smaller for demos and tests."""
        if serials >= 100_000:
            return cls(serials)
        scale = max(serials / 100_000, 0.002)
        return cls(serials, suppliers=max(8, int(50 * scale ** 0.3)), materials=max(40, int(2000 * scale ** 0.5)),
                   products=max(4, int(24 * scale ** 0.3)), customers=max(20, int(20000 * scale)),
                   serials_per_lot=max(24, int(300 * scale ** 0.2)))


class _Tables:
    """Open CSV writers, one per canonical table."""

    def __init__(self, outdir: Path, columns: dict[str, list[str]]) -> None:
        outdir.mkdir(parents=True, exist_ok=True)
        self._files = {t: (outdir / f"{t}.csv").open("w", newline="", encoding="utf-8") for t in columns}
        self.w = {t: csv.writer(f) for t, f in self._files.items()}
        self.rows: dict[str, int] = dict.fromkeys(columns, 0)
        for table, cols in columns.items():
            self.w[table].writerow(cols)

    def add(self, table: str, *values: object) -> None:
        self.w[table].writerow(values)
        self.rows[table] += 1

    def add_many(self, table: str, rows: list[tuple[object, ...]]) -> None:
        self.w[table].writerows(rows)
        self.rows[table] += len(rows)

    def close(self) -> None:
        for f in self._files.values():
            f.close()


COLUMNS = {
    "suppliers": ["supplier_id", "name", "country"],
    "materials": ["material_id", "revision", "description"],
    "products": ["product_id", "name"],
    "customers": ["customer_id", "name", "country"],
    "lots": ["lot_id", "item_id", "supplier_id", "quantity", "uom", "created_at", "expires_at"],
    "serials": ["serial_id", "product_id", "lot_id", "created_at"],
    "process_steps": ["step_id", "work_order", "operation", "equipment_id", "operator_id", "started_at",
                      "ended_at", "bom_revision", "process_revision", "parameters"],
    "consumptions": ["step_id", "input_type", "input_id", "output_type", "output_id", "quantity", "uom",
                     "consumed_at"],
    "inspections": ["inspection_id", "subject_type", "subject_id", "step_id", "characteristic", "value",
                    "lower_limit", "upper_limit", "result", "inspected_at"],
    "packing": ["child_type", "child_id", "container_id", "packed_at", "unpacked_at"],
    "shipments": ["shipment_id", "customer_id", "shipped_at"],
    "shipment_items": ["shipment_id", "item_type", "item_id", "quantity"],
}


def generate(outdir: str | Path, serials: int, seed: int = 7, defects: bool = False) -> dict[str, int]:
    """Write the canonical tables for about ``serials`` units into ``outdir``; returns rows per table.

    ``defects`` adds a few deliberate data-quality defects of each kind (see :func:`plant_defects`).
    """
    if serials < 1:
        raise BadInput(f"serials: a plant has at least 1 unit, not {serials}")
    rng = random.Random(seed)
    size = Sizes.for_serials(serials)
    out = _Tables(Path(outdir), COLUMNS)
    try:
        _generate(rng, size, out)
    finally:
        out.close()
    if defects:
        for table, n in plant_defects(Path(outdir)).items():
            out.rows[table] += n
    return out.rows


def _generate(rng: random.Random, size: Sizes, out: _Tables) -> None:
    suppliers = [f"SUP-{i:04d}" for i in range(1, size.suppliers + 1)]
    for i, s in enumerate(suppliers):
        out.add("suppliers", s, f"Supplier {i + 1} GmbH" if i % 3 == 0 else f"Supplier {i + 1} Inc.",
                COUNTRIES[i % len(COUNTRIES)])
    n_sub = max(4, size.materials // 5)
    raw_materials = [f"RM-{i:05d}" for i in range(1, size.materials - n_sub + 1)]
    sub_materials = [f"SA-{i:05d}" for i in range(1, n_sub + 1)]
    for m in raw_materials:
        out.add("materials", m, rng.choice("ABC"), f"Raw material {m}")
    for m in sub_materials:
        out.add("materials", m, rng.choice("ABCD"), f"Sub-assembly {m}")
    products = [gtin14(f"0884{i:09d}") for i in range(1, size.products + 1)]
    for i, p in enumerate(products):
        out.add("products", p, f"Device model {chr(65 + i % 26)}{i + 1:02d}")
    customers = [f"CUST-{i:05d}" for i in range(1, size.customers + 1)]
    for i, c in enumerate(customers):
        out.add("customers", c, f"{'Hospital' if i % 4 else 'Distributor'} {i + 1}", rng.choice(COUNTRIES))
    # Approved sources: most raw materials have 2-3 suppliers, a fifth are single-sourced.
    sources = {m: rng.sample(suppliers, 1 if rng.random() < 0.2 else rng.randint(2, 3)) for m in raw_materials}

    n_finished = max(2, size.serials // size.serials_per_lot)
    n_sub_lots = max(4, int(n_finished * 1.5))
    n_raw_lots = max(8, int(n_finished * 3))
    clock = EPOCH
    tick = timedelta(minutes=max(1, int(600_000 / (n_raw_lots + n_sub_lots + n_finished))))

    hospitals = [c for i, c in enumerate(customers) if i % 4]
    distributors = customers[::4]
    raw_lots: list[str] = []
    uom_of: dict[str, str] = {}
    left: dict[str, float] = {}  # what is still on site of each raw and sub-assembly lot
    for i in range(1, n_raw_lots + 1):
        m = rng.choice(raw_materials)
        lot = f"RL-{i:07d}"
        clock += tick
        uom_of[lot] = rng.choice(UOMS)
        left[lot] = rng.choice((500, 1000, 2000, 5000))
        out.add("lots", lot, m, rng.choice(sources[m]), left[lot], uom_of[lot],
                iso(clock), iso(clock + timedelta(days=720)))
        raw_lots.append(lot)

    step_no = 0
    inspection_no = 0

    def make_step(work_order: str, operation: str, started: datetime, bom: str) -> str:
        nonlocal step_no
        step_no += 1
        step = f"STEP-{step_no:08d}"
        equipment = f"EQ-{rng.randint(1, 40):03d}"
        params = {"temp_c": round(rng.uniform(170, 190), 1), "pressure_bar": round(rng.uniform(4, 6), 2)}
        out.add("process_steps", step, work_order, operation, equipment, f"OP-{rng.randint(1, 120):04d}",
                iso(started), iso(started + timedelta(hours=2)), bom, f"P{rng.randint(1, 4)}",
                json.dumps(params, separators=(",", ":")))
        return step

    def inspect(kind: str, subject: str, step: str, when: datetime) -> None:
        nonlocal inspection_no
        inspection_no += 1
        # a few out of specification on purpose, so every plant has failed inspections to trace from
        value = round(rng.uniform(10.55, 10.9) if inspection_no % 25 == 7 else rng.gauss(10.0, 0.15), 3)
        result = "pass" if 9.5 <= value <= 10.5 else "fail"
        out.add("inspections", f"INS-{inspection_no:08d}", kind, subject, step, "diameter_mm", value, 9.5, 10.5,
                result, iso(when))

    def pick(pool: list[str], k: int) -> list[str]:
        """Up to ``k`` distinct lots of ``pool`` with some left (the pool is filtered only when a draw
        hits a used-up lot, which is rare, so big plants stay fast)."""
        chosen = rng.sample(pool, min(k, len(pool)))
        if all(left[lot] > 0 for lot in chosen):
            return chosen
        stock = [lot for lot in pool if left[lot] > 0]
        return rng.sample(stock, min(k, len(stock)))

    def consume(step: str, inputs: list[str], output: str, when: datetime) -> None:
        for lot in inputs:
            quantity = min(rng.choice((5, 10, 20, 50)), left[lot])
            left[lot] -= quantity
            out.add("consumptions", step, "lot", lot, "lot", output, quantity, uom_of.get(lot, "EA"), iso(when))

    shipment_no = pallet_no = 0
    free_pallets: list[tuple[str, datetime]] = []  # broken-down pallets, reusable from that moment

    def ship(items: list[tuple[str, str]], to: list[str], when: datetime, quantity: int = 1) -> None:
        nonlocal shipment_no
        shipment_no += 1
        shipment = f"SHP-{shipment_no:07d}"
        out.add("shipments", shipment, rng.choice(to), iso(when))
        for item_type, item in items:
            out.add("shipment_items", shipment, item_type, item, quantity)

    def ship_loose(cases: list[str], ready: datetime) -> None:
        """Cases to hospitals, one to three to a shipment."""
        while cases:
            n = rng.randint(1, 3)
            ship([("container", c) for c in cases[:n]], hospitals, ready + timedelta(hours=rng.randint(4, 48)))
            cases = cases[n:]

    def palletise(cases: list[str], ready: datetime) -> None:
        """One pallet build: shipped whole to a distributor, or broken down and its cases sent loose."""
        nonlocal pallet_no
        if free_pallets and rng.random() < 0.7:
            pallet, free_at = free_pallets.pop(0)
            ready = max(ready, free_at + timedelta(hours=1))
        else:
            pallet_no += 1
            pallet = f"PAL-{pallet_no:07d}"
        if rng.random() < BROKEN_PALLETS:
            down = ready + timedelta(hours=rng.randint(4, 24))
            for case in cases:
                out.add("packing", "container", case, pallet, iso(ready), iso(down))
            free_pallets.append((pallet, down))
            ship_loose(cases, down)
            return
        for case in cases:
            out.add("packing", "container", case, pallet, iso(ready), "")
        ship([("container", pallet)], distributors, ready + timedelta(hours=12))

    sub_lots: list[str] = []
    window = max(30, n_raw_lots // 4)
    for i in range(1, n_sub_lots + 1):
        clock += tick
        lot = f"SL-{i:07d}"
        recent = raw_lots[max(0, int(i / n_sub_lots * n_raw_lots) - window):int(i / n_sub_lots * n_raw_lots) + 1]
        inputs = pick(recent, rng.randint(3, 6))
        step = make_step(f"WO-S{i:07d}", "0020 ASSEMBLE", clock, f"B{rng.randint(1, 3)}")
        left[lot] = rng.choice((200, 400))
        out.add("lots", lot, rng.choice(sub_materials), "", left[lot], "EA", iso(clock), "")
        consume(step, inputs, lot, clock)
        inspect("lot", lot, step, clock + timedelta(hours=3))
        sub_lots.append(lot)
        if rng.random() < SPARE_LOTS:  # part of the lot sold as spare parts
            spares = rng.choice((10, 20))
            left[lot] -= spares
            ship([("lot", lot)], distributors, clock + timedelta(days=2), quantity=spares)

    serial_no = case_no = 0
    open_cases: list[str] = []  # cases waiting for a pallet
    window = max(20, n_sub_lots // 4)
    for i in range(1, n_finished + 1):
        clock += tick
        product = products[i % len(products)]
        lot = f"FL-{i:07d}"
        work_order = f"WO-F{(i + 1) // 2:07d}"  # two sibling batches per work order
        pos = int(i / n_finished * n_sub_lots)
        inputs = pick(sub_lots[max(0, pos - window):pos + 1], rng.randint(2, 4)) + pick(raw_lots, rng.randint(1, 2))
        step = make_step(work_order, "0040 FINAL ASSEMBLY", clock, f"B{rng.randint(1, 3)}")
        count = size.serials_per_lot if i < n_finished else max(1, size.serials - serial_no)
        out.add("lots", lot, product, "", count, "EA", iso(clock), iso(clock + timedelta(days=1095)))
        consume(step, inputs, lot, clock)
        inspect("lot", lot, step, clock + timedelta(hours=3))
        units = [f"SN{n:09d}" for n in range(serial_no + 1, serial_no + count + 1)]
        serial_no += count
        made = iso(clock + timedelta(hours=1))
        out.add_many("serials", [(serial, product, lot, made) for serial in units])
        if rng.random() < 0.3:
            inspect("serial", units[0], step, clock + timedelta(hours=4))
        # pack 24 to a case; now and then a unit is repacked into the next case of the lot
        packed = clock + timedelta(hours=6)
        packed_at, repacked_at = iso(packed), iso(packed + timedelta(hours=1))
        repack = len(units) > CASE_SIZE and rng.random() < 0.2
        cases = []
        for start in range(0, len(units), CASE_SIZE):
            case_no += 1
            case = f"CASE-{case_no:08d}"
            cases.append(case)
            batch = units[start:start + CASE_SIZE]
            if repack and start == 0:  # the lot's first unit moves to its last case an hour later
                out.add("packing", "serial", batch.pop(0), case, packed_at, repacked_at)
            out.add_many("packing", [("serial", serial, case, packed_at, "") for serial in batch])
        if repack:
            out.add("packing", "serial", units[0], cases[-1], repacked_at, "")
        ready = packed + timedelta(hours=2)
        loose: list[str] = []
        for case in cases:
            share = rng.random()
            if share < LOOSE_CASES:
                loose.append(case)
            elif share >= LOOSE_CASES + STOCK_CASES:  # the rest stay in the warehouse
                open_cases.append(case)
        ship_loose(loose, ready)
        while len(open_cases) >= PALLET_CASES:
            palletise(open_cases[:PALLET_CASES], ready)
            open_cases = open_cases[PALLET_CASES:]
    # the last open cases stay in the warehouse, unshipped


def plant_defects(outdir: Path) -> dict[str, int]:
    """Append a few deliberate defects of each kind the quality checks find (ids contain ``X``).

    Works on the written tables only, so it holds whatever the plant generator does: two lots
    without quantity or receipt time; serials of a finished lot built from a sub-assembly lot
    nobody received or produced, shipped (no supplier behind them); a second orphan lot consumed
    into an existing finished lot; a case emptied before it shipped and a pallet shipped with
    nothing ever packed; two lots consumed beyond their quantity; and three consumed supplier
    lots that failed incoming inspection. Six more records break the data dictionary, so the loader
    rejects them and the quality report lists them from the load's audit entry: a supplier without
    its required name, a lot without its item, a lot and a consumption of negative quantity, an
    inspection verdict off its choices, and a shipment to a customer nobody knows. Returns rows added
    per table.
    """
    def column(table: str, name: str) -> list[str]:
        with (outdir / f"{table}.csv").open(newline="", encoding="utf-8") as fh:
            return [row[name] for row in csv.DictReader(fh)]

    supplier, customer, product = column("suppliers", "supplier_id")[0], column("customers", "customer_id")[0], \
        column("products", "product_id")[0]
    materials = column("materials", "material_id")
    raw, sub = materials[0], materials[-1]
    bought = {lot for lot, s in zip(column("lots", "lot_id"), column("lots", "supplier_id")) if s}
    inputs = list(dict.fromkeys(i for i in column("consumptions", "input_id") if i in bought))
    finished = column("consumptions", "output_id")[-1]
    t, later = "2026-01-15T08:00:00Z", "2026-01-15T09:00:00Z"

    def lot(lot_id: str, item: str, supplier_id: str = "", quantity: object = "", uom: str = "") -> dict:
        return {"lot_id": lot_id, "item_id": item, "supplier_id": supplier_id, "quantity": quantity, "uom": uom,
                "created_at": t if quantity != "" else ""}

    def use(step: str, lot_id: str, output: str, quantity: float, uom: str = "EA") -> dict:
        return {"step_id": step, "input_type": "lot", "input_id": lot_id, "output_type": "lot",
                "output_id": output, "quantity": quantity, "uom": uom, "consumed_at": t}

    def ship(shipment: str, container: str) -> dict:
        return {"shipment_id": shipment, "item_type": "container", "item_id": container, "quantity": 1}

    rows: dict[str, list[dict[str, object]]] = {
        "lots": [lot("RL-X000001", raw, supplier), lot("RL-X000002", raw, supplier),
                 lot("SL-X000001", sub, "", 200, "EA"), lot("SL-X000002", sub, "", 200, "EA"),
                 lot("FL-X000001", product, "", 4, "EA"), lot("RL-X000003", raw, supplier, 10, "EA"),
                 lot("RL-X000004", raw, supplier, 5, "KG"), lot("SL-X000003", sub, "", 100, "EA"),
                 lot("SL-X000004", sub, "", 100, "EA")],
        "serials": [{"serial_id": f"SNX0000000{i}", "product_id": product, "lot_id": "FL-X000001",
                     "created_at": t} for i in range(1, 5)],
        "process_steps": [{"step_id": f"STEP-X00000{i}", "work_order": f"WO-X{i}", "operation": "0099 DEFECT DEMO",
                           "started_at": t, "ended_at": later} for i in range(1, 5)],
        "consumptions": [use("STEP-X000001", "SL-X000001", "FL-X000001", 4),
                         use("STEP-X000002", "SL-X000002", finished, 1),
                         use("STEP-X000003", "RL-X000003", "SL-X000003", 8),
                         use("STEP-X000004", "RL-X000003", "SL-X000004", 7),
                         use("STEP-X000003", "RL-X000004", "SL-X000003", 6, "KG")],
        "packing": [{"child_type": "serial", "child_id": f"SNX0000000{i}", "container_id": "CASE-X000001",
                     "packed_at": t} for i in range(1, 4)]
        + [{"child_type": "serial", "child_id": "SNX00000004", "container_id": "CASE-X000002", "packed_at": t,
            "unpacked_at": later}],
        "shipments": [{"shipment_id": "SHP-X000001", "customer_id": customer, "shipped_at": "2026-01-16T08:00:00Z"},
                      {"shipment_id": "SHP-X000002", "customer_id": customer, "shipped_at": "2026-01-16T09:00:00Z"}],
        "shipment_items": [ship("SHP-X000001", "CASE-X000001"), ship("SHP-X000002", "CASE-X000002"),
                           ship("SHP-X000002", "PAL-X000001")],
        "inspections": [{"inspection_id": f"INS-X00000{n}", "subject_type": "lot", "subject_id": lot_id,
                         "characteristic": "incoming_hardness", "value": 62.0, "lower_limit": 45.0,
                         "upper_limit": 60.0, "result": "fail", "inspected_at": t}
                        for n, lot_id in enumerate(inputs[:3], start=1)],
    }
    # records that break the data dictionary: the loader keeps them out of the graph
    rows["suppliers"] = [{"supplier_id": "SUP-X0001", "name": "", "country": "DE"}]
    rows["lots"] += [lot("RL-X000005", "", supplier, 10, "EA"), lot("RL-X000006", raw, supplier, -5, "EA")]
    rows["consumptions"].append(use("STEP-X000003", "RL-X000001", "SL-X000003", -3))
    rows["inspections"].append({"inspection_id": "INS-X000004", "subject_type": "lot", "subject_id": "SL-X000003",
                                "characteristic": "visual", "result": "unclear", "inspected_at": t})
    rows["shipments"].append({"shipment_id": "SHP-X000003", "customer_id": "CUST-X9999", "shipped_at": later})
    for table, new in rows.items():
        path = outdir / f"{table}.csv"
        with path.open(newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh))
        with path.open("a", newline="", encoding="utf-8") as fh:
            csv.DictWriter(fh, header, restval="").writerows(new)
    return {table: len(new) for table, new in rows.items()}
