-- The items each reviewer has revealed, and when: a reveal of an item
-- already revealed since the reviewer's last break is recorded in the
-- audit log but counted once in the exposure counts (issue 17: one reveal
-- counts once, whatever the client sends).
CREATE TABLE user_reveals (
	user_id bigint NOT NULL REFERENCES users(id),
	item_id bigint NOT NULL REFERENCES items(id),
	at      timestamptz NOT NULL,
	PRIMARY KEY (user_id, item_id)
);
