CREATE TABLE "ack_trend_buckets" (
	"workflow" text NOT NULL,
	"zone" text NOT NULL,
	"bucket" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"pages" integer NOT NULL,
	"acknowledged" integer NOT NULL,
	"ps" double precision[],
	"mean" double precision,
	CONSTRAINT "ack_trend_buckets_workflow_zone_bucket_starts_at_pk" PRIMARY KEY("workflow","zone","bucket","starts_at")
);
--> statement-breakpoint
DROP INDEX "notifications_failed";--> statement-breakpoint
ALTER TABLE "pages" ADD COLUMN "missed" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "legacy_pages_sent" ON "legacy_pages" USING btree ("sent_at");--> statement-breakpoint
CREATE INDEX "notifications_failed" ON "notifications" USING btree ("created_at","page_id","channel") WHERE "notifications"."status" = 'failed';--> statement-breakpoint
-- Pages from before this release whose ladder had run out: missed if nobody acknowledged within
-- five minutes of its last step (the least time a ladder's last people now get to answer).
UPDATE "pages" AS p SET "missed" = true FROM "escalations" AS e
  WHERE e."page_id" = p."id" AND e."ran_out_at" IS NOT NULL AND e."ran_out_at" + interval '5 minutes' <= now()
    AND (p."acknowledged_at" IS NULL OR p."acknowledged_at" > e."ran_out_at" + interval '5 minutes');
