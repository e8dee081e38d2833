-- Reports (src/reports/) read a period's calls by `call_record (entered_at)` and
-- join the attempts and transfers of the same period by their start: without these,
-- every call of a month would be a probe into `dial_attempt` (benches/report.rs:
-- 0.68 s a month on a year of 1,000,000 calls; with them, see docs/benchmarks.md).
CREATE INDEX dial_attempt_started_at ON dial_attempt (started_at);
CREATE INDEX call_transfer_started_at ON call_transfer (started_at);
