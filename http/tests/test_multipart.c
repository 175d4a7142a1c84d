/* test_multipart.c: the multipart/form-data push parser. */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

#include "../buf.h"
#include "../multipart.h"
#include "t.h"

#define CT "multipart/form-data; boundary=XyZ"

/* Transcript of the callbacks: "<name|filename|type>" at a part's start (filename and type
 * "-" when absent), the content as is, "</>" at its end. */
typedef struct rec {
    hd_buf_t t;
    int abort_on_name; /* abort in on_part_begin for a part named "abort" */
} rec_t;

static int on_begin(void *ctx, const hd_multipart_part_t *part)
{
    rec_t *r = ctx;
    hd_buf_lit(&r->t, "<");
    hd_buf_append(&r->t, part->name, part->name_len);
    hd_buf_lit(&r->t, "|");
    if (part->filename != NULL)
        hd_buf_append(&r->t, part->filename, part->filename_len);
    else
        hd_buf_lit(&r->t, "-");
    hd_buf_lit(&r->t, "|");
    if (part->content_type != NULL)
        hd_buf_append(&r->t, part->content_type, part->content_type_len);
    else
        hd_buf_lit(&r->t, "-");
    hd_buf_lit(&r->t, ">");
    return r->abort_on_name && strcmp(part->name, "abort") == 0;
}

static int on_data(void *ctx, const char *d, size_t n)
{
    hd_buf_append(&((rec_t *)ctx)->t, d, n);
    return 0;
}

static int on_end(void *ctx)
{
    hd_buf_lit(&((rec_t *)ctx)->t, "</>");
    return 0;
}

static const hd_multipart_callbacks_t cbs = {on_begin, on_data, on_end};

/* Parse body fed in pieces of `chunk` bytes (0: whole) with the given split points (nsplits
 * of them, ascending) instead when splits != NULL. Each piece is copied to its own exact-size
 * allocation so a read past it is caught by sanitizers. Returns the final status; the
 * transcript is in r->t (caller frees). */
static int parse_split(const char *ct, const char *body, size_t len, const hd_multipart_limits_t *lim, const size_t *splits,
                       size_t nsplits, size_t chunk, rec_t *r)
{
    hd_multipart_t *p;
    size_t off = 0, k = 0;
    int rc = hd_multipart_create(&p, ct, strlen(ct), lim, &cbs, r);
    if (rc != HD_MP_OK)
        return rc;
    while (off < len && rc == HD_MP_OK) {
        size_t n = splits != NULL ? (k < nsplits ? splits[k++] : len) - off : (chunk == 0 ? len - off : chunk);
        char *piece;
        if (n > len - off)
            n = len - off;
        piece = malloc(n ? n : 1);
        memcpy(piece, body + off, n);
        rc = hd_multipart_feed(p, piece, n);
        free(piece);
        off += n;
    }
    if (rc == HD_MP_OK)
        rc = hd_multipart_finish(p);
    hd_multipart_free(p);
    return rc;
}

static int parse(const char *ct, const char *body, size_t len, const hd_multipart_limits_t *lim, size_t chunk, rec_t *r)
{
    return parse_split(ct, body, len, lim, NULL, 0, chunk, r);
}

/* Status of parsing a NUL-terminated body whole, with transcript checked against want (NULL: not checked). */
static int status_of(const char *body, const hd_multipart_limits_t *lim, const char *want)
{
    rec_t r = {{0}, 0};
    int rc = parse(CT, body, strlen(body), lim, 0, &r);
    if (want != NULL && (r.t.base == NULL ? strcmp(want, "") != 0 : strcmp(r.t.base, want) != 0)) {
        fprintf(stderr, "transcript: %s\n   wanted: %s\n", r.t.base ? r.t.base : "", want);
        rc = -1;
    }
    hd_buf_free(&r.t);
    return rc;
}

