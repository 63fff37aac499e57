-- SUPER, Redshift's type for semi-structured data, and its functions.
-- https://docs.aws.amazon.com/redshift/latest/dg/r_SUPER_type.html: a SUPER value is a scalar (null, boolean,
-- number, string), an array or an object. Here it is PostgreSQL's jsonb under a domain of its own name, so
-- that `CREATE TABLE t (c SUPER)`, PG_TABLE_DEF and format_type() say `super`; information_schema.columns
-- says `jsonb`, with `super` in its domain_name. jsonb keeps an object's keys in its own order (shorter keys
-- first), not the order they were written in, and does not tell a float from a decimal.
-- The rewriting (super_paths.py) turns ARRAY(...), `x::super`, PartiQL navigation (c.a.b, c[0]) and unnesting
-- (FROM t, t.arr AS x) into PostgreSQL's jsonb forms.

-- The domain outlives the library: learners' tables use it, and a new version of the library replaces only
-- functions and views (functions.py).
DO $$
BEGIN
    IF to_regtype('redshift_emulator.super') IS NULL THEN
        CREATE DOMAIN redshift_emulator.super AS jsonb;
    END IF;
END
$$;

-- limitations-super.html: numbers and booleans cast to SUPER (`5::super`, `INSERT INTO t VALUES (1.22)` into
-- a SUPER column) as scalars. PostgreSQL has no cast from them to jsonb; these casts give one (a cast to a
-- domain is its base type's). Creating a cast of built-in types takes a superuser: under another bookkeeping
-- login, a number needs JSON_PARSE or `::super` (which the rewriting turns into redshift_emulator.to_super).
DO $$
DECLARE
    source text;
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN;
    END IF;
    -- A cast's function takes its source type itself: one each.
    FOREACH source IN ARRAY ARRAY['smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision', 'boolean']
    LOOP
        EXECUTE format('CREATE FUNCTION redshift_emulator._scalar_to_super(%s) RETURNS jsonb '
                       'LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$ SELECT to_jsonb($1) $f$', source);
        EXECUTE format('DROP CAST IF EXISTS (%s AS jsonb)', source);
        EXECUTE format('CREATE CAST (%1$s AS jsonb) WITH FUNCTION redshift_emulator._scalar_to_super(%1$s) '
                       'AS ASSIGNMENT', source);
    END LOOP;
END
$$;

-- `x::super` and CAST(x AS SUPER), rewritten into this call: a string becomes a string scalar, as on Redshift
-- (JSON_PARSE parses); a SUPER value stays itself.
CREATE FUNCTION redshift_emulator.to_super(anyelement) RETURNS redshift_emulator.super
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT to_jsonb($1)::redshift_emulator.super $$;
CREATE FUNCTION redshift_emulator.to_super(text) RETURNS redshift_emulator.super
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT to_jsonb($1)::redshift_emulator.super $$;
CREATE FUNCTION redshift_emulator.to_super(jsonb) RETURNS redshift_emulator.super
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT $1::redshift_emulator.super $$;

-- A navigated SUPER value cast to another type (`c.a::int`), rewritten into this call. limitations-super.html:
-- "Amazon Redshift converts SUPER-related errors to null": a value that is not of the type gives NULL. A string
-- is read without its quotes; an object or array gives NULL. ``target`` (a NULL of the type) picks the type.
CREATE FUNCTION redshift_emulator._super_as(value jsonb, target anyelement) RETURNS anyelement
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF value IS NULL OR jsonb_typeof(value) IN ('object', 'array', 'null') THEN
        RETURN NULL;
    END IF;
    target := value #>> '{}';
    RETURN target;
EXCEPTION WHEN data_exception THEN
    RETURN NULL;
END
$$;

-- JSON_PARSE: https://docs.aws.amazon.com/redshift/latest/dg/JSON_PARSE.html
CREATE FUNCTION redshift_emulator.json_parse(text) RETURNS redshift_emulator.super
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT $1::jsonb::redshift_emulator.super $$;

-- JSON_SERIALIZE: https://docs.aws.amazon.com/redshift/latest/dg/JSON_SERIALIZE.html. Redshift writes JSON
-- without blanks ([10001,10002,"abc"]); jsonb's text puts one after each `,` and `:` outside its strings, and
-- nowhere else: each string is kept as it is, each separator loses its blank.
CREATE FUNCTION redshift_emulator.json_serialize(jsonb) RETURNS varchar
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT regexp_replace($1::text, '("(?:[^"\\]|\\.)*"|[,:]) ?', '\1', 'g')::varchar
$$;

-- JSON_SIZE: https://docs.aws.amazon.com/redshift/latest/dg/r_json_size.html: the bytes of the serialized
-- value, OCTET_LENGTH(JSON_SERIALIZE(x)).
CREATE FUNCTION redshift_emulator.json_size(jsonb) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT octet_length(redshift_emulator.json_serialize($1)) $$;

-- The type of JSON a string holds, or NULL if it is not JSON. pg_input_is_valid is PostgreSQL 16's.
CREATE FUNCTION redshift_emulator._json_text_type(text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN jsonb_typeof($1::jsonb);
EXCEPTION WHEN invalid_text_representation THEN
    RETURN NULL;
END
$$;

-- CAN_JSON_PARSE: https://docs.aws.amazon.com/redshift/latest/dg/CAN_JSON_PARSE.html: whether JSON_PARSE
-- would take the string.
CREATE FUNCTION redshift_emulator.can_json_parse(text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT redshift_emulator._json_text_type($1) IS NOT NULL $$;

-- IS_VALID_JSON: https://docs.aws.amazon.com/redshift/latest/dg/IS_VALID_JSON.html: a JSON object ('[1,2,3]'
-- is false: IS_VALID_JSON_ARRAY validates arrays).
CREATE FUNCTION redshift_emulator.is_valid_json(text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(redshift_emulator._json_text_type($1) = 'object', false)
$$;

-- IS_VALID_JSON_ARRAY: https://docs.aws.amazon.com/redshift/latest/dg/IS_VALID_JSON_ARRAY.html
CREATE FUNCTION redshift_emulator.is_valid_json_array(text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(redshift_emulator._json_text_type($1) = 'array', false)
$$;

-- JSON_TYPEOF: https://docs.aws.amazon.com/redshift/latest/dg/r_json_typeof.html: boolean, number, string,
-- object, array or null. PostgreSQL's json_typeof(json) stays (pass_through.sql).
CREATE FUNCTION redshift_emulator.json_typeof(jsonb) RETURNS varchar
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT jsonb_typeof($1)::varchar $$;

-- The IS_ functions (r_is_array.html, r_is_object.html, r_is_scalar.html, r_is_boolean.html, r_is_number.html,
-- r_is_integer.html, r_is_smallint.html, r_is_bigint.html, r_is_decimal.html, r_is_float.html,
-- r_is_varchar.html, r_is_char.html): true or false, false for NULL, JSON's null included. A number is an
-- integer if its scale is 0 and it fits the type. jsonb keeps every number as a decimal, so IS_FLOAT is false
-- and IS_DECIMAL true for every number (Redshift: for a FLOAT value, the reverse).
CREATE FUNCTION redshift_emulator.is_array(jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(jsonb_typeof($1) = 'array', false) $$;
CREATE FUNCTION redshift_emulator.is_object(jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(jsonb_typeof($1) = 'object', false) $$;
CREATE FUNCTION redshift_emulator.is_scalar(jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_typeof($1) IN ('boolean', 'number', 'string'), false)
$$;
CREATE FUNCTION redshift_emulator.is_boolean(jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(jsonb_typeof($1) = 'boolean', false) $$;
CREATE FUNCTION redshift_emulator.is_number(jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(jsonb_typeof($1) = 'number', false) $$;
CREATE FUNCTION redshift_emulator.is_decimal(jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(jsonb_typeof($1) = 'number', false) $$;
CREATE FUNCTION redshift_emulator.is_float(jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT false $$;
CREATE FUNCTION redshift_emulator._is_integer_within(jsonb, numeric) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_typeof($1) = 'number' AND scale(($1 #>> '{}')::numeric) = 0
                    AND ($1 #>> '{}')::numeric BETWEEN -$2 AND $2 - 1, false)
$$;
CREATE FUNCTION redshift_emulator.is_smallint(jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT redshift_emulator._is_integer_within($1, 32768) $$;
CREATE FUNCTION redshift_emulator.is_integer(jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT redshift_emulator._is_integer_within($1, 2147483648) $$;
CREATE FUNCTION redshift_emulator.is_bigint(jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT redshift_emulator._is_integer_within($1, 9223372036854775808)
$$;
CREATE FUNCTION redshift_emulator.is_varchar(jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(jsonb_typeof($1) = 'string', false) $$;
CREATE FUNCTION redshift_emulator.is_char(jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_typeof($1) = 'string' AND ($1 #>> '{}') ~ '^[\x01-\x7f]*$', false)
$$;

-- GET_ARRAY_LENGTH: https://docs.aws.amazon.com/redshift/latest/dg/get_array_length.html: BIGINT; NULL for a
-- value that is not an array.
CREATE FUNCTION redshift_emulator.get_array_length(jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof($1) = 'array' THEN jsonb_array_length($1) END
$$;

-- ARRAY_CONCAT: https://docs.aws.amazon.com/redshift/latest/dg/r_array_concat.html: two arrays into one; NULL
-- unless both are arrays.
CREATE FUNCTION redshift_emulator.array_concat(jsonb, jsonb) RETURNS redshift_emulator.super
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof($1) = 'array' AND jsonb_typeof($2) = 'array'
                THEN ($1 || $2)::redshift_emulator.super END
$$;

-- SUBARRAY: https://docs.aws.amazon.com/redshift/latest/dg/r_subarray.html: `length` elements from the
-- 0-based `start_position` on (fewer at the end of the array); NULL for a value that is not an array.
CREATE FUNCTION redshift_emulator.subarray(jsonb, integer, integer) RETURNS redshift_emulator.super
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof($1) = 'array' THEN (
        SELECT coalesce(jsonb_agg(element ORDER BY place), '[]'::jsonb)::redshift_emulator.super
        FROM jsonb_array_elements($1) WITH ORDINALITY AS elements(element, place)
        WHERE place - 1 >= $2 AND place - 1 < $2 + $3
    ) END
$$;

-- SPLIT_TO_ARRAY: https://docs.aws.amazon.com/redshift/latest/dg/split_to_array.html: the parts as strings;
-- the delimiter is a comma when left out.
CREATE FUNCTION redshift_emulator.split_to_array(text, text) RETURNS redshift_emulator.super
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT to_jsonb(string_to_array($1, $2))::redshift_emulator.super
$$;
CREATE FUNCTION redshift_emulator.split_to_array(text) RETURNS redshift_emulator.super
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT redshift_emulator.split_to_array($1, ',') $$;

-- The elements of an array, for unnesting (`FROM t, t.arr AS x`, query-super.html): none for a value that is
-- not an array, as Redshift's lax mode skips it.
CREATE FUNCTION redshift_emulator._elements(jsonb) RETURNS SETOF jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT jsonb_array_elements(CASE WHEN jsonb_typeof($1) = 'array' THEN $1 ELSE '[]'::jsonb END)
$$;
