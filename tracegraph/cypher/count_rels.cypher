// Number of {{type}} relationships (answered from the count store).
MATCH ()-[r:{{type}}]->()
RETURN count(r) AS n
