// {{type}} edges at {{label}} nodes with these keys, with the far end as [kind, key] and the edge's fields.
MATCH (a:{{label}}) WHERE a.{{key}} IN $keys
MATCH (a){{left}}[r:{{type}}]{{right}}(b)
RETURN a.{{key}} AS near, {{far}} AS far, r {.*} AS props
