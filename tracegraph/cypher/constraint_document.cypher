// A document is one per (collection, key).
CREATE CONSTRAINT {{name}} IF NOT EXISTS FOR (d:{{label}}) REQUIRE (d.collection, d.key) IS UNIQUE
