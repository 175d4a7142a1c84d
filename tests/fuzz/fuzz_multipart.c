/* fuzz_multipart.c: the multipart/form-data push parser (http/multipart.c).
 *
 * Input: byte 0 holds flags: bit 0 set, the Content-Type is the text up to the first '\n'
 * (else "multipart/form-data; boundary=XyZ"); bit 1 set, small limits (3 parts, 96 header
 * bytes, 8 field bytes) so every limit is reached; bit 2 set, a callback refuses a part named
 * "stop". The rest is the body.
 *
 * Invariants:
 *   - feeding the body whole, in pseudo-random chunk sizes, and (when small) byte by byte
 *     gives the same parts (headers and content of every completed part), the same number of
 *     parts begun and the same status;
 *   - the content reported is never more than the bytes fed, and never contains the
 *     delimiter CRLF "--" boundary; names and filenames are non-empty (names) NUL-free UTF-8;
 *     fields stay within their limit, parts within theirs;
 *   - data calls point into the chunk being fed, or are short (bytes held back as a possible
 *     delimiter across a chunk edge);
 *   - a body that parsed, written back out canonically (quoted name, filename*, the same
 *     content), parses to the same parts. */
#define _GNU_SOURCE /* memmem */
#include <jansson.h>

#include "../../http/buf.h"
#include "../../http/multipart.h"
#include "fuzz.h"

#define MAX_PARTS 64

typedef struct part {
    hd_buf_t name, filename, ctype, data;
    int has_filename, has_ctype, ended;
} part_t;

typedef struct run {
    part_t parts[MAX_PARTS];
    size_t nparts;
    int status;
    int stop_on_name; /* refuse a part named "stop" */
    const char *chunk; /* the chunk being fed */
    size_t chunk_len;
    size_t delim_len;
    size_t data_bytes;
} run_t;

static void run_free(run_t *r)
{
    size_t i;
    for (i = 0; i < r->nparts; i++) {
        hd_buf_free(&r->parts[i].name);
        hd_buf_free(&r->parts[i].filename);
        hd_buf_free(&r->parts[i].ctype);
        hd_buf_free(&r->parts[i].data);
    }
    r->nparts = 0;
}

static int utf8_nul_free(const char *s, size_t len)
{
    json_t *j;
    if (memchr(s, '\0', len) != NULL)
        return 0;
    j = json_stringn(s, len);
    json_decref(j);
    return j != NULL;
}

static int on_begin(void *ctx, const hd_multipart_part_t *hp)
{
    run_t *r = ctx;
    part_t *p;
    FUZZ_ASSERT(r->nparts < MAX_PARTS && hp->index == r->nparts);
    FUZZ_ASSERT(hp->name != NULL && hp->name_len > 0 && strlen(hp->name) == hp->name_len && utf8_nul_free(hp->name, hp->name_len));
    FUZZ_ASSERT(hp->filename == NULL || (strlen(hp->filename) == hp->filename_len && utf8_nul_free(hp->filename, hp->filename_len)));
    FUZZ_ASSERT(hp->content_type == NULL || strlen(hp->content_type) == hp->content_type_len);
    p = &r->parts[r->nparts++];
    memset(p, 0, sizeof(*p));
    hd_buf_append(&p->name, hp->name, hp->name_len);
    if (hp->filename != NULL) {
        p->has_filename = 1;
        hd_buf_append(&p->filename, hp->filename, hp->filename_len);
    }
    if (hp->content_type != NULL) {
        p->has_ctype = 1;
        hd_buf_append(&p->ctype, hp->content_type, hp->content_type_len);
    }
    return r->stop_on_name && strcmp(hp->name, "stop") == 0;
}

static int on_data(void *ctx, const char *d, size_t n)
{
    run_t *r = ctx;
    FUZZ_ASSERT(r->nparts > 0 && !r->parts[r->nparts - 1].ended && n > 0);
    /* from the caller's chunk, or a few held-back bytes from the parser's copy of the delimiter */
    FUZZ_ASSERT((d >= r->chunk && d + n <= r->chunk + r->chunk_len) || n < r->delim_len);
    hd_buf_append(&r->parts[r->nparts - 1].data, d, n);
    r->data_bytes += n;
    return 0;
}

static int on_end(void *ctx)
{
    run_t *r = ctx;
    FUZZ_ASSERT(r->nparts > 0 && !r->parts[r->nparts - 1].ended);
    r->parts[r->nparts - 1].ended = 1;
    return 0;
}

