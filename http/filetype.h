/* filetype.h: the type of an uploaded file, judged from its content with libmagic (never from
 * the client's Content-Type or the file name), checked against the allowed types
 * (ALLOWED_FILE_TYPES, default the reference's 13), and against what the upload claims: a file
 * whose name or declared Content-Type says one type while its content is another is refused.
 *
 * Why here and not in the database: libmagic is a parser of hostile input with a history of
 * memory-safety bugs; in helpdesk-http it runs in a process that holds no data and no database
 * privileges beyond helpdesk_web, and a refused file never travels to the database.
 *
 * A claim and the detected type agree when they are the same, or when one is the container
 * format the other is made of, which libmagic may name instead (hd_filetype_compatible):
 *   - text/csv and text/plain (CSV detection is a heuristic on the first lines);
 *   - docx, xlsx (and jar) and application/zip;
 *   - application/msword, application/vnd.ms-excel and a bare OLE2 container (a .doc or .xls
 *     whose application libmagic cannot name): the claim then names the stored type;
 *   - and application/vnd.ms-excel claimed for text/csv (Windows labels .csv files so).
 * libmagic's guesses of a programming or data language in text (text/x-c, text/x-python, ...)
 * are plain text; markup a browser renders (text/html, text/xml, image/svg+xml) is not.
 * Generic declared types (application/octet-stream, ...) and unknown extensions claim nothing. */
#ifndef HD_FILETYPE_H
#define HD_FILETYPE_H

#include <stddef.h>

#define HD_MIME_MAX 128

/* The reference's allowed types (seed-system §3.10), comma separated. */
extern const char hd_filetype_default_allowed[];

/* Set the allowed list from ALLOWED_FILE_TYPES: media types and/or known extensions (jpg, pdf,
 * docx...), comma separated. Returns 0, or -1 with a message in err. */
int hd_filetype_set_allowed(const char *list, char *err, size_t errlen);
/* 1 when mime (canonical, lower case) is allowed. */
int hd_filetype_allowed(const char *mime);
/* The allowed types joined by ", " (for messages). */
const char *hd_filetype_allowed_text(void);

/* The canonical form of a declared media type (parameters dropped, lower case, aliases such as
 * image/jpg or application/x-zip-compressed mapped), into out; "" when the declaration claims
 * nothing (absent, generic, malformed). */
void hd_filetype_claim_of_content_type(const char *value, size_t len, char *out, size_t cap);
/* The type a file name's extension claims (static string), or NULL for an unknown extension. */
const char *hd_filetype_claim_of_name(const char *name);
/* libmagic's answer (lower case) made canonical: aliases, language guesses in text -> text/plain. */
void hd_filetype_canonical_detected(const char *magic_mime, char *out, size_t cap);
/* 1 when a claimed type and the detected type agree (see above). */
int hd_filetype_compatible(const char *claimed, const char *detected);

/* libmagic on the content (a cookie per thread, loaded on first use), canonical type into out.
 * Returns 0, or -1 when libmagic failed (message in out). */
int hd_filetype_detect(const void *data, size_t len, char *out, size_t cap);
/* Load libmagic's database once at start-up so a broken installation fails then, not on the
 * first upload. Returns 0 or -1 (message printed). */
int hd_filetype_check_install(void);
/* Close this thread's libmagic cookie (at the thread's end: what a thread opened, it frees). */
void hd_filetype_thread_free(void);

typedef struct hd_filetype_verdict {
    int status;              /* 0: accepted; else the HTTP status (400, 500) */
    char mime[HD_MIME_MAX];  /* the type to store when accepted */
    char message[1024];      /* why not */
} hd_filetype_verdict_t;

/* The whole judgement of one file: empty, type detected, allowed, claims agree. filename and
 * content_type (the part's header, may be NULL) are what the upload claims. */
void hd_filetype_judge(const void *data, size_t len, const char *filename, const char *content_type,
                       size_t content_type_len, hd_filetype_verdict_t *v);
/* The same with the detected type given (libmagic's raw answer): the pure part, unit-tested. */
void hd_filetype_judge_detected(const char *magic_mime, size_t len, const char *filename, const char *content_type,
                                size_t content_type_len, hd_filetype_verdict_t *v);

#endif
