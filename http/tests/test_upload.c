/* Uploads and downloads: the type of a file (filetype.c), a multipart upload turned into fields,
 * one file and the request document (upload.c), the file response's value and headers
 * (download.c). */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../download.h"
#include "../filetype.h"
#include "../router.h"
#include "../upload.h"
#include "t.h"

/* a 1x1 PNG */
static const unsigned char png_1px[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00, 0xc9, 0xfe, 0x92, 0xef,
    0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82
};
#define PNG_1PX ((const char *)png_1px)
#define PNG_LEN sizeof(png_1px)

static int detect(const char *text, char *out)
{
    return hd_filetype_detect(text, strlen(text), out, HD_MIME_MAX);
}

static const char *claim_ct(const char *v)
{
    static char out[HD_MIME_MAX];
    hd_filetype_claim_of_content_type(v, v != NULL ? strlen(v) : 0, out, sizeof(out));
    return out;
}

static int judged(const char *magic, size_t len, const char *name, const char *ct, const char *want_mime)
{
    hd_filetype_verdict_t v;
    hd_filetype_judge_detected(magic, len, name, ct, ct != NULL ? strlen(ct) : 0, &v);
    if (v.status != 0)
        fprintf(stderr, "  refused %s %s %s: %s\n", magic, name, ct ? ct : "-", v.message);
    return v.status == 0 && strcmp(v.mime, want_mime) == 0;
}

static int refused(const char *magic, size_t len, const char *name, const char *ct, const char *message_part)
{
    hd_filetype_verdict_t v;
    hd_filetype_judge_detected(magic, len, name, ct, ct != NULL ? strlen(ct) : 0, &v);
    return v.status == 400 && strstr(v.message, message_part) != NULL;
}

