-- Specialists' desk states (ready, on a break, signed out) as they set them in the
-- console, kept in Postgres so that they survive a takeover by a standby instance
-- and so that a specialist may use either instance's console: the instance that
-- routes calls applies every change announced on `specialist_desk_changed`, and
-- restores them all when it takes over (src/app/desk.rs).
CREATE TABLE specialist_desk (
    specialist_id bigint PRIMARY KEY REFERENCES specialist (id) ON DELETE CASCADE,
    state         text NOT NULL
                  CONSTRAINT specialist_desk_state_known CHECK (state IN ('ready', 'paused', 'signed_out')),
    changed_at    timestamptz NOT NULL DEFAULT now(),
    -- The instance whose console took the change (it applied it already).
    changed_by    text NOT NULL DEFAULT ''
);

CREATE FUNCTION specialist_desk_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('specialist_desk_changed', json_build_object(
        'specialist_id', NEW.specialist_id, 'state', NEW.state, 'changed_by', NEW.changed_by)::text);
    RETURN NULL;
END $$;

CREATE TRIGGER specialist_desk_notify AFTER INSERT OR UPDATE ON specialist_desk
    FOR EACH ROW EXECUTE FUNCTION specialist_desk_notify();
