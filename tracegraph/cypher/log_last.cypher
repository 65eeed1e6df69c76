// The last entry of log $log (no row while it is empty): its head holds the last number taken, and an
// append that rolls back returns its number, so that entry exists.
MATCH (h:{{head_label}} {log: $log})
MATCH (e:{{entry_label}}) WHERE e.log = $log AND e.seq = h.seq
RETURN e.seq AS seq, e.body AS body
