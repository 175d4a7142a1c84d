-- Demo data: the seed system's categories, SLA rules and demo users (password "password123").
-- Used by `make demo` and as the base fixture of the HTTP tests (users 1, 2, 3 in this order; loaded by tests/run.sh before the HTTP suite).

INSERT INTO helpdesk.users (username, email, password_hash, full_name, role, department, phone) VALUES
    ('admin', 'admin@28h.com', helpdesk.hash_password('password123'), 'Admin User', 'Admin', 'IT', '0123456789'),
    ('itstaff', 'itstaff@28h.com', helpdesk.hash_password('password123'), 'IT Staff User', 'IT_Staff', 'IT', '0123456788'),
    ('employee', 'employee@28h.com', helpdesk.hash_password('password123'), 'Employee User', 'Employee', 'Sales', '0123456787');

INSERT INTO helpdesk.categories (name, description, icon, color, display_order) VALUES
    ('Hardware', 'Hardware issues (computers, printers, peripherals)', 'computer', '#3B82F6', 1),
    ('Software', 'Software installation and issues', 'code', '#10B981', 2),
    ('Network', 'Network connectivity and access issues', 'wifi', '#F59E0B', 3),
    ('Account', 'User account and access management', 'user', '#8B5CF6', 4),
    ('Email', 'Email and communication issues', 'mail', '#EF4444', 5),
    ('Other', 'Other technical support requests', 'help-circle', '#6B7280', 6);

INSERT INTO helpdesk.sla_rules (priority, response_time_hours, resolution_time_hours) VALUES
    ('High', 1, 4),
    ('Medium', 4, 24),
    ('Low', 8, 72);

-- The default business calendar: Mon-Fri 08:00-17:30 in Asia/Ho_Chi_Minh with the seed's holidays.
SELECT helpdesk.calendar_ensure_default('Asia/Ho_Chi_Minh');

-- The reference's four escalation rules (seed-system §3.4), run by the SLA watcher.
INSERT INTO helpdesk.escalation_rules (name, description, priority, trigger_type, trigger_hours,
                                       escalation_level, target_type, target_role) VALUES
    ('High Priority SLA Breach', 'High priority tickets past their resolution deadline go to an Admin',
     'High', 'sla_breached', NULL, 2, 'role', 'Admin'),
    ('High Priority At Risk', 'High priority tickets at risk of breaching go to IT staff',
     'High', 'sla_at_risk', NULL, 1, 'role', 'IT_Staff'),
    ('No Assignment After 2 Hours', 'Tickets still unassigned after 2 hours go to an Admin',
     NULL, 'no_assignment', 2, 1, 'role', 'Admin'),
    ('No Response After 4 Hours', 'Assigned tickets without a response after 4 hours go to an Admin',
     NULL, 'no_response', 4, 1, 'role', 'Admin');
