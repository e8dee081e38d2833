-- Call recording, optional per line, and the Asterisk node of each call (issue 17).
--
-- A recorded line plays a notice before its menu ("разговор записывается") and
-- records the conversation from the moment the caller is bridged with staff or a
-- specialist. Asterisk writes the file (ARI bridge recording) into its recording
-- folder under the name the journal keeps; after the line's retention period a
-- cleanup deletes the file and marks the journal row. Admins listen to or download
-- a recording through the console, and every such access is written down here.

ALTER TABLE line
    ADD COLUMN record_calls boolean NOT NULL DEFAULT false,
    -- Days a recording is kept, counted from the call's start.
    ADD COLUMN recording_retention_days integer NOT NULL DEFAULT 90
        CONSTRAINT line_recording_retention_in_range
        CHECK (recording_retention_days BETWEEN 1 AND 3650);

ALTER TABLE call_record
    -- The Asterisk node the call arrived on (hotline may drive several); what
    -- stays on a node after the call (its recording) is asked of that node. NULL:
    -- FastAGI calls and calls journaled before nodes were named.
    ADD COLUMN asterisk_node text,
    -- The stored recording's name in Asterisk (`folder/call_key`), from the moment
    -- recording started; kept after removal, so the journal still says there was one.
    ADD COLUMN recording_name text,
    ADD COLUMN recording_started_at timestamptz,
    -- When the retention cleanup deleted the file (or found it already gone).
    ADD COLUMN recording_removed_at timestamptz,
    ADD CONSTRAINT call_record_recording_removed_after_made
        CHECK (recording_removed_at IS NULL OR recording_name IS NOT NULL);

-- The cleanup looks for recordings still kept, oldest first.
CREATE INDEX call_record_recording_kept ON call_record (entered_at)
    WHERE recording_name IS NOT NULL AND recording_removed_at IS NULL;

-- Who listened to or downloaded which recording, and when (admins only may).
CREATE TABLE recording_access (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_key     text NOT NULL REFERENCES call_record (call_key) ON UPDATE CASCADE,
    console_user text NOT NULL,
    accessed_at  timestamptz NOT NULL DEFAULT now(),
    -- The client's address as the console saw it.
    address      text
);

CREATE INDEX recording_access_call ON recording_access (call_key);

-- The journal learns the new fact `recording_started` and the node of a
-- `started` fact; the others stay with the function of 20261204000001, renamed
-- (the same pattern as that migration).
ALTER FUNCTION journal_apply(jsonb) RENAME TO journal_apply_20261204;

CREATE FUNCTION journal_apply(batch jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    item    jsonb;
    f       jsonb;
    pending jsonb := '[]'::jsonb;
BEGIN
    FOR item IN SELECT value FROM jsonb_array_elements(batch) LOOP
        f := item->'kind';
        IF f->>'fact' = 'started' AND f ? 'node' THEN
            -- The row first (with the facts before it, in order), then its node.
            PERFORM journal_apply_20261204(pending || jsonb_build_array(item));
            pending := '[]'::jsonb;
            UPDATE call_record SET asterisk_node = f->>'node'
             WHERE call_key = item->>'call_key' AND asterisk_node IS NULL;
            CONTINUE;
        END IF;
        IF f->>'fact' IS DISTINCT FROM 'recording_started' THEN
            pending := pending || jsonb_build_array(item);
            CONTINUE;
        END IF;
        IF jsonb_array_length(pending) > 0 THEN
            PERFORM journal_apply_20261204(pending);
            pending := '[]'::jsonb;
        END IF;
        -- Idempotent: a replayed record finds the name already set.
        UPDATE call_record
           SET recording_name = f->>'name',
               recording_started_at = (f->>'at')::timestamptz
         WHERE call_key = item->>'call_key' AND recording_name IS NULL;
    END LOOP;
    IF jsonb_array_length(pending) > 0 THEN
        PERFORM journal_apply_20261204(pending);
    END IF;
END
$$;
