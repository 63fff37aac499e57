-- Redshift's numeric functions and the result types of its aggregates.

-- ROUND: https://docs.aws.amazon.com/redshift/latest/dg/r_ROUND.html
-- A double precision rounded to n places stays double precision (PostgreSQL has no round(float8, int)),
-- and halves round away from zero (PostgreSQL's round(float8) rounds them to even).
CREATE FUNCTION redshift_emulator.round(double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.round($1::numeric)::double precision
$$;
CREATE FUNCTION redshift_emulator.round(double precision, integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.round($1::numeric, $2)::double precision
$$;

-- AVG: https://docs.aws.amazon.com/redshift/latest/dg/r_AVG.html
-- The average of SMALLINT, INTEGER or BIGINT values is a BIGINT, its fraction truncated: AVG of 10, 9, 3
-- is 7. For SMALLINT and INTEGER, PostgreSQL's own accumulator (count and sum as bigint[2]), with its
-- inverse for window frames that move (AVG(x) OVER (ORDER BY d ROWS 6 PRECEDING)).
CREATE FUNCTION redshift_emulator._avg_truncated(bigint[]) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN $1[1] = 0 THEN NULL ELSE $1[2] / $1[1] END
$$;
CREATE AGGREGATE redshift_emulator.avg(smallint) (
    SFUNC = pg_catalog.int2_avg_accum, STYPE = bigint[], INITCOND = '{0,0}',
    FINALFUNC = redshift_emulator._avg_truncated, COMBINEFUNC = pg_catalog.int4_avg_combine, PARALLEL = SAFE,
    MSFUNC = pg_catalog.int2_avg_accum, MINVFUNC = pg_catalog.int2_avg_accum_inv, MSTYPE = bigint[],
    MINITCOND = '{0,0}', MFINALFUNC = redshift_emulator._avg_truncated
);
CREATE AGGREGATE redshift_emulator.avg(integer) (
    SFUNC = pg_catalog.int4_avg_accum, STYPE = bigint[], INITCOND = '{0,0}',
    FINALFUNC = redshift_emulator._avg_truncated, COMBINEFUNC = pg_catalog.int4_avg_combine, PARALLEL = SAFE,
    MSFUNC = pg_catalog.int4_avg_accum, MINVFUNC = pg_catalog.int4_avg_accum_inv, MSTYPE = bigint[],
    MINITCOND = '{0,0}', MFINALFUNC = redshift_emulator._avg_truncated
);
-- A BIGINT sum may not fit a bigint: count and sum as numeric[2] (PostgreSQL's own BIGINT accumulator
-- keeps an internal state that only C can read).
CREATE FUNCTION redshift_emulator._avg_accumulate(numeric[], bigint) RETURNS numeric[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ARRAY[$1[1] + 1, $1[2] + $2]
$$;
CREATE FUNCTION redshift_emulator._avg_combine(numeric[], numeric[]) RETURNS numeric[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ARRAY[$1[1] + $2[1], $1[2] + $2[2]]
$$;
CREATE FUNCTION redshift_emulator._avg_truncated(numeric[]) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN $1[1] = 0 THEN NULL ELSE trunc($1[2] / $1[1])::bigint END
$$;
CREATE AGGREGATE redshift_emulator.avg(bigint) (
    SFUNC = redshift_emulator._avg_accumulate, STYPE = numeric[], INITCOND = '{0,0}',
    FINALFUNC = redshift_emulator._avg_truncated, COMBINEFUNC = redshift_emulator._avg_combine, PARALLEL = SAFE
);

-- SUM: https://docs.aws.amazon.com/redshift/latest/dg/r_SUM.html
-- The sum of BIGINT values is a BIGINT (PostgreSQL's is numeric); SMALLINT and INTEGER sums already are.
CREATE AGGREGATE redshift_emulator.sum(bigint) (
    SFUNC = pg_catalog.int8pl, STYPE = bigint, COMBINEFUNC = pg_catalog.int8pl, PARALLEL = SAFE,
    MSFUNC = pg_catalog.int8pl, MINVFUNC = pg_catalog.int8mi, MSTYPE = bigint
);

-- MEDIAN: https://docs.aws.amazon.com/redshift/latest/dg/r_MEDIAN.html
-- PERCENTILE_CONT(0.5) as an ordinary aggregate (and so a window function too). Integers and numerics
-- give a DECIMAL, floats a DOUBLE PRECISION, dates a DATE, timestamps a TIMESTAMP. The values are
-- gathered in an array; the median of an even count is the midpoint of the two middle values.
CREATE FUNCTION redshift_emulator._median(anyarray) RETURNS anyelement
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE
        WHEN n = 0 THEN NULL
        WHEN n % 2 = 1 THEN sorted[n / 2 + 1]
        ELSE sorted[n / 2] + (sorted[n / 2 + 1] - sorted[n / 2]) / 2
    END
    FROM (SELECT array_agg(v ORDER BY v) AS sorted, count(v)::integer AS n FROM unnest($1) AS v) AS values
$$;
-- Without the trailing zeros of the midpoint's division (the median of 10 and 25 is 17.5).
CREATE FUNCTION redshift_emulator._median_numeric(anyarray) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT trim_scale(redshift_emulator._median($1::numeric[]))
$$;
CREATE AGGREGATE redshift_emulator.median(smallint) (SFUNC = array_append, STYPE = smallint[], FINALFUNC = redshift_emulator._median_numeric);
CREATE AGGREGATE redshift_emulator.median(integer) (SFUNC = array_append, STYPE = integer[], FINALFUNC = redshift_emulator._median_numeric);
CREATE AGGREGATE redshift_emulator.median(bigint) (SFUNC = array_append, STYPE = bigint[], FINALFUNC = redshift_emulator._median_numeric);
CREATE AGGREGATE redshift_emulator.median(numeric) (SFUNC = array_append, STYPE = numeric[], FINALFUNC = redshift_emulator._median_numeric);
CREATE AGGREGATE redshift_emulator.median(double precision) (SFUNC = array_append, STYPE = double precision[], FINALFUNC = redshift_emulator._median);
CREATE AGGREGATE redshift_emulator.median(date) (SFUNC = array_append, STYPE = date[], FINALFUNC = redshift_emulator._median);
CREATE AGGREGATE redshift_emulator.median(timestamp) (SFUNC = array_append, STYPE = timestamp[], FINALFUNC = redshift_emulator._median);
CREATE AGGREGATE redshift_emulator.median(timestamptz) (SFUNC = array_append, STYPE = timestamptz[], FINALFUNC = redshift_emulator._median);
