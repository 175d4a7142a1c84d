/*
 * calendar_test.c: unit test of extension/calendar_math.c without PostgreSQL.
 *
 * Known cases on a fixed-offset zone, then a randomized comparison with a brute-force count,
 * minute by minute, on a toy zone with daylight saving time (+01:00, +02:00 in summer, changes
 * at 01:00 UTC as in the EU), random split shifts and both kinds of holidays:
 *   - cal_between(a, b) equals the brute-force count of business minutes in [a, b);
 *   - cal_between(a, cal_add(a, d)) == d, and cal_add lands at the first instant where that holds.
 * Prints "calendar unit: N passed, M failed" (and writes "N M" to $HD_RESULT_FILE when set);
 * exits 1 on any failure. CALENDAR_TEST_ROUNDS sets the number of random calendars (default 400).
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
	int64_t		base;			/* offset before the first change, seconds */
	int			n;
	int64_t		at[400];		/* UTC seconds since 2000-01-01 */
	int64_t		off[400];		/* offset from at[i] on */
} ToyZone;

static int
toy_boundary(void *arg, int64_t t, int64_t *before, int64_t *boundary, int64_t *after)
{
	ToyZone    *z = arg;
	int			i;

	for (i = 0; i < z->n; i++)
		if (t <= z->at[i])
			break;
	*before = i == 0 ? z->base : z->off[i - 1];
	if (i == z->n)
		return 0;
	*boundary = z->at[i];
	*after = z->off[i];
	return 1;
}

static void
toy_fixed(ToyZone *z, int64_t off)
{
	z->base = off;
	z->n = 0;
}

