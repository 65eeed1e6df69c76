// {{label}}.{{field}} is looked up by find(); a range index keeps that a seek.
CREATE INDEX {{name}} IF NOT EXISTS FOR (n:{{label}}) ON (n.{{field}})
