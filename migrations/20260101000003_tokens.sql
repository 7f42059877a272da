-- API bearer tokens. Only a SHA-256 of the secret is stored; the secret is shown once.
CREATE TABLE api_tokens
(
    id           uuid PRIMARY KEY,
    name         text        NOT NULL,
    role         text        NOT NULL,
    bodies       text[]      NOT NULL DEFAULT '{}',
    token_hash   bytea       NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
