-- The search's estimated total against the true count, for words of several frequencies, pages
-- and page sizes, on a bench/api.sh data set (bench/generate.sql: three words of a 48-word
-- vocabulary per ticket, and "ticket <n>" in every description).
--   psql -d bench -f bench/search_estimate.sql      (as a superuser, on a running data set)
-- Prints per word and page: the true count, the total answered, whether it says it is an
-- estimate, the error in percent, and the same for the other sort orders the walk can take.
\set ON_ERROR_STOP 1
CREATE TEMP TABLE words (w text);
INSERT INTO words VALUES ('problem'), ('word'), ('printer'), ('ticket 1'), ('ticket 12'), ('ticket 123'),
                         ('ticket 1234'), ('printer problem'), ('vpn problem: reset');
CREATE TEMP TABLE truth AS
SELECT w, (SELECT count(*) FROM helpdesk.tickets t WHERE t.title ILIKE helpdesk.like_pattern(w)
           OR t.description ILIKE helpdesk.like_pattern(w) OR t.ticket_number ILIKE helpdesk.like_pattern(w)) AS n
FROM words;
SELECT t.w AS word, t.n AS matches, round(100.0 * t.n / (SELECT count(*) FROM helpdesk.tickets), 2) AS pct,
       c.sort, c.page, c.size, (j ->> 'total')::bigint AS total, j -> 'totalIsEstimate' AS estimated,
       round(100.0 * ((j ->> 'total')::bigint - t.n) / greatest(t.n, 1), 1) AS error_pct
FROM truth t
CROSS JOIN (VALUES ('createdAt', 1, 20), ('createdAt', 1, 10), ('createdAt', 5, 20), ('dueDate', 1, 20),
                   ('title', 1, 20)) c(sort, page, size)
CROSS JOIN helpdesk.users u
CROSS JOIN LATERAL helpdesk.ticket_list(u, search => t.w, page => c.page, page_size => c.size, sort_by => c.sort,
                                        sort_order => CASE WHEN c.sort = 'dueDate' THEN 'ASC' ELSE 'DESC' END) j
WHERE u.email = 'agent10@bench.example'
ORDER BY t.n DESC, t.w, c.sort, c.page, c.size;
