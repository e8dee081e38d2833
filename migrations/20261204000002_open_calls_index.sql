-- At each resync the service looks for calls the journal still shows open (their
-- end lost with a killed instance) to close those Asterisk no longer has. Open
-- calls are few among a year's rows: a partial index keeps that look-up small.
CREATE INDEX call_record_open ON call_record (entered_at) WHERE ended_at IS NULL;