static void test_boundary(void)
{
    char b[HD_MP_BOUNDARY_MAX + 1];
    size_t n = 0;
    char long70[71], ct[200];

#define BOUNDARY(s) hd_multipart_boundary((s), strlen(s), b, &n)
    CHECK(BOUNDARY("multipart/form-data; boundary=abc") == HD_MP_OK && n == 3 && strcmp(b, "abc") == 0);
    CHECK(BOUNDARY("Multipart/Form-Data;BOUNDARY=----WebKitFormBoundary7MA4YWxkTrZu0gW") == HD_MP_OK &&
          strcmp(b, "----WebKitFormBoundary7MA4YWxkTrZu0gW") == 0);
    CHECK(BOUNDARY("multipart/form-data; charset=utf-8; boundary=\"a b:c=d?\"") == HD_MP_OK && strcmp(b, "a b:c=d?") == 0);
    CHECK(BOUNDARY("multipart/form-data; x=\"q;\\\"uoted\"; boundary=z") == HD_MP_OK && strcmp(b, "z") == 0);
    CHECK(BOUNDARY("multipart/form-data; boundary=a=b/c") == HD_MP_OK && strcmp(b, "a=b/c") == 0);
    CHECK(BOUNDARY("  multipart/form-data ; boundary=abc ; charset=x ") == HD_MP_OK && strcmp(b, "abc") == 0);
    CHECK(BOUNDARY("application/json") == HD_MP_ERR_CONTENT_TYPE);
    CHECK(BOUNDARY("multipart/mixed; boundary=abc") == HD_MP_ERR_CONTENT_TYPE);
    CHECK(BOUNDARY("multipart/form-data-x; boundary=abc") == HD_MP_ERR_CONTENT_TYPE);
    CHECK(BOUNDARY("") == HD_MP_ERR_CONTENT_TYPE);
    CHECK(BOUNDARY("multipart/form-data") == HD_MP_ERR_BOUNDARY);
    CHECK(BOUNDARY("multipart/form-data; charset=utf-8") == HD_MP_ERR_BOUNDARY);
    CHECK(BOUNDARY("multipart/form-data; boundary=") == HD_MP_ERR_BOUNDARY);
    CHECK(BOUNDARY("multipart/form-data; boundary=\"\"") == HD_MP_ERR_BOUNDARY);
    CHECK(BOUNDARY("multipart/form-data; boundary=\"abc") == HD_MP_ERR_BOUNDARY);
    CHECK(BOUNDARY("multipart/form-data; boundary=\"abc \"") == HD_MP_ERR_BOUNDARY); /* ends in a space */
    CHECK(BOUNDARY("multipart/form-data; boundary=ab@c") == HD_MP_ERR_BOUNDARY);      /* not a bchar */
    CHECK(BOUNDARY("multipart/form-data; boundary=\"a\rb\"") == HD_MP_ERR_BOUNDARY);
    CHECK(BOUNDARY("multipart/form-data; boundary=a; boundary=b") == HD_MP_ERR_BOUNDARY);
    CHECK(BOUNDARY("multipart/form-data; boundary") == HD_MP_ERR_BOUNDARY);
    memset(long70, 'b', 70);
    long70[70] = '\0';
    snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%s", long70);
    CHECK(BOUNDARY(ct) == HD_MP_OK && n == 70);
    snprintf(ct, sizeof(ct), "multipart/form-data; boundary=\"%s\"", long70);
    CHECK(BOUNDARY(ct) == HD_MP_OK && n == 70);
    snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%sb", long70);
    CHECK(BOUNDARY(ct) == HD_MP_ERR_BOUNDARY);
    snprintf(ct, sizeof(ct), "multipart/form-data; boundary=\"%sb\"", long70);
    CHECK(BOUNDARY(ct) == HD_MP_ERR_BOUNDARY);
#undef BOUNDARY
    {
        hd_multipart_t *p = (hd_multipart_t *)&n;
        CHECK(hd_multipart_create(&p, "text/plain", 10, NULL, &cbs, NULL) == HD_MP_ERR_CONTENT_TYPE && p == NULL);
        CHECK(hd_multipart_create(&p, "multipart/form-data", 19, NULL, &cbs, NULL) == HD_MP_ERR_BOUNDARY && p == NULL);
    }
}

static const char upload[] =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"ticketId\"\r\n"
    "\r\n"
    "42\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"report.pdf\"\r\n"
    "Content-Type: application/pdf\r\n"
    "\r\n"
    "%PDF-1.4\r\n\r\nbinary --XyZ inside a line is data\r\n"
    "--XyZ--\r\n";

