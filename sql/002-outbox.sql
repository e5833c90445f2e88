-- tagdrift history database, schema 2: the outbox of events (SPEC section
-- 8) and the findings the daemon announced.
--
-- An event is written in the same transaction as the change that caused
-- it (a tag moving, a finding opening or resolving), so a crash loses
-- neither the change nor its announcement.  Delivery state lives on the
-- event's row; rows are kept (delivered ones too) as the alert history.

CREATE TABLE outbox (
	id		INTEGER PRIMARY KEY,
	-- The idempotency id: the body's "id" and X-Tagdrift-Delivery.  A
	-- retry sends the same uid, so a receiver can drop duplicates.
	uid		TEXT NOT NULL UNIQUE CHECK (length(uid) > 0),
	type		TEXT NOT NULL CHECK (type IN ('tag.moved', 'tag.added',
			    'finding.opened', 'finding.resolved')),
	-- What the event is about; events of one subject are delivered in
	-- id order, each after the one before it is delivered or dead.
	subject		TEXT NOT NULL,
	-- The event document (tagdrift.event/v1, JSON), format-independent.
	body		TEXT NOT NULL,
	created_at	INTEGER NOT NULL,
	state		TEXT NOT NULL DEFAULT 'pending'
			    CHECK (state IN ('pending', 'delivered', 'dead')),
	attempts	INTEGER NOT NULL DEFAULT 0,
	next_at		INTEGER NOT NULL,	-- earliest next attempt
	last_at		INTEGER,		-- last attempt
	last_status	INTEGER,		-- HTTP status; NULL: no answer
	last_error	TEXT			-- why the last attempt failed
);
CREATE INDEX outbox_pending ON outbox (subject, id) WHERE state = 'pending';
CREATE INDEX outbox_due ON outbox (next_at) WHERE state = 'pending';

-- A finding of a daemon scan, by its fingerprint (rule, file, image): it
-- opens once (finding.opened) and resolves once (finding.resolved), and
-- stays quiet in between, across restarts.  A resolved finding that comes
-- back opens again.
CREATE TABLE finding (
	fingerprint	TEXT PRIMARY KEY CHECK (length(fingerprint) > 0),
	rule		TEXT NOT NULL,
	file		TEXT NOT NULL,
	image		TEXT NOT NULL,
	opened_at	INTEGER NOT NULL,
	last_seen	INTEGER NOT NULL,
	-- The number of the last sync that saw it (or held it open).
	seen_sync	INTEGER NOT NULL,
	resolved_at	INTEGER,		-- NULL while open
	-- The data of the finding.opened event, for finding.resolved.
	data		TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX finding_open ON finding (seen_sync) WHERE resolved_at IS NULL;

-- tag.added: the tag list in which a tag first appeared (repo.tags_gen),
-- and per repository the last list whose new tags were considered, moved
-- in the transaction that writes their events, so a crash in between
-- considers them again.  The repository's first list is the baseline:
-- its tags are not new.  Rows from schema 1 count as considered.
ALTER TABLE tag ADD COLUMN first_listed_gen INTEGER;
ALTER TABLE repo ADD COLUMN announced_gen INTEGER NOT NULL DEFAULT 0;
UPDATE tag SET first_listed_gen = listed_gen;
UPDATE repo SET announced_gen = tags_gen;
