-- Realistic data for benchmarks: agents, employees, tickets over several years, comments and
-- history, written in bulk with triggers off (session_replication_role = replica) so that the
-- notification and history triggers do not turn a data load into hours. History rows that the
-- triggers would have written (created, assigned, status changes) are generated here instead.
--
--   psql -v tickets=1000000 -v years=3 -v agents=50 -v employees=5000 -v comments=10 -f bench/generate.sql
--
-- Defaults are the issue's: 1,000,000 tickets over 3 years ending at :end_at, 50 agents,
-- 5,000 employees, 10 comments per ticket on average. Deterministic (setseed).

\set ON_ERROR_STOP on
\if :{?tickets}   \else \set tickets 1000000   \endif
\if :{?years}     \else \set years 3           \endif
\if :{?agents}    \else \set agents 50         \endif
\if :{?employees} \else \set employees 5000    \endif
\if :{?comments}  \else \set comments 10       \endif
\if :{?end_at}    \else \set end_at '2026-11-01 00:00:00+00' \endif

SELECT setseed(0.42);
SET session_replication_role = replica;
SET synchronous_commit = off;

BEGIN;

-- One hash for everyone: bcrypt per row would dominate the load time and measures nothing here.
CREATE TEMP TABLE gen_pw AS SELECT helpdesk.hash_password('password123') AS h;

INSERT INTO helpdesk.users (username, email, password_hash, full_name, role, department, created_at, updated_at)
SELECT 'agent' || i, 'agent' || i || '@bench.example', (SELECT h FROM gen_pw), 'Agent ' || i,
       CASE WHEN i % 10 = 0 THEN 'Admin' ELSE 'IT_Staff' END::helpdesk.user_role, 'IT',
       :'end_at'::timestamptz - make_interval(years => :years + 1),
       :'end_at'::timestamptz - make_interval(years => :years + 1)
FROM generate_series(1, :agents) i;

INSERT INTO helpdesk.users (username, email, password_hash, full_name, role, department, created_at, updated_at)
SELECT 'emp' || i, 'emp' || i || '@bench.example', (SELECT h FROM gen_pw), 'Employee ' || i, 'Employee',
       (ARRAY['Sales', 'Finance', 'HR', 'Operations', 'Legal', 'Marketing'])[1 + i % 6],
       :'end_at'::timestamptz - make_interval(years => :years + 1),
       :'end_at'::timestamptz - make_interval(years => :years + 1)
FROM generate_series(1, :employees) i;

CREATE TEMP TABLE gen_agents AS
    SELECT row_number() OVER (ORDER BY id) AS n, id FROM helpdesk.users WHERE email LIKE 'agent%@bench.example';
CREATE TEMP TABLE gen_employees AS
    SELECT row_number() OVER (ORDER BY id) AS n, id FROM helpdesk.users WHERE email LIKE 'emp%@bench.example';
CREATE TEMP TABLE gen_categories AS
    SELECT row_number() OVER (ORDER BY id) AS n, id FROM helpdesk.categories;

-- Subjects and bodies drawn from a small vocabulary so that search has something to find.
CREATE TEMP TABLE gen_words (n int, w text);
INSERT INTO gen_words
SELECT row_number() OVER (), w FROM unnest(string_to_array(
    'printer laptop monitor keyboard mouse docking wifi vpn outlook email password account '
    'excel word teams zoom erp crm invoice payroll badge phone headset network drive backup '
    'license install update crash slow error timeout login locked reset permission folder '
    'share scanner projector camera battery charger cable router firewall certificate', ' ')) w;

CREATE TEMP TABLE gen_tickets AS
SELECT i,
       :'end_at'::timestamptz - make_interval(secs => (random() ^ 1.3) * :years * 365.25 * 86400) AS created_at,
       random() AS r_status, random() AS r_prio, random() AS r_assign,
       1 + floor(random() * (SELECT count(*) FROM gen_employees))::int AS emp_n,
       1 + floor(random() * (SELECT count(*) FROM gen_agents))::int AS agent_n,
       1 + floor(random() * (SELECT count(*) FROM gen_categories))::int AS cat_n,
       1 + floor(random() * (SELECT count(*) FROM gen_words))::int AS w1,
       1 + floor(random() * (SELECT count(*) FROM gen_words))::int AS w2,
       1 + floor(random() * (SELECT count(*) FROM gen_words))::int AS w3
FROM generate_series(1, :tickets) i;

INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, status,
                              submitter_id, assignee_id, due_date, resolved_at, closed_at,
                              satisfaction_rating, created_at, updated_at)
