-- The chain's head exists from the start, so an append locks it (SELECT … FOR UPDATE) to take its
-- turn: one statement both waits for the writer before and reads where the chain ends.
INSERT INTO "audit_head" ("id", "seq", "count", "mac")
SELECT 1, 0, 0, 'genesis' WHERE NOT EXISTS (SELECT 1 FROM "audit_head" WHERE "id" = 1);
