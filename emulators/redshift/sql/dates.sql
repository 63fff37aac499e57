-- Redshift's date and time functions. Every datepart argument arrives as text (rewrite.py quotes a bare
-- one) in any of Redshift's spellings: redshift_emulator._datepart (functions.py builds it from
-- dateparts.py) names its canonical form or refuses it. A function taking a date or timestamp also takes
-- text, so that a string literal is read as a timestamp, as Redshift reads it, where PostgreSQL would find
-- the call ambiguous.

-- The interval one unit of a datepart stands for, for DATEADD; the caller names itself in the refusal.
CREATE FUNCTION redshift_emulator._datepart_interval(text, text) RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE redshift_emulator._datepart($1, $2)
        WHEN 'millennium' THEN interval '1000 years'
        WHEN 'century' THEN interval '100 years'
        WHEN 'decade' THEN interval '10 years'
        WHEN 'year' THEN interval '1 year'
        WHEN 'quarter' THEN interval '3 months'
        WHEN 'month' THEN interval '1 month'
        WHEN 'week' THEN interval '7 days'
        WHEN 'day' THEN interval '1 day'
        WHEN 'hour' THEN interval '1 hour'
        WHEN 'minute' THEN interval '1 minute'
        WHEN 'second' THEN interval '1 second'
        WHEN 'millisecond' THEN interval '1 millisecond'
        WHEN 'microsecond' THEN interval '1 microsecond'
        ELSE redshift_emulator._refuse_datepart($1, $2)::interval
    END
$$;

