-- What the learner declared of each table: DISTSTYLE, DISTKEY, SORTKEY and each column's ENCODE
-- (r_CREATE_TABLE_NEW.html), which PostgreSQL has no place for. The emulator leaves them out of the statement
-- PostgreSQL runs and puts them in a comment beside it (table_attributes.py); the event trigger below reads
-- that comment when the CREATE TABLE (or CREATE TABLE AS, SELECT INTO, ALTER TABLE ... ALTER DISTSTYLE /
-- SORTKEY / ENCODE) ends, in the same transaction, so a rolled-back CREATE records nothing. Read back by Redshift's own
-- catalog columns (pg_class.reldiststyle, pg_attribute.attencodingtype, attisdistkey, attsortkeyord), by
-- PG_TABLE_DEF and by SVV_TABLE_INFO.
--
-- The two tables outlive a new version of the library (install_library drops views and functions only).

CREATE TABLE IF NOT EXISTS redshift_emulator.table_attributes (
    table_id oid PRIMARY KEY,
    diststyle text NOT NULL,  -- EVEN | KEY | ALL | AUTO
    sortkind text             -- COMPOUND | INTERLEAVED | NONE; NULL: AUTO, the default (r_CREATE_TABLE_NEW.html)
);
CREATE TABLE IF NOT EXISTS redshift_emulator.column_attributes (
    table_id oid NOT NULL,
    column_name name NOT NULL,
    encoding text,            -- as declared (ENCODE az64), lower case; NULL: Redshift's automatic choice
    is_distkey boolean NOT NULL DEFAULT false,
    sortkey_ord integer NOT NULL DEFAULT 0,
    PRIMARY KEY (table_id, column_name)
);
GRANT SELECT ON redshift_emulator.table_attributes, redshift_emulator.column_attributes TO PUBLIC;

-- Compression encodings: https://docs.aws.amazon.com/redshift/latest/dg/c_Compression_encodings.html
-- The numbers are the emulator's own (attencodingtype); FORMAT_ENCODING gives each one's name back.
CREATE VIEW redshift_emulator._encodings (code, name) AS
    VALUES (0::smallint, 'none'), (1::smallint, 'bytedict'), (2::smallint, 'delta'), (3::smallint, 'delta32k'),
           (4::smallint, 'lzo'), (5::smallint, 'mostly8'), (6::smallint, 'mostly16'), (7::smallint, 'mostly32'),
           (8::smallint, 'runlength'), (9::smallint, 'text255'), (10::smallint, 'text32k'),
           (11::smallint, 'zstd'), (12::smallint, 'az64');

CREATE FUNCTION redshift_emulator.format_encoding(integer) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT name FROM redshift_emulator._encodings WHERE code = $1
$$;

-- A column's encoding: as declared, else Redshift's automatic choice (c_Compression_encodings.html: sort key
-- columns, BOOLEAN, REAL and DOUBLE PRECISION are RAW; SMALLINT, INTEGER, BIGINT, DECIMAL, DATE, TIMESTAMP and
-- TIMESTAMPTZ are AZ64; CHAR and VARCHAR are LZO). RAW reads as 'none', as PG_TABLE_DEF shows it.
CREATE FUNCTION redshift_emulator._encoding(declared text, type_id oid, sortkey_ord integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN declared IS NOT NULL AND declared NOT IN ('raw', 'auto') THEN declared
        WHEN declared = 'raw' OR sortkey_ord <> 0 THEN 'none'
        WHEN type_id IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype, 'date'::regtype,
                         'timestamp'::regtype, 'timestamptz'::regtype) THEN 'az64'
        WHEN type_id IN ('bpchar'::regtype, 'varchar'::regtype, 'text'::regtype) THEN 'lzo'
        ELSE 'none'
    END
$$;

