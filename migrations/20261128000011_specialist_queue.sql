-- The specialists' queue: when a call started waiting, and callback requests left
-- there. A callback without a topic belongs to the contact center itself (no
-- organisation): specialists see it, no organisation's staff do.
ALTER TYPE call_outcome ADD VALUE 'callback_requested';

ALTER TABLE call_record ADD COLUMN queued_at timestamptz;

ALTER TABLE appeal DROP CONSTRAINT appeal_has_organisation;
ALTER TABLE appeal ADD CONSTRAINT appeal_has_organisation
    CHECK (organisation IS NOT NULL OR (callback_requested AND created_by IS NULL));
