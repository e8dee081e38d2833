-- The journal: one row per call and one per dial attempt, written by the ARI app and
-- the FastAGI endpoint alike. Rows are only ever inserted and completed, never
-- deleted by the service. Names of callees are copied in, so a record stays readable
-- after the roster changes.

CREATE TYPE call_outcome AS ENUM (
    'answered_by_staff',       -- bridged with a responsible staff member
    'answered_by_specialist',  -- bridged with a contact-center specialist
    'abandoned',               -- the caller hung up before anyone answered
    'failed'                   -- nobody could take it, or the service could not place it
);

CREATE TYPE attempt_result AS ENUM (
    'answered', 'busy', 'no_answer', 'unavailable', 'cancelled', 'failed'
);

CREATE TABLE call_record (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The caller's Asterisk channel id (unique id): the key the service writes by.
    call_key        text NOT NULL CONSTRAINT call_record_call_key_unique UNIQUE,
    -- 'ari' (Stasis app) or 'agi' (FastAGI dialplan).
    via             text NOT NULL CONSTRAINT call_record_via_known CHECK (via IN ('ari', 'agi')),
    line            text NOT NULL,
    caller_number   text NOT NULL DEFAULT '',
    topic           text,
    decision_mode   text,
    decision_reason text,
    entered_at      timestamptz NOT NULL,
    routed_at       timestamptz,
    answered_at     timestamptz,
    ended_at        timestamptz,
    -- Who answered: the dial target, and the staff member's id and name if staff.
    answered_target text,
    answered_staff  bigint,
    answered_name   text,
    outcome         call_outcome,
    CONSTRAINT call_record_outcome_when_ended CHECK ((outcome IS NULL) = (ended_at IS NULL))
);

CREATE INDEX call_record_entered_at ON call_record (entered_at);

CREATE TABLE dial_attempt (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_key    text NOT NULL REFERENCES call_record (call_key) ON UPDATE CASCADE,
    -- The leg's channel id (chosen by the service), unique per attempt.
    leg         text NOT NULL CONSTRAINT dial_attempt_leg_unique UNIQUE,
    target      text NOT NULL,
    -- 'staff' or 'specialist'.
    callee_kind text NOT NULL CONSTRAINT dial_attempt_callee_kind_known
                CHECK (callee_kind IN ('staff', 'specialist')),
    staff_id    bigint,
    callee_name text NOT NULL DEFAULT '',
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    result      attempt_result,
    CONSTRAINT dial_attempt_result_when_ended CHECK ((result IS NULL) = (ended_at IS NULL))
);

CREATE INDEX dial_attempt_call_key ON dial_attempt (call_key);
-- Least-recently-called hunting reads the last attempt per staff member.
CREATE INDEX dial_attempt_staff_started ON dial_attempt (staff_id, started_at DESC)
    WHERE staff_id IS NOT NULL;
