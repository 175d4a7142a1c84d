/*
 * calendar_core.c: the business-time core (extension/calendar_math.c) timed alone, without
 * PostgreSQL, for bench/calendar_core.sh, which builds it against two versions of the core and
 * runs them in turn. Prints one line per workload: "<name> <nanoseconds per call> <checksum>
 * <calls>" (the checksum, a sum of the results, keeps the calls from being optimized away and
 * shows whether two versions agree on a workload).
 *
 * The calendar is the seed's (Monday to Friday 08:00-17:30, the 2026 holidays), in a zone
 * without DST (+07:00) and in one with the EU rules (+01:00/+02:00, changes at 01:00 UTC on the
 * last Sundays of March and October). The zone callback skips a change exactly at t, as
 * PostgreSQL's pg_next_dst_boundary does.
 *
 *   calendar_core [calls [workload]]   calls per workload (default 200000; long spans fewer),
 *                                      only the workload named (all by default)
 */
#include "calendar_math.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIN_US	(60 * CAL_USECS_PER_SEC)
#define HOUR_US (60 * MIN_US)

typedef struct Zone
{
	int64_t		base;
	int			n;
	int64_t		at[200];
	int64_t		off[200];
} Zone;

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

/* the first change after t (binary search) */
static int
zone_boundary(void *arg, int64_t t, int64_t *before, int64_t *boundary, int64_t *after)
{
	Zone	   *z = arg;
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
	*before = lo == 0 ? z->base : z->off[lo - 1];
	if (lo == z->n)
		return 0;
	*boundary = z->at[lo];
	*after = z->off[lo];
	return 1;
}

static void
zone_eu(Zone *z)
{
	z->base = 3600;
	z->n = 0;
	for (int y = 1995; y <= 2090; y++)
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

typedef struct Seed
{
	CalDef		def;
	CalWindow	w[7][1];
	int32_t		hol[8];
} Seed;

static void
seed_calendar(Seed *c, Zone *z)
{
	static const int one_off[][3] = {{2026, 2, 17}, {2026, 2, 18}, {2026, 2, 19}, {2026, 2, 20}, {2026, 4, 2}};

	memset(c, 0, sizeof(*c));
	for (int d = 0; d < 7; d++)
		c->def.windows[d] = c->w[d];
	for (int d = 1; d <= 5; d++)
	{
		c->w[d][0].start = 8 * HOUR_US;
		c->w[d][0].end = 17 * HOUR_US + 30 * MIN_US;
		c->def.nwindows[d] = 1;
	}
	c->def.holidays = c->hol;
	for (int i = 0; i < 5; i++)
		c->hol[c->def.nholidays++] = (int32_t) days_from_civil(one_off[i][0], one_off[i][1], one_off[i][2]);
	c->def.recurring[1][1] = c->def.recurring[4][30] = c->def.recurring[5][1] = c->def.recurring[9][2] = true;
	c->def.tz_boundary = zone_boundary;
	c->def.tz_arg = z;
	if (cal_prepare(&c->def) != CAL_OK)
		abort();
}

static uint64_t rng;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static const char *only;

/* one workload: `calls` calls from random starts in 2026-2027; span = duration or b - a */
static void
run(const char *name, const CalDef *def, int add, int64_t span_min, int64_t span_max, long calls)
{
	int64_t		y2026 = days_from_civil(2026, 1, 1) * CAL_USECS_PER_DAY;
	int64_t		checksum = 0;
	double		t0;

	if (only && strcmp(only, name) != 0)
		return;
	rng = 88172645463325252ULL;
	t0 = now_ns();
	for (long i = 0; i < calls; i++)
	{
		int64_t		a = y2026 + (int64_t) (next_rand() % (730 * 86400)) * CAL_USECS_PER_SEC;
		int64_t		span = span_min + (int64_t) (next_rand() % (uint64_t) (span_max - span_min + 1));
		int64_t		r;
		CalStatus	st = add ? cal_add(def, a, span, &r) : cal_between(def, a, a + span, &r);

		if (st != CAL_OK)
		{
			fprintf(stderr, "%s: status %d\n", name, (int) st);
			exit(1);
		}
		checksum += r / CAL_USECS_PER_SEC;
	}
	printf("%s %.0f %" PRId64 " %ld\n", name, (now_ns() - t0) / calls, checksum, calls);
}

int
main(int argc, char **argv)
{
	static Zone fixed,
				eu;
	static Seed cal_fixed,
				cal_eu;
	long		calls = argc > 1 ? atol(argv[1]) : 200000;
	int64_t		day = CAL_USECS_PER_DAY;

	if (calls < 1000)
		calls = 1000;
	only = argc > 2 ? argv[2] : NULL;
	fixed.base = 7 * 3600;
	zone_eu(&eu);
	seed_calendar(&cal_fixed, &fixed);
	seed_calendar(&cal_eu, &eu);

	run("add_1-72h_fixed", &cal_fixed.def, 1, HOUR_US, 72 * HOUR_US, calls);
	run("add_1-72h_dst", &cal_eu.def, 1, HOUR_US, 72 * HOUR_US, calls);
	run("between_1-7d_fixed", &cal_fixed.def, 0, day, 7 * day, calls);
	run("between_1-7d_dst", &cal_eu.def, 0, day, 7 * day, calls);
	run("add_2000h_fixed", &cal_fixed.def, 1, 2000 * HOUR_US, 2000 * HOUR_US, calls / 10);
	run("add_2000h_dst", &cal_eu.def, 1, 2000 * HOUR_US, 2000 * HOUR_US, calls / 10);
	run("between_20y_fixed", &cal_fixed.def, 0, 7305 * day, 7305 * day, calls / 100);
	run("between_20y_dst", &cal_eu.def, 0, 7305 * day, 7305 * day, calls / 100);
	return 0;
}
