-- An item whose perceptual hashes are of part of its picture: a JPEG cut
-- short, hashed from the rows its data holds (Item.Partial; at most a
-- variant by those hashes).
ALTER TABLE items ADD COLUMN partial boolean NOT NULL DEFAULT false;