static void test_basic(void)
{
    CHECK(status_of(upload, NULL,
                    "<ticketId|-|->42</><file|report.pdf|application/pdf>%PDF-1.4\r\n\r\nbinary --XyZ inside a line is "
                    "data</>") == HD_MP_OK);
    /* a delimiter followed by anything but "--" or padding + CRLF is refused, not taken as data */
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--XyZ-not-the-end\r\n--XyZ--", NULL,
                    "<a|-|->x</>") == HD_MP_ERR_MALFORMED);
    /* the boundary string anywhere but at a line start (after CRLF) is data */
    CHECK(status_of("--XyZ\r\n"
                    "Content-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n"
                    "\r\n"
                    "x--XyZ\r\n-XyZ\r\n--XyY\r\n--Xy\r\r\n--XyZ--",
                    NULL, "<file|a.bin|->x--XyZ\r\n-XyZ\r\n--XyY\r\n--Xy\r</>") == HD_MP_OK);
    /* preamble and epilogue are ignored; padding after a boundary is allowed */
    CHECK(status_of("This is the preamble.\r\n--XyZ \t\r\n"
                    "content-disposition: FORM-DATA; NAME=a\r\n"
                    "X-Other: ignored\r\n"
                    "\r\n"
                    "1\r\n--XyZ--epilogue\r\n--XyZ\r\nContent-Disposition: form-data; name=b\r\n\r\nignored",
                    NULL, "<a|-|->1</>") == HD_MP_OK);
    /* a preamble must end with CRLF before the boundary; "--XyZ" right at the start works */
    CHECK(status_of("preamble--XyZ\r\n", NULL, "") == HD_MP_ERR_TRUNCATED);
    /* zero-byte file and empty field */
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"empty.txt\"\r\n\r\n\r\n"
                    "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n\r\n--XyZ--",
                    NULL, "<file|empty.txt|-></><f|-|-></>") == HD_MP_OK);
    /* no parts at all is well-formed (the caller decides a file is missing) */
    CHECK(status_of("--XyZ--\r\n", NULL, "") == HD_MP_OK);
    /* CRLF inside data, and data that begins with the boundary string (not after a CRLF) */
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=f; filename=x\r\n\r\n"
                    "--XyZ\r\n\r\n\r\nline\r\n\r\n--XyZ--",
                    NULL, "<f|x|->--XyZ\r\n\r\n\r\nline\r\n</>") == HD_MP_OK);
}

static void test_filenames(void)
{
    /* quoted-string escapes, a ';' inside quotes, raw UTF-8 */
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=\"a;b\"; filename=\"sa\\\"id \\\\ x.txt\"\r\n\r\nd\r\n--XyZ--",
                    NULL, "<a;b|sa\"id \\ x.txt|->d</>") == HD_MP_OK);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b\xc3\xa1o c\xc3\xa1o.pdf\"\r\n\r\nd\r\n--XyZ--",
                    NULL, "<file|b\xc3\xa1o c\xc3\xa1o.pdf|->d</>") == HD_MP_OK);
    /* filename* (RFC 5987) wins over filename, whichever comes first */
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=file; filename*=UTF-8''%E2%82%AC%20rates.txt; "
                    "filename=\"EUR rates.txt\"\r\n\r\nd\r\n--XyZ--",
                    NULL, "<file|\xe2\x82\xac rates.txt|->d</>") == HD_MP_OK);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=file; filename=\"EUR rates.txt\"; "
                    "filename*=utf-8'vi'%E1%BA%A3nh.png\r\n\r\nd\r\n--XyZ--",
                    NULL, "<file|\xe1\xba\xa3nh.png|->d</>") == HD_MP_OK);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=file; filename*=\"UTF-8''a%2Fb\"\r\n\r\nd\r\n--XyZ--",
                    NULL, "<file|a/b|->d</>") == HD_MP_OK);
    /* an empty filename is still a file part */
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=file; filename=\"\"\r\n\r\n\r\n--XyZ--", NULL,
                    "<file||-></>") == HD_MP_OK);
    /* refused: other charsets, bad escapes, NUL or invalid UTF-8, unterminated quotes, duplicates */
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=file; filename*=ISO-8859-1''%E9t%E9\r\n\r\n", NULL, "") ==
          HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=file; filename*=UTF-8''%E2%8\r\n\r\n", NULL, "") ==
          HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=file; filename*=UTF-8''a%00b\r\n\r\n", NULL, "") ==
          HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=file; filename*=UTF-8''%C3%28\r\n\r\n", NULL, "") ==
          HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=file; filename*=a.txt\r\n\r\n", NULL, "") ==
          HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=\"file\xff\"\r\n\r\n", NULL, "") == HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=\"file\r\n\r\n", NULL, "") == HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\n", NULL, "") == HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a; filename=x; filename=y\r\n\r\n", NULL, "") ==
          HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n\r\n", NULL,
                    "") == HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Type: a/b\r\nContent-Type: c/d\r\n\r\n", NULL,
                    "") == HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\n", NULL, "") == HD_MP_ERR_MALFORMED);
}

