"""A plant with one finished lot of many serials, for the explorer's capped expansion.

The tests and the benchmark ``bench/web_expand.py`` load the same tables. ``FL-BIG`` has ``serials``
units (24 to a case, 20 cases to a pallet, a pallet to each shipment); ``FL-SMALL`` has ``small``,
which is more than a collapsed layer shows and fewer than one expansion draws.
"""

from __future__ import annotations

from canonical import Tables

BIG, SMALL = "FL-BIG", "FL-SMALL"
CASE, PALLET = 24, 20


def big_lot_tables(serials: int = 2000, small: int = 80) -> Tables:
    t = Tables()
    t.lot("RL-B", material="M-B", supplier="SUP-B", quantity=serials + small)
    for lot, count, prefix in ((BIG, serials, "SN-B"), (SMALL, small, "SN-S")):
        t.lot(lot, product="P-B", quantity=count)
        t.consume(f"S-{lot}", "RL-B", lot, quantity=count)
        cases: list[str] = []
        for i in range(count):
            unit = t.serial(f"{prefix}{i:05d}", product="P-B", lot=lot)
            case = f"CASE-{lot}-{i // CASE:03d}"
            if not cases or cases[-1] != case:
                cases.append(case)
            t.pack(unit, case, 2)
        for p in range(0, len(cases), PALLET):
            pallet = f"PAL-{lot}-{p // PALLET:02d}"
            for case in cases[p:p + PALLET]:
                t.pack(case, pallet, 3)
            t.ship(f"SH-{pallet}", f"CUST-{p // PALLET % 4}", 4, pallet)
    return t
