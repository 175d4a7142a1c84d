/*
 * calendar_test.c: unit test of extension/calendar_math.c without PostgreSQL.
 *
 * Known cases on a fixed-offset zone and on toy zones with daylight saving time that follow the
 * rules of Europe/Berlin, America/New_York, Australia/Lord_Howe (a 30-minute change) and
 * Pacific/Chatham (+12:45/+13:45), plus an odd zone that skips a whole day and repeats three
 * hours; then a randomized comparison with a brute-force count on all of them, with random split
 * shifts, windows with boundaries in skipped and repeated hours, and both kinds of holidays:
 *   - cal_between(a, b) equals the brute-force count of business time in [a, b): minute by
 *     minute, each real minute counts when its wall-clock time lies in a window of a day that
 *     is not a holiday (so a repeated hour counts twice, a skipped one not at all);
 *   - cal_between(a, cal_add(a, d)) == d, and cal_add lands at the first instant where that holds;
 *   - cal_add(a, cal_between(a, b)) == b when the minute before b is business time.
 * The cost of long spans is checked by counting steps (check_interrupts calls), not by timing.
 * Prints "calendar unit: N passed, M failed" (and writes "N M" to $HD_RESULT_FILE when set);
 * exits 1 on any failure. CALENDAR_TEST_ROUNDS sets the number of random calendars (default 700).
 *
 * Build: cc -O2 -Wall -Wextra -Werror -I extension tests/unit/calendar_test.c extension/calendar_math.c
 */
#include "calendar_math.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_US	(60 * CAL_USECS_PER_SEC)
#define HOUR_US (60 * MIN_US)
#define DAY_US	CAL_USECS_PER_DAY

static int	passed,
			failed;

static void
check(int ok, const char *what)
{
	if (ok)
		passed++;
	else
	{
		failed++;
		printf("not ok - %s\n", what);
	}
}

/* days since 2000-01-01 of a civil date */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t		era,
				yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468 - 10957;
}

/* ---- zones ---- */

typedef struct ToyZone
{
	const char *name;
	bool		strict;			/* skip a change exactly at t, as PostgreSQL does */
	int64_t		base;			/* offset before the first change, seconds */
	int			n;
	int64_t		at[400];		/* UTC seconds since 2000-01-01, increasing */
	int64_t		off[400];		/* offset from at[i] on */
} ToyZone;

