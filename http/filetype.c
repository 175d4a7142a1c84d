/* filetype.c: the type of an uploaded file (see filetype.h for the rules). */
#include "filetype.h"

#include <ctype.h>
#include <magic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char hd_filetype_default_allowed[] =
    "image/jpeg,image/png,image/gif,image/webp,application/pdf,application/msword,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document,application/vnd.ms-excel,"
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/plain,text/csv,application/zip,"
    "application/x-rar-compressed";

#define OLE_CONTAINER "application/x-ole-storage"

#define ZIP "application/zip"

/* Types a name or a declaration may claim, with their extensions and the container format
 * libmagic may name instead (filetype.h). Besides the allowed types, common types a disguised
 * file would really be, so "setup.exe" holding a PNG is a mismatch. */
static const struct known {
    const char *mime;
    const char *exts;      /* space separated, lower case */
    const char *container; /* the format this one is made of, or NULL */
} known[] = {
    {"image/jpeg", "jpg jpeg jpe jfif", NULL},
    {"image/png", "png", NULL},
    {"image/gif", "gif", NULL},
    {"image/webp", "webp", NULL},
    {"application/pdf", "pdf", NULL},
    {"application/msword", "doc dot", OLE_CONTAINER},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", ZIP},
    {"application/vnd.ms-excel", "xls xlt", OLE_CONTAINER},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", ZIP},
    {"text/plain", "txt text log", NULL},
    {"text/csv", "csv", "text/plain"},
    {ZIP, "zip", NULL},
    {"application/x-rar-compressed", "rar", NULL},
    {OLE_CONTAINER, "", NULL},
    {"text/html", "html htm xhtml", NULL},
    {"text/xml", "xml", NULL},
    {"image/svg+xml", "svg svgz", NULL},
    {"image/bmp", "bmp", NULL},
    {"image/tiff", "tif tiff", NULL},
    {"application/json", "json", NULL},
    {"application/vnd.microsoft.portable-executable", "exe dll msi scr com sys cpl", NULL},
    {"application/x-tar", "tar", NULL},
    {"application/gzip", "gz tgz", NULL},
    {"application/x-7z-compressed", "7z", NULL},
    {"application/java-archive", "jar", ZIP},
};
#define NKNOWN (sizeof(known) / sizeof(known[0]))

/* Other names of the same type: what clients declare, what libmagic answers. */
static const struct alias {
    const char *name, *mime;
} aliases[] = {
    {"image/jpg", "image/jpeg"},
    {"image/pjpeg", "image/jpeg"},
    {"image/x-png", "image/png"},
    {"application/x-pdf", "application/pdf"},
    {"application/x-zip-compressed", "application/zip"},
    {"application/x-zip", "application/zip"},
    {"multipart/x-zip", "application/zip"},
    {"application/x-rar", "application/x-rar-compressed"},
    {"application/vnd.rar", "application/x-rar-compressed"},
    {"text/x-csv", "text/csv"},
    {"application/csv", "text/csv"},
    {"text/comma-separated-values", "text/csv"},
    {"application/cdfv2", OLE_CONTAINER},
    {"application/x-msdownload", "application/vnd.microsoft.portable-executable"},
    {"application/x-dosexec", "application/vnd.microsoft.portable-executable"},
    {"application/xml", "text/xml"},
    {"application/x-gzip", "application/gzip"},
};

/* Declarations that claim nothing about the content. */
static const char *const generic[] = {
    "application/octet-stream", "binary/octet-stream", "application/unknown", "application/binary",
    "application/force-download", "application/x-download", "application/download",
};

/* Text subtypes that stay themselves: markup a browser renders, and CSV. Every other text
 * subtype (libmagic's guess of a language: text/x-c, text/x-shellscript...) is plain text. */
static const char *const text_kept[] = {"text/plain", "text/csv", "text/html", "text/xml"};

#define MAX_ALLOWED 64
static char *allowed[MAX_ALLOWED];
static size_t nallowed;
static char allowed_text[MAX_ALLOWED * (HD_MIME_MAX + 2)];

static const struct known *known_of(const char *mime)
{
    size_t i;
    for (i = 0; i < NKNOWN; i++)
        if (strcmp(known[i].mime, mime) == 0)
            return &known[i];
    return NULL;
}

/* A known extension (without the dot, any case) -> its type, or NULL. */
static const char *type_of_extension(const char *ext, size_t len)
{
    char low[16];
    size_t i;
    if (len == 0 || len >= sizeof(low))
        return NULL;
    for (i = 0; i < len; i++)
        low[i] = (char)tolower((unsigned char)ext[i]);
    low[len] = '\0';
    for (i = 0; i < NKNOWN; i++) {
        const char *e = known[i].exts;
        while (*e != '\0') {
            size_t n = strcspn(e, " ");
            if (n == len && memcmp(e, low, len) == 0)
                return known[i].mime;
            e += n + (e[n] == ' ');
        }
    }
    return NULL;
}

static int is_token_char(unsigned char c)
{
    return isalnum(c) || strchr("!#$&^_.+-", c) != NULL;
}

