"""Randomized genealogies as canonical tables, for comparing the engine with the oracle.

Each seed gives a small plant with the shapes that break trace engines: multi-level BOMs, lots
consumed partly into several outputs, sibling batches of one work order (and a step with two
outputs), serials consumed into serials and into lots, units packed, unpacked and repacked into
other cases, cases moved between pallets, pallets reused across shipments and nested in a third
level, loose lots and serials shipped, inspections on lots, serials and steps. Times are small
whole hours so that packing, unpacking and shipping often fall on the same moment. Some consumption,
packing and shipment rows are retracted (their events declared erroneous): they must count nowhere.
"""

from __future__ import annotations

import random

from canonical import Tables, at


def _intervals(rng: random.Random, first: int, last: int) -> list[tuple[int, int | None]]:
    """A few consecutive [packed, unpacked) intervals; the last may stay open."""
    out: list[tuple[int, int | None]] = []
    t = rng.randint(first, last)
    for _ in range(rng.choice((1, 1, 2, 3))):
        if rng.random() < 0.35:
            out.append((t, None))
            break
        end = t + rng.randint(0, 6)  # zero: packed and unpacked at once, an empty interval
        out.append((t, end))
        t = end + rng.randint(0, 3)
        if out[-1][0] == t:
            t += 1  # the next packing row must differ in packed_at
    return out


def random_tables(seed: int) -> Tables:
    rng = random.Random(seed)
    t = Tables()
    suppliers = [f"SUP{i}" for i in range(rng.randint(1, 4))]
    materials = [f"M{i}" for i in range(rng.randint(2, 6))]
    products = [f"P{i}" for i in range(rng.randint(1, 3))]
    customers = [f"C{i}" for i in range(rng.randint(1, 5))]

    pool = [t.lot(f"R{i}", material=rng.choice(materials), supplier=rng.choice(suppliers),
                  quantity=rng.choice((100, 500))) for i in range(rng.randint(2, 7))]
    steps = 0

    def new_step(work_order: str) -> str:
        nonlocal steps
        steps += 1
        return t.step(f"ST{steps}", work_order=work_order)

    for level in range(rng.randint(1, 3)):  # sub-assembly levels of the BOM
        made = []
        step = ""
        for j in range(rng.randint(1, 4)):
            lot = t.lot(f"S{level}-{j}", material=rng.choice(materials), quantity=rng.choice((10, 20)))
            if not step or rng.random() > 0.2:  # now and then one step makes two outputs
                step = new_step(f"WO-S{level}-{j // 2}")  # sibling batches share a work order
            t.make(step, rng.sample(pool, min(len(pool), rng.randint(1, 4))), lot, quantity=rng.choice((1, 5)))
            made.append(lot)
        pool += made

    units: list[str] = []
    finished: list[str] = []
    for j in range(rng.randint(1, 4)):
        lot = t.lot(f"F{j}", product=rng.choice(products), quantity=5)
        t.make(new_step(f"WO-F{j // 2}"), rng.sample(pool, min(len(pool), rng.randint(1, 4))), lot)
        finished.append(lot)
        for k in range(rng.randint(0, 5)):
            units.append(t.serial(f"N{j}-{k}", product=t.rows["lots"][-1]["item_id"], lot=lot))
    for serial in units:  # serials consumed into serials of a later lot, or into a lot
        later = [u for u in units if u.split("-")[0] > serial.split("-")[0]]
        if later and rng.random() < 0.15:
            t.consume(new_step("WO-SUB"), serial, rng.choice(later))
        elif rng.random() < 0.05:
            t.consume(new_step("WO-KIT"), serial, rng.choice(finished))

    cases = [f"K{i}" for i in range(rng.randint(0, 5))]
    pallets = [f"PL{i}" for i in range(rng.randint(0, 3))]
    trucks = [f"TR{i}" for i in range(rng.randint(0, 1))]
    for children, outers in ((units + rng.sample(pool + finished, 2), cases),
                             (cases + rng.sample(pool + finished, 1), pallets), (pallets, trucks)):
        if not outers:
            continue
        for child in children:
            if rng.random() < 0.75:
                for packed, unpacked in _intervals(rng, 0, 25):
                    t.pack(child, rng.choice(outers), packed, unpacked)

    for n in range(rng.randint(1, 8)):
        shipment, customer, when = f"SH{n}", rng.choice(customers), rng.randint(0, 40)
        what = rng.random()
        if what < 0.6 and cases + pallets + trucks:  # a container, perhaps one shipped before
            t.ship(shipment, customer, when, rng.choice(cases + pallets + trucks))
        elif what < 0.8 or not units:
            t.ship(shipment, customer, when, rng.choice(pool + finished), quantity=rng.choice((1, 3)))
        else:
            t.ship(shipment, customer, when, rng.choice(units))

    for n in range(rng.randint(0, 4)):
        subject = rng.choice(pool + finished + units)
        step = f"ST{rng.randint(1, steps)}" if rng.random() < 0.5 else None
        t.inspect(f"I{n}", subject, step=step, result=rng.choice(("pass", "fail")))
    for table in ("consumptions", "packing", "shipment_items"):
        for row in t.rows.get(table, []):
            if rng.random() < 0.1:
                row["retracted_at"] = at(rng.randint(0, 45))
    return t


def random_starts(rng: random.Random, tables: Tables) -> list[tuple[str, dict[str, list[str]]]]:
    """(question, start) pairs covering every kind of start the engine takes."""
    ids = {kind: [k for k, v in tables.kind_of.items() if v == kind] for kind in ("lot", "serial", "container")}
    packed = sorted({r["container_id"] for r in tables.rows["packing"]})
    out: list[tuple[str, dict[str, list[str]]]] = [
        ("forward", {"lots": [rng.choice(ids["lot"])]}),
        ("backward", {"lots": [rng.choice(ids["lot"])]}),
        ("forward", {"suppliers": [rng.choice([r["supplier_id"] for r in tables.rows["suppliers"]])]}),
        ("forward", {"materials": [rng.choice([r["material_id"] for r in tables.rows["materials"]])]}),
        ("recall", {"lots": rng.sample(ids["lot"], min(2, len(ids["lot"])))}),
    ]
    if ids["serial"]:
        out += [("forward", {"serials": [rng.choice(ids["serial"])]}),
                ("backward", {"serials": [rng.choice(ids["serial"])]}),
                ("recall", {"serials": [rng.choice(ids["serial"])], "lots": [rng.choice(ids["lot"])]})]
    if packed:
        out += [("forward", {"containers": [rng.choice(packed)]}), ("backward", {"containers": [rng.choice(packed)]})]
    return out
