"""Notebook views of trace results: pandas DataFrames, a networkx graph, and HTML for Jupyter.

The result objects' ``to_pandas``, ``to_networkx`` and ``_repr_html_`` call these. pandas and
networkx come with the ``tracegraph[notebook]`` extra and are imported only when asked for.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from .extras import extra_module
from .schema import REL_KINDS
from .trace.engine import live_edges
from .trace.model import GROUPS, KIND_OF_GROUP

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

    from .trace import RecallScope, TraceResult

_SHOWN_IDS = 5


def _pandas() -> Any:
    return extra_module("pandas", "notebook", "to_pandas")


def trace_frames(result: TraceResult) -> dict[str, pd.DataFrame]:
    """One DataFrame per group (all groups, empty ones too), columns as in the data dictionary."""
    pd = _pandas()
    # numbers as numbers (NaN for none), as a frame built from the records' dicts had them
    return {group: pd.DataFrame(result.columns(group)).infer_objects() for group in GROUPS}


def trace_long(result: TraceResult) -> pd.DataFrame:
    """One row per reached record: group, kind, id, and hops from the start for lots and serials."""
    pd = _pandas()
    rows = [(group, KIND_OF_GROUP[group], key, result.depth.get((KIND_OF_GROUP[group], key)))
            for group in GROUPS for key in result.ids[group]]
    frame = pd.DataFrame(rows, columns=["group", "kind", "id", "depth"])
    frame["depth"] = frame["depth"].astype("Int64")
    return frame


def scope_frames(scope: RecallScope) -> dict[str, pd.DataFrame]:
    """``affected`` (where each item is now), ``by_customer``, and the trace's groups."""
    pd = _pandas()
    affected = pd.DataFrame(scope.affected_columns()).infer_objects()
    by_customer = pd.DataFrame([{"customer_id": c, **n} for c, n in scope.by_customer.items()],
                               columns=["customer_id", "lots", "serials", "shipments", "lot_quantity"])
    return {"affected": affected, "by_customer": by_customer, **trace_frames(scope.trace)}


def node_id(kind: str, key: str) -> str:
    return f"{kind}:{key}"


def trace_graph(result: TraceResult) -> nx.MultiDiGraph:
    """The subgraph induced by the reached records: nodes ``Kind:id`` with ``kind``, ``id``, their
    properties (and ``depth`` for lots and serials); edges with ``rel`` and their properties, keyed by the
    relationship and, where it may join two records more than once, its identity fields (``CONSUMED_INTO
    ST1``, ``PACKED_IN <packed_at>``), as the store tells its edges apart."""
    nx = extra_module("networkx", "notebook", "to_networkx")
    store = result._engine.store
    graph = nx.MultiDiGraph(direction=result.direction)
    reached: dict[str, set[str]] = {}
    for group in GROUPS:
        kind = KIND_OF_GROUP[group]
        reached[kind] = set(result.ids[group])
        for key, record in store.get(kind, result.ids[group]).items():
            props = {k: v for k, v in record.items() if v is not None and not isinstance(v, dict)}
            depth = result.depth.get((kind, key))
            graph.add_node(node_id(kind, key), kind=kind, id=key, **props,
                           **({"depth": depth} if depth is not None else {}))
    for rel in REL_KINDS:
        sources = [(kind, key) for kind in rel.source for key in reached.get(kind, ())]
        for e in live_edges(store, rel.name, sources, "out") if sources else ():
            if e.dst[1] in reached.get(e.dst[0], ()):
                props = {k: v for k, v in e.props.items() if v is not None}
                key = " ".join([rel.name, *(str(e.props[n]) for n in rel.identity)])
                graph.add_edge(node_id(*e.src), node_id(*e.dst), key=key, rel=rel.name, **props)
    return graph


def _ids_cell(ids: list[str]) -> str:
    shown = ", ".join(html.escape(i) for i in ids[:_SHOWN_IDS])
    return shown + (f", … (+{len(ids) - _SHOWN_IDS:,})" if len(ids) > _SHOWN_IDS else "")


def trace_html(result: TraceResult, title: str | None = None) -> str:
    starts = ", ".join(f"{k} {html.escape(i)}" for k, i in result.start.refs())
    rows = "".join(f"<tr><td>{g.replace('_', ' ')}</td><td style='text-align:right'>{len(result.ids[g]):,}</td>"
                   f"<td>{_ids_cell(result.ids[g])}</td></tr>" for g in GROUPS if result.ids[g])
    return (f"<div><strong>{html.escape(title or result.direction.capitalize() + ' trace')}</strong> from {starts}"
            f"<table><thead><tr><th>group</th><th>count</th><th>ids</th></tr></thead><tbody>{rows}</tbody>"
            f"</table></div>")


def scope_html(scope: RecallScope) -> str:
    statuses: dict[str, int] = {}
    for w in scope.whereabouts.values():
        label = f"{w.item[0].lower()}s {w.status.replace('_', ' ')}"
        statuses[label] = statuses.get(label, 0) + 1
    status_rows = "".join(f"<tr><td>{html.escape(s)}</td><td style='text-align:right'>{n:,}</td></tr>"
                          for s, n in sorted(statuses.items()))
    customer_rows = "".join(
        f"<tr><td>{html.escape(c)}</td><td style='text-align:right'>{int(n['serials']):,}</td>"
        f"<td style='text-align:right'>{int(n['lots']):,}</td><td style='text-align:right'>{int(n['shipments']):,}"
        f"</td></tr>" for c, n in list(scope.by_customer.items())[:15])
    more = len(scope.by_customer) - 15
    return (trace_html(scope.trace, "Recall scope")
            + f"<div><strong>Where affected items are now</strong><table><tbody>{status_rows}</tbody></table></div>"
            + f"<div><strong>Affected customers ({len(scope.by_customer):,})</strong><table><thead><tr>"
            + "<th>customer</th><th>serials</th><th>lots</th><th>shipments</th></tr></thead>"
            + f"<tbody>{customer_rows}</tbody></table>{f'<p>… and {more:,} more</p>' if more > 0 else ''}</div>")
