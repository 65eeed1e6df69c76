// Delete every node and relationship (used by test fixtures to start each test empty).
MATCH (n)
DETACH DELETE n
