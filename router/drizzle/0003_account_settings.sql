CREATE TYPE "public"."provider_sort" AS ENUM('price', 'throughput', 'latency');--> statement-breakpoint
CREATE TABLE "account_settings" (
	"account_id" uuid PRIMARY KEY NOT NULL,
	"sort" "provider_sort",
	"max_prompt_price" bigint,
	"max_completion_price" bigint,
	"ignored_providers" text[] DEFAULT '{}'::text[] NOT NULL,
	"quantizations" text[],
	"allow_fallbacks" boolean DEFAULT true NOT NULL,
	"allowed_models" text[],
	"low_balance_threshold" bigint,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "account_settings_max_prompt_price_non_negative" CHECK ("account_settings"."max_prompt_price" >= 0),
	CONSTRAINT "account_settings_max_completion_price_non_negative" CHECK ("account_settings"."max_completion_price" >= 0),
	CONSTRAINT "account_settings_low_balance_non_negative" CHECK ("account_settings"."low_balance_threshold" >= 0)
);
--> statement-breakpoint
ALTER TABLE "account_settings" ADD CONSTRAINT "account_settings_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "generations_provider_idx" ON "generations" USING btree ("provider_peer_id");