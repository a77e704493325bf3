-- Where in a disk image an item was found (triage.Origin as JSON): its
-- file system, deleted or carved, the image offset, the file system's
-- timestamps. NULL for items that are not from a disk image.
ALTER TABLE items ADD COLUMN origin jsonb;
