/*
 * calendar_math.c: business-time arithmetic over a weekly calendar (see calendar_math.h for the
 * exact definition of business time). Pure C: no PostgreSQL headers, so tests/unit builds it
 * alone and compares it with a brute-force count.
 *
 * Cost: both walks cut the span at the zone's offset changes (at most a few a year); between two
 * changes the wall clock runs like real time, so each stretch is counted on the wall clock alone:
 * day by day up to the next Sunday and inside the last week, whole weeks in between from the
 * weekly total less that week's holidays. So the cost grows with the number of weeks spanned
 * (plus a few days walked around each offset change), never with days or minutes.
 */
#include "calendar_math.h"

#include <stdlib.h>

/* Ten years without any working time mean the calendar has none (e.g. every date a holiday). */
#define CAL_MAX_IDLE_DAYS	3660

/*
 * Instants a walk may reach: far enough from the int64 limits that a local time (instant plus an
 * offset under CAL_MAX_OFFSET) and the days walked around it never overflow.
 */
#define CAL_MAX_DAY		(INT64_MAX / CAL_USECS_PER_DAY - 64)
#define CAL_MIN_DAY		(INT64_MIN / CAL_USECS_PER_DAY + 64)
#define CAL_MAX_INSTANT (CAL_MAX_DAY * CAL_USECS_PER_DAY)
#define CAL_MIN_INSTANT (CAL_MIN_DAY * CAL_USECS_PER_DAY)
#define CAL_MAX_OFFSET	(7 * CAL_USECS_PER_DAY)	/* real zones stay within a day */

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int
cal_dow(int64_t day)
{
	/* 2000-01-01 was a Saturday */
	int64_t		r = (day + 6) % 7;

	return (int) (r < 0 ? r + 7 : r);
}

void
cal_month_day(int64_t day, int *year, int *month, int *mday)
{
	/* days since 1970-01-01 -> civil date (H. Hinnant's algorithm) */
	int64_t		z = day + 10957 + 719468;
	int64_t		era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t		doe = z - era * 146097;
	int64_t		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t		mp = (5 * doy + 2) / 153;
	int64_t		d = doy - (153 * mp + 2) / 5 + 1;
	int64_t		m = mp < 10 ? mp + 3 : mp - 9;

	*year = (int) (yoe + era * 400 + (m <= 2));
	*month = (int) m;
	*mday = (int) d;
}

