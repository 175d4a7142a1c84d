/*
 * calendar_math.c: business-time arithmetic over a weekly calendar (see calendar_math.h for the
 * exact definition of business time). Pure C: no PostgreSQL headers, so tests/unit builds it
 * alone and compares it with a brute-force count.
 *
 * Cost: a walk goes day by day only up to the next Sunday and inside the last week; whole weeks
 * in between are added from the weekly total, less the holidays of that week, as long as the
 * zone keeps one UTC offset through the week. So the cost grows with the number of weeks
 * spanned (plus a day walk for the few weeks that contain an offset change), never with days
 * or minutes.
 */
#include "calendar_math.h"

#include <stdlib.h>

/* Ten years without any working time mean the calendar has none (e.g. every date a holiday). */
#define CAL_MAX_IDLE_DAYS	3660

/* The walk stays far from int64 overflow of day * CAL_USECS_PER_DAY (plus a zone offset). */
#define CAL_MAX_DAY		(INT64_MAX / CAL_USECS_PER_DAY - 64)
#define CAL_MIN_DAY		(INT64_MIN / CAL_USECS_PER_DAY + 64)

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

/* The offset (seconds) in effect at UTC second t. */
static int64_t
offset_at_sec(const CalDef *def, int64_t t)
{
	int64_t		before,
				boundary = 0,
				after = 0;

	if (def->tz_boundary(def->tz_arg, t, &before, &boundary, &after) == 1 && boundary == t)
		return after;
	return before;
}

int64_t
cal_utc_offset(const CalDef *def, int64_t utc)
{
	return offset_at_sec(def, floor_div(utc, CAL_USECS_PER_SEC)) * CAL_USECS_PER_SEC;
}

/*
 * f(local): the first instant at which the wall clock reads `local` or later. As PostgreSQL's
 * DetermineTimeZoneOffset, look for the offset change following local - 1 day (offsets are under
 * a day, changes are days apart), then decide on which side of it `local` falls.
 */
int64_t
cal_local_to_utc(const CalDef *def, int64_t local)
{
	int64_t		sec = floor_div(local, CAL_USECS_PER_SEC);
	int64_t		frac = local - sec * CAL_USECS_PER_SEC;
	int64_t		before,
				boundary,
				after;
	int64_t		bt,
				at;

	if (def->tz_boundary(def->tz_arg, sec - 86400, &before, &boundary, &after) == 0)
		return (sec - before) * CAL_USECS_PER_SEC + frac;
	bt = sec - before;			/* reading `local` with the offset before the change */
	at = sec - after;			/* ... with the offset after it */
	if (bt < boundary && at < boundary)
		return bt * CAL_USECS_PER_SEC + frac;
	if (bt >= boundary && at >= boundary)
		return at * CAL_USECS_PER_SEC + frac;
	if (bt >= boundary)
		return boundary * CAL_USECS_PER_SEC;	/* in the gap: the clock jumps past it */
	return bt * CAL_USECS_PER_SEC + frac;	/* repeated: its first occurrence */
}

static int64_t
day_start(const CalDef *def, int64_t day)
{
	return cal_local_to_utc(def, day * CAL_USECS_PER_DAY);
}

/* The local day of instant `utc`. */
static int64_t
local_day(const CalDef *def, int64_t utc)
{
	return floor_div(utc + cal_utc_offset(def, utc), CAL_USECS_PER_DAY);
}

/* True when the zone keeps one offset through [from, to) (instants on whole seconds). */
static bool
constant_offset(const CalDef *def, int64_t from, int64_t to)
{
	int64_t		before,
				boundary,
				after;

	/* a change exactly at `from` is harmless: look from the next second on */
	if (def->tz_boundary(def->tz_arg, floor_div(from, CAL_USECS_PER_SEC) + 1,
						 &before, &boundary, &after) == 0)
		return true;
	return boundary * CAL_USECS_PER_SEC >= to;
}

/*
 * If the week starting on Sunday `day` (local) can be taken whole: its start, end and business
 * time. It can when the zone keeps one offset through it; then each window lasts its nominal
 * length and the week's business time is the weekly total less its holidays.
 */
static bool
whole_week(const CalDef *def, int64_t day, int64_t *ws, int64_t *we, int64_t *business)
{
	int64_t		total;

	*ws = day_start(def, day);
	*we = day_start(def, day + 7);
	if (*we - *ws != 7 * CAL_USECS_PER_DAY || !constant_offset(def, *ws, *we))
		return false;
	total = def->week_total;
	for (int i = 0; i < 7; i++)
		if (def->day_total[i] > 0 && cal_is_holiday(def, (int32_t) (day + i)))
			total -= def->day_total[i];
	*business = total;
	return true;
}