static void test_errors(void)
{
    hd_multipart_limits_t lim = {0, 0, 0};
    char *big;
    size_t i;

    /* truncated anywhere before the closing boundary */
    CHECK(status_of("", NULL, "") == HD_MP_ERR_TRUNCATED);
    CHECK(status_of("just a preamble", NULL, "") == HD_MP_ERR_TRUNCATED);
    CHECK(status_of("--XyZ", NULL, "") == HD_MP_ERR_TRUNCATED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\r\n", NULL, "") == HD_MP_ERR_TRUNCATED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\ndata", NULL, "<a|-|->data") == HD_MP_ERR_TRUNCATED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\ndata\r\n--XyZ", NULL, "<a|-|->data</>") ==
          HD_MP_ERR_TRUNCATED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\ndata\r\n--XyZ-", NULL, "<a|-|->data</>") ==
          HD_MP_ERR_TRUNCATED);
    /* a part without a name */
    CHECK(status_of("--XyZ\r\n\r\ndata\r\n--XyZ--", NULL, "") == HD_MP_ERR_NO_NAME);
    CHECK(status_of("--XyZ\r\nContent-Type: text/plain\r\n\r\ndata\r\n--XyZ--", NULL, "") == HD_MP_ERR_NO_NAME);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; filename=a.txt\r\n\r\ndata\r\n--XyZ--", NULL, "") ==
          HD_MP_ERR_NO_NAME);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=\"\"\r\n\r\ndata\r\n--XyZ--", NULL, "") == HD_MP_ERR_NO_NAME);
    /* too many parts: the limit is the number of parts begun */
    lim.max_parts = 2;
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
                    "--XyZ\r\nContent-Disposition: form-data; name=b\r\n\r\n2\r\n--XyZ--",
                    &lim, "<a|-|->1</><b|-|->2</>") == HD_MP_OK);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
                    "--XyZ\r\nContent-Disposition: form-data; name=b\r\n\r\n2\r\n"
                    "--XyZ\r\nContent-Disposition: form-data; name=c\r\n\r\n3\r\n--XyZ--",
                    &lim, "<a|-|->1</><b|-|->2</>") == HD_MP_ERR_TOO_MANY_PARTS);
    big = malloc(4096);
    strcpy(big, "--XyZ\r\n");
    for (i = 0; i < HD_MP_DEFAULT_MAX_PARTS + 1; i++)
        strcat(big, "Content-Disposition: form-data; name=a\r\n\r\nx\r\n--XyZ\r\n");
    CHECK(status_of(big, NULL, NULL) == HD_MP_ERR_TOO_MANY_PARTS);
    /* header block too large: the limit counts every header byte of the part, CRLFs included */
    lim.max_parts = 0;
    lim.max_header_bytes = 44; /* "Content-Disposition: form-data; name=a\r\n\r\n" is 42 */
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--XyZ--", &lim, "<a|-|->x</>") == HD_MP_OK);
    lim.max_header_bytes = 41;
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--XyZ--", &lim, "") ==
          HD_MP_ERR_HEADER_TOO_LARGE);
    memset(big, 'h', 4095);
    memcpy(big, "--XyZ\r\nX-Big: ", 14);
    big[4095] = '\0';
    lim.max_header_bytes = 1024;
    CHECK(status_of(big, &lim, "") == HD_MP_ERR_HEADER_TOO_LARGE);
    free(big);
    /* field too large; a file of the same size is not a field */
    lim.max_header_bytes = 0;
    lim.max_field_bytes = 4;
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1234\r\n--XyZ--", &lim, "<a|-|->1234</>") == HD_MP_OK);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n12345\r\n--XyZ--", &lim, "<a|-|->") ==
          HD_MP_ERR_FIELD_TOO_LARGE);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n123\r\n\r\n--XyZ--", &lim, NULL) ==
          HD_MP_ERR_FIELD_TOO_LARGE);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a; filename=f\r\n\r\n12345\r\n--XyZ--", &lim,
                    "<a|f|->12345</>") == HD_MP_OK);
    /* malformed: what follows a delimiter, line ends, header lines */
    CHECK(status_of("--XyZx\r\n", NULL, "") == HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ-x", NULL, "") == HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ \r\n", NULL, NULL) == HD_MP_ERR_TRUNCATED);
    CHECK(status_of("--XyZ \rx", NULL, "") == HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--XyZa\r\n--XyZ--", NULL, "<a|-|->1</>") ==
          HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\rx: y\r\n\r\n", NULL, "") == HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\n", NULL, "") == HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition form-data; name=a\r\n\r\n", NULL, "") == HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nBad Name: x\r\nContent-Disposition: form-data; name=a\r\n\r\n", NULL, "") == HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\r\nX: a\x01z\r\n\r\n", NULL, "") == HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a b\r\n\r\n", NULL, "") == HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=\r\n\r\n", NULL, "") == HD_MP_ERR_MALFORMED);
}

