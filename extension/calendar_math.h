/*
 * calendar_math.h: business-time arithmetic over a weekly calendar, independent of PostgreSQL.
 *
 * Instants are microseconds since 2000-01-01 00:00 UTC (PostgreSQL's TimestampTz); local
 * wall-clock times are microseconds since 2000-01-01 00:00 local (PostgreSQL's Timestamp), and a
 * local day number counts days since 2000-01-01 (PostgreSQL's DateADT).
 *
 * The time zone is reached through one callback (CalTzBoundaryFn), so this file builds without
 * the server: calendar.c plugs in PostgreSQL's pg_next_dst_boundary(), tests/unit a toy zone.
 *
 * What counts as business time, exactly:
 *   A working window [start, end) of a local day d covers the instants from f(d start) to
 *   f(d end), where f(t) is the first instant at which the calendar's wall clock reads t or
 *   later. So:
 *   - time that does not exist on the wall clock (clocks go forward) counts for nothing: a window
 *     boundary in the gap moves to the end of the gap (a 01:00-03:00 window on the night of
 *     2026-03-29 in Europe/Berlin is one real hour);
 *   - a repeated hour (clocks go back) counts once, for the window that contains the last
 *     instant before the clocks go back (in Europe/Berlin on 2026-10-25, 02:59:59 CEST): a
 *     boundary inside the repeated hour means its first occurrence, so a 02:00-03:00 window
 *     that night is two real hours and a 00:00-08:00 window nine.
 *   Equivalently: an instant is business time when the running maximum of the wall clock (a
 *   clock that stands still instead of going back) lies in a window of a day that is not a
 *   holiday. f is non-decreasing, so windows never overlap in real time and
 *   between(a, add(a, d)) = d holds across every transition.
 */
#ifndef CALENDAR_MATH_H
#define CALENDAR_MATH_H

#include <stdbool.h>
#include <stdint.h>

#define CAL_USECS_PER_SEC	INT64_C(1000000)
#define CAL_USECS_PER_DAY	INT64_C(86400000000)

/* A window of one weekday in microseconds since local midnight, 0 <= start < end <= 24 h. */
typedef struct CalWindow
{
	int64_t		start;
	int64_t		end;
} CalWindow;

/*
 * The time zone. For the UTC second t: when an offset change happens at or after t, return 1
 * with *boundary = its instant (UTC seconds), *before_off / *after_off = the offsets (seconds
 * east of UTC) just before / after it. Otherwise return 0 with *before_off = the offset at t.
 * (The contract of PostgreSQL's pg_next_dst_boundary.)
 */
typedef int (*CalTzBoundaryFn) (void *arg, int64_t t, int64_t *before_off,
								int64_t *boundary, int64_t *after_off);

typedef struct CalDef
{
	/* per weekday (0 = Sunday): sorted, merged windows (see cal_prepare) */
	CalWindow  *windows[7];
	int			nwindows[7];
	/* one-off holidays: local day numbers, sorted and unique after cal_prepare */
	int32_t    *holidays;
	int			nholidays;
	/* recurring holidays by [month][day of month] (Feb 29 only matches in leap years) */
	bool		recurring[13][32];
	CalTzBoundaryFn tz_boundary;
	void	   *tz_arg;
	/* called every few hundred steps of a long walk (e.g. CHECK_FOR_INTERRUPTS); may be NULL */
	void		(*check_interrupts) (void);

	/* computed by cal_prepare */
	int64_t		day_total[7];
	int64_t		week_total;
} CalDef;

typedef enum CalStatus
{
	CAL_OK = 0,
	CAL_NO_WORKING_TIME,		/* no window at all, or none outside holidays for 10 years */
	CAL_OUT_OF_RANGE,			/* the walk would leave the representable range */
	CAL_BAD_INPUT				/* negative duration, window outside 0..24 h */
} CalStatus;

/* Sort and merge each weekday's windows, sort the one-off holidays, compute the totals. */
extern CalStatus cal_prepare(CalDef *def);

/* The instant `dur` (>= 0 microseconds) of business time after `start`; dur = 0 gives start. */
extern CalStatus cal_add(const CalDef *def, int64_t start, int64_t dur, int64_t *result);

/* Business time in [a, b) in microseconds; negative (-between(b, a)) when b < a. */
extern CalStatus cal_between(const CalDef *def, int64_t a, int64_t b, int64_t *result);

/* A weekday with at least one window that is neither a one-off nor a recurring holiday. */
extern bool cal_is_working_day(const CalDef *def, int32_t day);
extern bool cal_is_holiday(const CalDef *def, int32_t day);

/* Helpers, exposed for the tests. */
extern int	cal_dow(int64_t day);	/* 0 = Sunday */
extern void cal_month_day(int64_t day, int *year, int *month, int *mday);
extern int64_t cal_local_to_utc(const CalDef *def, int64_t local);	/* f(t) above */
extern int64_t cal_utc_offset(const CalDef *def, int64_t utc);	/* microseconds east */

#endif
