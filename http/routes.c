/* routes.c: THE route table. Adding a route = one row here + one function in sql/
 * (http/README.md, "Adding a route"). helpdesk-http checks at start-up, and `make test` with
 * --check-catalog, that every function named here exists as helpdesk_api.<fn>(jsonb) RETURNS
 * jsonb and is not VOLATILE on an RO row (http/catalog.c). Each module's rows are a block of
 * their own, headed by the SQL file of their functions. */
#include "routes.h"

#include <string.h>

#define PUBLIC HD_AUTH_PUBLIC
#define TOKEN HD_AUTH_TOKEN
#define OPTIONAL HD_AUTH_OPTIONAL
#define RO 1
#define RW 0
#define NO_ARGS NULL
#define ACTIVE "{\"active\":true}"
#define INACTIVE "{\"active\":false}"

const hd_route_t hd_routes[] = {
    /* method  path                  function   status auth    body          response      ro  args */
    /* ---- root, health, docs (sql/91_core_api.sql) ---- */
    {"GET", "/api/v1/", "root", 200, PUBLIC, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/health", "health", 200, PUBLIC, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/docs", "docs", 200, PUBLIC, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},

    /* ---- readiness (sql/91_core_api.sql; the checks: sql/90_ops.sql) ---- */
    {"GET", "/api/v1/health/ready", "health_ready", 200, PUBLIC, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},

    /* ---- identity: auth (sql/13_auth_api.sql). auth_me serves three rows: /auth/me, /auth/profile
     * and /users/profile (below) answer the same. ---- */
    {"POST", "/api/v1/auth/login", "auth_login", 200, PUBLIC, HD_BODY_JSON, HD_RESP_TOKENS, RW, NO_ARGS},
    {"POST", "/api/v1/auth/register", "auth_register", 201, PUBLIC, HD_BODY_JSON, HD_RESP_TOKENS, RW, NO_ARGS},
    {"POST", "/api/v1/auth/refresh", "auth_refresh", 200, PUBLIC, HD_BODY_JSON, HD_RESP_TOKENS, RW, NO_ARGS},
    {"POST", "/api/v1/auth/logout", "auth_logout", 200, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"GET", "/api/v1/auth/me", "auth_me", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/auth/profile", "auth_me", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"POST", "/api/v1/auth/forgot-password", "auth_forgot_password", 200, PUBLIC, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/auth/verify-otp", "auth_verify_otp", 200, PUBLIC, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/auth/reset-password", "auth_reset_password", 200, PUBLIC, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},

    /* ---- identity: users (sql/11_users_api.sql; GET /users/profile: auth_me, sql/13_auth_api.sql).
     * users_set_active serves activate and deactivate, told which by args. ---- */
    {"POST", "/api/v1/users", "users_create", 201, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"GET", "/api/v1/users", "users_list", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/users/stats", "users_stats", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/users/it-staff", "users_it_staff", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/users/department/:department", "users_by_department", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/users/profile", "auth_me", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"PATCH", "/api/v1/users/profile", "users_update_profile", 200, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/users/change-password", "users_change_password", 201, TOKEN, HD_BODY_JSON, HD_RESP_TOKENS, RW, NO_ARGS},
    {"GET", "/api/v1/users/:id", "users_get", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"PATCH", "/api/v1/users/:id", "users_update", 200, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"DELETE", "/api/v1/users/:id", "users_delete", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, NO_ARGS},
    {"PATCH", "/api/v1/users/:id/activate", "users_set_active", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, ACTIVE},
    {"POST", "/api/v1/users/:id/activate", "users_set_active", 201, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, ACTIVE},
    {"PATCH", "/api/v1/users/:id/deactivate", "users_set_active", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, INACTIVE},
    {"POST", "/api/v1/users/:id/deactivate", "users_set_active", 201, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, INACTIVE},

    /* ---- business hours and holidays (sql/41_calendar_api.sql) ---- */
    {"GET", "/api/v1/business-hours/holidays", "business_hours_holidays", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/business-hours/check-working-day", "business_hours_check_working_day", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/business-hours/calculate", "business_hours_calculate", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/business-hours/schedule", "business_hours_schedule_get", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"PUT", "/api/v1/business-hours/schedule", "business_hours_schedule_put", 200, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/holidays", "holidays_create", 201, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/holidays/bulk", "holidays_bulk_create", 201, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"GET", "/api/v1/holidays", "holidays_list", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/holidays/years", "holidays_years", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/holidays/:id", "holidays_get", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"PATCH", "/api/v1/holidays/:id", "holidays_update", 200, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"DELETE", "/api/v1/holidays/:id", "holidays_delete", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, NO_ARGS},

    /* ---- SLA rules (sql/51_sla_rules_api.sql) ---- */
    {"POST", "/api/v1/sla/rules", "sla_rules_create", 201, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"GET", "/api/v1/sla/rules", "sla_rules_list", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/sla/rules/:id", "sla_rules_get", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"PUT", "/api/v1/sla/rules/:id", "sla_rules_update", 200, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"PATCH", "/api/v1/sla/rules/:id", "sla_rules_patch", 200, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"DELETE", "/api/v1/sla/rules/:id", "sla_rules_delete", 204, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, NO_ARGS},

    /* ---- categories (sql/21_categories_api.sql). categories_set_active serves activate and
     * deactivate, told which by args. ---- */
    {"GET", "/api/v1/categories", "categories_list", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/categories/active", "categories_active", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"POST", "/api/v1/categories/reorder", "categories_reorder", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"GET", "/api/v1/categories/:id", "categories_get", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/categories/:id/stats", "categories_stats", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"POST", "/api/v1/categories", "categories_create", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"PATCH", "/api/v1/categories/:id", "categories_update", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"PATCH", "/api/v1/categories/:id/activate", "categories_set_active", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, ACTIVE},
    {"POST", "/api/v1/categories/:id/activate", "categories_set_active", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, ACTIVE},
    {"PATCH", "/api/v1/categories/:id/deactivate", "categories_set_active", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, INACTIVE},
    {"POST", "/api/v1/categories/:id/deactivate", "categories_set_active", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, INACTIVE},
    {"DELETE", "/api/v1/categories/:id", "categories_delete", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, NO_ARGS},

    /* ---- ticket lists and stats (sql/31_tickets_api.sql) ---- */
    {"GET", "/api/v1/tickets", "tickets_list", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/tickets/export", "tickets_export", 0, TOKEN, HD_BODY_NONE, HD_RESP_EXPORT, RO, NO_ARGS},
    {"GET", "/api/v1/tickets/stats", "tickets_stats", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/tickets/my-tickets", "tickets_my", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/tickets/assigned-to-me", "tickets_assigned_to_me", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},

    /* ---- tickets (sql/31_tickets_api.sql). The parameter is :ticketId, the name the comment
     * routes under /tickets/:ticketId/ use (the router wants one name per position). ---- */
    {"POST", "/api/v1/tickets", "tickets_create", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/tickets/bulk-assign", "tickets_bulk_assign", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/tickets/bulk-status", "tickets_bulk_status", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/tickets/bulk-delete", "tickets_bulk_delete", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"GET", "/api/v1/tickets/:ticketId", "tickets_get", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"PATCH", "/api/v1/tickets/:ticketId", "tickets_update", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"DELETE", "/api/v1/tickets/:ticketId", "tickets_delete", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/tickets/:ticketId/change-status", "tickets_change_status", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/tickets/:ticketId/assign", "tickets_assign", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/tickets/:ticketId/start-progress", "tickets_start_progress", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/tickets/:ticketId/resolve", "tickets_resolve", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/tickets/:ticketId/close", "tickets_close", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/tickets/:ticketId/reopen", "tickets_reopen", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/tickets/:ticketId/rate", "tickets_rate", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},

    /* ---- comments (sql/33_comments_api.sql); :ticketId as the ticket routes name it ---- */
    {"POST", "/api/v1/tickets/:ticketId/comments", "comments_create", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"GET", "/api/v1/tickets/:ticketId/comments", "comments_list", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/tickets/:ticketId/comments/stats", "comments_stats", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/comments/my-comments", "comments_my", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/comments/:id", "comments_get", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"PATCH", "/api/v1/comments/:id", "comments_update", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"DELETE", "/api/v1/comments/:id", "comments_delete", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, NO_ARGS},

    /* ---- attachments (sql/35_attachments_api.sql). upload takes multipart/form-data (file,
     * ticketId) and calls attachments_upload(jsonb, bytea); download answers the file itself
     * (response kind file: attachments_download returns helpdesk.file_download). ---- */
    {"POST", "/api/v1/attachments/upload", "attachments_upload", 0, TOKEN, HD_BODY_MULTIPART, HD_RESP_JSON, RW, NO_ARGS},
    {"GET", "/api/v1/attachments", "attachments_list", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/attachments/:id", "attachments_get", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/attachments/:id/download", "attachments_download", 0, TOKEN, HD_BODY_NONE, HD_RESP_FILE, RO, NO_ARGS},
    {"DELETE", "/api/v1/attachments/:id", "attachments_delete", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, NO_ARGS},

    /* ---- ticket history (sql/37_history_api.sql) ---- */
    {"GET", "/api/v1/ticket-history/ticket/:ticketId", "ticket_history_by_ticket", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/ticket-history", "ticket_history_list", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},

    /* ---- notifications (sql/39_notifications_api.sql). Every route is the caller's own. The
     * stream (response kind stream) is served by http/sse.c: its function is called by the
     * thread's stream connection for all its subscribers, not per request. ---- */
    {"GET", "/api/v1/notifications", "notifications_list", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/notifications/unread", "notifications_unread", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/notifications/unread/count", "notifications_unread_count", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"PATCH", "/api/v1/notifications/:id/read", "notifications_mark_read", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, NO_ARGS},
    {"PATCH", "/api/v1/notifications/read-all", "notifications_mark_all_read", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, NO_ARGS},
    {"DELETE", "/api/v1/notifications/:id", "notifications_delete", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, NO_ARGS},
    {"DELETE", "/api/v1/notifications", "notifications_delete_all", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, NO_ARGS},
    {"GET", "/api/v1/notifications/stream", "notifications_stream", 0, TOKEN, HD_BODY_NONE, HD_RESP_STREAM, RO, NO_ARGS},

    /* ---- e-mail (sql/93_email_api.sql): the test e-mail to the caller, queued in the outbox ---- */
    {"POST", "/api/v1/notifications/test-email", "notifications_test_email", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, NO_ARGS},

    /* ---- SLA status, timeline, at-risk, breached (sql/59_sla_api.sql) ---- */
    {"GET", "/api/v1/sla/tickets/:id/timeline", "sla_ticket_timeline", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/sla/tickets/:id/status", "sla_ticket_status", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/sla/at-risk", "sla_at_risk", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/sla/breached", "sla_breached", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},

    /* ---- escalation (sql/57_escalation_api.sql) ---- */
    {"POST", "/api/v1/escalation/rules", "escalation_rules_create", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"GET", "/api/v1/escalation/rules", "escalation_rules_list", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/escalation/rules/:id", "escalation_rules_get", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"PUT", "/api/v1/escalation/rules/:id", "escalation_rules_update", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"DELETE", "/api/v1/escalation/rules/:id", "escalation_rules_delete", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, NO_ARGS},
    {"GET", "/api/v1/escalation/history/ticket/:ticketId", "escalation_history_ticket", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/escalation/history", "escalation_history_list", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"POST", "/api/v1/escalation/tickets/:ticketId/escalate", "escalation_escalate", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/escalation/check-now", "escalation_check_now", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},

    /* ---- knowledge base (sql/71_kb_api.sql). OPTIONAL: public, and staff with a token also see
     * drafts. GET /knowledge/:id counts the reader's view: RW. ---- */
    {"POST", "/api/v1/knowledge", "knowledge_create", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"GET", "/api/v1/knowledge", "knowledge_list", 0, OPTIONAL, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/knowledge/stats", "knowledge_stats", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/knowledge/popular", "knowledge_popular", 0, PUBLIC, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/knowledge/recent", "knowledge_recent", 0, PUBLIC, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/knowledge/categories", "knowledge_categories", 0, PUBLIC, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/knowledge/tags", "knowledge_tags", 0, PUBLIC, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/knowledge/search", "knowledge_search", 0, OPTIONAL, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/knowledge/suggest", "knowledge_suggest", 0, PUBLIC, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/knowledge/synonyms", "knowledge_synonyms_get", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"PUT", "/api/v1/knowledge/synonyms", "knowledge_synonyms_put", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"GET", "/api/v1/knowledge/category/:category", "knowledge_by_category", 0, PUBLIC, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/knowledge/:id", "knowledge_get", 0, OPTIONAL, HD_BODY_NONE, HD_RESP_JSON, RW, NO_ARGS},
    {"PATCH", "/api/v1/knowledge/:id", "knowledge_update", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"DELETE", "/api/v1/knowledge/:id", "knowledge_delete", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/knowledge/:id/publish", "knowledge_publish", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/knowledge/:id/unpublish", "knowledge_unpublish", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/knowledge/:id/rate", "knowledge_rate", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/knowledge/:id/vote", "knowledge_vote", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},

    /* ---- chatbot (sql/73_chatbot_api.sql): three routes, one engine ---- */
    {"POST", "/api/v1/chatbot/chat", "chatbot_chat", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/chatbot/chat/keyword", "chatbot_chat", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"POST", "/api/v1/chatbot/chat/simple", "chatbot_chat", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NO_ARGS},
    {"GET", "/api/v1/chatbot/conversations", "chatbot_conversations", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},
    {"GET", "/api/v1/chatbot/conversations/:id", "chatbot_conversation_get", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NO_ARGS},

    /* ---- reports (sql/81_reports_api.sql; roles and scope: sql/80_reports.sql). JSON, or CSV
     * with ?format=csv or Accept: text/csv (http/csv.h). ---- */
    {"GET", "/api/v1/reports/action-required", "reports_action_required", 0, TOKEN, HD_BODY_NONE, HD_RESP_TABLE, RO, NO_ARGS},
    {"GET", "/api/v1/reports/dashboard", "reports_dashboard", 0, TOKEN, HD_BODY_NONE, HD_RESP_TABLE, RO, NO_ARGS},
    {"GET", "/api/v1/reports/tickets-by-status", "reports_by_status", 0, TOKEN, HD_BODY_NONE, HD_RESP_TABLE, RO, NO_ARGS},
    {"GET", "/api/v1/reports/tickets-by-category", "reports_by_category", 0, TOKEN, HD_BODY_NONE, HD_RESP_TABLE, RO, NO_ARGS},
    {"GET", "/api/v1/reports/tickets-by-priority", "reports_by_priority", 0, TOKEN, HD_BODY_NONE, HD_RESP_TABLE, RO, NO_ARGS},
    {"GET", "/api/v1/reports/sla-compliance", "reports_sla_compliance", 0, TOKEN, HD_BODY_NONE, HD_RESP_TABLE, RO, NO_ARGS},
    {"GET", "/api/v1/reports/staff-performance", "reports_staff_performance", 0, TOKEN, HD_BODY_NONE, HD_RESP_TABLE, RO, NO_ARGS},
    {"GET", "/api/v1/reports/trends", "reports_trends", 0, TOKEN, HD_BODY_NONE, HD_RESP_TABLE, RO, NO_ARGS},
};
const size_t hd_route_count = sizeof(hd_routes) / sizeof(hd_routes[0]);

int hd_route_status(const hd_route_t *r)
{
    if (r->status != 0)
        return r->status;
    return strcmp(r->method, "POST") == 0 ? 201 : 200;
}

const char *hd_route_message(const hd_route_t *r)
{
    if (strcmp(r->method, "GET") == 0)
        return "Data retrieved successfully";
    if (strcmp(r->method, "POST") == 0)
        return "Resource created successfully";
    if (strcmp(r->method, "PUT") == 0 || strcmp(r->method, "PATCH") == 0)
        return "Resource updated successfully";
    if (strcmp(r->method, "DELETE") == 0)
        return "Resource deleted successfully";
    return "Operation completed successfully";
}
