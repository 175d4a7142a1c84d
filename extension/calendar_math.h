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
 * What counts as business time, exactly: real elapsed time during which the calendar's wall
 * clock reads a time inside a working window of a day that is not a holiday. An instant u is
 * business time when its wall-clock time local(u) = u + offset(u) lies in [start, end) of a
 * window of its local day, and that day is not a holiday. Across daylight-saving changes:
 *   - Clocks go back: the repeated wall-clock times happen twice and count twice. In
 *     Europe/Berlin on 2026-10-25 (02:00-03:00 repeats) a 00:00-08:00 window holds nine hours
 *     and a 02:15-02:45 window sixty minutes (02:15-02:45 CEST, then 02:15-02:45 CET). A window
 *     boundary in the repeated hour is passed twice: a 00:00-02:30 window is worked until 02:30
 *     CEST, pauses while the clock reads 02:30-03:00 CEST, resumes when it reads 02:00 again
 *     (CET) and stops at 02:30 CET: three hours. A 02:30-05:00 window is worked 02:30-03:00 CEST
 *     and 02:30-05:00 CET: three hours.
 *   - Clocks go forward: the skipped wall-clock times never happen and count for nothing. A
 *     window boundary inside the gap falls on the instant of the jump, i.e. the first wall-clock
 *     time after the gap: on 2026-03-29 in Europe/Berlin (02:00-03:00 does not exist) a window
 *     starting at 02:30 starts at 03:00 CEST, a window ending at 02:30 ends at the jump (02:00
 *     CET = 03:00 CEST), a window lying inside the gap is empty, and 00:00-08:00 holds seven
 *     hours.
 * The windows of a day are merged and different days never share a wall-clock time, so no
 * instant counts twice. cal_between(a, b) is the business time of the instants in [a, b);
 * cal_add(a, d) is the first instant t >= a with cal_between(a, t) = d. So
 * cal_between(a, cal_add(a, d)) = d always, and cal_add(a, cal_between(a, b)) = b whenever the
 * instant just before b is business time (otherwise it is the earliest instant with as much
 * business time since a as b: the end of the last business time before b, or a).
 *
 * A zero span needs no calendar: cal_between(a, a) = 0 and cal_add(a, 0) = a even for a calendar
 * without working time. Reversed spans are signed: cal_between(a, b) = -cal_between(b, a), so
 * between(a, b) + between(b, c) = between(a, c) whatever the order of a, b, c.
 */
#ifndef CALENDAR_MATH_H
#define CALENDAR_MATH_H

#include <stdbool.h>
#include <stdint.h>

#define CAL_USECS_PER_SEC	INT64_C(1000000)
#define CAL_USECS_PER_DAY	INT64_C(86400000000)
#define CAL_CHECK_INTERVAL	256

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
 * A change exactly at t may also be skipped for the next one (then *before_off is the offset at
 * t): PostgreSQL's pg_next_dst_boundary, though documented as "at or after", returns the first
 * change after t. Both readings are handled.
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
	/* called every CAL_CHECK_INTERVAL steps (days or weeks) of a walk, e.g.
	 * CHECK_FOR_INTERRUPTS; may be NULL */
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

/* The instant `dur` (>= 0 microseconds) of business time after `start`; dur = 0 gives start
 * (for any calendar). */
extern CalStatus cal_add(const CalDef *def, int64_t start, int64_t dur, int64_t *result);

/* Business time in [a, b) in microseconds: 0 when a = b (for any calendar), negative
 * (-between(b, a)) when b < a. */
extern CalStatus cal_between(const CalDef *def, int64_t a, int64_t b, int64_t *result);

/* A weekday with at least one window that is neither a one-off nor a recurring holiday. */
extern bool cal_is_working_day(const CalDef *def, int32_t day);
extern bool cal_is_holiday(const CalDef *def, int32_t day);

/* Helpers, exposed for the tests. */
extern int	cal_dow(int64_t day);	/* 0 = Sunday */
extern void cal_month_day(int64_t day, int *year, int *month, int *mday);

#endif
