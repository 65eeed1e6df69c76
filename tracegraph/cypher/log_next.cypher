// Take the next sequence number of log $log. The SET write-locks the log's head node, so concurrent
// appenders to one log queue here and the numbers have no gaps (a rolled-back append returns its number).
MERGE (h:{{head_label}} {log: $log})
SET h.seq = coalesce(h.seq, 0) + 1
RETURN h.seq AS seq
