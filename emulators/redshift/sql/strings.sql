-- Redshift's string functions, and its implicit conversion of dates, timestamps and numbers to text.
-- Redshift converts a date, timestamp or number to text where a string function expects one
-- (https://docs.aws.amazon.com/redshift/latest/dg/r_Type_conversion.html): LEFT(created_at, 10) is the
-- date. PostgreSQL does not, so functions.py adds an overload of LEFT, RIGHT, SUBSTR, LEN, CHARINDEX and
-- STRPOS for each such type, reading its argument through redshift_emulator._text below.

-- A timestamp's text as Redshift writes it: YYYY-MM-DD HH:MI:SS, then the fraction of a second if any,
-- whatever the session's DateStyle.
CREATE FUNCTION redshift_emulator._text(timestamp) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char($1, 'YYYY-MM-DD HH24:MI:SS') || coalesce(nullif(rtrim(to_char($1, '.US'), '0'), '.'), '')
$$;
CREATE FUNCTION redshift_emulator._text(timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char($1, 'YYYY-MM-DD HH24:MI:SS') || coalesce(nullif(rtrim(to_char($1, '.US'), '0'), '.'), '')
        || to_char($1, 'TZH')
$$;
CREATE FUNCTION redshift_emulator._text(date) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char($1, 'YYYY-MM-DD')
$$;
CREATE FUNCTION redshift_emulator._text(numeric) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT $1::text
$$;

-- LEN: https://docs.aws.amazon.com/redshift/latest/dg/r_LEN.html
CREATE FUNCTION redshift_emulator.len(text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT length($1)
$$;

-- CHARINDEX: https://docs.aws.amazon.com/redshift/latest/dg/r_CHARINDEX.html
-- The position of the first argument in the second, from 1; 0 if it is not there.
CREATE FUNCTION redshift_emulator.charindex(text, text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT strpos($2, $1)
$$;

-- REGEXP_REPLACE: https://docs.aws.amazon.com/redshift/latest/dg/REGEXP_REPLACE.html
-- Redshift replaces every match (PostgreSQL only the first unless told 'g'); the replacement defaults to
-- the empty string; the fourth argument is the position to start at; the fifth holds Redshift's
-- parameters: c (case-sensitive, the default), i (case-insensitive), p (PCRE: PostgreSQL's advanced
-- regular expressions are read instead).
CREATE FUNCTION redshift_emulator.regexp_replace(text, text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.regexp_replace($1, $2, '', 'g')
$$;
CREATE FUNCTION redshift_emulator.regexp_replace(text, text, text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.regexp_replace($1, $2, $3, 'g')
$$;
CREATE FUNCTION redshift_emulator.regexp_replace(text, text, text, integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.regexp_replace($1, $2, $3, $4, 0)
$$;
CREATE FUNCTION redshift_emulator.regexp_replace(text, text, text, integer, text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.regexp_replace($1, $2, $3, $4, 0, translate($5, 'p', ''))
$$;

-- JSON_EXTRACT_PATH_TEXT: https://docs.aws.amazon.com/redshift/latest/dg/JSON_EXTRACT_PATH_TEXT.html
-- JSON_EXTRACT_ARRAY_ELEMENT_TEXT: https://docs.aws.amazon.com/redshift/latest/dg/JSON_EXTRACT_ARRAY_ELEMENT_TEXT.html
-- JSON_ARRAY_LENGTH: https://docs.aws.amazon.com/redshift/latest/dg/JSON_ARRAY_LENGTH.html
-- Redshift keeps JSON in VARCHAR columns; PostgreSQL's functions of these names take json.
CREATE FUNCTION redshift_emulator.json_extract_path_text(text, VARIADIC text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.json_extract_path_text($1::json, VARIADIC $2)
$$;
CREATE FUNCTION redshift_emulator.json_extract_array_element_text(text, integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT $1::json ->> $2
$$;
CREATE FUNCTION redshift_emulator.json_array_length(text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.json_array_length($1::json)
$$;
