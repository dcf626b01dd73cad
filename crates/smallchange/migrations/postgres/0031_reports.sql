-- The summary report (store/reports.rs) finds a period's cash-outs by when they were paid
-- (the fees earned) and by when their risk decision was taken (at confirmation). Both
-- columns stay empty until that step, so each index holds only the cash-outs past it.
-- Top-ups, payments, refunds and cash-outs created in a period need no index of their
-- own: their primary keys begin with their creation time (see crate::ids).
CREATE INDEX cashouts_tenant_paid ON cashouts (tenant_id, paid_at) WHERE paid_at IS NOT NULL;
CREATE INDEX cashouts_tenant_confirmed ON cashouts (tenant_id, confirmed_at) WHERE confirmed_at IS NOT NULL;
