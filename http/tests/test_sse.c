/* The text of Server-Sent Events (sse.c): fields, a data value over several lines, Last-Event-ID. */
#include "../buf.h"
#include "../sse.h"
#include "t.h"

int main(void)
{
    hd_buf_t b = {0};

    hd_sse_format_event(&b, "unreadCount", 42, "3", 1);
    CHECK_STR(b.base, "event: unreadCount\nid: 42\ndata: 3\n\n");
    b.len = 0;
    /* a line break in the data would end the field: one data: line per line */
    hd_sse_format_event(&b, "notification", 7, "{\"a\":1}\nx\r\ny", 12);
    CHECK_STR(b.base, "event: notification\nid: 7\ndata: {\"a\":1}\ndata: x\ndata: y\n\n");
    b.len = 0;
    hd_sse_format_event(&b, "notification", 8, "a\n\nb", 4);
    CHECK_STR(b.base, "event: notification\nid: 8\ndata: a\ndata: \ndata: b\n\n");
    b.len = 0;
    hd_sse_format_event(&b, "notification", 0, "", 0);
    CHECK_STR(b.base, "event: notification\nid: 0\ndata: \n\n");
    hd_buf_free(&b);

    CHECK(hd_sse_parse_last_event_id("123", 3) == 123);
    CHECK(hd_sse_parse_last_event_id("0", 1) == 0);
    CHECK(hd_sse_parse_last_event_id("", 0) == -1);
    CHECK(hd_sse_parse_last_event_id(NULL, 0) == -1);
    CHECK(hd_sse_parse_last_event_id("-1", 2) == -1);
    CHECK(hd_sse_parse_last_event_id("12a", 3) == -1);
    CHECK(hd_sse_parse_last_event_id(" 12", 3) == -1);
    CHECK(hd_sse_parse_last_event_id("1234567890123456789", 19) == -1); /* beyond any id */
    T_DONE();
}
