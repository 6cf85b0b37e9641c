-- The dispatch core: delivery state on the outbox, acknowledgement details, rules versions, gateway keys.
CREATE TABLE "gateway_keys" (
	"name" text PRIMARY KEY NOT NULL,
	"public_key" text NOT NULL,
	"private_key" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rules_active" (
	"id" integer PRIMARY KEY NOT NULL,
	"hash" text NOT NULL,
	"activated_at" timestamp with time zone NOT NULL,
	"activated_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rules_versions" (
	"hash" text PRIMARY KEY NOT NULL,
	"git_commit" text,
	"git_dirty" boolean NOT NULL,
	"files" jsonb NOT NULL,
	"first_loaded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
DROP INDEX "notifications_queued";--> statement-breakpoint
DROP INDEX "pages_open_dedup";--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ALTER COLUMN "next_attempt_at" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "lease_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "provider_id" text;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "error" text;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "sent_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "delivered_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ALTER COLUMN "updated_at" DROP DEFAULT;--> statement-breakpoint
-- Pages opened before this migration: the earliest alert counted on each.
ALTER TABLE "pages" ADD COLUMN "alert_id" uuid;--> statement-breakpoint
UPDATE "pages" SET "alert_id" = (SELECT "id" FROM "alerts" WHERE "alerts"."page_id" = "pages"."id" ORDER BY "received_at" LIMIT 1);--> statement-breakpoint
ALTER TABLE "pages" ALTER COLUMN "alert_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "pages" ADD COLUMN "acknowledged_via" text;--> statement-breakpoint
ALTER TABLE "pages" ADD COLUMN "acknowledged_after_ms" integer;--> statement-breakpoint
ALTER TABLE "pages" ADD COLUMN "resolved_by" text;--> statement-breakpoint
ALTER TABLE "rules_active" ADD CONSTRAINT "rules_active_hash_rules_versions_hash_fk" FOREIGN KEY ("hash") REFERENCES "public"."rules_versions"("hash") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "notifications_due" ON "notifications" USING btree ("next_attempt_at") WHERE "notifications"."status" = 'queued';--> statement-breakpoint
CREATE INDEX "notifications_leased" ON "notifications" USING btree ("lease_until") WHERE "notifications"."status" = 'sending';--> statement-breakpoint
CREATE INDEX "notifications_page" ON "notifications" USING btree ("page_id");--> statement-breakpoint
CREATE UNIQUE INDEX "pages_unresolved_dedup" ON "pages" USING btree ("source","dedup_key") WHERE "pages"."status" <> 'resolved' and "pages"."dedup_key" is not null;--> statement-breakpoint
-- Pages opened before there was a dispatch engine were never sent; days later, they are not sent
-- now: their queued notifications are cancelled and their ladders stopped.
UPDATE "notifications" SET "status" = 'cancelled', "error" = 'queued before the dispatch engine existed; not sent' WHERE "status" = 'queued';--> statement-breakpoint
UPDATE "escalations" SET "due_at" = NULL WHERE "due_at" IS NOT NULL;
