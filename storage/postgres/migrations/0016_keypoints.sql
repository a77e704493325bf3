-- Local features (triage.Keypoint: a descriptor and where it is, so that
-- heavily cropped copies match), as records of 12 bytes: the descriptor
-- (little-endian), x, y, scale, angle. NULL: none. An item keeps its own
-- (Item.Keypoints), and the local set's entries promoted from review
-- carry them (Entry.Keypoints).
ALTER TABLE items ADD COLUMN keypoints bytea;
ALTER TABLE hashset_entries ADD COLUMN keypoints bytea;
