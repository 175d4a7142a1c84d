/* fuzz_upload.c: an upload route's body turned into fields, one file and its type
 * (http/upload.c over http/multipart.c, with http/filetype.c and libmagic).
 *
 * Input: byte 0 holds flags: bit 0 set, the Content-Type is the text up to the first '\n'
 * (else "multipart/form-data; boundary=XyZ"). The rest is the body. Limits are small (file 256
 * bytes, 4 parts, 128 header bytes, 32 field bytes) so every one is reached.
 *
 * Reference: the same body parsed by hd_multipart with the same limits, every part kept.
 * Invariants:
 *   - an accepted upload's fields are exactly the reference's non-file parts, in order, as a
 *     JSON object of strings (valid per jansson, no duplicate name); at most one part has a
 *     file name; the file is that part's content, a range of the body (never a copy), at most
 *     the file limit, of an allowed type;
 *   - a refusal is 400, 413 or 415 with a message, never 500; 415 only when the Content-Type
 *     is not multipart/form-data; "File too large" only when a file part is over the limit;
 *   - a body the reference parses, with unique UTF-8 fields and no file, is accepted when it is
 *     within hd_upload_max_body (which counts the preamble and the epilogue too);
 *   - a body over hd_upload_max_body is 413 whatever it holds. */
#include <jansson.h>

#include "../../http/buf.h"
#include "../../http/filetype.h"
#include "../../http/multipart.h"
#include "../../http/request.h"
#include "../../http/upload.h"
#include "fuzz.h"

#define MAX_REF_PARTS 8

typedef struct ref_part {
    hd_buf_t name, data;
    int is_file, has_name_of_file;
} ref_part_t;

typedef struct ref {
    ref_part_t parts[MAX_REF_PARTS];
    size_t n;
} ref_t;

static int ref_begin(void *ctx, const hd_multipart_part_t *hp)
{
    ref_t *r = ctx;
    ref_part_t *p;
    FUZZ_ASSERT(r->n < MAX_REF_PARTS);
    p = &r->parts[r->n++];
    memset(p, 0, sizeof(*p));
    hd_buf_append(&p->name, hp->name, hp->name_len);
    p->is_file = hp->filename != NULL;
    p->has_name_of_file = hp->filename != NULL && hp->filename_len > 0;
    return 0;
}

static int ref_data(void *ctx, const char *d, size_t n)
{
    ref_t *r = ctx;
    hd_buf_append(&r->parts[r->n - 1].data, d, n);
    return 0;
}

static void ref_free(ref_t *r)
{
    size_t i;
    for (i = 0; i < r->n; i++) {
        hd_buf_free(&r->parts[i].name);
        hd_buf_free(&r->parts[i].data);
    }
}

