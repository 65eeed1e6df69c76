// Number of {{label}} nodes (answered from the count store).
MATCH (n:{{label}})
RETURN count(n) AS n
