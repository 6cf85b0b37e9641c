ALTER TABLE "pages" ADD COLUMN "unit" text;--> statement-breakpoint
ALTER TABLE "pages" ADD COLUMN "escalated" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "pages" ADD COLUMN "acknowledged_as" text;--> statement-breakpoint
ALTER TABLE "pages" ADD COLUMN "fell_back" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "pages" ADD COLUMN "pager_before_ack" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "notifications_failed" ON "notifications" USING btree ("page_id") WHERE "notifications"."status" = 'failed';--> statement-breakpoint
CREATE INDEX "pages_opened" ON "pages" USING btree ("opened_at");--> statement-breakpoint
-- The facts of pages from before this release, from their alerts and notifications.
UPDATE "pages" AS p SET
  "unit" = (SELECT a."fields"->>'unit' FROM "alerts" a WHERE a."id" = p."alert_id"),
  "escalated" = p."acknowledged_at" IS NOT NULL AND EXISTS (SELECT 1 FROM "notifications" n WHERE n."page_id" = p."id" AND (n."step" > 0 OR n."cycle" > 0) AND n."created_at" <= p."acknowledged_at"),
  "acknowledged_as" = (SELECT n."target" FROM "notifications" n WHERE n."page_id" = p."id" AND n."person_id" = p."acknowledged_by" ORDER BY n."id" LIMIT 1),
  "fell_back" = EXISTS (SELECT 1 FROM "notifications" n WHERE n."page_id" = p."id" AND n."stands_in_for" IS NOT NULL),
  "pager_before_ack" = EXISTS (SELECT 1 FROM "notifications" n WHERE n."page_id" = p."id" AND n."channel" = 'pager' AND n."sent_at" IS NOT NULL AND (p."acknowledged_at" IS NULL OR n."sent_at" < p."acknowledged_at"));