static const hd_upload_limits_t lim = {256, 4, 128, 32};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    static const char default_ct[] = "multipart/form-data; boundary=XyZ";
    hd_multipart_limits_t mlim = {lim.max_parts, lim.max_header_bytes, lim.max_field_bytes};
    hd_multipart_callbacks_t cb = {ref_begin, ref_data, NULL};
    const char *ct = default_ct;
    size_t ct_len = sizeof(default_ct) - 1, start = 1;
    char *ct_copy = NULL, *body;
    hd_multipart_t *p = NULL;
    hd_upload_t up;
    hd_reqerr_t err = {0, NULL};
    ref_t ref;
    int rc, ref_rc, i, nfiles = 0, fields_ok = 1;
    size_t len;

    if (!ready) {
        char e[256];
        FUZZ_ASSERT(hd_filetype_set_allowed(hd_filetype_default_allowed, e, sizeof(e)) == 0);
        ready = 1;
    }
    if (size < 1)
        return 0;
    if (data[0] & 1) {
        const uint8_t *nl = memchr(data + 1, '\n', size - 1);
        if (nl == NULL)
            return 0;
        ct_len = (size_t)(nl - data - 1);
        ct_copy = fuzz_dup(data + 1, ct_len);
        ct = ct_copy;
        start = (size_t)(nl - data) + 1;
    }
    len = size - start;
    body = fuzz_dup(data + start, len);

    rc = hd_upload_parse(ct, ct_len, body, len, &lim, &up, &err);

    /* the reference */
    memset(&ref, 0, sizeof(ref));
    ref_rc = hd_multipart_create(&p, ct, ct_len, &mlim, &cb, &ref);
    if (ref_rc == HD_MP_OK && (ref_rc = hd_multipart_feed(p, body, len)) == HD_MP_OK)
        ref_rc = hd_multipart_finish(p);
    hd_multipart_free(p);

    if (len > hd_upload_max_body(&lim))
        FUZZ_ASSERT(rc == -1 && err.status == 413);
    if (rc == -1) {
        FUZZ_ASSERT(err.status == 400 || err.status == 413 || err.status == 415);
        FUZZ_ASSERT(err.message != NULL && err.message[0] != '\0');
        if (err.status == 415)
            FUZZ_ASSERT(ref_rc == HD_MP_ERR_CONTENT_TYPE);
        if (err.status == 413 && strcmp(err.message, "File too large") == 0) {
            int over = 0;
            for (i = 0; i < (int)ref.n; i++)
                over |= ref.parts[i].is_file && ref.parts[i].data.len > lim.max_file_bytes;
            FUZZ_ASSERT(over);
        }
    }

    if (ref_rc == HD_MP_OK) {
        json_t *fields = NULL;
        for (i = 0; i < (int)ref.n; i++) {
            int k;
            if (ref.parts[i].is_file) {
                nfiles++;
                continue;
            }
            if (ref.parts[i].data.len > 0 && !hd_utf8_valid(ref.parts[i].data.base, ref.parts[i].data.len))
                fields_ok = 0;
            for (k = 0; k < i; k++)
                if (!ref.parts[k].is_file && ref.parts[k].name.len == ref.parts[i].name.len &&
                    memcmp(ref.parts[k].name.base, ref.parts[i].name.base, ref.parts[i].name.len) == 0)
                    fields_ok = 0;
        }
        if (fields_ok && nfiles == 0 && len <= hd_upload_max_body(&lim)) /* the limit counts preamble and epilogue too */
            FUZZ_ASSERT(rc == 0);
        if (rc == 0) {
            const char *key;
            json_t *value;
            size_t at = 0;
            FUZZ_ASSERT(fields_ok && nfiles <= 1);
            fields = json_loadb(up.fields.base, up.fields.len, JSON_REJECT_DUPLICATES, NULL);
            FUZZ_ASSERT(fields != NULL && json_is_object(fields));
            /* the non-file parts, in order (jansson keeps insertion order) */
            json_object_foreach(fields, key, value) {
                while (at < ref.n && ref.parts[at].is_file)
                    at++;
                FUZZ_ASSERT(at < ref.n && json_is_string(value));
                FUZZ_ASSERT(strlen(key) == ref.parts[at].name.len && memcmp(key, ref.parts[at].name.base, strlen(key)) == 0);
                FUZZ_ASSERT(json_string_length(value) == ref.parts[at].data.len &&
                            memcmp(json_string_value(value), ref.parts[at].data.base ? ref.parts[at].data.base : "",
                                   ref.parts[at].data.len) == 0);
                at++;
            }
            while (at < ref.n && ref.parts[at].is_file)
                at++;
            FUZZ_ASSERT(at == ref.n);
            json_decref(fields);
            if (up.has_file) {
                const ref_part_t *f = NULL;
                for (i = 0; i < (int)ref.n; i++)
                    if (ref.parts[i].is_file)
                        f = &ref.parts[i];
                FUZZ_ASSERT(f != NULL && f->data.len == up.file_len && up.file_len <= lim.max_file_bytes && up.file_len > 0);
                FUZZ_ASSERT(up.file >= body && up.file + up.file_len <= body + len);
                FUZZ_ASSERT(memcmp(up.file, f->data.base, up.file_len) == 0);
                FUZZ_ASSERT(hd_filetype_allowed(up.file_type));
            } else if (nfiles == 1) {
                /* only a form sent without choosing a file: empty, without a file name */
                for (i = 0; i < (int)ref.n; i++)
                    if (ref.parts[i].is_file)
                        FUZZ_ASSERT(ref.parts[i].data.len == 0 && !ref.parts[i].has_name_of_file);
            }
        }
    } else {
        FUZZ_ASSERT(rc == -1);
    }

    hd_upload_free(&up);
    ref_free(&ref);
    free(body);
    free(ct_copy);
    return 0;
}
