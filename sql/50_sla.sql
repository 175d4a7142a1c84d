-- 50_sla: SLA rules, business calendars (weekly windows, holidays) and escalation.

CREATE TABLE helpdesk.sla_rules (
    id                    serial PRIMARY KEY,
    priority              helpdesk.ticket_priority NOT NULL UNIQUE,
    response_time_hours   int NOT NULL CHECK (response_time_hours >= 1),
    resolution_time_hours int NOT NULL CHECK (resolution_time_hours >= 1),
    is_active             boolean NOT NULL DEFAULT true,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER sla_rules_touch BEFORE UPDATE ON helpdesk.sla_rules
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

-- A business calendar: a time zone and its working windows; exactly one is the default.
CREATE TABLE helpdesk.calendars (
    id          serial PRIMARY KEY,
    name        varchar(100) NOT NULL UNIQUE,
    time_zone   text NOT NULL,
    is_default  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX calendars_one_default ON helpdesk.calendars (is_default) WHERE is_default;
CREATE TRIGGER calendars_touch BEFORE UPDATE ON helpdesk.calendars
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

-- Weekly working windows in the calendar's local time; several per day allow split shifts.
-- A weekday without rows is not a working day. day_of_week: 0 = Sunday .. 6 = Saturday.
CREATE TABLE helpdesk.business_hours (
    id           serial PRIMARY KEY,
    calendar_id  int NOT NULL REFERENCES helpdesk.calendars (id) ON DELETE CASCADE,
    day_of_week  int NOT NULL CHECK (day_of_week BETWEEN 0 AND 6),
    start_time   time NOT NULL,
    end_time     time NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (start_time < end_time)
);
CREATE INDEX business_hours_calendar_idx ON helpdesk.business_hours (calendar_id, day_of_week, start_time);
CREATE TRIGGER business_hours_touch BEFORE UPDATE ON helpdesk.business_hours
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

-- Days off: one-off (a date) or recurring every year (same month and day).
CREATE TABLE helpdesk.holidays (
    id           serial PRIMARY KEY,
    calendar_id  int NOT NULL REFERENCES helpdesk.calendars (id) ON DELETE CASCADE,
    name         varchar(100) NOT NULL CHECK (length(btrim(name)) > 0),
    date         date NOT NULL,
    is_recurring boolean NOT NULL DEFAULT false,
    description  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX holidays_date_idx ON helpdesk.holidays (calendar_id, date);
CREATE TRIGGER holidays_touch BEFORE UPDATE ON helpdesk.holidays
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

CREATE TABLE helpdesk.escalation_rules (
    id               serial PRIMARY KEY,
    name             varchar(100) NOT NULL CHECK (length(btrim(name)) > 0),
    description      text,
    priority         helpdesk.ticket_priority,
    category_id      int REFERENCES helpdesk.categories (id) ON DELETE SET NULL,
    trigger_type     varchar(20) NOT NULL
                     CHECK (trigger_type IN ('sla_at_risk', 'sla_breached', 'no_response', 'no_assignment')),
    trigger_hours    int CHECK (trigger_hours >= 1),
    escalation_level int NOT NULL DEFAULT 1 CHECK (escalation_level BETWEEN 1 AND 5),
    target_type      varchar(10) NOT NULL CHECK (target_type IN ('role', 'user', 'manager')),
    target_role      helpdesk.user_role,
    target_user_id   int REFERENCES helpdesk.users (id) ON DELETE SET NULL,
    notify_manager   boolean NOT NULL DEFAULT true,
    is_active        boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (trigger_type NOT IN ('no_response', 'no_assignment') OR trigger_hours IS NOT NULL),
    CHECK (target_type <> 'role' OR target_role IS NOT NULL),
    CHECK (target_type <> 'user' OR target_user_id IS NOT NULL)
);
CREATE INDEX escalation_rules_active_idx ON helpdesk.escalation_rules (trigger_type) WHERE is_active;
CREATE TRIGGER escalation_rules_touch BEFORE UPDATE ON helpdesk.escalation_rules
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

CREATE TABLE helpdesk.escalation_history (
    id                   serial PRIMARY KEY,
    ticket_id            int NOT NULL REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    rule_id              int REFERENCES helpdesk.escalation_rules (id) ON DELETE SET NULL,
    from_level           int NOT NULL DEFAULT 1,
    to_level             int NOT NULL CHECK (to_level BETWEEN 1 AND 5),
    escalated_by         varchar(50) NOT NULL,
    escalated_to_user_id int REFERENCES helpdesk.users (id) ON DELETE SET NULL,
    escalated_to_role    varchar(50),
    reason               text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX escalation_history_ticket_idx ON helpdesk.escalation_history (ticket_id, created_at DESC);
CREATE INDEX escalation_history_created_idx ON helpdesk.escalation_history (created_at DESC);

SELECT pg_catalog.pg_extension_config_dump('helpdesk.sla_rules', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.sla_rules_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.calendars', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.calendars_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.business_hours', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.business_hours_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.holidays', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.holidays_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.escalation_rules', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.escalation_rules_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.escalation_history', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.escalation_history_id_seq', '');
