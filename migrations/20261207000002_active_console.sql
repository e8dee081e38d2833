-- Where the console of the instance routing the calls is (issue 17): the active
-- instance writes its address when it takes the role, and a standby's console
-- passes what only the active one knows (the specialists' queue, the calls in
-- progress and their transfers, live events) on to it.
CREATE TABLE active_console (
    -- The ARI application the role is for (one active instance per app).
    ari_app          text PRIMARY KEY,
    -- Base URL of its console, e.g. http://10.0.0.5:8080 (no path).
    console_url      text NOT NULL
                     CONSTRAINT active_console_url_is_http CHECK (console_url ~ '^https?://[^/]+$'),
    became_active_at timestamptz NOT NULL DEFAULT now()
);
