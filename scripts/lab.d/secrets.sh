# shellcheck shell=bash
# scripts/lab.d/secrets.sh: the `op` stand-in and its vault.
#
# $LAB/bin/op        the stand-in (a copy of scripts/lab.d/op); not installed
#                    system-wide: put $LAB/bin first on PATH to use it
# $LAB/op/vault.json "vault/item/field" -> value, 0600
# $LAB/op/calls.log  one line per call: time, pid, verb, args (never values)
# $LAB/op/signed-out present while signed out (`op signout` / `op signin`)

OP_DIR=$LAB/op

op_up() {
  mkdir -p "$LAB/bin" "$OP_DIR"
  chmod 0700 "$OP_DIR"
  write_file "$LAB/bin/op" 0755 <"$LAB_SCRIPTS/lab.d/op" || true
  touch "$OP_DIR/calls.log"
  chmod 0600 "$OP_DIR/calls.log"
  vault_up
}

# Makes the vault, or adds the entries it lacks. Existing values are never
# replaced, so a second `up` changes nothing; the registry password is copied
# from $REG_PASSWORD (made once by registry.sh).
vault_up() {
  REG_PASSWORD=$REG_PASSWORD VAULT=$OP_DIR/vault.json /usr/bin/python3 - <<'EOF'
import json, os, secrets

path = os.environ["VAULT"]
vault = {}
if os.path.exists(path):
    with open(path, encoding="utf-8") as f:
        vault = json.load(f)
with open(os.environ["REG_PASSWORD"], encoding="utf-8") as f:
    registry_password = f.read()

def b64line(n):
    import base64
    return base64.b64encode(secrets.token_bytes(n)).decode()

wanted = {
    "homelab/registry/password": registry_password,
    "homelab/registry/username": "lab-ci",
    "homelab/ktrdr-db/password": secrets.token_urlsafe(24),
    # Hostile on purpose: quotes, command substitution, backticks, ;, =,
    # spaces, $VAR, a backslash and non-ASCII. Must arrive byte-exact and
    # never run.
    "homelab/ktrdr-api/key": "k3y 'single' \"double\" $(touch /tmp/pwned) `touch /tmp/pwned2` ;x=1 $HOME \\ é ü €",
    # Multi-line (4 lines, no final newline).
    "homelab/ktrdr-tls/key": "-----BEGIN LAB PRIVATE KEY-----\n"
        + b64line(48) + "\n" + b64line(48) + "\n-----END LAB PRIVATE KEY-----",
}
changed = False
for key, value in wanted.items():
    if key == "homelab/registry/password" and vault.get(key) != value:
        vault[key] = value  # the registry's password is the truth
        changed = True
    elif key not in vault:
        vault[key] = value
        changed = True
if changed or not os.path.exists(path):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(vault, f, indent=2, ensure_ascii=False, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)
os.chmod(path, 0o600)
EOF
}
