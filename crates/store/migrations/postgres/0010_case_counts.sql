-- The queue shows counts per status on every page. Counting 100,000 cases each time costs
-- milliseconds that a page cannot spare, so the counts of cases not merged away are kept per
-- customer organization (0: none) and status, by a trigger: every path that writes cases (intake,
-- commands, merges, bulk loads, restores) keeps them right without knowing of them. Keep in step
-- with migrations/sqlite/0010_case_counts.sql.
CREATE TABLE case_counts (
    org_key BIGINT NOT NULL,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (org_key, status)
);
INSERT INTO case_counts (org_key, status, n)
    SELECT COALESCE(customer_org_id, 0), status, COUNT(*) FROM cases
    WHERE merged_into IS NULL GROUP BY COALESCE(customer_org_id, 0), status;

CREATE FUNCTION case_counts_apply() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.merged_into IS NULL THEN
        UPDATE case_counts SET n = n - 1
            WHERE org_key = COALESCE(OLD.customer_org_id, 0) AND status = OLD.status;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.merged_into IS NULL THEN
        INSERT INTO case_counts (org_key, status, n)
            VALUES (COALESCE(NEW.customer_org_id, 0), NEW.status, 1)
            ON CONFLICT (org_key, status) DO UPDATE SET n = case_counts.n + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER case_counts_rows AFTER INSERT OR DELETE OR UPDATE OF status, merged_into, customer_org_id
    ON cases FOR EACH ROW EXECUTE FUNCTION case_counts_apply();
