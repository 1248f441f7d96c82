SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
CREATE DATABASE other_db;
\connect other_db
CREATE TYPE mood AS ENUM ('sad');
ALTER TYPE mood ADD VALUE 'happy';
CREATE TABLE t (id int PRIMARY KEY, m mood DEFAULT 'happy', note text);
COPY public.t (id, m, note) FROM stdin;
1	happy	\N
2	sad	it's; a "test"
\.
CREATE INDEX CONCURRENTLY t_note_idx ON t (note);
SET client_encoding = 'LATIN1';
CREATE TABLE u (id int);
