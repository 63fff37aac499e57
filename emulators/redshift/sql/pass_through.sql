-- PostgreSQL's own forms of the names this library shares with pg_catalog (LEFT, ROUND, AVG, SUM, DATE_TRUNC ...).
-- The rewriting qualifies every call of a library name (builtins.py: built-ins that no user can shadow), so
-- `left('abc', 2)` reaches redshift_emulator.left: each pg_catalog form the library does not replace gets one
-- here that calls pg_catalog's, and the qualified call resolves among the same forms the unqualified one did.
-- Read from the catalog when the library is installed, so they follow the PostgreSQL version. A function is an
-- SQL function that PostgreSQL inlines (the plan is pg_catalog's call); an aggregate has pg_catalog's own
-- transition, final and combine functions. Only a superuser may create an aggregate whose state is `internal`
-- (sum and avg of numeric): under another bookkeeping login it gathers its values in an array and hands them to
-- pg_catalog's aggregate at the end, the same answer, slower.
DO $$
DECLARE
    f record;
    calls text;
BEGIN
    FOR f IN
        SELECT p.proname, p.prokind, pg_get_function_arguments(p.oid) AS arguments,
               pg_get_function_identity_arguments(p.oid) AS types, pg_get_function_result(p.oid) AS result,
               CASE p.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END AS volatility,
               CASE p.proparallel WHEN 's' THEN 'SAFE' WHEN 'r' THEN 'RESTRICTED' ELSE 'UNSAFE' END AS parallel,
               (SELECT string_agg(CASE WHEN i = p.pronargs AND p.provariadic <> 0 THEN 'VARIADIC ' ELSE '' END
                                  || '$' || i, ', ' ORDER BY i)
                FROM generate_series(1, p.pronargs) AS i) AS parameters,
               concat_ws(', ',
                   'SFUNC = ' || a.aggtransfn::text, 'STYPE = ' || format_type(a.aggtranstype, NULL),
                   'SSPACE = ' || nullif(a.aggtransspace, 0),
                   CASE WHEN a.aggfinalfn <> 0 THEN 'FINALFUNC = ' || a.aggfinalfn::text END,
                   CASE WHEN a.aggfinalextra THEN 'FINALFUNC_EXTRA' END,
                   'FINALFUNC_MODIFY = ' || CASE a.aggfinalmodify WHEN 'r' THEN 'READ_ONLY'
                       WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END,
                   CASE WHEN a.aggcombinefn <> 0 THEN 'COMBINEFUNC = ' || a.aggcombinefn::text END,
                   CASE WHEN a.aggserialfn <> 0 THEN 'SERIALFUNC = ' || a.aggserialfn::text END,
                   CASE WHEN a.aggdeserialfn <> 0 THEN 'DESERIALFUNC = ' || a.aggdeserialfn::text END,
                   'INITCOND = ' || quote_literal(a.agginitval),
                   CASE WHEN a.aggmtransfn <> 0 THEN concat_ws(', ',
                       'MSFUNC = ' || a.aggmtransfn::text, 'MINVFUNC = ' || a.aggminvtransfn::text,
                       'MSTYPE = ' || format_type(a.aggmtranstype, NULL), 'MSSPACE = ' || nullif(a.aggmtransspace, 0),
                       CASE WHEN a.aggmfinalfn <> 0 THEN 'MFINALFUNC = ' || a.aggmfinalfn::text END,
                       CASE WHEN a.aggmfinalextra THEN 'MFINALFUNC_EXTRA' END,
                       'MFINALFUNC_MODIFY = ' || CASE a.aggmfinalmodify WHEN 'r' THEN 'READ_ONLY'
                           WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END,
                       'MINITCOND = ' || quote_literal(a.aggminitval)) END,
                   CASE WHEN a.aggsortop <> 0 THEN 'SORTOP = OPERATOR(' || a.aggsortop::regoperator::text || ')' END
               ) AS options
        FROM pg_proc p LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid
        WHERE p.pronamespace = 'pg_catalog'::regnamespace AND (p.prokind = 'f' OR a.aggkind = 'n')
          AND p.proname IN (SELECT e.proname FROM pg_proc e
                            WHERE e.pronamespace = 'redshift_emulator'::regnamespace AND e.proname !~ '^_')
          AND NOT EXISTS (SELECT FROM pg_proc e WHERE e.pronamespace = 'redshift_emulator'::regnamespace
                          AND e.proname = p.proname AND e.proargtypes = p.proargtypes)
    LOOP
        IF f.prokind = 'f' THEN
            calls := format('SELECT pg_catalog.%I(%s)', f.proname, f.parameters);
            EXECUTE format('CREATE FUNCTION redshift_emulator.%I(%s) RETURNS %s LANGUAGE sql %s PARALLEL %s AS %L',
                           f.proname, f.arguments, f.result, f.volatility, f.parallel, calls);
            CONTINUE;
        END IF;
        BEGIN
            EXECUTE format('CREATE AGGREGATE redshift_emulator.%I(%s) (%s, PARALLEL = %s)',
                           f.proname, f.arguments, f.options, f.parallel);
        EXCEPTION WHEN invalid_function_definition THEN  -- "aggregate transition data type cannot be internal"
            EXECUTE format('CREATE FUNCTION redshift_emulator._gathered_%s(%s[]) RETURNS %s LANGUAGE sql %s AS %L',
                           f.proname, f.types, f.result, f.volatility,
                           format('SELECT pg_catalog.%I(v) FROM pg_catalog.unnest($1) AS v', f.proname));
            EXECUTE format('CREATE AGGREGATE redshift_emulator.%I(%s) (SFUNC = pg_catalog.array_append, '
                           'STYPE = %s[], INITCOND = ''{}'', FINALFUNC = redshift_emulator._gathered_%s)',
                           f.proname, f.arguments, f.types, f.proname);
        END;
    END LOOP;
END
$$;
