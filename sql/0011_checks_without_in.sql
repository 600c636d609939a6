-- 0011: the same CHECK constraints on items.status and history.origin,
-- written as comparisons. SQLite 3.40 evaluates a CHECK "x IN (a, b, c)"
-- of three or more constants by building a temporary b-tree on every row
-- it checks (OP_OpenEphemeral; two constants become comparisons): a pager
-- opened, a page zeroed and closed for each item inserted, about a third
-- of a first import's database time. Changing a CHECK leaves the stored
-- rows as they are, so the table definitions are edited in place
-- (writable_schema, as SQLite's ALTER TABLE documentation describes for
-- changing constraints) instead of rebuilding two tables that others
-- reference; RESET makes this connection read the new definitions.
-- A definition not written as 0001 wrote it is left alone.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, 'CHECK (status IN (''open'', ''done'', ''withdrawn''))',
                     'CHECK (status = ''open'' OR status = ''done'' OR status = ''withdrawn'')')
 WHERE type = 'table' AND name = 'items';
UPDATE sqlite_schema
   SET sql = replace(sql, 'CHECK (origin IN (''import'', ''local'', ''tracker'', ''sync''))',
                     'CHECK (origin = ''import'' OR origin = ''local'' OR origin = ''tracker'' OR origin = ''sync'')')
 WHERE type = 'table' AND name = 'history';
PRAGMA writable_schema = RESET;
