// Drop the derived {{type}} edges of re-written {{label}} records, so a changed key field moves its edge.
UNWIND $keys AS key
MATCH (o:{{label}} { {{key}}: key }){{left}}[r:{{type}}]{{right}}()
DELETE r