-- Each user table's columns with their Redshift attributes.
CREATE VIEW redshift_emulator._column_attributes AS
    SELECT a.attrelid, a.attname, a.attnum, coalesce(ca.is_distkey, false) AS is_distkey,
           coalesce(ca.sortkey_ord, 0) AS sortkey_ord,
           redshift_emulator._encoding(ca.encoding, a.atttypid, coalesce(ca.sortkey_ord, 0)) AS encoding
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_class c ON c.oid = a.attrelid AND c.relkind IN ('r', 'p')
    LEFT JOIN redshift_emulator.column_attributes ca ON ca.table_id = a.attrelid AND ca.column_name = a.attname
    WHERE a.attnum > 0 AND NOT a.attisdropped;

-- PG_CLASS's Redshift columns, where a client reads pg_class.reldiststyle (dialect: catalog_queries.py).
-- r_PG_CLASS_INFO.html: 0 EVEN, 1 KEY, 8 ALL; 10, 11, 12 AUTO (ALL), AUTO (EVEN), AUTO (KEY). A table of
-- automatic distribution shows AUTO (EVEN), as SVV_TABLE_INFO does.
CREATE VIEW redshift_emulator._pg_class AS
    SELECT c.*,
           (CASE WHEN c.relkind NOT IN ('r', 'p') THEN 0
                 ELSE CASE coalesce(t.diststyle, 'AUTO') WHEN 'EVEN' THEN 0 WHEN 'KEY' THEN 1 WHEN 'ALL' THEN 8
                      ELSE 11 END END)::integer AS reldiststyle
    FROM pg_catalog.pg_class c LEFT JOIN redshift_emulator.table_attributes t ON t.table_id = c.oid;

-- PG_CLASS_INFO: https://docs.aws.amazon.com/redshift/latest/dg/r_PG_CLASS_INFO.html (oid also as reloid).
CREATE VIEW redshift_emulator.pg_class_info AS
    SELECT c.oid AS reloid, c.*, c.reldiststyle AS releffectivediststyle, NULL::timestamp AS relcreationtime
    FROM redshift_emulator._pg_class c;

-- PG_ATTRIBUTE's Redshift columns (r_PG_TABLE_DEF.html names them: encoding, distkey, sortkey), beside
-- PostgreSQL's own that every version since 12 has (attmissingval, of a pseudo-type, cannot be in a view).
CREATE VIEW redshift_emulator._pg_attribute AS
    SELECT a.attrelid, a.attname, a.atttypid, a.attlen, a.attnum, a.attndims, a.atttypmod, a.attbyval,
           a.attalign, a.attstorage, a.attnotnull, a.atthasdef, a.atthasmissing, a.attidentity, a.attgenerated,
           a.attisdropped, a.attislocal, a.attinhcount, a.attcollation, a.attacl, a.attoptions, a.attfdwoptions,
           coalesce(e.code, 0::smallint) AS attencodingtype, coalesce(r.is_distkey, false) AS attisdistkey,
           coalesce(r.sortkey_ord, 0) AS attsortkeyord
    FROM pg_catalog.pg_attribute a
    LEFT JOIN redshift_emulator._column_attributes r ON r.attrelid = a.attrelid AND r.attnum = a.attnum
    LEFT JOIN redshift_emulator._encodings e ON e.name = r.encoding;

-- PG_ATTRDEF with adsrc, the default's text, which Redshift keeps (PostgreSQL 12 dropped the column).
CREATE VIEW redshift_emulator._pg_attrdef AS
    SELECT d.*, pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS adsrc FROM pg_catalog.pg_attrdef d;

-- PG_TABLE_DEF: https://docs.aws.amazon.com/redshift/latest/dg/r_PG_TABLE_DEF.html
-- One row per column of each table in a schema on the search path (only those, as on Redshift:
-- `SET search_path TO raw_data, public` first to see raw_data's); sortkey is the column's place in a
-- compound sort key, alternately positive and negative in an interleaved one.
CREATE VIEW redshift_emulator.pg_table_def AS
    SELECT n.nspname AS schemaname, c.relname AS tablename, a.attname AS "column",
           pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, r.encoding::character(32) AS encoding,
           r.is_distkey AS distkey, r.sortkey_ord AS sortkey, a.attnotnull AS notnull
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    JOIN redshift_emulator._column_attributes r ON r.attrelid = a.attrelid AND r.attnum = a.attnum
    WHERE c.relkind IN ('r', 'p')
      AND n.nspname = ANY (pg_catalog.current_schemas(false))
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'redshift_emulator');

