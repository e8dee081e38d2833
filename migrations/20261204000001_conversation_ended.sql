-- A conversation left bridged by an instance that died (kill -9, a crash) ends
-- while the next instance runs. That instance sees only the bridge losing a party;
-- the call's outcome follows from what the dead one journaled before: who
-- answered. The new fact `conversation_ended` closes the call with that outcome:
-- answered by a specialist or by staff when an answer was journaled, abandoned
-- otherwise. Idempotent like every fact (only a call not yet ended is touched).
--
-- The facts of 20261129000001 stay with that function, renamed; runs of them go
-- to it in one call each, so a batch keeps its order and its single round trip.
ALTER FUNCTION journal_apply(jsonb) RENAME TO journal_apply_20261129;

CREATE FUNCTION journal_apply(batch jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    item    jsonb;
    key     text;
    f       jsonb;
    pending jsonb := '[]'::jsonb;
BEGIN
    FOR item IN SELECT value FROM jsonb_array_elements(batch) LOOP
        f := item->'kind';
        IF f->>'fact' IS DISTINCT FROM 'conversation_ended' THEN
            pending := pending || jsonb_build_array(item);
            CONTINUE;
        END IF;
        IF jsonb_array_length(pending) > 0 THEN
            PERFORM journal_apply_20261129(pending);
            pending := '[]'::jsonb;
        END IF;
        key := item->>'call_key';
        UPDATE call_record c
           SET ended_at = (f->>'at')::timestamptz,
               outcome = (CASE
                   WHEN c.answered_at IS NULL THEN 'abandoned'
                   WHEN EXISTS (SELECT 1 FROM dial_attempt a
                                 WHERE a.call_key = key AND a.target = c.answered_target
                                   AND a.callee_kind = 'specialist') THEN 'answered_by_specialist'
                   ELSE 'answered_by_staff'
               END)::call_outcome
         WHERE c.call_key = key AND c.ended_at IS NULL;
    END LOOP;
    IF jsonb_array_length(pending) > 0 THEN
        PERFORM journal_apply_20261129(pending);
    END IF;
END
$$;
