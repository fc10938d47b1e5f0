CREATE TYPE "public"."spend_reset" AS ENUM('daily', 'weekly', 'monthly', 'never');--> statement-breakpoint
CREATE TYPE "public"."journal_kind" AS ENUM('deposit', 'hold', 'charge', 'release', 'refund', 'adjustment');--> statement-breakpoint
CREATE TYPE "public"."generation_status" AS ENUM('completed', 'failed', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."hold_status" AS ENUM('open', 'settled', 'released');--> statement-breakpoint
CREATE TABLE "accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"address" text NOT NULL,
	"balance" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "accounts_address_unique" UNIQUE("address"),
	CONSTRAINT "accounts_balance_non_negative" CHECK ("accounts"."balance" >= 0),
	CONSTRAINT "accounts_address_lower_hex" CHECK ("accounts"."address" ~ '^0x[0-9a-f]{40}$')
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"secret_hash" text NOT NULL,
	"spend_limit" bigint,
	"spend_reset" "spend_reset" DEFAULT 'never' NOT NULL,
	"rpm_limit" integer,
	"tpm_limit" integer,
	"allowed_models" text[],
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_keys_secret_hash_unique" UNIQUE("secret_hash"),
	CONSTRAINT "api_keys_spend_limit_non_negative" CHECK ("api_keys"."spend_limit" >= 0),
	CONSTRAINT "api_keys_rpm_limit_positive" CHECK ("api_keys"."rpm_limit" > 0),
	CONSTRAINT "api_keys_tpm_limit_positive" CHECK ("api_keys"."tpm_limit" > 0)
);
--> statement-breakpoint
CREATE TABLE "credit_journal" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "credit_journal_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" uuid NOT NULL,
	"kind" "journal_kind" NOT NULL,
	"amount" bigint NOT NULL,
	"key_id" uuid,
	"hold_id" uuid,
	"generation_id" text,
	"ref" text,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "credit_journal_ref_unique" UNIQUE("ref"),
	CONSTRAINT "credit_journal_amount_sign" CHECK (CASE "credit_journal"."kind"
        WHEN 'deposit' THEN "credit_journal"."amount" > 0
        WHEN 'hold' THEN "credit_journal"."amount" < 0
        WHEN 'charge' THEN "credit_journal"."amount" < 0
        WHEN 'release' THEN "credit_journal"."amount" > 0
        WHEN 'refund' THEN "credit_journal"."amount" > 0
        WHEN 'adjustment' THEN "credit_journal"."amount" <> 0
      END)
);
--> statement-breakpoint
CREATE TABLE "generations" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"key_id" uuid NOT NULL,
	"hold_id" uuid,
	"model" text NOT NULL,
	"provider_peer_id" text NOT NULL,
	"prompt_tokens" integer NOT NULL,
	"completion_tokens" integer NOT NULL,
	"cost" bigint NOT NULL,
	"time_to_first_token_ms" integer,
	"duration_ms" integer NOT NULL,
	"finish_reason" text,
	"status" "generation_status" NOT NULL,
	"receipt" jsonb,
	"settlement_batch_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "generations_hold_id_unique" UNIQUE("hold_id")
);
--> statement-breakpoint
CREATE TABLE "holds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"key_id" uuid NOT NULL,
	"amount" bigint NOT NULL,
	"deadline" timestamp with time zone NOT NULL,
	"status" "hold_status" DEFAULT 'open' NOT NULL,
	"charged" bigint,
	"shortfall" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone,
	CONSTRAINT "holds_amount_non_negative" CHECK ("holds"."amount" >= 0),
	CONSTRAINT "holds_charged_within_amount" CHECK ("holds"."charged" >= 0 AND "holds"."charged" <= "holds"."amount"),
	CONSTRAINT "holds_shortfall_non_negative" CHECK ("holds"."shortfall" >= 0)
);
--> statement-breakpoint
CREATE TABLE "key_usage_daily" (
	"key_id" uuid NOT NULL,
	"day" date NOT NULL,
	"spent" bigint DEFAULT 0 NOT NULL,
	"requests" integer DEFAULT 0 NOT NULL,
	"prompt_tokens" bigint DEFAULT 0 NOT NULL,
	"completion_tokens" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "key_usage_daily_key_id_day_pk" PRIMARY KEY("key_id","day")
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_journal" ADD CONSTRAINT "credit_journal_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_journal" ADD CONSTRAINT "credit_journal_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_journal" ADD CONSTRAINT "credit_journal_hold_id_holds_id_fk" FOREIGN KEY ("hold_id") REFERENCES "public"."holds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_journal" ADD CONSTRAINT "credit_journal_generation_id_generations_id_fk" FOREIGN KEY ("generation_id") REFERENCES "public"."generations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "generations" ADD CONSTRAINT "generations_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "generations" ADD CONSTRAINT "generations_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "generations" ADD CONSTRAINT "generations_hold_id_holds_id_fk" FOREIGN KEY ("hold_id") REFERENCES "public"."holds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "holds" ADD CONSTRAINT "holds_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "holds" ADD CONSTRAINT "holds_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "key_usage_daily" ADD CONSTRAINT "key_usage_daily_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_account_idx" ON "api_keys" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "credit_journal_account_idx" ON "credit_journal" USING btree ("account_id","id");--> statement-breakpoint
CREATE INDEX "credit_journal_hold_idx" ON "credit_journal" USING btree ("hold_id");--> statement-breakpoint
CREATE INDEX "generations_account_created_idx" ON "generations" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE INDEX "generations_key_created_idx" ON "generations" USING btree ("key_id","created_at");--> statement-breakpoint
CREATE INDEX "holds_account_idx" ON "holds" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "holds_open_deadline_idx" ON "holds" USING btree ("deadline") WHERE "holds"."status" = 'open';--> statement-breakpoint
CREATE INDEX "holds_open_key_idx" ON "holds" USING btree ("key_id") WHERE "holds"."status" = 'open';