-- SVV_TABLE_INFO: https://docs.aws.amazon.com/redshift/latest/dg/r_SVV_TABLE_INFO.html
-- Tables with at least one row (the page: "doesn't return any information for empty tables"), tbl_rows
-- counted exactly, size in 1 MB blocks. diststyle: EVEN, KEY(column), ALL, or AUTO(EVEN) for automatic
-- distribution; encoded: Y, N, or "Y, AUTO(ENCODE)" when no column declared its encoding; sortkey1 the first
-- sort key column, AUTO(SORTKEY) for an automatic sort key; sortkey_num the number of sort key columns.
CREATE VIEW redshift_emulator.svv_table_info AS
    SELECT current_database()::text AS database, t.nspname::text AS schema, t.oid AS table_id,
           t.relname::text AS "table",
           (SELECT CASE WHEN bool_and(ca.encoding IS NULL) THEN 'Y, AUTO(ENCODE)'
                        WHEN bool_or(r.encoding <> 'none') THEN 'Y' ELSE 'N' END
            FROM redshift_emulator._column_attributes r
            LEFT JOIN redshift_emulator.column_attributes ca ON ca.table_id = r.attrelid AND ca.column_name = r.attname
            WHERE r.attrelid = t.oid) AS encoded,
           CASE coalesce(ta.diststyle, 'AUTO')
               WHEN 'EVEN' THEN 'EVEN' WHEN 'ALL' THEN 'ALL'
               WHEN 'KEY' THEN 'KEY(' || (SELECT r.attname FROM redshift_emulator._column_attributes r
                                          WHERE r.attrelid = t.oid AND r.is_distkey LIMIT 1) || ')'
               ELSE 'AUTO(EVEN)' END AS diststyle,
           CASE WHEN coalesce(ta.sortkind, 'AUTO') = 'AUTO' THEN 'AUTO(SORTKEY)'
                ELSE (SELECT r.attname::text FROM redshift_emulator._column_attributes r
                      WHERE r.attrelid = t.oid AND abs(r.sortkey_ord) = 1) END AS sortkey1,
           (SELECT max(a.atttypmod - 4) FROM pg_catalog.pg_attribute a
            WHERE a.attrelid = t.oid AND a.atttypid = 'pg_catalog.varchar'::regtype AND a.attnum > 0
              AND NOT a.attisdropped)::integer AS max_varchar,
           (SELECT r.encoding FROM redshift_emulator._column_attributes r
            WHERE r.attrelid = t.oid AND abs(r.sortkey_ord) = 1)::character(32) AS sortkey1_enc,
           (SELECT count(*) FROM redshift_emulator._column_attributes r
            WHERE r.attrelid = t.oid AND r.sortkey_ord <> 0)::integer AS sortkey_num,
           ceil(pg_catalog.pg_total_relation_size(t.oid) / 1048576.0)::bigint AS size,
           0::numeric(10, 4) AS pct_used, 0::bigint AS empty, 0::numeric(5, 2) AS unsorted,
           0::numeric(5, 2) AS stats_off, rc.tbl_rows::numeric(38, 0) AS tbl_rows,
           NULL::numeric(19, 2) AS skew_sortkey1, 1::numeric(19, 2) AS skew_rows,
           rc.tbl_rows::numeric(38, 0) AS estimated_visible_rows, NULL::text AS risk_event,
           NULL::numeric(12, 2) AS vacuum_sort_benefit, NULL::timestamp AS create_time
    FROM redshift_emulator._user_tables t
    LEFT JOIN redshift_emulator.table_attributes ta ON ta.table_id = t.oid
    CROSS JOIN LATERAL (SELECT redshift_emulator._row_count(t.oid::regclass) AS tbl_rows) rc
    WHERE rc.tbl_rows > 0;

