-- xiaoxiang schema, SQLite flavour. Keep in step with postgres/0001_create_schema.sql.
-- Times are TEXT in the fixed-width UTC format 2006-01-02T15:04:05.000000Z (see dialect.go);
-- booleans are INTEGER 0/1.

CREATE TABLE schools (
	id            INTEGER PRIMARY KEY,
	name          TEXT NOT NULL,
	code          TEXT NOT NULL UNIQUE,
	ident         TEXT NOT NULL DEFAULT '',
	pinyin        TEXT NOT NULL DEFAULT '',
	initials      TEXT NOT NULL DEFAULT '',
	support_phone TEXT NOT NULL DEFAULT '',
	support_hours TEXT NOT NULL DEFAULT '',
	support_qq    TEXT NOT NULL DEFAULT '',
	created_at    TEXT NOT NULL
);
CREATE INDEX schools_pinyin ON schools (pinyin);
CREATE INDEX schools_initials ON schools (initials);

CREATE TABLE spec_profiles (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	spec       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE tasks (
	id                         INTEGER PRIMARY KEY,
	school_id                  INTEGER NOT NULL REFERENCES schools (id),
	category                   TEXT NOT NULL,
	title                      TEXT NOT NULL,
	grade                      TEXT NOT NULL DEFAULT '',
	status                     TEXT NOT NULL,
	opens_at                   TEXT NOT NULL,
	closes_at                  TEXT NOT NULL,
	fee_fen                    INTEGER NOT NULL DEFAULT 0,
	link_mode                  TEXT NOT NULL,
	allow_manual_entry         INTEGER NOT NULL DEFAULT 0,
	allow_album                INTEGER NOT NULL DEFAULT 1,
	require_ctid               INTEGER NOT NULL DEFAULT 0,
	same_person_check          INTEGER NOT NULL DEFAULT 0,
	profile_id                 TEXT NOT NULL REFERENCES spec_profiles (id),
	daily_standardize_limit    INTEGER NOT NULL,
	free_resubmissions         INTEGER NOT NULL,
	replacements_before_review INTEGER NOT NULL,
	export_key                 TEXT NOT NULL,
	notice                     TEXT NOT NULL DEFAULT '',
	created_at                 TEXT NOT NULL,
	updated_at                 TEXT NOT NULL
);
CREATE INDEX tasks_school_status ON tasks (school_id, status, closes_at);
CREATE INDEX tasks_status_closes ON tasks (status, closes_at);

CREATE TABLE roster_entries (
	id            INTEGER PRIMARY KEY,
	school_id     INTEGER NOT NULL REFERENCES schools (id),
	task_id       INTEGER NOT NULL REFERENCES tasks (id),
	name          TEXT NOT NULL,
	doc_kind      TEXT NOT NULL DEFAULT '',
	doc_cipher    TEXT NOT NULL DEFAULT '',
	doc_index     TEXT,
	doc_last4     TEXT NOT NULL DEFAULT '',
	student_no    TEXT,
	exam_no       TEXT NOT NULL DEFAULT '',
	college       TEXT NOT NULL DEFAULT '',
	major         TEXT NOT NULL DEFAULT '',
	class         TEXT NOT NULL DEFAULT '',
	grade         TEXT NOT NULL DEFAULT '',
	gender        TEXT NOT NULL DEFAULT '',
	source        TEXT NOT NULL,
	manual_status TEXT NOT NULL DEFAULT '',
	manual_note   TEXT NOT NULL DEFAULT '',
	has_photo     INTEGER NOT NULL DEFAULT 0,
	photo_key     TEXT NOT NULL DEFAULT '',
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL
);
CREATE INDEX roster_task_doc ON roster_entries (task_id, doc_index);
CREATE INDEX roster_task_student_no ON roster_entries (task_id, student_no);
CREATE INDEX roster_task_college ON roster_entries (task_id, college, class);
CREATE INDEX roster_manual_pending ON roster_entries (task_id, manual_status) WHERE manual_status = 'pending';

CREATE TABLE accounts (
	id         INTEGER PRIMARY KEY,
	openid     TEXT UNIQUE,
	unionid    TEXT,
	nickname   TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	deleted_at TEXT
);
CREATE INDEX accounts_unionid ON accounts (unionid) WHERE unionid IS NOT NULL;

CREATE TABLE consents (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	kind       TEXT NOT NULL,
	version    TEXT NOT NULL,
	created_at TEXT NOT NULL,
	UNIQUE (account_id, kind, version)
);

CREATE TABLE bindings (
	id              INTEGER PRIMARY KEY,
	account_id      INTEGER NOT NULL REFERENCES accounts (id),
	roster_entry_id INTEGER NOT NULL REFERENCES roster_entries (id),
	task_id         INTEGER NOT NULL REFERENCES tasks (id),
	school_id       INTEGER NOT NULL REFERENCES schools (id),
	status          TEXT NOT NULL,
	created_at      TEXT NOT NULL,
	unbound_at      TEXT
);
-- One active (pending or linked) binding per roster entry, and per account and task.
CREATE UNIQUE INDEX bindings_active_entry ON bindings (roster_entry_id) WHERE status IN ('pending', 'linked');
CREATE UNIQUE INDEX bindings_active_account_task ON bindings (account_id, task_id) WHERE status IN ('pending', 'linked');
CREATE INDEX bindings_account ON bindings (account_id, id);

CREATE TABLE link_failures (
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	day        TEXT NOT NULL,
	failures   INTEGER NOT NULL,
	PRIMARY KEY (account_id, day)
);

CREATE TABLE orders (
	id              INTEGER PRIMARY KEY,
	out_trade_no    TEXT NOT NULL UNIQUE,
	account_id      INTEGER NOT NULL REFERENCES accounts (id),
	binding_id      INTEGER NOT NULL REFERENCES bindings (id),
	roster_entry_id INTEGER NOT NULL REFERENCES roster_entries (id),
	task_id         INTEGER NOT NULL REFERENCES tasks (id),
	school_id       INTEGER NOT NULL REFERENCES schools (id),
	app_id          TEXT NOT NULL,
	mch_id          TEXT NOT NULL,
	amount_fen      INTEGER NOT NULL,
	status          TEXT NOT NULL,
	prepay_id       TEXT NOT NULL DEFAULT '',
	transaction_id  TEXT NOT NULL DEFAULT '',
	payer_openid    TEXT NOT NULL DEFAULT '',
	paid_at         TEXT,
	closed_at       TEXT,
	expires_at      TEXT,
	out_refund_no   TEXT NOT NULL DEFAULT '',
	refund_reason   TEXT NOT NULL DEFAULT '',
	refunded_at     TEXT,
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL
);
CREATE INDEX orders_binding ON orders (binding_id, id);
CREATE INDEX orders_entry_status ON orders (roster_entry_id, status);
CREATE INDEX orders_status_created ON orders (status, created_at);
CREATE INDEX orders_task_status ON orders (task_id, status);

CREATE TABLE refunds (
	id            INTEGER PRIMARY KEY,
	order_id      INTEGER NOT NULL REFERENCES orders (id),
	out_refund_no TEXT NOT NULL UNIQUE,
	amount_fen    INTEGER NOT NULL,
	reason        TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL DEFAULT '',
	refund_id     TEXT NOT NULL DEFAULT '',
	succeeded_at  TEXT,
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL
);
CREATE INDEX refunds_pending ON refunds (id) WHERE status NOT IN ('SUCCESS', 'CLOSED');

CREATE TABLE attempts (
	id               INTEGER PRIMARY KEY,
	binding_id       INTEGER NOT NULL REFERENCES bindings (id),
	roster_entry_id  INTEGER NOT NULL REFERENCES roster_entries (id),
	account_id       INTEGER NOT NULL REFERENCES accounts (id),
	task_id          INTEGER NOT NULL REFERENCES tasks (id),
	original_key     TEXT NOT NULL DEFAULT '',
	width            INTEGER NOT NULL DEFAULT 0,
	height           INTEGER NOT NULL DEFAULT 0,
	source           TEXT NOT NULL,
	report_json      TEXT NOT NULL DEFAULT '',
	verdict          TEXT NOT NULL DEFAULT '',
	standardized_key TEXT NOT NULL DEFAULT '',
	standardized_at  TEXT,
	result_json      TEXT NOT NULL DEFAULT '',
	sha256           TEXT NOT NULL DEFAULT '',
	created_at       TEXT NOT NULL,
	purged_at        TEXT
);
CREATE INDEX attempts_binding ON attempts (binding_id, id);
CREATE INDEX attempts_account ON attempts (account_id, id);

-- Standardizations used per roster entry per Asia/Shanghai day.
CREATE TABLE quota_uses (
	roster_entry_id INTEGER NOT NULL REFERENCES roster_entries (id),
	day             TEXT NOT NULL,
	used            INTEGER NOT NULL,
	PRIMARY KEY (roster_entry_id, day)
);

CREATE TABLE submissions (
	id                 INTEGER PRIMARY KEY,
	binding_id         INTEGER NOT NULL REFERENCES bindings (id),
	roster_entry_id    INTEGER NOT NULL UNIQUE REFERENCES roster_entries (id),
	account_id         INTEGER NOT NULL REFERENCES accounts (id),
	task_id            INTEGER NOT NULL REFERENCES tasks (id),
	school_id          INTEGER NOT NULL REFERENCES schools (id),
	attempt_id         INTEGER NOT NULL REFERENCES attempts (id),
	status             TEXT NOT NULL,
	replacements_used  INTEGER NOT NULL DEFAULT 0,
	resubmissions_used INTEGER NOT NULL DEFAULT 0,
	reviewer_id        INTEGER,
	reviewed_at        TEXT,
	reject_reasons     TEXT NOT NULL DEFAULT '',
	reject_note        TEXT NOT NULL DEFAULT '',
	claimed_by         INTEGER,
	claim_expires      TEXT,
	ctid_result        TEXT NOT NULL DEFAULT '',
	ctid_score         REAL NOT NULL DEFAULT 0,
	ctid_serial        TEXT NOT NULL DEFAULT '',
	ctid_at            TEXT,
	same_person_done   INTEGER NOT NULL DEFAULT 0,
	same_person        INTEGER NOT NULL DEFAULT 0,
	submitted_at       TEXT NOT NULL,
	delivered_at       TEXT,
	package_id         INTEGER,
	created_at         TEXT NOT NULL,
	updated_at         TEXT NOT NULL
);
CREATE INDEX submissions_review_queue ON submissions (status, submitted_at);
CREATE INDEX submissions_task_status ON submissions (task_id, status);
CREATE INDEX submissions_binding ON submissions (binding_id);

CREATE TABLE submission_events (
	id            INTEGER PRIMARY KEY,
	submission_id INTEGER NOT NULL REFERENCES submissions (id),
	action        TEXT NOT NULL,
	from_status   TEXT NOT NULL DEFAULT '',
	to_status     TEXT NOT NULL DEFAULT '',
	actor_kind    TEXT NOT NULL,
	actor_id      INTEGER NOT NULL DEFAULT 0,
	reason        TEXT NOT NULL DEFAULT '',
	created_at    TEXT NOT NULL
);
CREATE INDEX submission_events_submission ON submission_events (submission_id, id);

CREATE TABLE reject_reasons (
	code     TEXT PRIMARY KEY,
	label    TEXT NOT NULL,
	message  TEXT NOT NULL,
	position INTEGER NOT NULL DEFAULT 0,
	active   INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE staff (
	id            INTEGER PRIMARY KEY,
	username      TEXT NOT NULL UNIQUE,
	display_name  TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL,
	role          TEXT NOT NULL,
	school_id     INTEGER REFERENCES schools (id),
	colleges      TEXT NOT NULL DEFAULT '',
	totp_secret   TEXT NOT NULL DEFAULT '',
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    TEXT NOT NULL,
	last_login_at TEXT
);

CREATE TABLE staff_sessions (
	id           TEXT PRIMARY KEY, -- SHA-256 of the session token, never the token
	staff_id     INTEGER NOT NULL REFERENCES staff (id),
	created_at   TEXT NOT NULL,
	expires_at   TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	ip           TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);
CREATE INDEX staff_sessions_expires ON staff_sessions (expires_at);

CREATE TABLE notifications (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	kind       TEXT NOT NULL,
	title      TEXT NOT NULL,
	body       TEXT NOT NULL DEFAULT '',
	link       TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	read_at    TEXT
);
CREATE INDEX notifications_account ON notifications (account_id, id);

CREATE TABLE subscription_credits (
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	kind       TEXT NOT NULL,
	credits    INTEGER NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (account_id, kind)
);

CREATE TABLE audit_log (
	id         INTEGER PRIMARY KEY,
	actor_kind TEXT NOT NULL,
	actor_id   INTEGER NOT NULL DEFAULT 0,
	action     TEXT NOT NULL,
	object     TEXT NOT NULL DEFAULT '',
	school_id  INTEGER NOT NULL DEFAULT 0,
	count      INTEGER NOT NULL DEFAULT 0,
	detail     TEXT NOT NULL DEFAULT '',
	ip         TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX audit_log_school ON audit_log (school_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_kind, actor_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE jobs (
	id           INTEGER PRIMARY KEY,
	kind         TEXT NOT NULL,
	args         TEXT NOT NULL,
	unique_key   TEXT UNIQUE,
	state        TEXT NOT NULL,
	run_at       TEXT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	max_attempts INTEGER NOT NULL,
	last_error   TEXT NOT NULL DEFAULT '',
	locked_until TEXT,
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL,
	finished_at  TEXT
);
CREATE INDEX jobs_available ON jobs (state, run_at);
