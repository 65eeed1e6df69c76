// Every {{label}} key is unique: MERGE on it is safe under retries and concurrent loads.
CREATE CONSTRAINT {{name}} IF NOT EXISTS FOR (n:{{label}}) REQUIRE n.{{key}} IS UNIQUE