CalStatus
cal_add(const CalDef *def, int64_t start, int64_t dur, int64_t *result)
{
	int64_t		remaining = dur;
	int64_t		cursor = start;
	int64_t		day;
	int64_t		idle_days = 0;
	unsigned	steps = 0;

	if (dur < 0)
		return CAL_BAD_INPUT;
	if (def->week_total == 0)
		return CAL_NO_WORKING_TIME;
	if (dur == 0)
	{
		*result = start;
		return CAL_OK;
	}
	day = local_day(def, start);

	for (;;)
	{
		int			dow;

		if (day < CAL_MIN_DAY || day > CAL_MAX_DAY)
			return CAL_OUT_OF_RANGE;
		if (def->check_interrupts && (++steps & 255) == 0)
			def->check_interrupts();
		dow = cal_dow(day);

		if (dow == 0 && day + 7 <= CAL_MAX_DAY)
		{
			int64_t		ws,
						we,
						business;

			if (whole_week(def, day, &ws, &we, &business) && ws >= cursor && business < remaining)
			{
				remaining -= business;
				cursor = we;
				day += 7;
				idle_days = business == 0 ? idle_days + 7 : 0;
				if (idle_days > CAL_MAX_IDLE_DAYS)
					return CAL_NO_WORKING_TIME;
				continue;
			}
		}

		if (def->nwindows[dow] > 0 && !cal_is_holiday(def, (int32_t) day))
		{
			int64_t		base = day * CAL_USECS_PER_DAY;
			bool		worked = false;

			for (int i = 0; i < def->nwindows[dow]; i++)
			{
				int64_t		us = cal_local_to_utc(def, base + def->windows[dow][i].start);
				int64_t		ue = cal_local_to_utc(def, base + def->windows[dow][i].end);

				if (us < cursor)
					us = cursor;
				if (ue <= us)
					continue;
				worked = true;
				if (ue - us >= remaining)
				{
					*result = us + remaining;
					return CAL_OK;
				}
				remaining -= ue - us;
				cursor = ue;
			}
			idle_days = worked ? 0 : idle_days + 1;
		}
		else
			idle_days++;
		if (idle_days > CAL_MAX_IDLE_DAYS)
			return CAL_NO_WORKING_TIME;
		day++;
	}
}

CalStatus
cal_between(const CalDef *def, int64_t a, int64_t b, int64_t *result)
{
	int64_t		total = 0;
	int64_t		cursor = a;
	int64_t		day;
	unsigned	steps = 0;

	if (b < a)
	{
		CalStatus	st = cal_between(def, b, a, result);

		*result = -*result;
		return st;
	}
	if (def->week_total == 0)
		return CAL_NO_WORKING_TIME;
	if (a == b)
	{
		*result = 0;
		return CAL_OK;
	}
	day = local_day(def, a);

	for (;;)
	{
		int			dow;

		if (day < CAL_MIN_DAY || day > CAL_MAX_DAY)
			return CAL_OUT_OF_RANGE;
		if (def->check_interrupts && (++steps & 255) == 0)
			def->check_interrupts();
		dow = cal_dow(day);

		if (dow == 0 && day + 7 <= CAL_MAX_DAY)
		{
			int64_t		ws,
						we,
						business;

			if (whole_week(def, day, &ws, &we, &business) && ws >= cursor && we <= b)
			{
				total += business;
				cursor = we;
				day += 7;
				continue;
			}
		}

		if (day_start(def, day) >= b)
			break;
		if (def->nwindows[dow] > 0 && !cal_is_holiday(def, (int32_t) day))
		{
			int64_t		base = day * CAL_USECS_PER_DAY;

			for (int i = 0; i < def->nwindows[dow]; i++)
			{
				int64_t		us = cal_local_to_utc(def, base + def->windows[dow][i].start);
				int64_t		ue = cal_local_to_utc(def, base + def->windows[dow][i].end);

				if (us < cursor)
					us = cursor;
				if (ue > b)
					ue = b;
				if (ue > us)
				{
					total += ue - us;
					cursor = ue;
				}
			}
		}
		day++;
	}
	*result = total;
	return CAL_OK;
}