-- DATEADD: https://docs.aws.amazon.com/redshift/latest/dg/r_DATEADD_function.html
-- Returns a timestamp (timestamptz for timestamptz). Adding months to a day the result month lacks gives
-- that month's last day (Jan 31 + 1 month = Feb 29 in 2024), PostgreSQL's interval arithmetic exactly.
CREATE FUNCTION redshift_emulator.dateadd(text, bigint, timestamp) RETURNS timestamp
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT $3 + $2 * redshift_emulator._datepart_interval('dateadd', $1)
$$;
CREATE FUNCTION redshift_emulator.dateadd(text, bigint, date) RETURNS timestamp
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT $3::timestamp + $2 * redshift_emulator._datepart_interval('dateadd', $1)
$$;
CREATE FUNCTION redshift_emulator.dateadd(text, bigint, timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT $3 + $2 * redshift_emulator._datepart_interval('dateadd', $1)
$$;
CREATE FUNCTION redshift_emulator.dateadd(text, bigint, text) RETURNS timestamp
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT $3::timestamp + $2 * redshift_emulator._datepart_interval('dateadd', $1)
$$;

-- DATEDIFF: https://docs.aws.amazon.com/redshift/latest/dg/r_DATEDIFF_function.html
-- The number of datepart boundaries crossed from the second argument to the third, as a BIGINT:
-- DATEDIFF(year, '2008-12-31', '2009-01-01') is 1. Weeks start on Monday, as DATE_TRUNC's do.
CREATE FUNCTION redshift_emulator.datediff(text, timestamp, timestamp) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE redshift_emulator._datepart('datediff', $1)
        WHEN 'millennium' THEN extract(millennium FROM $3) - extract(millennium FROM $2)
        WHEN 'century' THEN extract(century FROM $3) - extract(century FROM $2)
        WHEN 'decade' THEN extract(decade FROM $3) - extract(decade FROM $2)
        WHEN 'year' THEN extract(year FROM $3) - extract(year FROM $2)
        WHEN 'quarter' THEN (extract(year FROM $3) * 4 + extract(quarter FROM $3))
            - (extract(year FROM $2) * 4 + extract(quarter FROM $2))
        WHEN 'month' THEN (extract(year FROM $3) * 12 + extract(month FROM $3))
            - (extract(year FROM $2) * 12 + extract(month FROM $2))
        WHEN 'week' THEN (date_trunc('week', $3)::date - date_trunc('week', $2)::date) / 7
        WHEN 'day' THEN $3::date - $2::date
        WHEN 'hour' THEN floor(extract(epoch FROM $3) / 3600) - floor(extract(epoch FROM $2) / 3600)
        WHEN 'minute' THEN floor(extract(epoch FROM $3) / 60) - floor(extract(epoch FROM $2) / 60)
        WHEN 'second' THEN floor(extract(epoch FROM $3)) - floor(extract(epoch FROM $2))
        WHEN 'millisecond' THEN floor(extract(epoch FROM $3) * 1000) - floor(extract(epoch FROM $2) * 1000)
        WHEN 'microsecond' THEN extract(epoch FROM $3 - $2) * 1000000
        ELSE redshift_emulator._refuse_datepart('datediff', $1)::numeric
    END::bigint
$$;
CREATE FUNCTION redshift_emulator.datediff(text, date, date) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT redshift_emulator.datediff($1, $2::timestamp, $3::timestamp)
$$;
CREATE FUNCTION redshift_emulator.datediff(text, timestamptz, timestamptz) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT redshift_emulator.datediff($1, $2::timestamp, $3::timestamp)
$$;
CREATE FUNCTION redshift_emulator.datediff(text, text, text) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT redshift_emulator.datediff($1, $2::timestamp, $3::timestamp)
$$;

-- DATE_PART: https://docs.aws.amazon.com/redshift/latest/dg/r_DATE_PART_function.html
-- PostgreSQL's own, once the datepart is in its spelling. The signatures are pg_catalog's: these come
-- first on the search path, so they are the ones called.
CREATE FUNCTION redshift_emulator.date_part(text, timestamp) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.date_part(redshift_emulator._datepart('date_part', $1), $2)
$$;
CREATE FUNCTION redshift_emulator.date_part(text, timestamptz) RETURNS double precision
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.date_part(redshift_emulator._datepart('date_part', $1), $2)
$$;
CREATE FUNCTION redshift_emulator.date_part(text, date) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.date_part(redshift_emulator._datepart('date_part', $1), $2::timestamp)
$$;

-- DATE_TRUNC: https://docs.aws.amazon.com/redshift/latest/dg/r_DATE_TRUNC.html
-- A date is truncated as a timestamp and gives a timestamp (PostgreSQL would pick timestamptz for it).
CREATE FUNCTION redshift_emulator.date_trunc(text, timestamp) RETURNS timestamp
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.date_trunc(redshift_emulator._datepart('date_trunc', $1), $2)
$$;
CREATE FUNCTION redshift_emulator.date_trunc(text, date) RETURNS timestamp
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.date_trunc(redshift_emulator._datepart('date_trunc', $1), $2::timestamp)
$$;
CREATE FUNCTION redshift_emulator.date_trunc(text, timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.date_trunc(redshift_emulator._datepart('date_trunc', $1), $2)
$$;
CREATE FUNCTION redshift_emulator.date_trunc(text, text) RETURNS timestamp
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.date_trunc(redshift_emulator._datepart('date_trunc', $1), $2::timestamp)
$$;

-- LAST_DAY: https://docs.aws.amazon.com/redshift/latest/dg/r_LAST_DAY.html
CREATE FUNCTION redshift_emulator.last_day(timestamp) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (pg_catalog.date_trunc('month', $1) + interval '1 month - 1 day')::date
$$;

-- ADD_MONTHS: https://docs.aws.amazon.com/redshift/latest/dg/r_ADD_MONTHS.html
-- Unlike DATEADD, the last day of a month stays the last day: ADD_MONTHS('2008-04-30', 1) is 2008-05-31.
CREATE FUNCTION redshift_emulator.add_months(timestamp, bigint) RETURNS timestamp
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN $1::date = redshift_emulator.last_day($1)
            THEN redshift_emulator.last_day($1 + $2 * interval '1 month') + $1::time
        ELSE $1 + $2 * interval '1 month'
    END
$$;
CREATE FUNCTION redshift_emulator.add_months(text, bigint) RETURNS timestamp
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT redshift_emulator.add_months($1::timestamp, $2)
$$;

-- TRUNC of a timestamp: its date. https://docs.aws.amazon.com/redshift/latest/dg/r_TRUNC_date.html
CREATE FUNCTION redshift_emulator.trunc(timestamp) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT $1::date
$$;

-- MONTHS_BETWEEN: https://docs.aws.amazon.com/redshift/latest/dg/r_MONTHS_BETWEEN_function.html
-- Whole months when both days are the same day of the month or both are last days; otherwise the days'
-- difference counts in 31sts of a month. Times of day are ignored.
CREATE FUNCTION redshift_emulator.months_between(timestamp, timestamp) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ((extract(year FROM $1) * 12 + extract(month FROM $1))
        - (extract(year FROM $2) * 12 + extract(month FROM $2))
        + CASE
            WHEN extract(day FROM $1) = extract(day FROM $2) THEN 0
            WHEN $1::date = redshift_emulator.last_day($1) AND $2::date = redshift_emulator.last_day($2) THEN 0
            ELSE (extract(day FROM $1) - extract(day FROM $2)) / 31
        END)::double precision
$$;

-- CONVERT_TIMEZONE: https://docs.aws.amazon.com/redshift/latest/dg/CONVERT_TIMEZONE.html
-- A timestamp read in the source zone (UTC when only the target is given), as a timestamp in the target.
CREATE FUNCTION redshift_emulator.convert_timezone(text, text, timestamp) RETURNS timestamp
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT ($3 AT TIME ZONE $1) AT TIME ZONE $2
$$;
CREATE FUNCTION redshift_emulator.convert_timezone(text, timestamp) RETURNS timestamp
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT ($2 AT TIME ZONE 'UTC') AT TIME ZONE $1
$$;

-- DATE_CMP: https://docs.aws.amazon.com/redshift/latest/dg/r_DATE_CMP.html
-- TIMESTAMP_CMP: https://docs.aws.amazon.com/redshift/latest/dg/r_TIMESTAMP_CMP.html
-- -1, 0 or 1 as the first is before, equal to or after the second; NULL if either is.
CREATE FUNCTION redshift_emulator.date_cmp(date, date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT sign($1 - $2)::integer
$$;
CREATE FUNCTION redshift_emulator.timestamp_cmp(timestamp, timestamp) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN $1 < $2 THEN -1 WHEN $1 > $2 THEN 1 WHEN $1 = $2 THEN 0 END
$$;

-- DATE_PART_YEAR: https://docs.aws.amazon.com/redshift/latest/dg/r_DATE_PART_YEAR.html
CREATE FUNCTION redshift_emulator.date_part_year(date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT extract(year FROM $1)::integer
$$;
