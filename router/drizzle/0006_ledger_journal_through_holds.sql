-- A hold's journal rows (hold, release, charge) name the account and the hold, no longer the
-- key and the generation: those are the hold's (holds.key_id) and the generation settled from
-- it (generations.hold_id), which listJournal joins in. A foreign key checked each of those
-- columns on every row, five checks per request that guarded nothing the hold's own keys do
-- not. Rows written before keep theirs. The functions are otherwise those of 0005, which
-- router/src/billing/holds.ts documents.

-- Holds for a batch of requests: per account, the batch's total in one conditional UPDATE.
CREATE OR REPLACE FUNCTION ledger_place_holds(requested jsonb)
RETURNS TABLE (request uuid, id uuid, account_id uuid, key_id uuid, amount bigint, deadline timestamptz, created_at timestamptz, balance_after bigint, balance_before bigint)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH r AS (
    SELECT * FROM jsonb_to_recordset(requested) AS t(id uuid, account_id uuid, key_id uuid, amount bigint, deadline timestamptz)),
  debited AS (
    UPDATE accounts SET balance = accounts.balance - totals.amount
    FROM (SELECT r.account_id, sum(r.amount)::bigint AS amount FROM r GROUP BY r.account_id) AS totals
    WHERE accounts.id = totals.account_id AND accounts.balance >= totals.amount
    RETURNING accounts.id, accounts.balance),
  placed AS (
    INSERT INTO holds (id, account_id, key_id, amount, deadline)
    SELECT r.id, r.account_id, r.key_id, r.amount, r.deadline FROM r JOIN debited ON debited.id = r.account_id
    RETURNING holds.id, holds.account_id, holds.key_id, holds.amount, holds.deadline, holds.created_at),
  journaled AS (
    INSERT INTO credit_journal (account_id, kind, amount, hold_id)
    SELECT placed.account_id, 'hold', -placed.amount, placed.id FROM placed WHERE placed.amount > 0
    RETURNING credit_journal.id),
  -- From the statement's snapshot: on failure, the balance the holds did not fit in.
  current AS (SELECT accounts.id, accounts.balance FROM accounts WHERE accounts.id IN (SELECT r.account_id FROM r))
  SELECT r.id, placed.id, placed.account_id, placed.key_id, placed.amount, placed.deadline, placed.created_at, debited.balance, current.balance
  FROM r LEFT JOIN placed ON placed.id = r.id LEFT JOIN debited ON debited.id = r.account_id LEFT JOIN current ON current.id = r.account_id;
END
$fn$;
--> statement-breakpoint
-- Settlements of a batch of open holds: charge, release the rest, record the generations,
-- journal and daily usage. Per-account and per-key sums, as an UPDATE … FROM or ON CONFLICT
-- may touch a row only once.
CREATE OR REPLACE FUNCTION ledger_settle_holds(requested jsonb, settled_at timestamptz, settled_day date)
RETURNS TABLE (hold_id uuid, amount bigint, charged bigint, shortfall bigint, balance bigint)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH r AS (
    SELECT * FROM jsonb_to_recordset(requested) AS t(hold_id uuid, charge bigint, generation_id text, model text,
      provider_peer_id text, payout text, prompt_tokens integer, completion_tokens integer, time_to_first_token_ms integer,
      duration_ms integer, finish_reason text, status generation_status, receipt jsonb)),
  closed AS (
    UPDATE holds SET status = 'settled', charged = LEAST(r.charge, holds.amount),
      shortfall = GREATEST(r.charge - holds.amount, 0), closed_at = settled_at
    FROM r WHERE holds.id = r.hold_id AND holds.status = 'open'
    RETURNING holds.id, holds.account_id, holds.key_id, holds.amount, holds.charged, holds.shortfall),
  credited AS (
    UPDATE accounts SET balance = accounts.balance + back.amount
    FROM (SELECT closed.account_id, sum(closed.amount - closed.charged)::bigint AS amount FROM closed GROUP BY closed.account_id) AS back
    WHERE accounts.id = back.account_id
    RETURNING accounts.id, accounts.balance),
  recorded AS (
    INSERT INTO generations (id, account_id, key_id, hold_id, model, provider_peer_id, payout, prompt_tokens, completion_tokens,
      cost, time_to_first_token_ms, duration_ms, finish_reason, status, receipt, created_at)
    SELECT r.generation_id, c.account_id, c.key_id, c.id, r.model, r.provider_peer_id, r.payout, r.prompt_tokens, r.completion_tokens,
      c.charged, r.time_to_first_token_ms, r.duration_ms, r.finish_reason, r.status, r.receipt, settled_at
    FROM closed c JOIN r ON r.hold_id = c.id
    RETURNING generations.id),
  -- The whole hold comes back and the cost goes out, so a closed hold's rows sum to −charged.
  journaled AS (
    INSERT INTO credit_journal (account_id, kind, amount, hold_id, created_at)
    SELECT c.account_id, 'release'::journal_kind, c.amount, c.id, settled_at FROM closed c WHERE c.amount > 0
    UNION ALL
    SELECT c.account_id, 'charge'::journal_kind, -c.charged, c.id, settled_at FROM closed c WHERE c.charged > 0
    RETURNING credit_journal.id),
  counted AS (
    INSERT INTO key_usage_daily AS usage (key_id, day, spent, requests, prompt_tokens, completion_tokens)
    SELECT c.key_id, settled_day, sum(c.charged)::bigint, count(*)::integer, sum(r.prompt_tokens)::bigint, sum(r.completion_tokens)::bigint
    FROM closed c JOIN r ON r.hold_id = c.id GROUP BY c.key_id
    ON CONFLICT ON CONSTRAINT key_usage_daily_key_id_day_pk DO UPDATE SET
      spent = usage.spent + excluded.spent,
      requests = usage.requests + excluded.requests,
      prompt_tokens = usage.prompt_tokens + excluded.prompt_tokens,
      completion_tokens = usage.completion_tokens + excluded.completion_tokens
    RETURNING usage.key_id)
  SELECT r.hold_id, closed.amount, closed.charged, closed.shortfall, credited.balance
  FROM r LEFT JOIN closed ON closed.id = r.hold_id LEFT JOIN credited ON credited.id = closed.account_id;
END
$fn$;