/* Lower-cased type/subtype of s[0..len) (parameters dropped) into out; 0, or -1 when malformed. */
static int media_type(const char *s, size_t len, char *out, size_t cap)
{
    size_t i = 0, o = 0, slash = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    for (; i < len && s[i] != ';' && s[i] != ' ' && s[i] != '\t'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '/') {
            if (slash || o == 0)
                return -1;
            slash = o + 1;
        } else if (!is_token_char(c)) {
            return -1;
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = (char)tolower(c);
    }
    out[o] = '\0';
    return slash && slash < o ? 0 : -1;
}

/* Aliases and text folding, in place. */
static void canonicalize(char *mime, size_t cap)
{
    size_t i;
    for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcmp(mime, aliases[i].name) == 0) {
            snprintf(mime, cap, "%s", aliases[i].mime);
            return;
        }
    if (strncmp(mime, "text/", 5) == 0) {
        for (i = 0; i < sizeof(text_kept) / sizeof(text_kept[0]); i++)
            if (strcmp(mime, text_kept[i]) == 0)
                return;
        snprintf(mime, cap, "text/plain");
    }
}

void hd_filetype_claim_of_content_type(const char *value, size_t len, char *out, size_t cap)
{
    size_t i;
    if (value == NULL || media_type(value, len, out, cap) != 0) {
        out[0] = '\0';
        return;
    }
    for (i = 0; i < sizeof(generic) / sizeof(generic[0]); i++)
        if (strcmp(out, generic[i]) == 0) {
            out[0] = '\0';
            return;
        }
    canonicalize(out, cap);
}

const char *hd_filetype_claim_of_name(const char *name)
{
    const char *dot;
    if (name == NULL || (dot = strrchr(name, '.')) == NULL || dot == name)
        return NULL;
    return type_of_extension(dot + 1, strlen(dot + 1));
}

void hd_filetype_canonical_detected(const char *magic_mime, char *out, size_t cap)
{
    if (magic_mime == NULL || media_type(magic_mime, strlen(magic_mime), out, cap) != 0) {
        snprintf(out, cap, "application/octet-stream");
        return;
    }
    canonicalize(out, cap);
}

int hd_filetype_compatible(const char *claimed, const char *detected)
{
    const struct known *c = known_of(claimed), *d = known_of(detected);
    if (strcmp(claimed, detected) == 0)
        return 1;
    if (strcmp(claimed, "application/vnd.ms-excel") == 0 && strcmp(detected, "text/csv") == 0)
        return 1;
    /* one is the container the other is made of: a .docx libmagic calls a zip, a .zip it
     * recognises as a .docx, a .doc it can only call an OLE2 file, CSV it saw as plain text */
    return (c != NULL && c->container != NULL && strcmp(c->container, detected) == 0) ||
           (d != NULL && d->container != NULL && strcmp(d->container, claimed) == 0);
}

/* ---- the allowed list ---- */

static void allowed_free(void)
{
    size_t i;
    for (i = 0; i < nallowed; i++)
        free(allowed[i]);
    nallowed = 0;
    allowed_text[0] = '\0';
}

int hd_filetype_set_allowed(const char *list, char *err, size_t errlen)
{
    const char *p = list;
    allowed_free();
    while (p != NULL && *p != '\0') {
        size_t n = strcspn(p, ","), b = 0, e = n;
        char mime[HD_MIME_MAX];
        while (b < e && isspace((unsigned char)p[b]))
            b++;
        while (e > b && isspace((unsigned char)p[e - 1]))
            e--;
        if (e > b) {
            const char *ext_type = NULL;
            if (memchr(p + b, '/', e - b) == NULL) {
                size_t skip = p[b] == '.'; /* ".pdf" or "pdf" */
                if ((ext_type = type_of_extension(p + b + skip, e - b - skip)) == NULL) {
                    snprintf(err, errlen, "ALLOWED_FILE_TYPES: unknown file extension '%.*s'", (int)(e - b), p + b);
                    allowed_free();
                    return -1;
                }
                snprintf(mime, sizeof(mime), "%s", ext_type);
            } else if (media_type(p + b, e - b, mime, sizeof(mime)) != 0) {
                snprintf(err, errlen, "ALLOWED_FILE_TYPES: '%.*s' is not a media type", (int)(e - b), p + b);
                allowed_free();
                return -1;
            } else {
                canonicalize(mime, sizeof(mime));
            }
            if (!hd_filetype_allowed(mime)) {
                if (nallowed == MAX_ALLOWED) {
                    snprintf(err, errlen, "ALLOWED_FILE_TYPES: more than %d types", MAX_ALLOWED);
                    allowed_free();
                    return -1;
                }
                allowed[nallowed++] = strdup(mime);
                if (allowed_text[0] != '\0')
                    strcat(allowed_text, ", ");
                strcat(allowed_text, mime);
            }
        }
        p += n + (p[n] == ',');
    }
    if (nallowed == 0) {
        snprintf(err, errlen, "ALLOWED_FILE_TYPES: no type given");
        return -1;
    }
    return 0;
}

