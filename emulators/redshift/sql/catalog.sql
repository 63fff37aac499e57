-- Redshift's views for looking around the warehouse, over PostgreSQL's catalog. The emulator's own schema
-- and PostgreSQL's are never listed as the learner's tables. PG_TABLE_DEF and SVV_TABLE_INFO, which show what
-- the learner declared of each table: table_attributes.sql.

-- The exact number of rows of a table, for SVV_TABLE_INFO (PostgreSQL's statistics are estimates).
CREATE FUNCTION redshift_emulator._row_count(regclass) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    counted bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', $1) INTO counted;
    RETURN counted;
END
$$;

-- The learner's own tables: not PostgreSQL's, not the emulator's, not another session's temporary ones.
CREATE VIEW redshift_emulator._user_tables AS
    SELECT c.oid, n.nspname, c.relname
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'm')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'redshift_emulator')
      AND n.nspname NOT LIKE 'pg\_toast%' AND (n.nspname NOT LIKE 'pg\_temp\_%' OR n.oid = pg_my_temp_schema())
      AND pg_catalog.has_table_privilege(c.oid, 'SELECT');

-- SVV_COLUMNS: https://docs.aws.amazon.com/redshift/latest/dg/r_SVV_COLUMNS.html
CREATE VIEW redshift_emulator.svv_columns AS
    SELECT c.table_catalog::text, c.table_schema::text, c.table_name::text, c.column_name::text,
           c.ordinal_position::integer, c.column_default::text, c.is_nullable::text, c.data_type::text,
           c.character_maximum_length::integer, c.numeric_precision::integer,
           c.numeric_precision_radix::integer, c.numeric_scale::integer, c.datetime_precision::integer,
           c.interval_type::text, c.interval_precision::integer, c.character_set_catalog::text,
           c.character_set_schema::text, c.character_set_name::text, c.collation_catalog::text,
           c.collation_schema::text, c.collation_name::text, c.domain_name::text,
           pg_catalog.col_description(
               format('%I.%I', c.table_schema, c.table_name)::regclass, c.ordinal_position::integer
           ) AS remarks
    FROM information_schema.columns c
    WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema', 'redshift_emulator');

-- STV_RECENTS: https://docs.aws.amazon.com/redshift/latest/dg/r_STV_RECENTS.html
-- What each session runs now (status Running) or ran last (Done), from pg_stat_activity; duration in
-- microseconds, times in UTC as Redshift's system tables hold them.
CREATE VIEW redshift_emulator.stv_recents AS
    SELECT a.usesysid::integer AS userid,
           CASE WHEN a.state = 'active' THEN 'Running' ELSE 'Done' END::character(20) AS status,
           (a.query_start AT TIME ZONE 'UTC') AS starttime,
           (extract(epoch FROM CASE WHEN a.state = 'active' THEN clock_timestamp() ELSE a.state_change END
                - a.query_start) * 1000000)::integer AS duration,
           a.usename::character(50) AS user_name, a.datname::character(50) AS db_name,
           a.query::character(600) AS query, a.pid
    FROM pg_catalog.pg_stat_activity a
    WHERE a.backend_type = 'client backend' AND a.query_start IS NOT NULL
      AND a.application_name IS DISTINCT FROM 'redshift-emulator bookkeeping';

GRANT SELECT ON redshift_emulator.svv_columns, redshift_emulator.stv_recents TO PUBLIC;
