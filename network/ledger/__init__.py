"""The double-entry ledger: append-only postings, derived balances, withdrawals and payout batches."""
