CREATE TYPE "public"."settlement_status" AS ENUM('pending', 'submitted', 'confirmed');--> statement-breakpoint
CREATE TABLE "settlement_batches" (
	"id" bigint PRIMARY KEY NOT NULL,
	"chain_id" integer NOT NULL,
	"escrow" text NOT NULL,
	"status" "settlement_status" DEFAULT 'pending' NOT NULL,
	"receipts_root" text NOT NULL,
	"debited" bigint NOT NULL,
	"credited" bigint NOT NULL,
	"fee" bigint NOT NULL,
	"fee_bps" integer NOT NULL,
	"debits" jsonb NOT NULL,
	"credits" jsonb NOT NULL,
	"treasury" text NOT NULL,
	"generation_count" integer NOT NULL,
	"nonce" integer,
	"tx_hash" text,
	"raw_transaction" text,
	"block_number" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"submitted_at" timestamp with time zone,
	"confirmed_at" timestamp with time zone,
	CONSTRAINT "settlement_batches_balanced" CHECK ("settlement_batches"."debited" = "settlement_batches"."credited" + "settlement_batches"."fee"),
	CONSTRAINT "settlement_batches_amounts_non_negative" CHECK ("settlement_batches"."credited" >= 0 AND "settlement_batches"."fee" >= 0),
	CONSTRAINT "settlement_batches_id_positive" CHECK ("settlement_batches"."id" > 0),
	CONSTRAINT "settlement_batches_fee_bps" CHECK ("settlement_batches"."fee_bps" BETWEEN 0 AND 10000),
	CONSTRAINT "settlement_batches_sent" CHECK (("settlement_batches"."status" = 'pending') = ("settlement_batches"."tx_hash" IS NULL)),
	CONSTRAINT "settlement_batches_landed" CHECK (("settlement_batches"."status" = 'confirmed') = ("settlement_batches"."block_number" IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "chain_cursors" (
	"chain_id" integer NOT NULL,
	"escrow" text NOT NULL,
	"next_block" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "chain_cursors_chain_id_escrow_pk" PRIMARY KEY("chain_id","escrow"),
	CONSTRAINT "chain_cursors_next_block_non_negative" CHECK ("chain_cursors"."next_block" >= 0)
);
--> statement-breakpoint
CREATE TABLE "withdrawal_requests" (
	"account_id" uuid PRIMARY KEY NOT NULL,
	"amount" bigint NOT NULL,
	"reserved" bigint NOT NULL,
	"matures_at" timestamp with time zone NOT NULL,
	"ref" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "withdrawal_requests_amounts" CHECK ("withdrawal_requests"."amount" > 0 AND "withdrawal_requests"."reserved" >= 0 AND "withdrawal_requests"."reserved" <= "withdrawal_requests"."amount")
);
--> statement-breakpoint
CREATE TABLE "leases" (
	"name" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "generations" ALTER COLUMN "settlement_batch_id" SET DATA TYPE bigint USING "settlement_batch_id"::bigint;--> statement-breakpoint
ALTER TABLE "generations" ADD COLUMN "payout" text;--> statement-breakpoint
ALTER TABLE "withdrawal_requests" ADD CONSTRAINT "withdrawal_requests_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "settlement_batches_one_open_idx" ON "settlement_batches" USING btree ("chain_id") WHERE "settlement_batches"."status" <> 'confirmed';--> statement-breakpoint
ALTER TABLE "generations" ADD CONSTRAINT "generations_settlement_batch_id_settlement_batches_id_fk" FOREIGN KEY ("settlement_batch_id") REFERENCES "public"."settlement_batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "generations_unsettled_idx" ON "generations" USING btree ("created_at","id") WHERE "generations"."settlement_batch_id" IS NULL AND "generations"."cost" > 0;--> statement-breakpoint
CREATE INDEX "generations_settlement_batch_idx" ON "generations" USING btree ("settlement_batch_id");--> statement-breakpoint
ALTER TABLE "generations" ADD CONSTRAINT "generations_payout_lower_hex" CHECK ("generations"."payout" ~ '^0x[0-9a-f]{40}$');