-- Retention (version 3 of the tables): the chain entries of events removed from the log, and the
-- one delete the log allows — of an event whose chain entry is kept here. `tomb` numbers them in
-- the order they were removed, so each server process's fold follows them.
CREATE TABLE IF NOT EXISTS events_pruned (
    tomb       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq        bigint NOT NULL UNIQUE,
    id         uuid NOT NULL UNIQUE,
    origin     uuid NOT NULL,
    origin_seq bigint NOT NULL,
    kind       text NOT NULL,
    subject    text NOT NULL,
    wall       bigint NOT NULL,
    prev_hash  text NOT NULL,
    hash       text NOT NULL,
    -- The incident whose history it was; none for a superseded version of reference data.
    incident   uuid,
    pruned_at  bigint NOT NULL,
    UNIQUE (origin, origin_seq)
);
CREATE OR REPLACE FUNCTION vigil_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM events_pruned p WHERE p.id = OLD.id AND p.hash = OLD.hash) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the % table is append-only', TG_TABLE_NAME;
END
$$;
CREATE OR REPLACE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION vigil_events_guard();
CREATE OR REPLACE TRIGGER events_pruned_append_only BEFORE UPDATE OR DELETE ON events_pruned
    FOR EACH ROW EXECUTE FUNCTION vigil_append_only();
