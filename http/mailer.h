/* mailer.h: the outbox's sender, a thread of helpdesk-http (docs/ARCHITECTURE.md, "E-mail"). */
#ifndef HD_MAILER_H
#define HD_MAILER_H

/* Start the sender when EMAIL_ENABLED (otherwise log that mail waits in the outbox and do
 * nothing). Its own database connection to `conninfo`. Returns 0, or -1 when it cannot start. */
int hd_mailer_start(const char *conninfo);

/* Stop it: the message being sent is finished (at most SMTP_TIMEOUT_MS), the rest of its batch
 * is left to its lease. Frees everything it allocated. */
void hd_mailer_stop(void);

#endif
