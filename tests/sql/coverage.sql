-- Schema objects beyond gen's own spec output: each is read back, built and applied again.
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'application objects';
CREATE ROLE cov_reader NOLOGIN;
GRANT USAGE ON SCHEMA app TO cov_reader;
CREATE COLLATION app.nocase (locale = 'C');
CREATE DOMAIN app.year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155);
CREATE DOMAIN app.email AS text NOT NULL DEFAULT 'x@example.com';
CREATE TYPE app.money_pair AS (amount numeric(12,2), currency text);
CREATE TYPE app.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE SEQUENCE app.invoice_no AS integer START WITH 1000 INCREMENT BY 10 CACHE 5;
CREATE TABLE app.films (
  id serial CONSTRAINT films_pk PRIMARY KEY,
  title text COLLATE app.nocase NOT NULL,
  released app.year,
  contact app.email,
  price app.money_pair,
  invoice integer DEFAULT nextval('app.invoice_no'),
  span app.floatrange,
  during tsrange,
  CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&),
  CONSTRAINT films_title_key UNIQUE (title) DEFERRABLE INITIALLY DEFERRED
) WITH (fillfactor = 70);
CREATE INDEX films_title_idx ON app.films (lower(title) DESC NULLS LAST, id);
ALTER TABLE app.films CLUSTER ON films_title_idx;
CREATE UNLOGGED TABLE app.scratch (id bigserial PRIMARY KEY, note text);
ALTER TABLE app.scratch REPLICA IDENTITY FULL;
CREATE TABLE app.measurement (logdate date NOT NULL, peak int) PARTITION BY RANGE (logdate);
CREATE TABLE app.measurement_2024 PARTITION OF app.measurement FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.measurement_rest PARTITION OF app.measurement DEFAULT;
CREATE INDEX measurement_logdate_idx ON app.measurement (logdate);
ALTER TABLE app.measurement_2024 ENABLE ROW LEVEL SECURITY;
CREATE POLICY peak_visible ON app.measurement_2024 FOR SELECT USING (peak > 0);
CREATE TABLE app.base (id int, created timestamptz DEFAULT now());
CREATE TABLE app.child (extra text) INHERITS (app.base);
CREATE FUNCTION app.add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF COST 5
  AS 'SELECT a + b';
CREATE FUNCTION app.slow() RETURNS SETOF int LANGUAGE sql STABLE ROWS 20 SET work_mem = '64MB'
  AS 'SELECT 1';
CREATE FUNCTION app.ret1() RETURNS int LANGUAGE sql RETURN 1;
CREATE PROCEDURE app.noop(n int) LANGUAGE plpgsql AS $$ BEGIN PERFORM n; END $$;
CREATE FUNCTION app.concat_sfunc(text, text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT CASE WHEN $1 IS NULL THEN $2 ELSE $1 || ', ' || $2 END $$;
CREATE AGGREGATE app.group_concat(text) (SFUNC = app.concat_sfunc, STYPE = text);
CREATE FUNCTION app.audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER films_audit AFTER INSERT ON app.films REFERENCING NEW TABLE AS fresh
  FOR EACH STATEMENT EXECUTE FUNCTION app.audit('films', 'insert');
CREATE TRIGGER films_touch BEFORE UPDATE ON app.films FOR EACH ROW
  WHEN (OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION app.audit();
ALTER TABLE app.films DISABLE TRIGGER films_touch;
CREATE MATERIALIZED VIEW app.titles AS SELECT app.group_concat(title) AS all_titles, count(*) AS n FROM app.films;
CREATE UNIQUE INDEX titles_n_idx ON app.titles (n);
CREATE VIEW app.film_view WITH (security_barrier = true) AS SELECT id, title FROM app.films;
CREATE FUNCTION app.view_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER film_view_insert INSTEAD OF INSERT ON app.film_view FOR EACH ROW EXECUTE FUNCTION app.view_insert();
CREATE TABLE app.tickets (id bigint GENERATED ALWAYS AS IDENTITY (START WITH 1000 INCREMENT BY 5 CACHE 20) PRIMARY KEY);
