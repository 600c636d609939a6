-- 0012: a Confluence Cloud page's identity no longer holds its space key:
-- postmortems.canon ORIGIN/wiki/spaces/KEY/pages/ID becomes
-- ORIGIN/wiki/pages/viewpage.action?pageId=ID (page ids are unique per site),
-- so a page moved to another space or source stays one post-mortem
-- (lib/source/confluence.c add_page). The display name (source) is kept.
-- Where an earlier move already made two rows of one page, the newest row
-- (the one the current listing shows) takes the identity; the other keeps
-- the old form and is withdrawn after missing_days as before.
UPDATE postmortems
SET canon = substr(canon, 1, instr(canon, '/wiki/spaces/') + 4) ||
            '/pages/viewpage.action?pageId=' || substr(canon, instr(canon, '/pages/') + 7)
WHERE canon GLOB 'http*://*/wiki/spaces/*/pages/[0-9]*'
  AND substr(canon, instr(canon, '/pages/') + 7) NOT GLOB '*[^0-9]*'
  AND NOT EXISTS (
    SELECT 1 FROM postmortems AS p2
    WHERE p2.id > postmortems.id
      AND p2.canon GLOB 'http*://*/wiki/spaces/*/pages/[0-9]*'
      AND substr(p2.canon, instr(p2.canon, '/pages/') + 7) NOT GLOB '*[^0-9]*'
      AND substr(p2.canon, 1, instr(p2.canon, '/wiki/spaces/') + 4) =
          substr(postmortems.canon, 1, instr(postmortems.canon, '/wiki/spaces/') + 4)
      AND substr(p2.canon, instr(p2.canon, '/pages/') + 7) =
          substr(postmortems.canon, instr(postmortems.canon, '/pages/') + 7));
