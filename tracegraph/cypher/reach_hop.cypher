// One breadth-first hop over {{types}}: the distinct neighbours of a frontier of nodes.
// Each node enters a frontier once, so no path is ever enumerated.
MATCH (n) WHERE elementId(n) IN $frontier
MATCH (n){{left}}[:{{types}}]{{right}}(m)
RETURN DISTINCT elementId(m) AS id, {{far}} AS ref
