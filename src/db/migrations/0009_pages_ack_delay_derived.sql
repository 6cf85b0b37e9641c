-- How long an acknowledgement took is acknowledged_at - opened_at: no column keeps a copy of it.
ALTER TABLE "pages" DROP COLUMN "acknowledged_after_ms";
