CREATE TABLE "alerts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"dedup_key" text,
	"idempotency_key" text,
	"fields" jsonb NOT NULL,
	"phi" text,
	"page_id" uuid
);
--> statement-breakpoint
CREATE TABLE "escalations" (
	"page_id" uuid PRIMARY KEY NOT NULL,
	"cycle" integer NOT NULL,
	"next_step" integer NOT NULL,
	"due_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"page_id" uuid NOT NULL,
	"cycle" integer NOT NULL,
	"step" integer NOT NULL,
	"target" text NOT NULL,
	"person_id" text NOT NULL,
	"channel" text NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"stands_in_for" text
);
--> statement-breakpoint
CREATE TABLE "pages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"dedup_key" text,
	"workflow" text NOT NULL,
	"route" text NOT NULL,
	"route_order" integer NOT NULL,
	"rules_version" text NOT NULL,
	"rules_git_commit" text,
	"status" text NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"alert_count" integer DEFAULT 1 NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" text,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "escalations" ADD CONSTRAINT "escalations_page_id_pages_id_fk" FOREIGN KEY ("page_id") REFERENCES "public"."pages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_page_id_pages_id_fk" FOREIGN KEY ("page_id") REFERENCES "public"."pages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_idempotency" ON "alerts" USING btree ("source","idempotency_key") WHERE "alerts"."idempotency_key" is not null;--> statement-breakpoint
CREATE INDEX "escalations_due" ON "escalations" USING btree ("due_at") WHERE "escalations"."due_at" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_once" ON "notifications" USING btree ("page_id","cycle","step","target","person_id","channel");--> statement-breakpoint
CREATE INDEX "notifications_queued" ON "notifications" USING btree ("created_at") WHERE "notifications"."status" = 'queued';--> statement-breakpoint
CREATE UNIQUE INDEX "pages_open_dedup" ON "pages" USING btree ("source","dedup_key") WHERE "pages"."status" = 'open' and "pages"."dedup_key" is not null;