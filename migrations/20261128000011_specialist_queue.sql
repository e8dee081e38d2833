-- The specialists' queue: when a call started waiting, and callback requests left
-- there. A callback without a topic belongs to the contact center itself (no
-- organisation): specialists see it, no organisation's staff do.
ALTER TYPE call_outcome ADD VALUE 'callback_requested';

ALTER TABLE call_record ADD COLUMN queued_at timestamptz;

ALTER TABLE appeal DROP CONSTRAINT appeal_has_organisation;
ALTER TABLE appeal ADD CONSTRAINT appeal_has_organisation
    CHECK (organisation IS NOT NULL OR (callback_requested AND created_by IS NULL));

-- Transfers by specialists (console or the *1 code on their phone), journaled with
-- the call: who transferred, to which topic, how it ended.
CREATE TABLE call_transfer (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_key        text NOT NULL REFERENCES call_record (call_key) ON UPDATE CASCADE,
    -- 1, 2, ... within the call.
    number          integer NOT NULL,
    origin          text NOT NULL
                    CONSTRAINT call_transfer_origin_known CHECK (origin IN ('console', 'feature_code', 'refer')),
    topic           text NOT NULL,
    -- The specialist's phone.
    from_target     text,
    console_user    bigint,
    started_at      timestamptz NOT NULL,
    ended_at        timestamptz,
    result          text CONSTRAINT call_transfer_result_known
                    CHECK (result IN ('answered', 'failed', 'cancelled', 'abandoned')),
    answered_target text,
    CONSTRAINT call_transfer_number_once UNIQUE (call_key, number),
    CONSTRAINT call_transfer_result_when_ended CHECK ((result IS NULL) = (ended_at IS NULL))
);
