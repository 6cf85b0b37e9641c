-- The audit trail becomes eight chains, each with its own head row, so that writers on different
-- chains never wait for each other's commits. Rows written before stay chain 0, each at the
-- place its sequence number gave it (their MACs covered that number, so they still verify).
ALTER TABLE "audit_events" ADD COLUMN "chain" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "position" bigint;--> statement-breakpoint
ALTER TABLE "audit_events" DISABLE TRIGGER "audit_events_append_only";--> statement-breakpoint
UPDATE "audit_events" SET "position" = "seq";--> statement-breakpoint
ALTER TABLE "audit_events" ENABLE TRIGGER "audit_events_append_only";--> statement-breakpoint
ALTER TABLE "audit_events" ALTER COLUMN "position" SET NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_chain_position" ON "audit_events" USING btree ("chain","position");--> statement-breakpoint
ALTER TABLE "audit_head" RENAME COLUMN "seq" TO "position";--> statement-breakpoint
UPDATE "audit_head" SET "id" = 0 WHERE "id" = 1;--> statement-breakpoint
INSERT INTO "audit_head" ("id", "position", "count", "mac") SELECT g, 0, 0, 'genesis' FROM generate_series(0, 7) AS g ON CONFLICT ("id") DO NOTHING;--> statement-breakpoint
-- New rows take their sequence number from the sequence again: past every row written so far.
SELECT setval(pg_get_serial_sequence('audit_events', 'seq'), (SELECT coalesce(max("seq"), 0) + 1 FROM "audit_events"), false);