/* +01:00, +02:00 from the last Sunday of March to the last Sunday of October, 01:00 UTC. */
static void
toy_eu(ToyZone *z)
{
	z->base = 3600;
	z->n = 0;
	for (int y = 1995; y <= 2060; y++)
	{
		int64_t		mar = days_from_civil(y, 3, 31),
					oct = days_from_civil(y, 10, 31);

		mar -= cal_dow(mar);
		oct -= cal_dow(oct);
		z->at[z->n] = mar * 86400 + 3600;
		z->off[z->n++] = 7200;
		z->at[z->n] = oct * 86400 + 3600;
		z->off[z->n++] = 3600;
	}
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

static int64_t
local_of(const ToyZone *z, int64_t utc)
{
	int64_t		sec = utc / CAL_USECS_PER_SEC,
				off = z->base;

	if (utc < 0 && utc % CAL_USECS_PER_SEC)
		sec--;
	for (int i = 0; i < z->n && z->at[i] <= sec; i++)
		off = z->off[i];
	return utc + off * CAL_USECS_PER_SEC;
}

/* is the running-max wall clock reading m business time? */
static int
business_reading(const TestCal *c, int64_t m)
{
	int64_t		day = m / DAY_US - (m < 0 && m % DAY_US ? 1 : 0);
	int64_t		tod = m - day * DAY_US;
	int			dow = cal_dow(day);

	if (cal_is_holiday(&c->def, (int32_t) day))
		return 0;
	for (int i = 0; i < c->def.nwindows[dow]; i++)
		if (c->def.windows[dow][i].start <= tod && tod < c->def.windows[dow][i].end)
			return 1;
	return 0;
}

/* business time in [a, b), a and b on whole minutes, counted minute by minute */
static int64_t
brute_between(const TestCal *c, int64_t a, int64_t b)
{
	int64_t		m = INT64_MIN,
				count = 0;

	for (int64_t u = a - 2 * DAY_US; u < a; u += MIN_US)
	{
		int64_t		l = local_of(c->zone, u);

		if (l > m)
			m = l;
	}
	for (int64_t u = a; u < b; u += MIN_US)
	{
		int64_t		l = local_of(c->zone, u);

		if (l > m)
			m = l;
		count += business_reading(c, m);
	}
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

	toy_fixed(&vn, off);
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

/* DST in the toy EU zone: 2026-03-29 01:00 UTC (02:00 -> 03:00), 2026-10-25 01:00 UTC (03:00 -> 02:00) */
static void
dst_cases(ToyZone *eu)
{
	TestCal		c;
	int64_t		r;

	cal_init(&c, eu);
	add_window(&c, 0, 0, 0, 8, 0);	/* Sundays 00:00-08:00 */
	add_window(&c, 0, 9, 0, 10, 0);
	cal_prepare(&c.def);
	check(cal_between(&c.def, at(2026, 3, 28, 0, 0, 0), at(2026, 3, 30, 0, 0, 0), &r) == CAL_OK
		  && r == 8 * HOUR_US, "spring forward: 00-08 is 7 h, plus 09-10");
	check(cal_between(&c.def, at(2026, 10, 24, 0, 0, 0), at(2026, 10, 26, 0, 0, 0), &r) == CAL_OK
		  && r == 10 * HOUR_US, "fall back: 00-08 is 9 h, plus 09-10");
	/* a window inside the gap is empty */
	cal_init(&c, eu);
	add_window(&c, 0, 2, 0, 2, 30);
	add_window(&c, 0, 3, 0, 4, 0);
	cal_prepare(&c.def);
	check(cal_between(&c.def, at(2026, 3, 28, 0, 0, 0), at(2026, 3, 30, 0, 0, 0), &r) == CAL_OK
		  && r == HOUR_US, "window in the gap counts nothing");
	/* 02:00-03:00 on the fall-back night is two real hours */
	cal_init(&c, eu);
	add_window(&c, 0, 2, 0, 3, 0);
	cal_prepare(&c.def);
	check(cal_between(&c.def, at(2026, 10, 24, 0, 0, 0), at(2026, 10, 26, 0, 0, 0), &r) == CAL_OK
		  && r == 2 * HOUR_US, "repeated hour counted once, in its window");
	/* add across it: Sunday 02:00 CEST (00:00 UTC) + 90 min = 02:30 CET (01:30 UTC) */
	check(cal_add(&c.def, at(2026, 10, 25, 0, 0, 0), 90 * MIN_US, &r) == CAL_OK
		  && r == at(2026, 10, 25, 1, 30, 0), "add through the repeated hour");
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
	if (rand_int(10) == 0)
		add_window(c, 0, 1, 30, 3, 30);	/* across both changes of the toy zone */
	for (int i = 0; i < 6; i++)
		c->hol[c->def.nholidays++] = (int32_t) (days_from_civil(2026, 1, 1) + rand_int(800));
	for (int i = 0; i < 3; i++)
	{
		int			m = 1 + rand_int(12);

		c->def.recurring[m][1 + rand_int(m == 2 ? 29 : 30)] = true;
	}
}

static void
random_cases(ToyZone *eu, int rounds)
{
	int64_t		dst[4] = {
		at(2026, 3, 29, 1, 0, 0), at(2026, 10, 25, 1, 0, 0),
		at(2027, 3, 28, 1, 0, 0), at(2027, 10, 31, 1, 0, 0)
	};
	int			mismatch_brute = 0,
				mismatch_round = 0,
				mismatch_first = 0,
				trials = 0;

	for (int k = 0; k < rounds; k++)
	{
		TestCal		c;
		int64_t		a,
					b,
					r,
					d,
					t,
					back;

		random_calendar(&c, eu);
		if (cal_prepare(&c.def) != CAL_OK || c.def.week_total == 0)
			continue;
		trials++;
		/* near a clock change or anywhere in two years, on whole minutes */
		if (k % 2)
			a = dst[rand_int(4)] - 3 * DAY_US + rand_int(6 * 24 * 60) * MIN_US;
		else
			a = at(2026, 1, 1, 0, 0, 0) + (int64_t) rand_int(730 * 24 * 60) * MIN_US;
		b = a + rand_int(4 * 24 * 60) * MIN_US;
		if (cal_between(&c.def, a, b, &r) != CAL_OK || r != brute_between(&c, a, b))
		{
			if (mismatch_brute++ < 5)
				printf("# brute: a=%" PRId64 " b=%" PRId64 " got %" PRId64 " want %" PRId64 "\n",
					   a, b, r, brute_between(&c, a, b));
		}
		/* round trip, short and long (up to ~3 years of 24 h days) */
		d = (k % 3 == 0) ? (int64_t) rand_int(20000) * HOUR_US + rand_int(3600) * CAL_USECS_PER_SEC
			: (int64_t) rand_int(60 * 60) * MIN_US + 7;
		if (cal_add(&c.def, a, d, &t) != CAL_OK || cal_between(&c.def, a, t, &back) != CAL_OK || back != d)
			mismatch_round++;
		/* and add returns the first such instant: one microsecond earlier falls short */
		else if (d > 0 && (cal_between(&c.def, a, t - 1, &back) != CAL_OK || back >= d))
			mismatch_first++;
	}
	check(trials > rounds * 3 / 4, "enough random calendars with working time");
	check(mismatch_brute == 0, "between agrees with the minute-by-minute count");
	check(mismatch_round == 0, "between(a, add(a, d)) = d");
	check(mismatch_first == 0, "add returns the first instant");
}

int
main(void)
{
	static ToyZone eu;
	const char *env = getenv("CALENDAR_TEST_ROUNDS");	/* more for a longer fuzzing run */
	int			rounds = env ? atoi(env) : 400;

	if (rounds < 4)
		rounds = 4;
	toy_eu(&eu);
	known_cases();
	dst_cases(&eu);
	random_cases(&eu, rounds);
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