-- Late-binding views (CREATE VIEW ... WITH NO SCHEMA BINDING) are not emulated: none to list. dbt-redshift and
-- sqlalchemy-redshift read a relation's columns through this function, with a column definition list of
-- five: schema, view, column name, type, position (r_PG_GET_LATE_BINDING_VIEW_COLS.html).
CREATE FUNCTION redshift_emulator.pg_get_late_binding_view_cols() RETURNS SETOF record
LANGUAGE sql STABLE AS $$
    SELECT NULL::name, NULL::name, NULL::name, NULL::character varying, NULL::integer WHERE false
$$;

-- Redshift Spectrum's external schemas, tables and columns (r_SVV_EXTERNAL_SCHEMAS.html,
-- r_SVV_EXTERNAL_TABLES.html, r_SVV_EXTERNAL_COLUMNS.html): the lab has none.
CREATE VIEW redshift_emulator.svv_external_schemas AS
    SELECT NULL::integer AS esoid, NULL::integer AS eskind, NULL::name AS schemaname, NULL::integer AS esowner,
           NULL::text AS databasename, NULL::text AS esoptions
    WHERE false;
CREATE VIEW redshift_emulator.svv_external_tables AS
    SELECT NULL::text AS redshift_database_name, NULL::name AS schemaname, NULL::name AS tablename,
           NULL::text AS location, NULL::text AS input_format, NULL::text AS output_format,
           NULL::text AS serialization_lib, NULL::text AS serde_parameters, NULL::integer AS compressed,
           NULL::text AS parameters, NULL::text AS tabletype
    WHERE false;
CREATE VIEW redshift_emulator.svv_external_columns AS
    SELECT NULL::text AS redshift_database_name, NULL::name AS schemaname, NULL::name AS tablename,
           NULL::name AS columnname, NULL::text AS external_type, NULL::integer AS columnnum,
           NULL::integer AS part_key, NULL::text AS is_nullable
    WHERE false;

-- The recorder: for each table a command of this statement created or altered, the attributes of the comment
-- `/* redshift_emulator.table_attributes {json} */` (table_attributes.py) whose "table" is its name ("alter":
-- what ALTER TABLE ... ALTER DISTSTYLE / SORTKEY / ENCODE changed). A CREATE without one (a plain CREATE TABLE,
-- or one run beside the emulator) forgets what an earlier table of the same oid declared. SECURITY DEFINER:
-- the learner only reads the two tables.
CREATE FUNCTION redshift_emulator._record_table_attributes() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    command record;
    declared jsonb;