/* LF-only line ends are refused wherever they would end a line the parser reads. */
static void test_lf_only(void)
{
    rec_t r = {{0}, 0};
    hd_multipart_t *p;
    CHECK(status_of("--XyZ\nContent-Disposition: form-data; name=a\n\nx\n--XyZ--\n", NULL, "") == HD_MP_ERR_MALFORMED);
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\n\nx\n--XyZ--\n", NULL, "") == HD_MP_ERR_MALFORMED);
    /* inside data an LF is data, and "\n--XyZ" is not a delimiter */
    CHECK(status_of("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx\n--XyZ\n\r\n--XyZ--", NULL, "<a|-|->x\n--XyZ\n</>") ==
          HD_MP_OK);
    /* and the detail says why */
    CHECK(hd_multipart_create(&p, CT, strlen(CT), NULL, &cbs, &r) == HD_MP_OK);
    CHECK(hd_multipart_feed(p, "--XyZ\n", 6) == HD_MP_ERR_MALFORMED);
    CHECK_STR(hd_multipart_detail(p), "Malformed multipart body: line ends must be CRLF");
    CHECK_STR(hd_multipart_message(HD_MP_ERR_MALFORMED), "Malformed multipart body");
    /* errors are sticky */
    CHECK(hd_multipart_feed(p, "\r\n", 2) == HD_MP_ERR_MALFORMED);
    CHECK(hd_multipart_finish(p) == HD_MP_ERR_MALFORMED);
    hd_multipart_free(p);
    hd_buf_free(&r.t);
}

static void test_abort(void)
{
    rec_t r = {{0}, 1};
    const char *body = "--XyZ\r\nContent-Disposition: form-data; name=ok\r\n\r\n1\r\n"
                       "--XyZ\r\nContent-Disposition: form-data; name=abort\r\n\r\n2\r\n--XyZ--";
    CHECK(parse(CT, body, strlen(body), NULL, 0, &r) == HD_MP_ERR_ABORTED);
    CHECK_STR(r.t.base, "<ok|-|->1</><abort|-|->");
    hd_buf_free(&r.t);
}

static const char *const chunk_bodies[] = {
    upload,
    "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"ticketId\"\r\n\r\n7\r\n"
    "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''%C3%A1.txt\r\nContent-Type: text/plain\r\n\r\n"
    "\r\r\n\r\n-\r\n--\r\n--X\r\n--Xy\r\n--XyZ--\r\nepilogue",
    "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n\r\n--XyZ\r\r\n--XyZ\r\n--XyZ--",
    "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n",
    "--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n\r\n",
};

/* Every split of a body into two and three pieces, and byte by byte, gives the transcript
 * and status of feeding it whole. */
static void test_chunking(void)
{
    size_t b;
    for (b = 0; b < sizeof(chunk_bodies) / sizeof(chunk_bodies[0]); b++) {
        const char *body = chunk_bodies[b];
        size_t len = strlen(body), s1, s2, bad = 0;
        rec_t whole = {{0}, 0}, r = {{0}, 0};
        int rc_whole = parse(CT, body, len, NULL, 0, &whole), rc;
        hd_buf_lit(&whole.t, "");
        hd_buf_lit(&r.t, "");
        rc = parse(CT, body, len, NULL, 1, &r);
        CHECK(rc == rc_whole && r.t.base != NULL && strcmp(r.t.base, whole.t.base) == 0);
        hd_buf_free(&r.t);
        for (s1 = 0; s1 <= len; s1++) {
            for (s2 = s1; s2 <= len; s2 += (len / 40) + 1) {
                size_t splits[2] = {s1, s2};
                rec_t x = {{0}, 0};
                hd_buf_lit(&x.t, "");
                rc = parse_split(CT, body, len, NULL, splits, 2, 0, &x);
                if (rc != rc_whole || strcmp(x.t.base, whole.t.base) != 0)
                    bad++;
                hd_buf_free(&x.t);
            }
        }
        CHECK(bad == 0);
        hd_buf_free(&whole.t);
    }
}