static int
cmp_window(const void *a, const void *b)
{
	const CalWindow *x = a;
	const CalWindow *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

static int
cmp_int32(const void *a, const void *b)
{
	int32_t		x = *(const int32_t *) a;
	int32_t		y = *(const int32_t *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

CalStatus
cal_prepare(CalDef *def)
{
	def->week_total = 0;
	for (int dow = 0; dow < 7; dow++)
	{
		CalWindow  *w = def->windows[dow];
		int			n = def->nwindows[dow];
		int			out = 0;

		def->day_total[dow] = 0;
		for (int i = 0; i < n; i++)
			if (w[i].start < 0 || w[i].end > CAL_USECS_PER_DAY || w[i].start >= w[i].end)
				return CAL_BAD_INPUT;
		if (n > 1)
			qsort(w, n, sizeof(CalWindow), cmp_window);
		/* merge overlapping and touching windows */
		for (int i = 0; i < n; i++)
		{
			if (out > 0 && w[i].start <= w[out - 1].end)
			{
				if (w[i].end > w[out - 1].end)
					w[out - 1].end = w[i].end;
			}
			else
				w[out++] = w[i];
		}
		def->nwindows[dow] = out;
		for (int i = 0; i < out; i++)
			def->day_total[dow] += w[i].end - w[i].start;
		def->week_total += def->day_total[dow];
	}

	if (def->nholidays > 1)
	{
		int			out = 1;

		qsort(def->holidays, def->nholidays, sizeof(int32_t), cmp_int32);
		for (int i = 1; i < def->nholidays; i++)
			if (def->holidays[i] != def->holidays[out - 1])
				def->holidays[out++] = def->holidays[i];
		def->nholidays = out;
	}
	return CAL_OK;
}

bool
cal_is_holiday(const CalDef *def, int32_t day)
{
	int			lo = 0;
	int			hi = def->nholidays - 1;
	int			y,
				m,
				d;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (def->holidays[mid] == day)
			return true;
		if (def->holidays[mid] < day)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	cal_month_day(day, &y, &m, &d);
	return def->recurring[m][d];
}

bool
cal_is_working_day(const CalDef *def, int32_t day)
{
	return def->nwindows[cal_dow(day)] > 0 && !cal_is_holiday(def, day);
}

/* One step of a walk (a day or a week): calls def->check_interrupts every CAL_CHECK_INTERVAL. */
static inline void
tick(const CalDef *def, unsigned *steps)
{
	if (def->check_interrupts && ++*steps % CAL_CHECK_INTERVAL == 0)
		def->check_interrupts();
}

/*
 * The zone around instant `at`: the offset in effect at `at` and the instant of the next offset
 * change after `at` (INT64_MAX when the zone has none). Offsets change on whole seconds, so the
 * offset of `at` is that of its second. A change exactly at that second may be reported (then
 * ask again from the next second) or skipped (PostgreSQL's), see CalTzBoundaryFn.
 */
static void
zone_segment(const CalDef *def, int64_t at, int64_t *offset, int64_t *next_change)
{
	int64_t		sec = floor_div(at, CAL_USECS_PER_SEC);
	int64_t		before,
				boundary = 0,
				after = 0;
	int			found = def->tz_boundary(def->tz_arg, sec, &before, &boundary, &after);

	if (found == 1 && boundary <= sec)
		found = def->tz_boundary(def->tz_arg, sec + 1, &before, &boundary, &after);
	if (found == 1 && boundary < INT64_MAX / CAL_USECS_PER_SEC)
		*next_change = boundary * CAL_USECS_PER_SEC;
	else
		*next_change = INT64_MAX;
	*offset = before * CAL_USECS_PER_SEC;
}

/* Business time of the week starting on (local) Sunday `sunday`: the weekly total less its holidays. */
static int64_t
week_business(const CalDef *def, int64_t sunday)
{
	int64_t		total = def->week_total;

	for (int i = 0; i < 7; i++)
		if (def->day_total[i] > 0 && cal_is_holiday(def, (int32_t) (sunday + i)))
			total -= def->day_total[i];
	return total;
}

/*
 * Business time in the wall-clock interval [from, to) (local microseconds) of a stretch of time
 * through which the zone keeps one offset: there the wall clock runs like real time, so this is
 * the sum of the windows' overlaps with [from, to). Whole weeks (Sunday to Sunday) are added
 * from the weekly total; only the days before the first and after the last whole week are walked.
 */
static int64_t
local_between(const CalDef *def, int64_t from, int64_t to, unsigned *steps)
{
	int64_t		total = 0;

	for (int64_t day = floor_div(from, CAL_USECS_PER_DAY); day * CAL_USECS_PER_DAY < to; day++)
	{
		int64_t		base = day * CAL_USECS_PER_DAY;
		int			dow = cal_dow(day);

		tick(def, steps);
		if (dow == 0 && base >= from && base <= to - 7 * CAL_USECS_PER_DAY)
		{
			total += week_business(def, day);
			day += 6;
			continue;
		}
		if (def->nwindows[dow] == 0 || cal_is_holiday(def, (int32_t) day))
			continue;
		for (int i = 0; i < def->nwindows[dow]; i++)
		{
			int64_t		us = base + def->windows[dow][i].start;
			int64_t		ue = base + def->windows[dow][i].end;

			if (us < from)
				us = from;
			if (ue > to)
				ue = to;
			if (ue > us)
				total += ue - us;
		}
	}
	return total;
}

/*
 * The walk of cal_add through the wall-clock interval [from, limit) of a stretch of time with one
 * offset (see local_between). When `*remaining` business time has passed within it: *found and
 * *result, the local instant at which it has (the end of a window when it ends exactly there).
 * Otherwise *remaining is reduced by the interval's business time. *idle_days counts the days
 * walked in full without business time, across calls: more than CAL_MAX_IDLE_DAYS of them in a
 * row mean the calendar has no working time.
 */
static CalStatus
local_add(const CalDef *def, int64_t from, int64_t limit, int64_t *remaining,
		  int64_t *idle_days, unsigned *steps, bool *found, int64_t *result)
{
	*found = false;
	for (int64_t day = floor_div(from, CAL_USECS_PER_DAY); day * CAL_USECS_PER_DAY < limit; day++)
	{
		int64_t		base = day * CAL_USECS_PER_DAY;
		int			dow = cal_dow(day);
		bool		worked = false;

		tick(def, steps);
		if (dow == 0 && base >= from && base <= limit - 7 * CAL_USECS_PER_DAY)
		{
			int64_t		business = week_business(def, day);

			if (business < *remaining)
			{
				*remaining -= business;
				*idle_days = business == 0 ? *idle_days + 7 : 0;
				if (*idle_days > CAL_MAX_IDLE_DAYS)
					return CAL_NO_WORKING_TIME;
				day += 6;
				continue;
			}
		}
		if (def->nwindows[dow] > 0 && !cal_is_holiday(def, (int32_t) day))
		{
			for (int i = 0; i < def->nwindows[dow]; i++)
			{
				int64_t		us = base + def->windows[dow][i].start;
				int64_t		ue = base + def->windows[dow][i].end;

				if (us < from)
					us = from;
				if (ue > limit)
					ue = limit;
				if (ue <= us)
					continue;
				worked = true;
				if (ue - us >= *remaining)
				{
					*result = us + *remaining;
					*found = true;
					return CAL_OK;
				}
				*remaining -= ue - us;
			}
		}
		if (worked)
			*idle_days = 0;
		else if (base <= limit - CAL_USECS_PER_DAY)
			(*idle_days)++;
		if (*idle_days > CAL_MAX_IDLE_DAYS)
			return CAL_NO_WORKING_TIME;
	}
	return CAL_OK;
}

/*
 * Both walks cut [start, end) at the zone's offset changes: between two changes the wall clock
 * runs like real time (local = instant + offset), so each stretch is counted on its own wall-clock
 * interval. A repeated hour is thus read twice (once in each stretch), a skipped hour never.
 */
CalStatus
cal_add(const CalDef *def, int64_t start, int64_t dur, int64_t *result)
{
	int64_t		remaining = dur;
	int64_t		cursor = start;
	int64_t		idle_days = 0;
	unsigned	steps = 0;

	if (dur < 0)
		return CAL_BAD_INPUT;
	if (dur == 0)
	{
		*result = start;
		return CAL_OK;
	}
	if (def->week_total == 0)
		return CAL_NO_WORKING_TIME;

	for (;;)
	{
		int64_t		offset,
					change,
					end,
					local;
		bool		found;
		CalStatus	st;

		if (cursor < CAL_MIN_INSTANT || cursor >= CAL_MAX_INSTANT)
			return CAL_OUT_OF_RANGE;
		zone_segment(def, cursor, &offset, &change);
		if (offset <= -CAL_MAX_OFFSET || offset >= CAL_MAX_OFFSET)
			return CAL_OUT_OF_RANGE;
		end = change < CAL_MAX_INSTANT ? change : CAL_MAX_INSTANT;
		st = local_add(def, cursor + offset, end + offset, &remaining, &idle_days, &steps,
					   &found, &local);
		if (st != CAL_OK)
			return st;
		if (found)
		{
			*result = local - offset;
			return CAL_OK;
		}
		cursor = end;
	}
}

CalStatus
cal_between(const CalDef *def, int64_t a, int64_t b, int64_t *result)
{
	int64_t		total = 0;
	int64_t		cursor = a;
	unsigned	steps = 0;

	if (a == b)
	{
		*result = 0;			/* even for a calendar without working time */
		return CAL_OK;
	}
	if (b < a)
	{
		CalStatus	st = cal_between(def, b, a, result);

		if (st == CAL_OK)
			*result = -*result;
		return st;
	}
	if (def->week_total == 0)
		return CAL_NO_WORKING_TIME;
	if (a < CAL_MIN_INSTANT || b > CAL_MAX_INSTANT)
		return CAL_OUT_OF_RANGE;

	while (cursor < b)
	{
		int64_t		offset,
					change,
					end,
					part;

		zone_segment(def, cursor, &offset, &change);
		if (offset <= -CAL_MAX_OFFSET || offset >= CAL_MAX_OFFSET)
			return CAL_OUT_OF_RANGE;
		end = change < b ? change : b;
		part = local_between(def, cursor + offset, end + offset, &steps);
		if (part > INT64_MAX - total)
			return CAL_OUT_OF_RANGE;
		total += part;
		cursor = end;
	}
	*result = total;
	return CAL_OK;
}
