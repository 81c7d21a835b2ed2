-- Version 2 of the tables of `vigil server --database postgres://…` (see postgres.rs).
CREATE TABLE IF NOT EXISTS vigil_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
-- The log: every workstation's events in the server's order (seq), each once (id), chained per
-- origin (origin, origin_seq, prev_hash, hash).
CREATE TABLE IF NOT EXISTS events (
    seq        bigserial PRIMARY KEY,
    id         uuid NOT NULL UNIQUE,
    origin     uuid NOT NULL,
    origin_seq bigint NOT NULL CHECK (origin_seq > 0),
    actor      text NOT NULL,
    kind       text NOT NULL,
    subject    text NOT NULL,
    hlc        bigint NOT NULL,
    wall       bigint NOT NULL,
    schema     integer NOT NULL,
    payload    text NOT NULL,
    prev_hash  text NOT NULL,
    hash       text NOT NULL,
    stored_at  bigint NOT NULL,
    UNIQUE (origin, origin_seq)
);
-- Every workstation enrolled, with the SHA-256 of its token (never the token).
CREATE TABLE IF NOT EXISTS workstations (
    origin       uuid PRIMARY KEY,
    name         text NOT NULL,
    token_hash   text NOT NULL UNIQUE,
    enrolled_at  bigint NOT NULL,
    client       text NOT NULL DEFAULT 'workstation' CHECK (client IN ('workstation', 'handheld')),
    revoked_at   bigint,
    last_seen    bigint,
    clock_offset bigint
);
CREATE INDEX IF NOT EXISTS workstations_name ON workstations (name);
-- A check-in posted twice is found by its event's subject.
CREATE INDEX IF NOT EXISTS events_subject ON events (subject);
-- One-time enrollment codes (hashed).
CREATE TABLE IF NOT EXISTS enrollments (
    code_hash  text PRIMARY KEY,
    name       text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    client     text NOT NULL DEFAULT 'workstation' CHECK (client IN ('workstation', 'handheld')),
    used_at    bigint,
    used_by    uuid
);
-- Every chain head a workstation showed, with when.
CREATE TABLE IF NOT EXISTS heads (
    origin  uuid NOT NULL,
    chain   text NOT NULL CHECK (chain IN ('events', 'audit')),
    seq     bigint NOT NULL,
    hash    text NOT NULL,
    seen_at bigint NOT NULL,
    PRIMARY KEY (origin, chain, seq)
);
-- The log and the witnessed heads are append-only, as on SQLite: changing them takes disabling
-- these triggers first, which `vigil server verify` then finds out.
CREATE OR REPLACE FUNCTION vigil_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the % table is append-only', TG_TABLE_NAME;
END
$$;
CREATE OR REPLACE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION vigil_append_only();
CREATE OR REPLACE TRIGGER heads_append_only BEFORE UPDATE OR DELETE ON heads
    FOR EACH ROW EXECUTE FUNCTION vigil_append_only();
-- Events stored but not readable by this build: kept, and in every pull, for a newer one.
CREATE TABLE IF NOT EXISTS rejected (
    event_id uuid PRIMARY KEY REFERENCES events (id),
    reason   text NOT NULL
);
