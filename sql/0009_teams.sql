-- 0009: teams. team_doc is what the document says (front matter team:, a
-- Team: line); team is the team the post-mortem belongs to: team_doc, else
-- the first matching [teams] rule, else (with [teams] from_directory) the
-- first directory of its source. Set by every import (lib/team.c), so a
-- change of [teams] takes effect on the next import. The lint fingerprint
-- is dropped so that the next import reads every document again and fills
-- team_doc.
ALTER TABLE postmortems ADD COLUMN team_doc TEXT;
ALTER TABLE postmortems ADD COLUMN team TEXT;
CREATE INDEX postmortems_team ON postmortems (team);
DELETE FROM meta WHERE key = 'lint_fingerprint';