SELECT 'TKT-' || extract(year FROM g.created_at AT TIME ZONE 'UTC') || '-'
           || to_char(row_number() OVER (PARTITION BY extract(year FROM g.created_at AT TIME ZONE 'UTC')
                                        ORDER BY g.created_at, g.i), 'FM9999990000'),
       initcap(w1.w) || ' ' || w2.w || ' problem: ' || w3.w,
       'The ' || w1.w || ' shows an ' || w3.w || ' since this morning when I use the ' || w2.w
           || '. Please help, ticket ' || g.i || '.',
       c.id, s.priority, s.status, e.id,
       CASE WHEN s.status = 'New' AND g.r_assign < 0.8 THEN NULL ELSE a.id END,
       g.created_at + make_interval(hours => s.hours),
       CASE WHEN s.status IN ('Resolved', 'Closed') THEN g.created_at + make_interval(secs => random() * s.hours * 3600 * 1.3) END,
       CASE WHEN s.status = 'Closed' THEN g.created_at + make_interval(secs => s.hours * 3600 * 1.5) END,
       CASE WHEN s.status = 'Closed' AND random() < 0.4 THEN 1 + floor(random() * 5)::int END,
       g.created_at, g.created_at
FROM gen_tickets g
JOIN gen_employees e ON e.n = g.emp_n
JOIN gen_agents a ON a.n = g.agent_n
JOIN gen_categories c ON c.n = g.cat_n
JOIN gen_words w1 ON w1.n = g.w1
JOIN gen_words w2 ON w2.n = g.w2
JOIN gen_words w3 ON w3.n = g.w3
CROSS JOIN LATERAL (
    SELECT p.priority,
           CASE p.priority WHEN 'High' THEN 4 WHEN 'Medium' THEN 24 ELSE 72 END AS hours,
           -- Old tickets are done; the last weeks hold the open queue.
           CASE WHEN g.created_at < :'end_at'::timestamptz - interval '30 days' THEN
                    CASE WHEN g.r_status < 0.85 THEN 'Closed' WHEN g.r_status < 0.97 THEN 'Resolved' ELSE 'Pending' END
                ELSE (ARRAY['New', 'Assigned', 'In Progress', 'Pending', 'Resolved', 'Closed'])[1 + floor(g.r_status * 6)::int]
           END::helpdesk.ticket_status AS status
    FROM (SELECT CASE WHEN g.r_prio < 0.2 THEN 'High' WHEN g.r_prio < 0.7 THEN 'Medium' ELSE 'Low' END::helpdesk.ticket_priority AS priority) p
) s;

INSERT INTO helpdesk.ticket_number_counters (year, last_value)
SELECT split_part(ticket_number, '-', 2)::int, max(split_part(ticket_number, '-', 3)::int)
FROM helpdesk.tickets GROUP BY 1
ON CONFLICT (year) DO UPDATE SET last_value = greatest(helpdesk.ticket_number_counters.last_value, EXCLUDED.last_value);

-- Comments: on average :comments per ticket, alternating requester and agent, some internal.
INSERT INTO helpdesk.comments (ticket_id, user_id, content, type, created_at, updated_at)
SELECT t.id,
       CASE WHEN k % 2 = 0 THEN t.submitter_id ELSE coalesce(t.assignee_id, t.submitter_id) END,
       CASE WHEN k % 2 = 0 THEN 'Still happening on my side, see attached details ' || k
            ELSE 'Checked the logs and applied a fix, please confirm ' || k END,
       CASE WHEN k % 2 = 1 AND k % 5 = 0 THEN 'internal' ELSE 'public' END::helpdesk.comment_type,
       t.created_at + make_interval(mins => k * 37), t.created_at + make_interval(mins => k * 37)
FROM helpdesk.tickets t
-- (t.id keeps the lateral call correlated, so each ticket draws its own count)
CROSS JOIN LATERAL generate_series(1, (random() * 2 * :comments + 0 * t.id)::int) k
WHERE t.submitter_id IN (SELECT id FROM gen_employees);

-- The history rows the triggers would have written.
INSERT INTO helpdesk.ticket_history (ticket_id, user_id, action, description, created_at)
SELECT id, submitter_id, 'created', 'Ticket created', created_at FROM helpdesk.tickets
WHERE submitter_id IN (SELECT id FROM gen_employees);
INSERT INTO helpdesk.ticket_history (ticket_id, user_id, action, field_name, old_value, new_value, description, created_at)
SELECT id, assignee_id, 'assigned', 'assignee', 'Unassigned', assignee_id::text,
       'Ticket assigned to staff member', created_at + interval '10 minutes'
FROM helpdesk.tickets WHERE assignee_id IS NOT NULL AND submitter_id IN (SELECT id FROM gen_employees);

COMMIT;
RESET session_replication_role;
ANALYZE;

SELECT (SELECT count(*) FROM helpdesk.users) AS users, (SELECT count(*) FROM helpdesk.tickets) AS tickets,
       (SELECT count(*) FROM helpdesk.comments) AS comments, (SELECT count(*) FROM helpdesk.ticket_history) AS history;