static const hd_multipart_callbacks_t cbs = {on_begin, on_data, on_end};

/* Parse body in chunks: sizes from rng (NULL: whole; *rng == 0: one byte at a time). */
static void parse(const char *ct, size_t ct_len, const hd_multipart_limits_t *lim, const char *body, size_t len, uint64_t *rng,
                  run_t *r)
{
    hd_multipart_t *p;
    size_t off = 0;
    int rc = hd_multipart_create(&p, ct, ct_len, lim, &cbs, r);
    FUZZ_ASSERT(rc == HD_MP_OK);
    while (off < len && rc == HD_MP_OK) {
        size_t n = rng == NULL ? len - off : *rng == 0 ? 1 : 1 + fuzz_next(rng) % 97;
        char *piece;
        if (n > len - off)
            n = len - off;
        piece = fuzz_dup((const uint8_t *)body + off, n);
        r->chunk = piece;
        r->chunk_len = n;
        rc = hd_multipart_feed(p, piece, n);
        free(piece);
        off += n;
    }
    if (rc == HD_MP_OK)
        rc = hd_multipart_finish(p);
    /* parts begun: those reported, plus one whose headers were being read when it failed */
    FUZZ_ASSERT(hd_multipart_part_count(p) == r->nparts || (rc != HD_MP_OK && hd_multipart_part_count(p) == r->nparts + 1));
    FUZZ_ASSERT(rc == HD_MP_OK || strlen(hd_multipart_detail(p)) > 0);
    hd_multipart_free(p);
    r->status = rc;
}

static int buf_eq(const hd_buf_t *a, const hd_buf_t *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->base, b->base, a->len) == 0);
}

/* Same status, same parts begun, same headers; same content for parts that ended. */
static void same_runs(const run_t *a, const run_t *b)
{
    size_t i;
    FUZZ_ASSERT(a->status == b->status && a->nparts == b->nparts);
    for (i = 0; i < a->nparts; i++) {
        const part_t *x = &a->parts[i], *y = &b->parts[i];
        FUZZ_ASSERT(buf_eq(&x->name, &y->name) && x->has_filename == y->has_filename && buf_eq(&x->filename, &y->filename));
        FUZZ_ASSERT(x->has_ctype == y->has_ctype && buf_eq(&x->ctype, &y->ctype) && x->ended == y->ended);
        if (x->ended)
            FUZZ_ASSERT(buf_eq(&x->data, &y->data));
    }
}

static void check_run(const run_t *r, const char *delim, size_t delim_len, size_t fed, const hd_multipart_limits_t *lim)
{
    size_t i;
    FUZZ_ASSERT(r->data_bytes <= fed);
    FUZZ_ASSERT(r->nparts <= lim->max_parts);
    for (i = 0; i < r->nparts; i++) {
        const part_t *p = &r->parts[i];
        if (p->data.len >= delim_len)
            FUZZ_ASSERT(memmem(p->data.base, p->data.len, delim, delim_len) == NULL);
        if (!p->has_filename)
            FUZZ_ASSERT(p->data.len <= lim->max_field_bytes);
    }
}

