-- A line's greeting, played once before the first menu (the menu alone is repeated
-- after an invalid or missing choice). Empty: the menu starts at once.
ALTER TABLE line ADD COLUMN greeting_prompt text
    CONSTRAINT line_greeting_prompt_is_sound_name
    CHECK (greeting_prompt ~ '^[A-Za-z0-9_/-]{1,128}$');
