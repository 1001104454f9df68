-- An example table, created on every replica at once (ON CLUSTER):
--   docker compose -f deploy/cluster/docker-compose.yml exec clickhouse-1 clickhouse-client --multiquery --queries-file /tables.sql
-- ReplicatedMergeTree: each host's aggregator inserts into its own replica, ZooKeeper orders the parts, and the
-- other replicas fetch them. An identical block inserted again (a retried INSERT) is dropped by its checksum.
CREATE DATABASE IF NOT EXISTS db ON CLUSTER catflap;

CREATE TABLE IF NOT EXISTS db.t ON CLUSTER catflap (ts DateTime DEFAULT now(), a UInt64, b String)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/db/t', '{replica}')
ORDER BY ts;

-- Reads over all shards (one today); writes go through the aggregators, not through this table.
CREATE TABLE IF NOT EXISTS db.t_all ON CLUSTER catflap AS db.t
ENGINE = Distributed(catflap, db, t);
