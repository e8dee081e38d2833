-- A call the service gave back to the dialplan (shutting down): the dialplan's
-- fallback rings the specialists from there, outside the service's journal.
ALTER TYPE call_outcome ADD VALUE 'handed_to_dialplan';