static void test_filetype(void)
{
    char err[256], out[HD_MIME_MAX];

    /* the allowed list: the reference's 13 by default; extensions or types; refused garbage */
    CHECK(hd_filetype_set_allowed(hd_filetype_default_allowed, err, sizeof(err)) == 0);
    CHECK(hd_filetype_allowed("image/png") && hd_filetype_allowed("application/x-rar-compressed") &&
          hd_filetype_allowed("text/csv"));
    CHECK(!hd_filetype_allowed("text/html") && !hd_filetype_allowed("application/x-ole-storage"));
    CHECK(strncmp(hd_filetype_allowed_text(), "image/jpeg, image/png, ", 23) == 0);
    CHECK(hd_filetype_set_allowed("pdf, .PNG ,image/JPG,pdf", err, sizeof(err)) == 0);
    CHECK_STR(hd_filetype_allowed_text(), "application/pdf, image/png, image/jpeg");
    CHECK(hd_filetype_set_allowed("pdf,nosuchext", err, sizeof(err)) == -1 && strstr(err, "nosuchext") != NULL);
    CHECK(hd_filetype_set_allowed("image/png, not a type", err, sizeof(err)) == -1);
    CHECK(hd_filetype_set_allowed(" , ", err, sizeof(err)) == -1);
    CHECK(hd_filetype_set_allowed(hd_filetype_default_allowed, err, sizeof(err)) == 0);

    /* what a declared Content-Type claims */
    CHECK_STR(claim_ct("image/jpg"), "image/jpeg");
    CHECK_STR(claim_ct(" IMAGE/PNG ; charset=binary"), "image/png");
    CHECK_STR(claim_ct("application/octet-stream"), "");
    CHECK_STR(claim_ct("application/x-zip-compressed"), "application/zip");
    CHECK_STR(claim_ct("text/x-python"), "text/plain");
    CHECK_STR(claim_ct("text/html"), "text/html");
    CHECK_STR(claim_ct("image png"), "");
    CHECK_STR(claim_ct("/png"), "");
    CHECK_STR(claim_ct(NULL), "");

    /* what a name claims */
    CHECK_STR(hd_filetype_claim_of_name("Report.PDF"), "application/pdf");
    CHECK_STR(hd_filetype_claim_of_name("backup.tar.gz"), "application/gzip");
    CHECK_STR(hd_filetype_claim_of_name("setup.exe"), "application/vnd.microsoft.portable-executable");
    CHECK(hd_filetype_claim_of_name("README") == NULL);
    CHECK(hd_filetype_claim_of_name(".png") == NULL);
    CHECK(hd_filetype_claim_of_name("notes.md") == NULL);
    CHECK(hd_filetype_claim_of_name("x.") == NULL);

    /* libmagic's answers made canonical */
    hd_filetype_canonical_detected("application/x-rar", out, sizeof(out));
    CHECK_STR(out, "application/x-rar-compressed");
    hd_filetype_canonical_detected("text/x-c", out, sizeof(out));
    CHECK_STR(out, "text/plain");
    hd_filetype_canonical_detected("application/CDFV2", out, sizeof(out));
    CHECK_STR(out, "application/x-ole-storage");
    hd_filetype_canonical_detected(NULL, out, sizeof(out));
    CHECK_STR(out, "application/octet-stream");

    /* agreement of a claim with the content */
    CHECK(hd_filetype_compatible("image/png", "image/png"));
    CHECK(hd_filetype_compatible("text/csv", "text/plain") && hd_filetype_compatible("text/plain", "text/csv"));
    CHECK(hd_filetype_compatible("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/zip"));
    CHECK(hd_filetype_compatible("application/zip", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    CHECK(!hd_filetype_compatible("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    CHECK(hd_filetype_compatible("application/msword", "application/x-ole-storage"));
    CHECK(!hd_filetype_compatible("application/msword", "application/vnd.ms-excel"));
    CHECK(hd_filetype_compatible("application/vnd.ms-excel", "text/csv"));
    CHECK(!hd_filetype_compatible("image/jpeg", "image/png"));
    CHECK(!hd_filetype_compatible("application/pdf", "application/zip"));

    /* the whole judgement */
    CHECK(judged("image/png", 10, "a.png", "image/png", "image/png"));
    CHECK(judged("image/png", 10, "scan", NULL, "image/png"));
    CHECK(judged("image/png", 10, "notes.md", "application/octet-stream", "image/png"));
    CHECK(judged("text/x-c", 10, "main.txt", "text/plain", "text/plain"));
    CHECK(judged("text/csv", 10, "data.csv", "application/vnd.ms-excel", "text/csv"));
    CHECK(judged("text/plain", 10, "data.csv", "text/csv", "text/plain"));
    CHECK(judged("application/zip", 10, "a.docx", NULL, "application/zip"));
    CHECK(judged("application/x-rar", 10, "a.rar", "application/vnd.rar", "application/x-rar-compressed"));
    CHECK(judged("application/CDFV2", 10, "old.doc", "application/msword", "application/msword"));
    CHECK(judged("application/x-ole-storage", 10, "old.xls", NULL, "application/vnd.ms-excel"));
    CHECK(refused("application/CDFV2", 10, "thing.bin", NULL, "File type application/x-ole-storage is not allowed"));
    CHECK(refused("image/png", 0, "a.png", NULL, "File is empty"));
    CHECK(refused("image/png", 10, "report.pdf", NULL, "the content is image/png, the file claims application/pdf"));
    CHECK(refused("image/png", 10, "a.png", "application/pdf", "the file claims application/pdf"));
    CHECK(refused("image/png", 10, "photo.exe", NULL, "claims application/vnd.microsoft.portable-executable"));
    CHECK(refused("text/html", 10, "page.txt", "text/plain", "File type text/html is not allowed. Allowed types: image/jpeg"));
    CHECK(refused("application/x-pie-executable", 10, "tool", NULL, "is not allowed"));
    CHECK(refused("image/jpeg", 10, "a.jpg", "image/png", "claims image/png"));

    /* libmagic itself, on real bytes */
    CHECK(hd_filetype_check_install() == 0);
    CHECK(hd_filetype_detect(PNG_1PX, PNG_LEN, out, sizeof(out)) == 0);
    CHECK_STR(out, "image/png");
    CHECK(detect("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", out) == 0);
    CHECK_STR(out, "application/pdf");
    CHECK(detect("Hello, plain text.\nSecond line.\n", out) == 0);
    CHECK_STR(out, "text/plain");
    CHECK(detect("#include <stdio.h>\nint main(void) { return 0; }\n", out) == 0);
    CHECK_STR(out, "text/plain"); /* libmagic's text/x-c */
    CHECK(detect("<!DOCTYPE html><html><body>x</body></html>\n", out) == 0);
    CHECK_STR(out, "text/html");
}

/* ---- uploads ---- */

static hd_upload_limits_t lim = {1024, 4, 256, 64};

#define CT "multipart/form-data; boundary=XyZ"

static int parse(const char *body, size_t len, hd_upload_t *up, hd_reqerr_t *err)
{
    return hd_upload_parse(CT, strlen(CT), body, len, &lim, up, err);
}

/* A body of parts given as (headers, content) pairs, NULL-terminated. */
static char *body_of(size_t *len, ...)
{
    hd_buf_t b = {0};
    va_list ap;
    const char *h;
    va_start(ap, len);
    while ((h = va_arg(ap, const char *)) != NULL) {
        const char *content = va_arg(ap, const char *);
        size_t clen = va_arg(ap, size_t);
        hd_buf_lit(&b, "--XyZ\r\n");
        hd_buf_str(&b, h);
        hd_buf_lit(&b, "\r\n\r\n");
        hd_buf_append(&b, content, clen);
        hd_buf_lit(&b, "\r\n");
    }
    va_end(ap);
    hd_buf_lit(&b, "--XyZ--\r\n");
    *len = b.len;
    return b.base;
}

#define FIELD(name) "Content-Disposition: form-data; name=\"" name "\""
#define FILE_PART(name, filename) "Content-Disposition: form-data; name=\"" name "\"; filename=\"" filename "\""

static int fails(const char *body, size_t len, int status, const char *message_part)
{
    hd_upload_t up;
    hd_reqerr_t err = {0, NULL};
    int rc = parse(body, len, &up, &err);
    int ok = rc == -1 && err.status == status && err.message != NULL && strstr(err.message, message_part) != NULL;
    if (!ok)
        fprintf(stderr, "  got %d %d %s\n", rc, err.status, err.message ? err.message : "-");
    hd_upload_free(&up);
    return ok;
}

static void test_upload(void)
{
    hd_upload_t up;
    hd_reqerr_t err = {0, NULL};
    hd_buf_t j = {0};
    size_t len;
    char *body;

    /* a field and a file: the fields as JSON strings, the file as a range of the body */
    body = body_of(&len, FIELD("ticketId"), "12", (size_t)2, FILE_PART("file", "dot.png") "\r\nContent-Type: image/png",
                   PNG_1PX, PNG_LEN, NULL);
    CHECK(parse(body, len, &up, &err) == 0);
    CHECK_STR(up.fields.base, "{\"ticketId\":\"12\"}");
    CHECK(up.has_file && up.file_len == PNG_LEN && memcmp(up.file, PNG_1PX, up.file_len) == 0);
    CHECK(up.file > body && up.file + up.file_len < body + len); /* not a copy */
    CHECK_STR(up.file_type, "image/png");
    hd_upload_file_json(&up, &j);
    CHECK_STR(j.base, "{\"field\":\"file\",\"originalName\":\"dot.png\",\"mimeType\":\"image/png\",\"size\":" "69" "}");
    hd_buf_free(&j);
    hd_upload_free(&up);
    free(body);

    /* a boundary string inside the data, not at the start of a line, is data */
    body = body_of(&len, FIELD("note"), "a--XyZ b", (size_t)8, FILE_PART("file", "t.txt"), "line\r\nx--XyZ\r\n", (size_t)14, NULL);
    CHECK(parse(body, len, &up, &err) == 0);
    CHECK_STR(up.fields.base, "{\"note\":\"a--XyZ b\"}");
    CHECK(up.file_len == 14 && memcmp(up.file, "line\r\nx--XyZ\r\n", 14) == 0);
    CHECK_STR(up.file_type, "text/plain");
    hd_upload_free(&up);
    free(body);

    /* fields only; a form sent without choosing a file (empty part, empty file name) */
    body = body_of(&len, FIELD("ticketId"), "7", (size_t)1, FILE_PART("file", "") "\r\nContent-Type: application/octet-stream", "",
                   (size_t)0, NULL);
    CHECK(parse(body, len, &up, &err) == 0);
    CHECK(!up.has_file);
    hd_upload_file_json(&up, &j);
    CHECK_STR(j.base, "null");
    hd_buf_free(&j);
    hd_upload_free(&up);
    free(body);

    /* the bad inputs of issue 11 */
    CHECK(fails("--XyZ\r\n" FIELD("ticketId") "\r\n\r\n12\r\n--Xy", 44, 400, "truncated")); /* truncated */
    CHECK(fails("", 0, 400, "truncated"));
    {
        hd_upload_t u;
        CHECK(hd_upload_parse("multipart/form-data", 19, "x", 1, &lim, &u, &err) == -1 && err.status == 400 &&
              strstr(err.message, "boundary") != NULL); /* no boundary */
        hd_upload_free(&u);
        CHECK(hd_upload_parse("text/plain", 10, "x", 1, &lim, &u, &err) == -1 && err.status == 415);
        hd_upload_free(&u);
        CHECK(hd_upload_parse(NULL, 0, "x", 1, &lim, &u, &err) == -1 && err.status == 415);
        hd_upload_free(&u);
    }
    body = body_of(&len, FIELD("a"), "1", (size_t)1, FIELD("b"), "1", (size_t)1, FIELD("c"), "1", (size_t)1, FIELD("d"), "1",
                   (size_t)1, FIELD("e"), "1", (size_t)1, NULL);
    CHECK(fails(body, len, 400, "Too many multipart parts")); /* many parts */
    free(body);
    body = body_of(&len, "Content-Disposition: form-data", "1", (size_t)1, NULL);
    CHECK(fails(body, len, 400, "without a name")); /* a part without a name */
    free(body);
    {
        char huge[400];
        memset(huge, 'x', sizeof(huge) - 1);
        huge[sizeof(huge) - 1] = '\0';
        body = body_of(&len, FIELD("a") "\r\nX-Pad: ", "1", (size_t)1, NULL);
        free(body);
        {
            hd_buf_t h = {0};
            hd_buf_str(&h, FIELD("a") "\r\nX-Pad: ");
            hd_buf_str(&h, huge);
            body = body_of(&len, h.base, "1", (size_t)1, NULL);
            hd_buf_free(&h);
        }
        CHECK(fails(body, len, 400, "headers too large")); /* a huge header in a part */
        free(body);
    }
    body = body_of(&len, FILE_PART("file", "a.png"), PNG_1PX, PNG_LEN, FILE_PART("file2", "b.png"), PNG_1PX,
                   PNG_LEN, NULL);
    CHECK(fails(body, len, 400, "Only one file"));
    free(body);
    body = body_of(&len, FIELD("ticketId"), "1", (size_t)1, FIELD("ticketId"), "2", (size_t)1, NULL);
    CHECK(fails(body, len, 400, "Duplicate multipart field"));
    free(body);
    body = body_of(&len, FIELD("ticketId"), "\xff\xfe", (size_t)2, NULL);
    CHECK(fails(body, len, 400, "not valid UTF-8"));
    free(body);
    body = body_of(&len, FIELD("ticketId"), "1234567890123456789012345678901234567890123456789012345678901234567890", (size_t)70,
                   NULL);
    CHECK(fails(body, len, 400, "field too large"));
    free(body);
    body = body_of(&len, FILE_PART("file", "empty.txt"), "", (size_t)0, NULL);
    CHECK(fails(body, len, 400, "File is empty")); /* a zero-byte file */
    free(body);
    body = body_of(&len, FILE_PART("file", "report.pdf"), PNG_1PX, PNG_LEN, NULL);
    CHECK(fails(body, len, 400, "does not match"));
    free(body);
    {
        char big[1025];
        memset(big, 'a', sizeof(big));
        body = body_of(&len, FILE_PART("file", "big.txt"), big, sizeof(big), NULL);
        CHECK(fails(body, len, 413, "File too large")); /* one byte over max_file_bytes */
        free(body);
        body = body_of(&len, FILE_PART("file", "big.txt"), big, sizeof(big) - 1, NULL);
        CHECK(parse(body, len, &up, &err) == 0 && up.file_len == 1024);
        hd_upload_free(&up);
        free(body);
    }
    {
        size_t max = hd_upload_max_body(&lim);
        char *huge = calloc(1, max + 1);
        CHECK(max > lim.max_file_bytes + lim.max_parts * lim.max_header_bytes);
        CHECK(fails(huge, max + 1, 413, "Request body too large"));
        free(huge);
    }

    /* the request document */
    {
        hd_router_t *router;
        static const hd_route_t routes[] = {
            {"POST", "/api/v1/attachments/upload", "attachments_upload", 0, HD_AUTH_TOKEN, HD_BODY_MULTIPART, HD_RESP_JSON, 0, NULL},
        };
        hd_match_t m;
        hd_buf_t doc = {0};
        const char *blob;
        size_t blob_len;
        router = hd_router_build(routes, 1);
        CHECK(router != NULL && hd_router_match(router, "POST", 4, "/api/v1/attachments/upload", 26, &m) == 200);
        body = body_of(&len, FIELD("ticketId"), "12", (size_t)2, FILE_PART("file", "dot.png"), PNG_1PX, PNG_LEN, NULL);
        CHECK(hd_upload_request_doc(CT, strlen(CT), body, len, &m, "x=1", 3, NULL, &lim, &doc, &blob, &blob_len, &err) == 0);
        CHECK_STR(doc.base, "{\"path\":{},\"query\":{\"x\":\"1\"},\"body\":{\"ticketId\":\"12\"},\"args\":null,"
                            "\"file\":{\"field\":\"file\",\"originalName\":\"dot.png\",\"mimeType\":\"image/png\",\"size\":69}}");
        CHECK(blob != NULL && blob_len == 69 && memcmp(blob, PNG_1PX, 69) == 0);
        hd_buf_free(&doc);
        free(body);
        body = body_of(&len, FIELD("ticketId"), "12", (size_t)2, NULL);
        CHECK(hd_upload_request_doc(CT, strlen(CT), body, len, &m, NULL, 0, NULL, &lim, &doc, &blob, &blob_len, &err) == 0);
        CHECK_STR(doc.base, "{\"path\":{},\"query\":{},\"body\":{\"ticketId\":\"12\"},\"args\":null,\"file\":null}");
        CHECK(blob == NULL && blob_len == 0);
        hd_buf_free(&doc);
        CHECK(hd_upload_request_doc(CT, strlen(CT), body, len, &m, "x=%zz", 5, NULL, &lim, &doc, &blob, &blob_len, &err) == -1 &&
              err.status == 400);
        hd_buf_free(&doc);
        free(body);
        hd_router_free(router);
    }
}

/* ---- downloads ---- */

/* A file route's result: three columns, as db.c reports them. */
static hd_db_result_t file_result(int ncols, const char *mime, const char *name, const char *content, size_t content_len)
{
    hd_db_result_t r;
    memset(&r, 0, sizeof(r));
    r.status = HD_DB_OK;
    r.ncols = ncols;
    r.cols[0] = mime;
    r.cols[1] = name;
    r.cols[2] = content;
    r.col_lens[0] = mime ? strlen(mime) : 0;
    r.col_lens[1] = name ? strlen(name) : 0;
    r.col_lens[2] = content_len;
    r.col_nulls[0] = mime == NULL;
    r.col_nulls[1] = name == NULL;
    r.col_nulls[2] = content == NULL;
    return r;
}

static char *disposition(const char *name)
{
    static char out[512];
    hd_buf_t b = {0};
    hd_content_disposition(name, strlen(name), &b);
    snprintf(out, sizeof(out), "%s", b.base);
    hd_buf_free(&b);
    return out;
}

static void test_download(void)
{
    hd_db_result_t r;
    hd_file_value_t f;

    r = file_result(3, "image/png", "dot.png", "\x89PNG\0x", 6);
    CHECK(hd_file_value_of(&r, &f) == 0);
    CHECK(f.mime_len == 9 && memcmp(f.mime, "image/png", 9) == 0 && f.name_len == 7 && f.content_len == 6 &&
          memcmp(f.content, "\x89PNG\0x", 6) == 0);
    r = file_result(3, "image/png", NULL, "abc", 3); /* a NULL name */
    CHECK(hd_file_value_of(&r, &f) == -1);
    r = file_result(3, "image/png", "a", NULL, 0);   /* no content */
    CHECK(hd_file_value_of(&r, &f) == -1);
    r = file_result(2, "image/png", "a", "abc", 3);  /* two columns */
    CHECK(hd_file_value_of(&r, &f) == -1);
    r = file_result(3, "image/png", "a", "abc", 3);
    r.status = HD_DB_SQL_ERROR;
    CHECK(hd_file_value_of(&r, &f) == -1);

    CHECK_STR(disposition("dot.png"), "attachment; filename=\"dot.png\"");
    CHECK_STR(disposition("báo cáo.pdf"), "attachment; filename=\"b_o c_o.pdf\"; filename*=UTF-8''b%C3%A1o%20c%C3%A1o.pdf");
    CHECK_STR(disposition("say \"hi\"\\.txt"), "attachment; filename=\"say _hi__.txt\"; filename*=UTF-8''say%20%22hi%22%5C.txt");
    CHECK_STR(disposition("a\r\nSet-Cookie: x.txt"),
              "attachment; filename=\"aSet-Cookie: x.txt\"; filename*=UTF-8''aSet-Cookie%3A%20x.txt");
    CHECK_STR(disposition("日本.txt"), "attachment; filename=\"__.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt");
    CHECK_STR(disposition(""), "attachment; filename=\"file\"");
    CHECK_STR(disposition("a%20b.txt"), "attachment; filename=\"a%20b.txt\"; filename*=UTF-8''a%2520b.txt");

    CHECK(hd_media_type_ok("image/png", 9));
    CHECK(hd_media_type_ok("application/vnd.ms-excel", 24));
    CHECK(!hd_media_type_ok("image/png\r\nX: y", 15));
    CHECK(!hd_media_type_ok("image", 5) && !hd_media_type_ok("/png", 4) && !hd_media_type_ok("image/", 6));
    CHECK(!hd_media_type_ok("a/b/c", 5) && !hd_media_type_ok("", 0));
}

int main(void)
{
    test_filetype();
    test_upload();
    test_download();
    T_DONE();
}
