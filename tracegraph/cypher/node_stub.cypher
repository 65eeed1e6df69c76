// Create {{label}} nodes named by reference only, leaving existing ones untouched.
UNWIND $keys AS key
MERGE (n:{{label}} { {{key}}: key })
RETURN count(n) AS written
