-- The journal writer's facts, applied in one round trip per batch.
--
-- The service gathers a call's facts (started, routed, attempt started/ended,
-- answered, ended, ...) and writes them in batches. Sent as one statement each,
-- a call cost Postgres about seven round trips; `journal_apply` takes a whole
-- batch as a JSON array, in the order the facts happened, and applies each fact
-- in that order, so a batch costs one round trip.
--
-- Each element is a journal record as the service serialises it (the same form
-- as its spool file): {"call_key": "...", "kind": {"fact": "started", ...}}.
-- Every fact is idempotent (a record replayed from the spool changes nothing
-- twice). An unknown fact raises 22023 (invalid parameter), which the writer
-- treats like a refused row: it sets that record aside and keeps the others.
CREATE FUNCTION journal_apply(batch jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    item    jsonb;
    key     text;
    f       jsonb;
    fact_at timestamptz;
BEGIN
    FOR item IN SELECT value FROM jsonb_array_elements(batch) LOOP
        key := item->>'call_key';
        f := item->'kind';
        fact_at := (f->>'at')::timestamptz;
        CASE f->>'fact'
        WHEN 'started' THEN
            INSERT INTO call_record (call_key, via, line, caller_number, entered_at)
            VALUES (key, f->>'via', f->>'line', f->>'caller_number', fact_at)
            ON CONFLICT (call_key) DO NOTHING;
        WHEN 'routed' THEN
            UPDATE call_record SET topic = f->>'topic', decision_mode = f->>'mode',
                   decision_reason = f->>'reason', routed_at = fact_at
             WHERE call_key = key;
        WHEN 'attempt_started' THEN
            INSERT INTO dial_attempt (call_key, leg, target, callee_kind, staff_id,
                                      callee_name, started_at)
            VALUES (key, f->>'leg', f->>'target', f->>'callee_kind',
                    (f->>'staff_id')::bigint, f->>'callee_name', fact_at)
            ON CONFLICT (leg) DO NOTHING;
        WHEN 'attempt_ended' THEN
            UPDATE dial_attempt SET ended_at = fact_at, result = (f->>'result')::attempt_result
             WHERE leg = f->>'leg' AND ended_at IS NULL;
        WHEN 'answered' THEN
            UPDATE call_record c SET answered_at = fact_at, answered_target = a.target,
                   answered_staff = a.staff_id, answered_name = a.callee_name
              FROM dial_attempt a
             WHERE c.call_key = key AND a.leg = f->>'leg';
        WHEN 'queued' THEN
            UPDATE call_record SET queued_at = fact_at
             WHERE call_key = key AND queued_at IS NULL;
        -- The appeal's number is unique per call: a record replayed from the spool
        -- does not register the request twice.
        WHEN 'callback_requested' THEN
            INSERT INTO appeal (call_key, line, topic, organisation, caller_number, note,
                                callback_requested, created_at)
            SELECT key, f->>'line', f->>'topic', f->>'organisation',
                   NULLIF(regexp_replace(f->>'caller_number', '[^0-9+]', '', 'g'), ''),
                   'Просьба перезвонить, оставленная в очереди', true, fact_at
             WHERE NOT EXISTS (SELECT 1 FROM appeal
                                WHERE call_key = key AND callback_requested);
        WHEN 'transfer_started' THEN
            INSERT INTO call_transfer (call_key, number, origin, topic, from_target,
                                       console_user, started_at)
            VALUES (key, least((f->>'number')::bigint, 2147483647)::integer, f->>'origin',
                    f->>'topic', f->>'from_target', (f->>'console_user')::bigint, fact_at)
            ON CONFLICT (call_key, number) DO NOTHING;
        WHEN 'transfer_ended' THEN
            UPDATE call_transfer SET result = f->>'result',
                   answered_target = f->>'answered_target', ended_at = fact_at
             WHERE call_key = key
               AND number = least((f->>'number')::bigint, 2147483647)::integer
               AND ended_at IS NULL;
        WHEN 'open_attempts_cancelled' THEN
            UPDATE dial_attempt SET ended_at = fact_at, result = 'cancelled'
             WHERE call_key = key AND ended_at IS NULL;
        WHEN 'ended' THEN
            UPDATE call_record SET ended_at = fact_at, outcome = (f->>'outcome')::call_outcome
             WHERE call_key = key AND ended_at IS NULL;
        ELSE
            RAISE EXCEPTION 'journal_apply: unknown fact % for call %', f->>'fact', key
                USING ERRCODE = '22023';
        END CASE;
    END LOOP;
END
$$;
