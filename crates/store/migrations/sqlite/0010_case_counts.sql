-- The queue shows counts per status on every page. Counting 100,000 cases each time costs
-- milliseconds that a page cannot spare, so the counts of cases not merged away are kept per
-- customer organization (0: none) and status, by triggers: every path that writes cases (intake,
-- commands, merges, bulk loads, restores) keeps them right without knowing of them. Keep in step
-- with migrations/postgres/0010_case_counts.sql.
CREATE TABLE case_counts (
    org_key INTEGER NOT NULL,
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (org_key, status)
);
INSERT INTO case_counts (org_key, status, n)
    SELECT COALESCE(customer_org_id, 0), status, COUNT(*) FROM cases
    WHERE merged_into IS NULL GROUP BY COALESCE(customer_org_id, 0), status;

CREATE TRIGGER case_counts_insert AFTER INSERT ON cases WHEN NEW.merged_into IS NULL
BEGIN
    INSERT INTO case_counts (org_key, status, n)
        SELECT COALESCE(NEW.customer_org_id, 0), NEW.status, 1 WHERE 1
        ON CONFLICT (org_key, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER case_counts_delete AFTER DELETE ON cases WHEN OLD.merged_into IS NULL
BEGIN
    UPDATE case_counts SET n = n - 1
        WHERE org_key = COALESCE(OLD.customer_org_id, 0) AND status = OLD.status;
END;

CREATE TRIGGER case_counts_update AFTER UPDATE OF status, merged_into, customer_org_id ON cases
BEGIN
    UPDATE case_counts SET n = n - 1
        WHERE OLD.merged_into IS NULL
          AND org_key = COALESCE(OLD.customer_org_id, 0) AND status = OLD.status;
    INSERT INTO case_counts (org_key, status, n)
        SELECT COALESCE(NEW.customer_org_id, 0), NEW.status, 1 WHERE NEW.merged_into IS NULL
        ON CONFLICT (org_key, status) DO UPDATE SET n = n + 1;
END;
