CREATE TABLE "legacy_pages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"pager_group" text NOT NULL,
	"pager_id" text NOT NULL,
	"sent_at" timestamp with time zone NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"category" text,
	"workflow" text NOT NULL,
	"imported_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "escalations" ADD COLUMN "ran_out_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "legacy_pages_once" ON "legacy_pages" USING btree ("pager_group","pager_id","sent_at");--> statement-breakpoint
CREATE INDEX "legacy_pages_workflow" ON "legacy_pages" USING btree ("workflow","sent_at");--> statement-breakpoint
CREATE INDEX "pages_workflow_opened" ON "pages" USING btree ("workflow","opened_at");--> statement-breakpoint
-- Ladders that ran out before this release, with nobody acknowledging: their last step is when.
UPDATE "escalations" AS e SET "ran_out_at" = (SELECT max(n."created_at") FROM "notifications" n WHERE n."page_id" = e."page_id")
  FROM "pages" p WHERE p."id" = e."page_id" AND e."due_at" IS NULL AND p."acknowledged_at" IS NULL AND p."status" = 'open';
