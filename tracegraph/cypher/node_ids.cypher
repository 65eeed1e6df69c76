// Element ids of the {{label}} nodes with these keys (reach seeds).
MATCH (n:{{label}}) WHERE n.{{key}} IN $keys
RETURN n.{{key}} AS key, elementId(n) AS id
