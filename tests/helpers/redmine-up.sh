# redmine-up.sh — sourced after sync-lib.sh: starts a throw-away Redmine
# (Debian packages redmine redmine-sqlite thin) on 127.0.0.1 with a copy of
# the packaged database in $T, as its own Redmine instance (removed at exit).
# Sets RM_URL, RM_KEY (admin API key), RM_ALICE (id of user alice-rm).
# Fails loudly when Redmine is not installed: contrib/install-deps.sh --test.
RM_ROOT=/usr/share/redmine
RM_SRC_DB=/var/lib/dbconfig-common/sqlite3/redmine/instances/default/redmine_default
[ -x "$RM_ROOT/bin/rails" ] && [ -f "$RM_SRC_DB" ] ||
    fail "Redmine is not installed (run: sh contrib/install-deps.sh --test)"
command -v rackup >/dev/null 2>&1 || [ -x /usr/bin/rackup ] || fail "rackup (thin) missing"
RM_INST="cltest-$$"
RM_DIR="$RM_ROOT/instances/$RM_INST"
mkdir -p "$RM_DIR/config" "$RM_DIR/log" "$RM_DIR/tmp/cache" "$RM_DIR/files" \
         "$RM_DIR/public/plugin_assets" || fail "cannot make the Redmine instance"
rm_cleanup() { rm -rf "$RM_DIR"; cleanup; }
trap rm_cleanup EXIT
cp "$RM_SRC_DB" "$T/redmine.db"
cat > "$RM_DIR/config/database.yml" <<YML
production:
  adapter: sqlite3
  database: $T/redmine.db
  encoding: utf8
YML
$PY -c 'import secrets; print(secrets.token_hex(32))' > "$RM_DIR/config/secret_key.txt"
cat > "$T/rm-setup.rb" <<'RB'
Setting.rest_api_enabled = "1"
admin = User.find_by_login("admin")
key = admin.api_key
p = Project.find_by_identifier("ops") || Project.create!(name: "Ops", identifier: "ops",
      is_public: true, tracker_ids: Tracker.pluck(:id),
      enabled_module_names: ["issue_tracking"])
u = User.find_by_login("alice-rm") || User.new(firstname: "Alice", lastname: "Doe",
      mail: "alice-rm@example.com").tap { |x| x.login = "alice-rm"; x.password = "secret-Pass-123"; x.save! }
role = Role.givable.first
Member.create!(principal: u, project: p, roles: [role]) unless Member.find_by(user_id: u.id, project_id: p.id)
puts "KEY=#{key}"
puts "ALICE=#{u.id}"
RB
(cd "$RM_ROOT" && REDMINE_INSTANCE="$RM_INST" RAILS_ENV=production timeout 180 \
    bin/rails runner "$T/rm-setup.rb") > "$T/rm-setup.out" 2>&1 ||
    { tail -20 "$T/rm-setup.out"; fail "Redmine setup failed"; }
RM_KEY=$(sed -n 's/^KEY=//p' "$T/rm-setup.out")
RM_ALICE=$(sed -n 's/^ALICE=//p' "$T/rm-setup.out")
[ -n "$RM_KEY" ] || fail "no Redmine API key"
rport=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$RM_ROOT" && REDMINE_INSTANCE="$RM_INST" exec timeout 900 rackup -E production \
    -o 127.0.0.1 -p "$rport") > "$T/redmine.log" 2>&1 &
PIDS="$PIDS $!"
RM_URL="http://127.0.0.1:$rport"
i=0
until $PY -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1] + "/issue_statuses.json", timeout=2)' "$RM_URL" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 300 ] && { tail -20 "$T/redmine.log"; fail "Redmine did not start"; }
    sleep 0.2
done

# rm_api METHOD PATH [JSON]: a request to Redmine as a person would make it
rm_api() {
    $PY - "$1" "$RM_URL$2" "${3:-}" <<'PYEOF'
import os, sys, urllib.request
m, url, body = sys.argv[1:4]
req = urllib.request.Request(url, method=m, data=body.encode() if body else None,
    headers={"X-Redmine-API-Key": os.environ["RM_KEY"], "Content-Type": "application/json"})
r = urllib.request.urlopen(req, timeout=20).read().decode()
print(r if r.strip() else "{}")
PYEOF
}
export RM_KEY
