-- A cash-pickup agent's key can be revoked: from then on it is refused.
ALTER TABLE pickup_agents ADD COLUMN revoked_at BIGINT;
CREATE INDEX pickup_agents_tenant ON pickup_agents (tenant_id, id);