int hd_filetype_allowed(const char *mime)
{
    size_t i;
    for (i = 0; i < nallowed; i++)
        if (strcmp(allowed[i], mime) == 0)
            return 1;
    return 0;
}

const char *hd_filetype_allowed_text(void)
{
    return allowed_text;
}

/* ---- libmagic ---- */

/* libmagic's work is bounded: it reads at most this much of a file (text checks read 64 KiB,
 * its own default), and never looks inside compressed data. */
#define MAGIC_BYTES_MAX ((size_t)1 << 20)
#define MAGIC_FLAGS (MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR)

static __thread magic_t cookie;
static __thread int cookie_failed;

static magic_t thread_cookie(void)
{
    size_t bytes_max = MAGIC_BYTES_MAX;
    if (cookie != NULL || cookie_failed)
        return cookie;
    if ((cookie = magic_open(MAGIC_FLAGS)) == NULL || magic_load(cookie, NULL) != 0 ||
        magic_setparam(cookie, MAGIC_PARAM_BYTES_MAX, &bytes_max) != 0) {
        if (cookie != NULL) {
            fprintf(stderr, "helpdesk-http: libmagic: %s\n", magic_error(cookie) ? magic_error(cookie) : "cannot load");
            magic_close(cookie);
        }
        cookie = NULL;
        cookie_failed = 1;
    }
    return cookie;
}

void hd_filetype_thread_free(void)
{
    if (cookie != NULL)
        magic_close(cookie);
    cookie = NULL;
}

int hd_filetype_check_install(void)
{
    if (thread_cookie() == NULL) {
        fprintf(stderr, "helpdesk-http: libmagic's database cannot be loaded (package libmagic-mgc)\n");
        return -1;
    }
    return 0;
}

int hd_filetype_detect(const void *data, size_t len, char *out, size_t cap)
{
    magic_t m = thread_cookie();
    const char *r;
    if (m == NULL) {
        snprintf(out, cap, "libmagic is not available");
        return -1;
    }
    if ((r = magic_buffer(m, data, len)) == NULL) {
        snprintf(out, cap, "libmagic: %s", magic_error(m) ? magic_error(m) : "no answer");
        return -1;
    }
    hd_filetype_canonical_detected(r, out, cap);
    return 0;
}

/* ---- the judgement ---- */

static void refuse(hd_filetype_verdict_t *v, int status, const char *fmt, const char *a, const char *b)
{
    v->status = status;
    if (snprintf(v->message, sizeof(v->message), fmt, a, b) >= (int)sizeof(v->message))
        memcpy(v->message + sizeof(v->message) - 4, "...", 4); /* a long allowed list, cut */
}

void hd_filetype_judge_detected(const char *magic_mime, size_t len, const char *filename, const char *content_type,
                                size_t content_type_len, hd_filetype_verdict_t *v)
{
    char declared[HD_MIME_MAX];
    const char *named = hd_filetype_claim_of_name(filename), *claims[2];
    size_t i;

    memset(v, 0, sizeof(*v));
    if (len == 0) {
        refuse(v, 400, "File is empty%s%s", "", "");
        return;
    }
    hd_filetype_canonical_detected(magic_mime, v->mime, sizeof(v->mime));
    hd_filetype_claim_of_content_type(content_type, content_type_len, declared, sizeof(declared));
    claims[0] = named;
    claims[1] = declared[0] != '\0' ? declared : NULL;
    /* a bare OLE2 container: the claim names the application (a .doc or .xls) */
    if (strcmp(v->mime, OLE_CONTAINER) == 0)
        for (i = 0; i < 2; i++)
            if (claims[i] != NULL && strcmp(claims[i], OLE_CONTAINER) != 0 && hd_filetype_compatible(claims[i], v->mime) &&
                hd_filetype_allowed(claims[i])) {
                snprintf(v->mime, sizeof(v->mime), "%s", claims[i]);
                break;
            }
    if (!hd_filetype_allowed(v->mime)) {
        refuse(v, 400, "File type %s is not allowed. Allowed types: %s", v->mime, hd_filetype_allowed_text());
        return;
    }
    for (i = 0; i < 2; i++)
        if (claims[i] != NULL && !hd_filetype_compatible(claims[i], v->mime)) {
            refuse(v, 400, "File content does not match its type: the content is %s, the file claims %s", v->mime, claims[i]);
            return;
        }
}

void hd_filetype_judge(const void *data, size_t len, const char *filename, const char *content_type,
                       size_t content_type_len, hd_filetype_verdict_t *v)
{
    char detected[HD_MIME_MAX + 64];
    if (len > 0 && hd_filetype_detect(data, len, detected, sizeof(detected)) != 0) {
        memset(v, 0, sizeof(*v));
        refuse(v, 500, "%s%s", detected, "");
        return;
    }
    hd_filetype_judge_detected(len > 0 ? detected : NULL, len, filename, content_type, content_type_len, v);
}
