-- tagdrift history database, schema 1 (SPEC section 6).
--
-- store_open() runs every migration above the database's PRAGMA
-- user_version inside one BEGIN IMMEDIATE transaction, then sets
-- user_version (and, from an empty file, PRAGMA application_id) itself.
-- A migration holds only statements that are valid inside a transaction:
-- no PRAGMA journal_mode, no VACUUM, no BEGIN or COMMIT.
--
-- Times are UTC unix seconds.  Row ids only grow (no table here deletes
-- rows), so ORDER BY id is the order in which things were recorded, even
-- when the clock stepped back.

-- A repository, by identity as ref_identity() spells it:
-- "docker.io/library/node", "ghcr.io/owner/name".
CREATE TABLE repo (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
	-- The last tag list fetched, and its number (tag.listed_gen).
	tags_fetched_at	INTEGER,
	tags_gen	INTEGER NOT NULL DEFAULT 0
);

-- A tag, known from a tag list, from resolving it, or both.
CREATE TABLE tag (
	id		INTEGER PRIMARY KEY,
	repo_id		INTEGER NOT NULL REFERENCES repo (id),
	name		TEXT NOT NULL CHECK (length(name) > 0),
	first_seen	INTEGER NOT NULL,
	last_seen	INTEGER NOT NULL,
	-- The last tag list (repo.tags_gen) that held it; NULL: never listed.
	listed_gen	INTEGER,
	-- When a tag list first lacked it again; NULL while it exists.
	gone_since	INTEGER,
	-- The registry's push time, where it gives one (Docker Hub).
	pushed_at	INTEGER,
	UNIQUE (repo_id, name)
);

-- A period during which a tag pointed at one digest.  An unchanged poll
-- moves last_seen; a move closes the open period (closed_at, when the
-- move was seen) and opens a new one.  Going back to an earlier digest
-- opens a new period too: periods are history, not a set.
CREATE TABLE period (
	id		INTEGER PRIMARY KEY,
	tag_id		INTEGER NOT NULL REFERENCES tag (id),
	digest		TEXT NOT NULL CHECK (length(digest) > 0),
	media_type	TEXT,
	first_seen	INTEGER NOT NULL,
	last_seen	INTEGER NOT NULL CHECK (last_seen >= first_seen),
	closed_at	INTEGER
);
CREATE INDEX period_tag ON period (tag_id, id);
-- At most one open period per tag.
CREATE UNIQUE INDEX period_open ON period (tag_id) WHERE closed_at IS NULL;

-- An image index (or Docker manifest list), fetched once: digests are
-- immutable, so it is kept forever.
CREATE TABLE manifest_index (
	digest		TEXT PRIMARY KEY CHECK (length(digest) > 0),
	media_type	TEXT,
	fetched_at	INTEGER NOT NULL
) WITHOUT ROWID;

-- The manifests an index lists, in its order; '' where the index gives
-- no os, architecture or variant.
CREATE TABLE platform (
	index_digest	TEXT NOT NULL REFERENCES manifest_index (digest),
	position	INTEGER NOT NULL,
	os		TEXT NOT NULL DEFAULT '',
	architecture	TEXT NOT NULL DEFAULT '',
	variant		TEXT NOT NULL DEFAULT '',
	digest		TEXT NOT NULL CHECK (length(digest) > 0),
	PRIMARY KEY (index_digest, position)
) WITHOUT ROWID;
CREATE INDEX platform_digest ON platform (digest);

-- One poll of the registries, with what it cost.  finished_at is NULL
-- while it runs, or when it was interrupted.
CREATE TABLE poll (
	id		INTEGER PRIMARY KEY,
	started_at	INTEGER NOT NULL,
	finished_at	INTEGER,
	requests	INTEGER NOT NULL DEFAULT 0,
	heads		INTEGER NOT NULL DEFAULT 0,
	gets		INTEGER NOT NULL DEFAULT 0,
	errors		INTEGER NOT NULL DEFAULT 0,
	throttled	INTEGER NOT NULL DEFAULT 0,	-- 429 answers
	changes		INTEGER NOT NULL DEFAULT 0,	-- tags seen moving
	-- The lowest RateLimit remaining count seen; NULL: none was given.
	ratelimit_remaining INTEGER
);
