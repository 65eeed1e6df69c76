// {{label}} nodes are unique on {{properties}}: MERGE on them is safe under retries and concurrent writers.
CREATE CONSTRAINT {{name}} IF NOT EXISTS FOR (n:{{label}}) REQUIRE {{properties}} IS UNIQUE