BEGIN
    FOR command IN
        SELECT DISTINCT d.objid, d.command_tag = 'ALTER TABLE' AS altered, c.relname
        FROM pg_event_trigger_ddl_commands() d JOIN pg_class c ON c.oid = d.objid
        WHERE d.classid = 'pg_class'::regclass AND d.object_type = 'table'
    LOOP
        SELECT m[1]::jsonb INTO declared
        FROM regexp_matches(current_query(), '/\* redshift_emulator\.table_attributes (\{.*?\}) \*/', 'g') m
        WHERE m[1]::jsonb ->> 'table' = command.relname AND (m[1]::jsonb ? 'alter') = command.altered
        LIMIT 1;
        IF command.altered THEN
            CONTINUE WHEN declared IS NULL;
            INSERT INTO redshift_emulator.table_attributes (table_id, diststyle) VALUES (command.objid, 'AUTO')
            ON CONFLICT (table_id) DO NOTHING;
            IF declared ? 'diststyle' THEN
                UPDATE redshift_emulator.table_attributes SET diststyle = declared ->> 'diststyle'
                WHERE table_id = command.objid;
                UPDATE redshift_emulator.column_attributes SET is_distkey = false WHERE table_id = command.objid;
                INSERT INTO redshift_emulator.column_attributes (table_id, column_name, is_distkey)
                SELECT command.objid, declared ->> 'distkey', true WHERE declared ->> 'distkey' IS NOT NULL
                ON CONFLICT (table_id, column_name) DO UPDATE SET is_distkey = true;
            END IF;
            IF declared ? 'sortkeys' THEN
                UPDATE redshift_emulator.table_attributes SET sortkind = declared ->> 'sortkind'
                WHERE table_id = command.objid;
                UPDATE redshift_emulator.column_attributes SET sortkey_ord = 0 WHERE table_id = command.objid;
                INSERT INTO redshift_emulator.column_attributes (table_id, column_name, sortkey_ord)
                SELECT command.objid, key, value::integer FROM jsonb_each_text(declared -> 'sortkeys')
                ON CONFLICT (table_id, column_name) DO UPDATE SET sortkey_ord = excluded.sortkey_ord;
            END IF;
            IF declared ? 'encodings' THEN
                -- ALTER ENCODE AUTO: every column back to Redshift's choice (JSON null)
                UPDATE redshift_emulator.column_attributes SET encoding = NULL
                WHERE table_id = command.objid AND jsonb_typeof(declared -> 'encodings') = 'null';
                INSERT INTO redshift_emulator.column_attributes (table_id, column_name, encoding)
                SELECT command.objid, key, value FROM jsonb_each_text(coalesce(nullif(declared -> 'encodings',
                    'null'::jsonb), '{}'::jsonb))
                ON CONFLICT (table_id, column_name) DO UPDATE SET encoding = excluded.encoding;
            END IF;
            CONTINUE;
        END IF;
        DELETE FROM redshift_emulator.column_attributes WHERE table_id = command.objid;
        DELETE FROM redshift_emulator.table_attributes WHERE table_id = command.objid;
        CONTINUE WHEN declared IS NULL;
        INSERT INTO redshift_emulator.table_attributes (table_id, diststyle, sortkind)
        VALUES (command.objid, declared ->> 'diststyle', declared ->> 'sortkind');
        INSERT INTO redshift_emulator.column_attributes (table_id, column_name, encoding, is_distkey, sortkey_ord)
        SELECT command.objid, c.key, c.value ->> 'encoding', coalesce((c.value ->> 'distkey')::boolean, false),
               coalesce((c.value ->> 'sortkey')::integer, 0)
        FROM jsonb_each(declared -> 'columns') c;
    END LOOP;
END
$$;

-- A dropped table (DROP TABLE, DROP SCHEMA ... CASCADE) takes what it declared along.
CREATE FUNCTION redshift_emulator._forget_table_attributes() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM redshift_emulator.table_attributes WHERE table_id IN
        (SELECT objid FROM pg_event_trigger_dropped_objects() WHERE object_type = 'table');
    DELETE FROM redshift_emulator.column_attributes WHERE table_id IN
        (SELECT objid FROM pg_event_trigger_dropped_objects() WHERE object_type = 'table');
END
$$;

-- Only a superuser may create an event trigger: under another bookkeeping login, tables read as undeclared.
-- ENABLE ALWAYS: the emulator's sessions run with session_replication_role = replica (session.py), where an
-- ordinary event trigger does not fire.
DO $$
BEGIN
    CREATE EVENT TRIGGER redshift_emulator_table_attributes ON ddl_command_end
        WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE')
        EXECUTE FUNCTION redshift_emulator._record_table_attributes();
    ALTER EVENT TRIGGER redshift_emulator_table_attributes ENABLE ALWAYS;
    CREATE EVENT TRIGGER redshift_emulator_dropped_tables ON sql_drop
        EXECUTE FUNCTION redshift_emulator._forget_table_attributes();
    ALTER EVENT TRIGGER redshift_emulator_dropped_tables ENABLE ALWAYS;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'not a superuser: the Redshift table attributes will not be recorded';
END
$$;

GRANT SELECT ON redshift_emulator.pg_table_def, redshift_emulator.svv_table_info, redshift_emulator._pg_class,
    redshift_emulator.pg_class_info, redshift_emulator._pg_attribute, redshift_emulator._pg_attrdef,
    redshift_emulator._encodings, redshift_emulator._column_attributes, redshift_emulator.svv_external_schemas,
    redshift_emulator.svv_external_tables, redshift_emulator.svv_external_columns TO PUBLIC;
