-- Redshift's conditional functions. NVL is rewritten to COALESCE (rewrite.py); NULLIF and COALESCE are
-- PostgreSQL's own. DECODE's overloads, one per number of search/result pairs, are written by
-- functions.py.

-- NVL2: https://docs.aws.amazon.com/redshift/latest/dg/r_NVL2.html
-- The second argument if the first is not NULL, else the third. The first may be of any type; a string
-- literal there (which anyelement cannot take) is read as text.
CREATE FUNCTION redshift_emulator.nvl2(anyelement, anycompatible, anycompatible) RETURNS anycompatible
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN $1 IS NULL THEN $3 ELSE $2 END
$$;
CREATE FUNCTION redshift_emulator.nvl2(text, anycompatible, anycompatible) RETURNS anycompatible
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN $1 IS NULL THEN $3 ELSE $2 END
$$;
