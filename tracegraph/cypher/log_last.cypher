// The last entry of log $log (no row while it is empty): the (log, seq) index read backwards, so it is
// where log_entries ends, whatever the head's counter says (a trail cut short from outside).
MATCH (e:{{entry_label}}) WHERE e.log = $log
RETURN e.seq AS seq, e.body AS body ORDER BY seq DESC LIMIT 1
