-- server.sql: version, encoding, database and role of this session.
SELECT current_setting('server_version_num')::int AS version_num,
       current_setting('server_version') AS version,
       current_setting('server_encoding') AS encoding,
       current_database()::text AS database,
       current_user::text AS "user";
