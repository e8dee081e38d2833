-- Calls the dialplan's fallback served while the ARI app was not connected: Asterisk
-- appends one line per such call to a file (hangup handler in extensions.conf) and
-- the service imports it into the journal once it is back, so every call that
-- reached Asterisk has its row.

ALTER TABLE call_record DROP CONSTRAINT call_record_via_known;
ALTER TABLE call_record ADD CONSTRAINT call_record_via_known
    CHECK (via IN ('ari', 'agi', 'dialplan'));

-- How far each fallback file has been imported: `position` is the byte offset after
-- the last imported line; `first_line` tells a rotated (new) file from the old one.
-- Rows and position are written in one transaction, so a line is imported once.
CREATE TABLE dialplan_fallback_import (
    path        text PRIMARY KEY,
    position    bigint NOT NULL CONSTRAINT dialplan_fallback_import_position CHECK (position >= 0),
    first_line  text NOT NULL DEFAULT '',
    imported_at timestamptz NOT NULL DEFAULT now()
);