/* 10 MB through the parser in 64 KiB chunks: the content arrives intact, the parser allocates
 * nothing while it streams, and every data call points into the chunk fed, except the few
 * bytes held back as a possible delimiter across a chunk edge. */
typedef struct stream {
    uint64_t sum_in, sum_out;
    size_t bytes, outside_calls, outside_max;
    const char *chunk;
    size_t chunk_len;
    int parts, ends;
} stream_t;

static int s_begin(void *ctx, const hd_multipart_part_t *part)
{
    (void)part;
    ((stream_t *)ctx)->parts++;
    return 0;
}

static int s_data(void *ctx, const char *d, size_t n)
{
    stream_t *s = ctx;
    size_t i;
    for (i = 0; i < n; i++)
        s->sum_out = s->sum_out * 31 + (unsigned char)d[i];
    s->bytes += n;
    if (d < s->chunk || d + n > s->chunk + s->chunk_len) {
        s->outside_calls++;
        if (n > s->outside_max)
            s->outside_max = n;
    }
    return 0;
}

static int s_end(void *ctx)
{
    ((stream_t *)ctx)->ends++;
    return 0;
}

static void test_stream_10mb(void)
{
    const hd_multipart_callbacks_t scb = {s_begin, s_data, s_end};
    const char *head = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n";
    const char *tail = "\r\n--XyZ--\r\n";
    const size_t total = 10 * 1024 * 1024, csize = 65536;
    stream_t s;
    hd_multipart_t *p;
    char *chunk = malloc(csize);
    uint64_t rng = 42;
    size_t sent = 0;
    struct mallinfo2 before, after;
    int rc;

    memset(&s, 0, sizeof(s));
    CHECK(hd_multipart_create(&p, CT, strlen(CT), NULL, &scb, &s) == HD_MP_OK);
    CHECK(hd_multipart_feed(p, head, strlen(head)) == HD_MP_OK);
    before = mallinfo2();
    while (sent < total) {
        size_t n = total - sent < csize ? total - sent : csize, i;
        for (i = 0; i < n; i++) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            chunk[i] = (char)(rng >> 56);
            /* near-misses of the delimiter, some across chunk edges */
            if ((rng >> 20) % 997 == 0 && i + 7 < n) {
                memcpy(chunk + i, "\r\n--Xy.", 7);
                i += 6;
            }
        }
        if (sent == 0)
            memcpy(chunk + n - 5, "\r\n--X", 5); /* held back at the edge, then data */
        for (i = 0; i < n; i++)
            s.sum_in = s.sum_in * 31 + (unsigned char)chunk[i];
        s.chunk = chunk;
        s.chunk_len = n;
        rc = hd_multipart_feed(p, chunk, n);
        if (rc != HD_MP_OK)
            break;
        sent += n;
    }
    after = mallinfo2();
    CHECK(sent == total);
    CHECK(after.uordblks == before.uordblks && after.hblkhd == before.hblkhd);
    s.chunk = tail;
    s.chunk_len = strlen(tail);
    CHECK(hd_multipart_feed(p, tail, strlen(tail)) == HD_MP_OK);
    CHECK(hd_multipart_finish(p) == HD_MP_OK);
    CHECK(s.parts == 1 && s.ends == 1);
    CHECK(s.bytes == total);
    CHECK(s.sum_in == s.sum_out);
    CHECK(s.outside_calls >= 1 && s.outside_max < strlen("\r\n--XyZ"));
    hd_multipart_free(p);
    free(chunk);
}

int main(void)
{
    test_boundary();
    test_basic();
    test_filenames();
    test_errors();
    test_lf_only();
    test_abort();
    test_chunking();
    test_stream_10mb();
    T_DONE();
}
