-- The credit journal is append-only: balances are proven by summing it, so no row may change or go.
CREATE FUNCTION credit_journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'credit_journal is append-only (% refused)', TG_OP;
END
$$;
--> statement-breakpoint
CREATE TRIGGER credit_journal_no_update_delete BEFORE UPDATE OR DELETE ON credit_journal
  FOR EACH ROW EXECUTE FUNCTION credit_journal_append_only();
--> statement-breakpoint
CREATE TRIGGER credit_journal_no_truncate BEFORE TRUNCATE ON credit_journal
  FOR EACH STATEMENT EXECUTE FUNCTION credit_journal_append_only();