/* the number of changes at or before UTC second t */
static int
toy_changes_through(const ToyZone *z, int64_t t)
{
	int			lo = 0,
				hi = z->n;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (z->at[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* the CalTzBoundaryFn contract: the first change at or after t, or (strict) after t */
static int
toy_boundary(void *arg, int64_t t, int64_t *before, int64_t *boundary, int64_t *after)
{
	ToyZone    *z = arg;
	int			i = toy_changes_through(z, z->strict ? t : t - 1);

	*before = i == 0 ? z->base : z->off[i - 1];
	if (i == z->n)
		return 0;
	*boundary = z->at[i];
	*after = z->off[i];
	return 1;
}

static void
toy_fixed(ToyZone *z, const char *name, int64_t off)
{
	z->name = name;
	z->strict = false;
	z->base = off;
	z->n = 0;
}

static void
toy_change(ToyZone *z, int64_t day, int64_t utc_sec_of_day, int64_t off)
{
	z->at[z->n] = day * 86400 + utc_sec_of_day;
	z->off[z->n++] = off;
}

/* the last Sunday of a month that has `len` days, and the n-th Sunday of a month */
static int64_t
last_sunday(int y, int m, int len)
{
	int64_t		d = days_from_civil(y, m, len);

	return d - cal_dow(d);
}

static int64_t
nth_sunday(int y, int m, int n)
{
	int64_t		d = days_from_civil(y, m, 1);

	return d + (7 - cal_dow(d)) % 7 + 7 * (n - 1);
}

/* Europe/Berlin: +01:00, +02:00 from the last Sunday of March to the last Sunday of October, 01:00 UTC. */
static void
toy_berlin(ToyZone *z)
{
	z->name = "Berlin";
	z->strict = false;
	z->base = 3600;
	z->n = 0;
	for (int y = 1995; y <= 2060; y++)
	{
		toy_change(z, last_sunday(y, 3, 31), 3600, 7200);
		toy_change(z, last_sunday(y, 10, 31), 3600, 3600);
	}
}

/* America/New_York (2007 rules): -05:00, -04:00 from the 2nd Sunday of March 02:00 to the 1st Sunday of November 02:00. */
static void
toy_new_york(ToyZone *z)
{
	z->name = "New York";
	z->strict = true;
	z->base = -5 * 3600;
	z->n = 0;
	for (int y = 1995; y <= 2060; y++)
	{
		toy_change(z, nth_sunday(y, 3, 2), 7 * 3600, -4 * 3600);
		toy_change(z, nth_sunday(y, 11, 1), 6 * 3600, -5 * 3600);
	}
}

/*
 * Australia/Lord_Howe: +11:00 (summer) until the 1st Sunday of April 02:00 (back to 01:30), then
 * +10:30 until the 1st Sunday of October 02:00 (forward to 02:30). UTC: 15:00 / 15:30 the day before.
 */
static void
toy_lord_howe(ToyZone *z)
{
	z->name = "Lord Howe";
	z->strict = false;
	z->base = 11 * 3600;
	z->n = 0;
	for (int y = 1995; y <= 2060; y++)
	{
		toy_change(z, nth_sunday(y, 4, 1) - 1, 15 * 3600, 10 * 3600 + 1800);
		toy_change(z, nth_sunday(y, 10, 1) - 1, 15 * 3600 + 1800, 11 * 3600);
	}
}

/*
 * Pacific/Chatham: +13:45 (summer) until the 1st Sunday of April 03:45 (back to 02:45), then +12:45
 * until the last Sunday of September 02:45 (forward to 03:45). UTC: 14:00 the day before, both.
 */
static void
toy_chatham(ToyZone *z)
{
	z->name = "Chatham";
	z->strict = true;
	z->base = 13 * 3600 + 2700;
	z->n = 0;
	for (int y = 1995; y <= 2060; y++)
	{
		toy_change(z, nth_sunday(y, 4, 1) - 1, 14 * 3600, 12 * 3600 + 2700);
		toy_change(z, last_sunday(y, 9, 30) - 1, 14 * 3600, 13 * 3600 + 2700);
	}
}

/*
 * Odd: -10:00; on 2026-12-30 10:00 UTC (Tue Dec 29 24:00 local) +14:00, so Wednesday Dec 30 never
 * happens (as Samoa in 2011); on 2027-06-06 12:00 UTC (Mon Jun 7 02:00 local) +11:00, so Sunday
 * 23:00 to Monday 02:00 happens twice.
 */
static void
toy_odd(ToyZone *z)
{
	z->name = "odd";
	z->strict = true;
	z->base = -10 * 3600;
	z->n = 0;
	toy_change(z, days_from_civil(2026, 12, 30), 10 * 3600, 14 * 3600);
	toy_change(z, days_from_civil(2027, 6, 6), 12 * 3600, 11 * 3600);
}

/* ---- calendars ---- */

typedef struct TestCal
{
	CalDef		def;
	CalWindow	w[7][8];
	int32_t		hol[64];
	ToyZone    *zone;
} TestCal;

static void
cal_init(TestCal *c, ToyZone *zone)
{
	memset(c, 0, sizeof(*c));
	c->zone = zone;
	for (int i = 0; i < 7; i++)
		c->def.windows[i] = c->w[i];
	c->def.holidays = c->hol;
	c->def.tz_boundary = toy_boundary;
	c->def.tz_arg = zone;
}

static void
add_window(TestCal *c, int dow, int h1, int m1, int h2, int m2)
{
	CalWindow  *w = &c->w[dow][c->def.nwindows[dow]++];

	w->start = h1 * HOUR_US + m1 * MIN_US;
	w->end = h2 * HOUR_US + m2 * MIN_US;
}

/* UTC instant of a local wall-clock time in a fixed zone */
static int64_t
at(int y, int mo, int d, int h, int mi, int64_t off_sec)
{
	return days_from_civil(y, mo, d) * DAY_US + h * HOUR_US + mi * MIN_US - off_sec * CAL_USECS_PER_SEC;
}

/* ---- brute force ---- */

/* the wall-clock time at instant utc */
static int64_t
local_of(const ToyZone *z, int64_t utc)
{
	int64_t		sec = utc / CAL_USECS_PER_SEC;
	int			i;

	if (utc < 0 && utc % CAL_USECS_PER_SEC)
		sec--;
	i = toy_changes_through(z, sec);
	return utc + (i == 0 ? z->base : z->off[i - 1]) * CAL_USECS_PER_SEC;
}

/* is the wall-clock time l inside a window of a day that is not a holiday? */
static int
business_reading(const TestCal *c, int64_t l)
{
	int64_t		day = l / DAY_US - (l < 0 && l % DAY_US ? 1 : 0);
	int64_t		tod = l - day * DAY_US;
	int			dow = cal_dow(day);

	if (cal_is_holiday(&c->def, (int32_t) day))
		return 0;
	for (int i = 0; i < c->def.nwindows[dow]; i++)
		if (c->def.windows[dow][i].start <= tod && tod < c->def.windows[dow][i].end)
			return 1;
	return 0;
}

/*
 * Business time in [a, b), a and b on whole minutes, counted minute by minute of real time.
 * Exact because every offset change and window boundary of these tests is on a whole minute.
 */
static int64_t
brute_between(const TestCal *c, int64_t a, int64_t b)
{
	int64_t		count = 0;

	for (int64_t u = a; u < b; u += MIN_US)
		count += business_reading(c, local_of(c->zone, u));
	return count * MIN_US;
}

/* ---- known cases ---- */

static void
known_cases(void)
{
	ToyZone		vn;
	TestCal		c;
	int64_t		r;
	int64_t		off = 7 * 3600;

	toy_fixed(&vn, "+07", off);
	cal_init(&c, &vn);
	for (int d = 1; d <= 5; d++)
		add_window(&c, d, 8, 0, 17, 30);
	c.hol[c.def.nholidays++] = (int32_t) days_from_civil(2026, 2, 17);
	c.def.recurring[1][1] = true;
	c.def.recurring[4][30] = true;
	check(cal_prepare(&c.def) == CAL_OK, "prepare");
	check(c.def.week_total == 5 * (9 * HOUR_US + 30 * MIN_US), "week total 47.5 h");

	/* Mon 2026-01-05 16:00 + 4 h = Tue 10:30 (1.5 h on Monday) */
	check(cal_add(&c.def, at(2026, 1, 5, 16, 0, off), 4 * HOUR_US, &r) == CAL_OK
		  && r == at(2026, 1, 6, 10, 30, off), "overnight carry");
	/* Fri 2026-01-09 17:00 + 1 h = Mon 08:30 */
	check(cal_add(&c.def, at(2026, 1, 9, 17, 0, off), HOUR_US, &r) == CAL_OK
		  && r == at(2026, 1, 12, 8, 30, off), "weekend skipped");
	/* exactly to the end of the window stays on Friday */
	check(cal_add(&c.def, at(2026, 1, 9, 17, 0, off), 30 * MIN_US, &r) == CAL_OK
		  && r == at(2026, 1, 9, 17, 30, off), "end of window");
	/* start on Saturday */
	check(cal_add(&c.def, at(2026, 1, 10, 12, 0, off), HOUR_US, &r) == CAL_OK
		  && r == at(2026, 1, 12, 9, 0, off), "start outside windows");
	/* zero duration keeps the start, even outside windows */
	check(cal_add(&c.def, at(2026, 1, 10, 12, 0, off), 0, &r) == CAL_OK
		  && r == at(2026, 1, 10, 12, 0, off), "zero duration");
	/* Wed 2025-12-31 17:00 + 1 h: Jan 1 (recurring) off -> Fri 2026-01-02 08:30 */
	check(cal_add(&c.def, at(2025, 12, 31, 17, 0, off), HOUR_US, &r) == CAL_OK
		  && r == at(2026, 1, 2, 8, 30, off), "recurring holiday at year end");
	/* Mon 2026-02-16 17:00 + 1 h: Feb 17 (one-off) off -> Wed 08:30 */
	check(cal_add(&c.def, at(2026, 2, 16, 17, 0, off), HOUR_US, &r) == CAL_OK
		  && r == at(2026, 2, 18, 8, 30, off), "one-off holiday");
	/* a full year: 2026 has 261 weekdays, less Jan 1 (Thu), Feb 17 (Tue), Apr 30 (Thu) = 258 */
	check(cal_between(&c.def, at(2026, 1, 1, 0, 0, off), at(2027, 1, 1, 0, 0, off), &r) == CAL_OK
		  && r == 258 * (9 * HOUR_US + 30 * MIN_US), "whole year");
	check(cal_between(&c.def, at(2027, 1, 1, 0, 0, off), at(2026, 1, 1, 0, 0, off), &r) == CAL_OK
		  && r == -258 * (9 * HOUR_US + 30 * MIN_US), "reversed is negative");
	check(cal_add(&c.def, at(2026, 1, 1, 0, 0, off), -1, &r) == CAL_BAD_INPUT, "negative duration");
	check(cal_is_working_day(&c.def, (int32_t) days_from_civil(2026, 1, 5)), "monday works");
	check(!cal_is_working_day(&c.def, (int32_t) days_from_civil(2026, 1, 10)), "saturday off");
	check(!cal_is_working_day(&c.def, (int32_t) days_from_civil(2030, 4, 30)), "recurring off");

	/* Feb 29 recurring: only leap years */
	cal_init(&c, &vn);
	for (int d = 0; d < 7; d++)
		add_window(&c, d, 0, 0, 24, 0);
	c.def.recurring[2][29] = true;
	cal_prepare(&c.def);
	check(cal_between(&c.def, at(2027, 1, 1, 0, 0, off), at(2028, 1, 1, 0, 0, off), &r) == CAL_OK
		  && r == 365 * DAY_US, "no Feb 29 in 2027");
	check(cal_between(&c.def, at(2028, 1, 1, 0, 0, off), at(2029, 1, 1, 0, 0, off), &r) == CAL_OK
		  && r == 365 * DAY_US, "Feb 29 2028 off");

	/* no working time */
	cal_init(&c, &vn);
	cal_prepare(&c.def);
	check(cal_add(&c.def, 0, HOUR_US, &r) == CAL_NO_WORKING_TIME, "no windows");
	check(cal_between(&c.def, 0, HOUR_US, &r) == CAL_NO_WORKING_TIME, "no windows: between");
	check(cal_between(&c.def, HOUR_US, 0, &r) == CAL_NO_WORKING_TIME, "no windows: between reversed");
	r = -1;
	check(cal_between(&c.def, HOUR_US, HOUR_US, &r) == CAL_OK && r == 0, "no windows: between(a, a) = 0");
	check(cal_add(&c.def, HOUR_US, 0, &r) == CAL_OK && r == HOUR_US, "no windows: add(a, 0) = a");
	/* windows but every date a holiday */
	cal_init(&c, &vn);
	add_window(&c, 1, 8, 0, 9, 0);
	for (int m = 1; m <= 12; m++)
		for (int d = 1; d <= 31; d++)
			c.def.recurring[m][d] = true;
	cal_prepare(&c.def);
	check(cal_add(&c.def, 0, HOUR_US, &r) == CAL_NO_WORKING_TIME, "all holidays");
	/* overlapping windows are merged */
	cal_init(&c, &vn);
	add_window(&c, 1, 8, 0, 12, 0);
	add_window(&c, 1, 11, 0, 13, 0);
	add_window(&c, 1, 13, 0, 14, 0);
	cal_prepare(&c.def);
	check(c.def.nwindows[1] == 1 && c.def.week_total == 6 * HOUR_US, "merge");
}

/* ---- daylight saving time ---- */

/* UTC instant of a wall-clock time read with offset h:m (east of UTC) */
static int64_t
at_off(int y, int mo, int d, int h, int mi, int oh, int om)
{
	return at(y, mo, d, h, mi, oh * 3600 + (oh < 0 ? -om : om) * 60);
}

static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	return at(y, mo, d, h, mi, 0);
}

/* a calendar of one zone with one window on the given weekday */
static void
one_window(TestCal *c, ToyZone *z, int dow, int h1, int m1, int h2, int m2)
{
	cal_init(c, z);
	add_window(c, dow, h1, m1, h2, m2);
	cal_prepare(&c->def);
}

static void
check_between(TestCal *c, int64_t a, int64_t b, int64_t want, const char *what)
{
	int64_t		r = -1;
	char		msg[200];

	snprintf(msg, sizeof(msg), "%s: %s", c->zone->name, what);
	check(cal_between(&c->def, a, b, &r) == CAL_OK && r == want, msg);
	if (r != want)
		printf("#   between got %" PRId64 " min, want %" PRId64 " min\n", r / MIN_US, want / MIN_US);
	/* the brute force agrees, and between is antisymmetric */
	snprintf(msg, sizeof(msg), "%s: %s (brute force)", c->zone->name, what);
	check(brute_between(c, a, b) == want, msg);
	snprintf(msg, sizeof(msg), "%s: %s (reversed)", c->zone->name, what);
	check(cal_between(&c->def, b, a, &r) == CAL_OK && r == -want, msg);
}

static void
check_add(TestCal *c, int64_t a, int64_t d, int64_t want, const char *what)
{
	int64_t		r = -1,
				back = -1;
	char		msg[200];

	snprintf(msg, sizeof(msg), "%s: %s", c->zone->name, what);
	check(cal_add(&c->def, a, d, &r) == CAL_OK && r == want, msg);
	if (r != want)
		printf("#   add got %" PRId64 ", want %" PRId64 " (%+" PRId64 " min)\n", r, want, (r - want) / MIN_US);
	snprintf(msg, sizeof(msg), "%s: %s (inverse)", c->zone->name, what);
	check(cal_between(&c->def, a, want, &back) == CAL_OK && back == d, msg);
}

/*
 * Each zone, both changes of 2026, windows that hold a change, start, end or lie inside the
 * skipped or repeated time; both functions. Expected values worked out by hand from the
 * definition (calendar_math.h), in UTC.
 */
static void
dst_cases(ToyZone *berlin, ToyZone *ny, ToyZone *lhi, ToyZone *chatham, ToyZone *odd)
{
	TestCal		c;

	/* Berlin: 2026-03-29 01:00Z 02:00 CET -> 03:00 CEST; 2026-10-25 01:00Z 03:00 CEST -> 02:00 CET */
	cal_init(&c, berlin);
	add_window(&c, 0, 0, 0, 8, 0);
	add_window(&c, 0, 9, 0, 10, 0);
	cal_prepare(&c.def);
	check_between(&c, utc(2026, 3, 28, 0, 0), utc(2026, 3, 30, 0, 0), 8 * HOUR_US, "spring: 00-08 is 7 h, + 09-10");
	check_between(&c, utc(2026, 10, 24, 0, 0), utc(2026, 10, 26, 0, 0), 10 * HOUR_US, "fall: 00-08 is 9 h, + 09-10");
	check_add(&c, at_off(2026, 3, 29, 0, 0, 1, 0), 7 * HOUR_US, at_off(2026, 3, 29, 8, 0, 2, 0), "spring: 7 h end at 08:00 CEST");
	check_add(&c, at_off(2026, 10, 25, 0, 0, 2, 0), 9 * HOUR_US, at_off(2026, 10, 25, 8, 0, 1, 0), "fall: 9 h end at 08:00 CET");
	check_add(&c, at_off(2026, 10, 25, 0, 0, 2, 0), 9 * HOUR_US + MIN_US, at_off(2026, 10, 25, 9, 1, 1, 0), "fall: 9 h 1 min is 09:01 CET");
	check_add(&c, at_off(2026, 10, 25, 2, 30, 1, 0), 30 * MIN_US, at_off(2026, 10, 25, 3, 0, 1, 0), "fall: from the second 02:30");

	one_window(&c, berlin, 0, 2, 15, 2, 45);
	check_between(&c, utc(2026, 10, 24, 0, 0), utc(2026, 10, 26, 0, 0), HOUR_US, "fall: 02:15-02:45 is worked twice");
	check_add(&c, utc(2026, 10, 24, 12, 0), 30 * MIN_US, at_off(2026, 10, 25, 2, 45, 2, 0), "fall: first pass ends 02:45 CEST");
	check_add(&c, utc(2026, 10, 24, 12, 0), 31 * MIN_US, at_off(2026, 10, 25, 2, 16, 1, 0), "fall: second pass from 02:15 CET");
	check_add(&c, utc(2026, 10, 24, 12, 0), HOUR_US, at_off(2026, 10, 25, 2, 45, 1, 0), "fall: second pass ends 02:45 CET");
	check_between(&c, utc(2026, 3, 28, 0, 0), utc(2026, 3, 30, 0, 0), 0, "spring: 02:15-02:45 does not exist");
	check_add(&c, utc(2026, 3, 28, 0, 0), MIN_US, at_off(2026, 4, 5, 2, 16, 2, 0), "spring: the window is a week later");

	one_window(&c, berlin, 0, 0, 0, 2, 30);
	check_between(&c, utc(2026, 10, 24, 0, 0), utc(2026, 10, 26, 0, 0), 3 * HOUR_US, "fall: 00:00-02:30 ends twice: 3 h");
	check_add(&c, at_off(2026, 10, 25, 0, 0, 2, 0), 150 * MIN_US, at_off(2026, 10, 25, 2, 30, 2, 0), "fall: pause at 02:30 CEST");
	check_add(&c, at_off(2026, 10, 25, 0, 0, 2, 0), 151 * MIN_US, at_off(2026, 10, 25, 2, 1, 1, 0), "fall: resume at 02:00 CET");
	check_between(&c, utc(2026, 3, 28, 0, 0), utc(2026, 3, 30, 0, 0), 2 * HOUR_US, "spring: 00:00-02:30 ends at the jump: 2 h");
	check_add(&c, at_off(2026, 3, 29, 0, 0, 1, 0), 2 * HOUR_US, utc(2026, 3, 29, 1, 0), "spring: 2 h end at the jump");
	/* the last second before the change reads 02:59:59 CEST, outside the window (either reading of the zone callback) */
	for (int strict = 0; strict <= 1; strict++)
	{
		int64_t		r = -1;

		berlin->strict = strict;
		check(cal_between(&c.def, utc(2026, 10, 25, 0, 59) + 59 * CAL_USECS_PER_SEC, utc(2026, 10, 25, 2, 0), &r) == CAL_OK
			  && r == 30 * MIN_US, strict ? "Berlin: last second of CEST (strict zone)" : "Berlin: last second of CEST");
		check(cal_between(&c.def, utc(2026, 10, 25, 1, 0) - 1, utc(2026, 10, 25, 2, 0), &r) == CAL_OK
			  && r == 30 * MIN_US, strict ? "Berlin: last microsecond of CEST (strict zone)" : "Berlin: last microsecond of CEST");
		check(cal_between(&c.def, utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 1, 0) + 1, &r) == CAL_OK
			  && r == 30 * MIN_US + 1, strict ? "Berlin: first microsecond of CET (strict zone)" : "Berlin: first microsecond of CET");
	}
	berlin->strict = false;

	one_window(&c, berlin, 0, 2, 30, 5, 0);
	check_between(&c, utc(2026, 10, 24, 0, 0), utc(2026, 10, 26, 0, 0), 3 * HOUR_US, "fall: 02:30-05:00 starts twice: 3 h");
	check_add(&c, utc(2026, 10, 24, 12, 0), 31 * MIN_US, at_off(2026, 10, 25, 2, 31, 1, 0), "fall: 31 min is 02:31 CET");
	check_between(&c, utc(2026, 3, 28, 0, 0), utc(2026, 3, 30, 0, 0), 2 * HOUR_US, "spring: 02:30-05:00 starts at 03:00 CEST: 2 h");
	check_add(&c, utc(2026, 3, 28, 0, 0), MIN_US, at_off(2026, 3, 29, 3, 1, 2, 0), "spring: first minute ends 03:01 CEST");

	/* New York: 2026-03-08 07:00Z 02:00 EST -> 03:00 EDT; 2026-11-01 06:00Z 02:00 EDT -> 01:00 EST */
	one_window(&c, ny, 0, 0, 0, 8, 0);
	check_between(&c, utc(2026, 3, 7, 0, 0), utc(2026, 3, 9, 0, 0), 7 * HOUR_US, "spring: 00-08 is 7 h");
	check_between(&c, utc(2026, 10, 31, 0, 0), utc(2026, 11, 2, 0, 0), 9 * HOUR_US, "fall: 00-08 is 9 h");
	check_add(&c, at_off(2026, 11, 1, 0, 0, -4, 0), 9 * HOUR_US, at_off(2026, 11, 1, 8, 0, -5, 0), "fall: 9 h end at 08:00 EST");
	check_add(&c, at_off(2026, 3, 8, 0, 0, -5, 0), 7 * HOUR_US, at_off(2026, 3, 8, 8, 0, -4, 0), "spring: 7 h end at 08:00 EDT");
	one_window(&c, ny, 0, 1, 15, 1, 45);
	check_between(&c, utc(2026, 10, 31, 0, 0), utc(2026, 11, 2, 0, 0), HOUR_US, "fall: 01:15-01:45 twice");
	check_add(&c, utc(2026, 10, 31, 0, 0), 45 * MIN_US, at_off(2026, 11, 1, 1, 30, -5, 0), "fall: 45 min is 01:30 EST");
	check_between(&c, utc(2026, 3, 7, 0, 0), utc(2026, 3, 9, 0, 0), 30 * MIN_US, "spring: 01:15-01:45 is before the gap");
	one_window(&c, ny, 0, 2, 15, 2, 45);
	check_between(&c, utc(2026, 3, 7, 0, 0), utc(2026, 3, 9, 0, 0), 0, "spring: 02:15-02:45 does not exist");
	check_between(&c, utc(2026, 10, 31, 0, 0), utc(2026, 11, 2, 0, 0), 30 * MIN_US, "fall: 02:15-02:45 is after the repeat");

	/* Lord Howe: 2026-04-04 15:00Z 02:00 +11 -> 01:30 +10:30; 2026-10-03 15:30Z 02:00 +10:30 -> 02:30 +11 */
	one_window(&c, lhi, 0, 0, 0, 8, 0);
	check_between(&c, utc(2026, 4, 3, 0, 0), utc(2026, 4, 6, 0, 0), 8 * HOUR_US + 30 * MIN_US, "fall: 00-08 is 8.5 h");
	check_between(&c, utc(2026, 10, 2, 0, 0), utc(2026, 10, 5, 0, 0), 7 * HOUR_US + 30 * MIN_US, "spring: 00-08 is 7.5 h");
	check_add(&c, at_off(2026, 4, 5, 0, 0, 11, 0), 8 * HOUR_US + 30 * MIN_US, at_off(2026, 4, 5, 8, 0, 10, 30), "fall: 8.5 h end at 08:00 +10:30");
	check_add(&c, at_off(2026, 10, 4, 0, 0, 10, 30), 2 * HOUR_US, at_off(2026, 10, 4, 2, 30, 11, 0), "spring: 2 h end at the jump");
	check_add(&c, at_off(2026, 10, 4, 0, 0, 10, 30), 2 * HOUR_US + MIN_US, at_off(2026, 10, 4, 2, 31, 11, 0), "spring: then 02:31 +11");
	one_window(&c, lhi, 0, 1, 40, 1, 50);
	check_between(&c, utc(2026, 4, 3, 0, 0), utc(2026, 4, 6, 0, 0), 20 * MIN_US, "fall: 01:40-01:50 twice");
	check_add(&c, utc(2026, 4, 3, 0, 0), 15 * MIN_US, at_off(2026, 4, 5, 1, 45, 10, 30), "fall: 15 min is the second 01:45");
	one_window(&c, lhi, 0, 2, 10, 2, 40);
	check_between(&c, utc(2026, 10, 2, 0, 0), utc(2026, 10, 5, 0, 0), 10 * MIN_US, "spring: 02:10-02:40 starts at 02:30");
	check_add(&c, utc(2026, 10, 2, 0, 0), MIN_US, at_off(2026, 10, 4, 2, 31, 11, 0), "spring: first minute ends 02:31 +11");
	check_between(&c, utc(2026, 4, 3, 0, 0), utc(2026, 4, 6, 0, 0), 30 * MIN_US, "fall: 02:10-02:40 after the repeat");
	one_window(&c, lhi, 0, 1, 45, 2, 15);
	check_between(&c, utc(2026, 4, 3, 0, 0), utc(2026, 4, 6, 0, 0), 45 * MIN_US, "fall: 01:45-02:15 starts twice");
	check_between(&c, utc(2026, 10, 2, 0, 0), utc(2026, 10, 5, 0, 0), 15 * MIN_US, "spring: 01:45-02:15 ends at the jump");
	check_add(&c, utc(2026, 10, 2, 0, 0), 15 * MIN_US, utc(2026, 10, 3, 15, 30), "spring: 15 min end at the jump");

	/* Chatham: 2026-04-04 14:00Z 03:45 +13:45 -> 02:45 +12:45; 2026-09-26 14:00Z 02:45 +12:45 -> 03:45 +13:45 */
	one_window(&c, chatham, 0, 0, 0, 8, 0);
	check_between(&c, utc(2026, 4, 3, 0, 0), utc(2026, 4, 6, 0, 0), 9 * HOUR_US, "fall: 00-08 is 9 h");
	check_between(&c, utc(2026, 9, 25, 0, 0), utc(2026, 9, 28, 0, 0), 7 * HOUR_US, "spring: 00-08 is 7 h");
	check_add(&c, at_off(2026, 4, 5, 0, 0, 13, 45), 9 * HOUR_US, at_off(2026, 4, 5, 8, 0, 12, 45), "fall: 9 h end at 08:00 +12:45");
	check_add(&c, at_off(2026, 9, 27, 0, 0, 12, 45), 3 * HOUR_US, at_off(2026, 9, 27, 4, 0, 13, 45), "spring: 3 h end at 04:00 +13:45");
	one_window(&c, chatham, 0, 3, 0, 3, 30);
	check_between(&c, utc(2026, 4, 3, 0, 0), utc(2026, 4, 6, 0, 0), HOUR_US, "fall: 03:00-03:30 twice");
	check_between(&c, utc(2026, 9, 25, 0, 0), utc(2026, 9, 28, 0, 0), 0, "spring: 03:00-03:30 does not exist");
	one_window(&c, chatham, 0, 3, 30, 4, 30);
	check_between(&c, utc(2026, 4, 3, 0, 0), utc(2026, 4, 6, 0, 0), 75 * MIN_US, "fall: 03:30-04:30 starts twice");
	check_add(&c, utc(2026, 4, 3, 0, 0), 16 * MIN_US, at_off(2026, 4, 5, 3, 31, 12, 45), "fall: 16 min is the second 03:31");
	check_between(&c, utc(2026, 9, 25, 0, 0), utc(2026, 9, 28, 0, 0), 45 * MIN_US, "spring: 03:30-04:30 starts at 03:45");
	check_add(&c, utc(2026, 9, 25, 0, 0), MIN_US, at_off(2026, 9, 27, 3, 46, 13, 45), "spring: first minute ends 03:46");

	/* odd zone: Wed 2026-12-30 does not exist; Sun 2027-06-06 23:00 - Mon 02:00 happens twice */
	cal_init(&c, odd);
	for (int d = 0; d < 7; d++)
		add_window(&c, d, 9, 0, 17, 0);
	cal_prepare(&c.def);
	check_between(&c, at_off(2026, 12, 28, 0, 0, -10, 0), at_off(2027, 1, 4, 0, 0, 14, 0), 48 * HOUR_US, "a week without its Wednesday");
	check_add(&c, at_off(2026, 12, 29, 17, 0, -10, 0), MIN_US, at_off(2026, 12, 31, 9, 1, 14, 0), "Tuesday evening to Thursday");
	one_window(&c, odd, 1, 0, 0, 1, 0);
	check_between(&c, utc(2027, 6, 6, 0, 0), utc(2027, 6, 8, 0, 0), 2 * HOUR_US, "Monday 00:00-01:00 twice");
	check_add(&c, utc(2027, 6, 6, 0, 0), HOUR_US + MIN_US, utc(2027, 6, 6, 13, 1), "the second Monday 00:01");
	cal_init(&c, odd);
	for (int d = 0; d < 7; d++)
		add_window(&c, d, 0, 0, 24, 0);
	cal_prepare(&c.def);
	check_between(&c, at_off(2027, 6, 6, 0, 0, 14, 0), at_off(2027, 6, 8, 0, 0, 11, 0), 51 * HOUR_US, "around the clock: 48 h + 3 repeated");
}

/*
 * Long spans: between and add over many years cost a number of steps that grows with the weeks
 * spanned and the offset changes crossed, not with the days: at most one step per whole week,
 * and around each change (and at both ends) the days to the next Sunday and after the last one.
 */
static int	ticks;

static void
count_tick(void)
{
	ticks++;
}

static void
long_spans(ToyZone *berlin, ToyZone *chatham)
{
	ToyZone    *zones[2] = {berlin, chatham};

	for (int k = 0; k < 2; k++)
	{
		TestCal		c;
		int64_t		a = utc(2001, 1, 3, 12, 0),
					b = utc(2101, 1, 3, 12, 0),
					r,
					t;
		int64_t		weeks = (b - a) / (7 * DAY_US) + 1;
		int64_t		changes = toy_changes_through(zones[k], b / CAL_USECS_PER_SEC)
			- toy_changes_through(zones[k], a / CAL_USECS_PER_SEC);
		int64_t		bound = weeks + 16 * (changes + 1);
		char		msg[200];

		cal_init(&c, zones[k]);
		for (int d = 0; d < 7; d++)
			add_window(&c, d, 1, 0, 4, 0);	/* holds every change of both zones */
		add_window(&c, 1, 9, 0, 17, 0);
		c.def.recurring[12][25] = true;
		cal_prepare(&c.def);
		c.def.check_interrupts = count_tick;

		ticks = 0;
		snprintf(msg, sizeof(msg), "%s: between over 100 years in at most %" PRId64 " steps", zones[k]->name, bound);
		check(cal_between(&c.def, a, b, &r) == CAL_OK && ticks <= bound / CAL_CHECK_INTERVAL, msg);
		/* a day-by-day walk takes 36,525 steps: the bound must tell them apart */
		check(bound < 36525 / 2, "the step bound is meaningful");
		ticks = 0;
		snprintf(msg, sizeof(msg), "%s: add over 100 years in at most %" PRId64 " steps", zones[k]->name, bound);
		check(cal_add(&c.def, a, r, &t) == CAL_OK && ticks <= bound / CAL_CHECK_INTERVAL, msg);
		snprintf(msg, sizeof(msg), "%s: add over 100 years is the inverse of between", zones[k]->name);
		check(t <= b && cal_between(&c.def, a, t, &r) == CAL_OK && cal_between(&c.def, t, b, &r) == CAL_OK
			  && r == 0, msg);
		/* the two changes of a year cancel out: a year is 365 or 366 days of 3 h (+8 h on Mondays) less Dec 25 */
		snprintf(msg, sizeof(msg), "%s: a year across both changes", zones[k]->name);
		check(cal_between(&c.def, utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0), &r) == CAL_OK
			  && r == 364 * 3 * HOUR_US + 52 * 8 * HOUR_US, msg);
	}
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int
rand_int(int n)
{
	return (int) (next_rand() % (uint64_t) n);
}

static void
random_calendar(TestCal *c, ToyZone *zone)
{
	/* Sunday windows with a boundary in the skipped or repeated time of one of the zones */
	static const int odd_starts[] = {75, 100, 105, 135, 160, 170, 195, 215, 225};

	cal_init(c, zone);
	for (int d = 0; d < 7; d++)
	{
		int			n = rand_int(4);

		for (int i = 0; i < n; i++)
		{
			int			s = rand_int(24 * 4) * 15,
						e = s + 15 + rand_int(8 * 4) * 15;

			if (e > 24 * 60)
				e = 24 * 60;
			add_window(c, d, s / 60, s % 60, e / 60, e % 60);
		}
	}
	if (rand_int(10) < 7)
	{
		int			s = odd_starts[rand_int(9)],
					e = s + 10 + rand_int(4) * 10;

		add_window(c, rand_int(5) ? 0 : 1 + rand_int(6), s / 60, s % 60, e / 60, e % 60);
	}
	for (int i = 0; i < 6; i++)
		c->hol[c->def.nholidays++] = (int32_t) (days_from_civil(2026, 1, 1) + rand_int(800));
	for (int i = 0; i < 3; i++)
	{
		int			m = 1 + rand_int(12);

		c->def.recurring[m][1 + rand_int(m == 2 ? 29 : 30)] = true;
	}
}

/* a random instant on a whole minute: half of them within 3 days of a 2026/2027 change of the zone */
static int64_t
random_instant(const ToyZone *z)
{
	int			first = toy_changes_through(z, utc(2026, 1, 1, 0, 0) / CAL_USECS_PER_SEC),
				last = toy_changes_through(z, utc(2028, 1, 1, 0, 0) / CAL_USECS_PER_SEC);

	if (last > first && rand_int(2))
		return z->at[first + rand_int(last - first)] * CAL_USECS_PER_SEC - 3 * DAY_US
			+ rand_int(6 * 24 * 60) * MIN_US;
	return utc(2026, 1, 1, 0, 0) + (int64_t) rand_int(730 * 24 * 60) * MIN_US;
}

static void
random_cases(ToyZone **zones, int nzones, int rounds)
{
	int			mismatch_brute = 0,
				mismatch_round = 0,
				mismatch_first = 0,
				mismatch_inverse = 0,
				trials = 0;

	for (int k = 0; k < rounds; k++)
	{
		ToyZone    *zone = zones[k % nzones];
		TestCal		c;
		int64_t		a,
					b,
					r,
					d,
					t,
					back;

		random_calendar(&c, zone);
		if (cal_prepare(&c.def) != CAL_OK || c.def.week_total == 0)
			continue;
		trials++;
		a = random_instant(zone);
		b = a + rand_int(4 * 24 * 60) * MIN_US;
		if (cal_between(&c.def, a, b, &r) != CAL_OK || r != brute_between(&c, a, b))
		{
			if (mismatch_brute++ < 5)
				printf("# brute (%s): a=%" PRId64 " b=%" PRId64 " got %" PRId64 " want %" PRId64 "\n",
					   zone->name, a, b, r, brute_between(&c, a, b));
		}
		/* add inverts between when the minute before b is business time */
		else if (r > 0 && business_reading(&c, local_of(zone, b - MIN_US))
				 && (cal_add(&c.def, a, r, &t) != CAL_OK || t != b))
		{
			if (mismatch_inverse++ < 5)
				printf("# inverse (%s): a=%" PRId64 " b=%" PRId64 " got %" PRId64 "\n", zone->name, a, b, t);
		}
		/* round trip, short and long (up to ~3 years of 24 h days) */
		d = (k % 3 == 0) ? (int64_t) rand_int(20000) * HOUR_US + rand_int(3600) * CAL_USECS_PER_SEC
			: (int64_t) rand_int(60 * 60) * MIN_US + 7;
		if (cal_add(&c.def, a, d, &t) != CAL_OK || cal_between(&c.def, a, t, &back) != CAL_OK || back != d)
		{
			if (mismatch_round++ < 5)
				printf("# round trip (%s): a=%" PRId64 " d=%" PRId64 "\n", zone->name, a, d);
		}
		/* and add returns the first such instant: one microsecond earlier falls short */
		else if (d > 0 && (cal_between(&c.def, a, t - 1, &back) != CAL_OK || back >= d))
			mismatch_first++;
	}
	check(trials > rounds * 3 / 4, "enough random calendars with working time");
	check(mismatch_brute == 0, "between agrees with the minute-by-minute count");
	check(mismatch_inverse == 0, "add(a, between(a, b)) = b when b ends business time");
	check(mismatch_round == 0, "between(a, add(a, d)) = d");
	check(mismatch_first == 0, "add returns the first instant");
}

/*
 * Instants a microsecond or a second before or after an offset change, with the callback read
 * both ways (changes at t reported or skipped): the minutes on either side of a change are
 * homogeneous, so the expected value is the brute force from the change on, plus or minus the
 * part of the minute around it.
 */
static void
change_edges(ToyZone **zones, int nzones)
{
	int			trials = 0,
				mismatches = 0;

	for (int k = 0; k < nzones; k++)
	{
		ToyZone    *z = zones[k];
		int			first = toy_changes_through(z, utc(2026, 1, 1, 0, 0) / CAL_USECS_PER_SEC),
					last = toy_changes_through(z, utc(2028, 1, 1, 0, 0) / CAL_USECS_PER_SEC);
		bool		strict = z->strict;

		for (int i = first; i < last; i++)
			for (int j = 0; j < 8; j++)
			{
				int64_t		change = z->at[i] * CAL_USECS_PER_SEC;
				int64_t		gap = (j & 1) ? CAL_USECS_PER_SEC : 1;
				int64_t		b = change + (1 + rand_int(3 * 24 * 60)) * MIN_US;
				int64_t		from_change,
							want_before,
							want_after,
							r = 0,
							t = 0;
				TestCal		c;

				random_calendar(&c, z);
				if (cal_prepare(&c.def) != CAL_OK || c.def.week_total == 0)
					continue;
				z->strict = (j & 2) != 0;
				trials++;
				from_change = brute_between(&c, change, b);
				want_before = from_change + gap * business_reading(&c, local_of(z, change - MIN_US));
				want_after = from_change - gap * business_reading(&c, local_of(z, change));
				if (cal_between(&c.def, change - gap, b, &r) != CAL_OK || r != want_before
					|| cal_between(&c.def, change + gap, b, &r) != CAL_OK || r != want_after
					|| (business_reading(&c, local_of(z, b - MIN_US)) && want_before > 0
						&& (cal_add(&c.def, change - gap, want_before, &t) != CAL_OK || t != b)))
				{
					if (mismatches++ < 5)
						printf("# edge (%s%s): change=%" PRId64 " gap=%" PRId64 " b=%" PRId64 "\n",
							   z->name, z->strict ? ", strict" : "", change, gap, b);
				}
			}
		z->strict = strict;
	}
	check(trials > 100, "enough trials around changes");
	check(mismatches == 0, "instants a microsecond or a second around a change");
}

int
main(void)
{
	static ToyZone berlin,
				ny,
				lhi,
				chatham,
				odd,
				plus7,
				minus330;
	ToyZone    *zones[] = {&berlin, &ny, &lhi, &chatham, &odd, &plus7, &minus330};
	const char *env = getenv("CALENDAR_TEST_ROUNDS");	/* more for a longer fuzzing run */
	int			rounds = env ? atoi(env) : 700;

	if (rounds < 7)
		rounds = 7;
	toy_berlin(&berlin);
	toy_new_york(&ny);
	toy_lord_howe(&lhi);
	toy_chatham(&chatham);
	toy_odd(&odd);
	toy_fixed(&plus7, "+07", 7 * 3600);
	toy_fixed(&minus330, "-03:30", -(3 * 3600 + 1800));
	known_cases();
	dst_cases(&berlin, &ny, &lhi, &chatham, &odd);
	long_spans(&berlin, &chatham);
	random_cases(zones, 7, rounds);
	change_edges(zones, 7);
	printf("calendar unit: %d passed, %d failed\n", passed, failed);
	if (getenv("HD_RESULT_FILE") != NULL)
	{
		/* for tests/run.sh, which reads this rather than the text */
		FILE	   *f = fopen(getenv("HD_RESULT_FILE"), "w");

		if (f != NULL)
		{
			fprintf(f, "%d %d\n", passed, failed);
			fclose(f);
		}
	}
	return failed ? 1 : 0;
}
