-- The first review queue (0001) held one row per new or variant item; the
-- review service (0002) groups content into review_groups and
-- review_members instead, and nothing reads review_queue any more.
DROP TABLE review_queue;
