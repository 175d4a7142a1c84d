/* csv.h: the `table` response kind (HD_RESP_TABLE, the reports): the route's JSON answer in the
 * envelope, or, when the client asks for CSV (?format=csv, or Accept: text/csv without a format
 * parameter), the table the function returns for format=csv -- {filename, columns, rows}, rows
 * of JSON scalars -- written as RFC 4180 CSV (text/csv; charset=utf-8, CRLF lines, a header row,
 * Content-Disposition: attachment with the filename). A text cell a spreadsheet would execute
 * (starting with = + - @, a tab or a carriage return) gets a leading apostrophe; numbers are
 * written as the JSON has them. */
#ifndef HD_CSV_H
#define HD_CSV_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>

#include "buf.h"
#include "db.h"
#include "routes.h"

/* One cell, quoted when needed (comma, quote, CR, LF), neutralised when a text cell. */
void hd_csv_cell(hd_buf_t *out, const char *s, size_t len, int is_text);

/* The CSV text of a {columns, rows} table (JSON text). 0, or -1 when not such a table. */
int hd_csv_of_table(const char *json, size_t len, hd_buf_t *out, char **filename);

/* Whether a request to a table route asks for CSV: format=csv in the query, or no format in
 * the query and an Accept header naming text/csv. */
int hd_csv_wanted(const char *query, size_t query_len, const char *accept, size_t accept_len);

/* Answer a table route's successful CSV result (res->status == HD_DB_OK). */
void hd_csv_respond(h2o_req_t *req, const hd_route_t *route, const hd_db_result_t *res);

#endif
