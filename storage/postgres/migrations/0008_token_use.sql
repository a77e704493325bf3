-- When a token was last used (to the minute), so that unused tokens can be
-- found and revoked.
ALTER TABLE tokens ADD COLUMN last_used_at timestamptz;