/* The parts written back as a canonical body with the same boundary. */
static void write_body(const run_t *r, const char *boundary, hd_buf_t *out)
{
    static const char hexd[] = "0123456789ABCDEF";
    size_t i, k;
    for (i = 0; i < r->nparts; i++) {
        const part_t *p = &r->parts[i];
        hd_buf_lit(out, "--");
        hd_buf_str(out, boundary);
        hd_buf_lit(out, "\r\nContent-Disposition: form-data; name=\"");
        for (k = 0; k < p->name.len; k++) {
            if (p->name.base[k] == '"' || p->name.base[k] == '\\')
                hd_buf_lit(out, "\\");
            hd_buf_append(out, p->name.base + k, 1);
        }
        hd_buf_lit(out, "\"");
        if (p->has_filename) {
            hd_buf_lit(out, "; filename*=UTF-8''");
            for (k = 0; k < p->filename.len; k++) {
                unsigned char c = (unsigned char)p->filename.base[k];
                char esc[3] = {'%', hexd[c >> 4], hexd[c & 15]};
                hd_buf_append(out, esc, 3);
            }
        }
        hd_buf_lit(out, "\r\n");
        if (p->has_ctype) {
            hd_buf_lit(out, "Content-Type: ");
            hd_buf_append(out, p->ctype.base, p->ctype.len);
            hd_buf_lit(out, "\r\n");
        }
        hd_buf_lit(out, "\r\n");
        if (p->data.len)
            hd_buf_append(out, p->data.base, p->data.len);
        hd_buf_lit(out, "\r\n");
    }
    hd_buf_lit(out, "--");
    hd_buf_str(out, boundary);
    hd_buf_lit(out, "--\r\n");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static run_t whole, chunked, bytewise, again;
    char default_ct[] = "multipart/form-data; boundary=XyZ";
    const char *ct = default_ct, *body;
    char boundary[HD_MP_BOUNDARY_MAX + 1], delim[HD_MP_BOUNDARY_MAX + 5], *ct_copy = NULL;
    size_t ct_len = strlen(default_ct), body_len, blen, delim_len;
    hd_multipart_limits_t lim = {0, 0, 0}, eff;
    hd_multipart_t *probe;
    uint64_t rng;

    if (size < 1)
        return 0;
    body = (const char *)data + 1;
    body_len = size - 1;
    if (data[0] & 1) {
        const char *nl = memchr(body, '\n', body_len);
        if (nl == NULL)
            return 0;
        ct_len = (size_t)(nl - body);
        ct_copy = fuzz_dup((const uint8_t *)body, ct_len);
        ct = ct_copy;
        body_len -= ct_len + 1;
        body = nl + 1;
    }
    if (data[0] & 2) {
        lim.max_parts = 3;
        lim.max_header_bytes = 96;
        lim.max_field_bytes = 8;
    }
    eff.max_parts = lim.max_parts ? lim.max_parts : HD_MP_DEFAULT_MAX_PARTS;
    eff.max_header_bytes = lim.max_header_bytes ? lim.max_header_bytes : HD_MP_DEFAULT_MAX_HEADER_BYTES;
    eff.max_field_bytes = lim.max_field_bytes ? lim.max_field_bytes : HD_MP_DEFAULT_MAX_FIELD_BYTES;

    /* the Content-Type: a parser exists exactly when the boundary is valid */
    if (hd_multipart_boundary(ct, ct_len, boundary, &blen) != HD_MP_OK) {
        FUZZ_ASSERT(hd_multipart_create(&probe, ct, ct_len, &lim, &cbs, NULL) != HD_MP_OK && probe == NULL);
        free(ct_copy);
        return 0;
    }
    FUZZ_ASSERT(blen >= 1 && blen <= HD_MP_BOUNDARY_MAX && strlen(boundary) == blen && boundary[blen - 1] != ' ');
    FUZZ_ASSERT(strchr(boundary, '\r') == NULL && strchr(boundary, '\n') == NULL);
    delim_len = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", boundary);

    whole.stop_on_name = chunked.stop_on_name = bytewise.stop_on_name = again.stop_on_name = (data[0] & 4) != 0;
    whole.delim_len = chunked.delim_len = bytewise.delim_len = again.delim_len = delim_len;
    whole.data_bytes = chunked.data_bytes = bytewise.data_bytes = again.data_bytes = 0;

    parse(ct, ct_len, &lim, body, body_len, NULL, &whole);
    check_run(&whole, delim, delim_len, body_len, &eff);
    rng = fuzz_seed(data, size);
    parse(ct, ct_len, &lim, body, body_len, &rng, &chunked);
    check_run(&chunked, delim, delim_len, body_len, &eff);
    same_runs(&whole, &chunked);
    if (body_len <= 512) {
        rng = 0;
        parse(ct, ct_len, &lim, body, body_len, &rng, &bytewise);
        same_runs(&whole, &bytewise);
    }
    if (whole.status == HD_MP_OK) {
        hd_buf_t canon = {0};
        size_t i;
        for (i = 0; i < whole.nparts; i++)
            FUZZ_ASSERT(whole.parts[i].ended);
        write_body(&whole, boundary, &canon);
        hd_buf_lit(&canon, "");
        /* canonical headers are longer than what was read: lift that limit only */
        lim.max_header_bytes = 1 << 20;
        parse(ct, ct_len, &lim, canon.base, canon.len, NULL, &again);
        same_runs(&whole, &again);
        hd_buf_free(&canon);
    }
    run_free(&whole);
    run_free(&chunked);
    run_free(&bytewise);
    run_free(&again);
    free(ct_copy);
    return 0;
}
