"""The synthetic plant looks like a device maker's: the shapes traces must handle, at bench sizes."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from tracegraph.errors import BadInput
from tracegraph.generate import generate


def read(directory: Path, table: str) -> list[dict[str, str]]:
    with (directory / f"{table}.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("plant")
    generate(directory, 100_000, seed=7)
    return directory


def test_bench_size_master_data(plant: Path) -> None:
    assert len(read(plant, "suppliers")) == 50
    assert len(read(plant, "materials")) == 2000
    assert len(read(plant, "customers")) == 20_000
    assert len(read(plant, "serials")) == 100_000
    lots = read(plant, "lots")
    kinds = Counter(r["lot_id"][:2] for r in lots)
    assert set(kinds) == {"RL", "SL", "FL"} and all(n > 100 for n in kinds.values())
    inputs = Counter(r["output_id"] for r in read(plant, "consumptions"))
    assert set(Counter(inputs.values())) <= {3, 4, 5, 6}
    assert {r["lot_id"][:2] for r in read(plant, "serials")} == {"FL"}


def test_shipping_is_realistic(plant: Path) -> None:
    shipments = {r["shipment_id"]: r["customer_id"] for r in read(plant, "shipments")}
    items = read(plant, "shipment_items")
    per_shipment = Counter(r["shipment_id"] for r in items)
    pallet_shipments = {r["shipment_id"] for r in items if r["item_id"].startswith("PAL-")}
    loose = [s for s in shipments if s not in pallet_shipments and any(
        r["shipment_id"] == s and r["item_id"].startswith("CASE-") for r in items)]
    assert len(shipments) > 1000 and len(set(shipments.values())) > 1000  # not a handful of pallets
    assert len(loose) > 10 * len(pallet_shipments) > 0
    assert max(per_shipment[s] for s in loose) == 3
    customer_number = {c: int(c.split("-")[1]) - 1 for c in shipments.values()}
    assert all(customer_number[shipments[s]] % 4 == 0 for s in pallet_shipments)  # pallets go to distributors
    assert all(customer_number[shipments[s]] % 4 for s in loose)  # loose cases go to hospitals
    assert any(r["item_type"] == "lot" for r in items)  # spare-part lots ship loose


def test_pallets_reused_and_serials_repacked(plant: Path) -> None:
    packing = read(plant, "packing")
    builds = Counter(r["container_id"] for r in packing if r["container_id"].startswith("PAL-") and
                     r["child_id"].startswith("CASE-"))
    build_times = {p: {r["packed_at"] for r in packing if r["container_id"] == p} for p in builds}
    assert sum(len(times) > 1 for times in build_times.values()) >= 5
    repacked = Counter(r["child_id"] for r in packing if r["child_type"] == "serial")
    assert 10 < sum(n == 2 for n in repacked.values()) < 1000


def overdrawn(directory: Path) -> dict[str, float]:
    """Lots consumed and shipped loose in more than they had (the generator uses each lot's own unit)."""
    had = {r["lot_id"]: float(r["quantity"]) for r in read(directory, "lots")}
    used: Counter[str] = Counter()
    for r in read(directory, "consumptions"):
        used[r["input_id"]] += float(r["quantity"])
    for r in read(directory, "shipment_items"):
        if r["item_type"] == "lot":
            used[r["item_id"]] += float(r["quantity"])
    return {lot: q for lot, q in used.items() if q > had[lot]}


def test_bench_plant_balances(plant: Path) -> None:
    assert overdrawn(plant) == {}


@pytest.mark.parametrize(("serials", "seed"), [(20_000, 3), (30_000, 8), (50_000, 7)])
def test_no_lot_is_used_beyond_its_quantity(tmp_path: Path, serials: int, seed: int) -> None:
    """Sizes and seeds where early sub-assembly lots were once drawn into too many builds."""
    generate(tmp_path, serials, seed=seed)
    assert overdrawn(tmp_path) == {}


def test_same_seed_same_files(tmp_path: Path) -> None:
    assert generate(tmp_path / "a", 3000, seed=3) == generate(tmp_path / "b", 3000, seed=3)
    for f in (tmp_path / "a").iterdir():
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes()


@pytest.mark.parametrize("serials", [300, 2000])
def test_every_plant_has_failed_inspections(tmp_path: Path, serials: int) -> None:
    generate(tmp_path, serials, seed=11)
    results = Counter(r["result"] for r in read(tmp_path, "inspections"))
    assert 0 < results["fail"] < results["pass"]


@pytest.mark.parametrize("serials", [0, -5])
def test_a_plant_without_units_is_bad_input_and_writes_nothing(tmp_path: Path, serials: int) -> None:
    with pytest.raises(BadInput, match=f"serials: a plant has at least 1 unit, not {serials}"):
        generate(tmp_path / "tables", serials)
    assert not (tmp_path / "tables").exists()
